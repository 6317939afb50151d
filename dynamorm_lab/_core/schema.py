"""A table's keys, indexes and TTL as plain data, from a model or from DescribeTable.

The same `TableSchema` serves table creation, the planner, schema diffs and introspection,
whether it was declared by a model or read from a live table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import DynamoDBError, ValidationError
from . import display

__all__ = ["Index", "IndexSpec", "KeyAttribute", "Projection", "TableSchema",
           "check_table_name", "gsi", "gsi_source"]

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")


def check_table_name(name: object, kind: str = "table") -> str:
    """`name` if DynamoDB accepts it as a table or index name (3-255 of A-Z a-z 0-9 _ - .)."""
    if not isinstance(name, str) or not _TABLE_NAME.fullmatch(name):
        raise ValidationError(
            f"{name!r} is not a valid DynamoDB {kind} name: use 3 to 255 letters, digits, "
            "'_', '-' or '.'", table=name if isinstance(name, str) and kind == "table" else None)
    return name


Projection = Literal["ALL", "KEYS_ONLY", "INCLUDE"]
MAX_GSIS = 20
MAX_LSIS = 5
MAX_KEY_ATTRIBUTES = 4  # a GSI's partition (and its sort) key: up to 4 attributes each


@dataclass(frozen=True, slots=True)
class KeyAttribute:
    """A key attribute: its DynamoDB name and scalar type letter (S, N or B)."""

    name: str
    type: str

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


@dataclass(frozen=True, slots=True)
class Index:
    """A global or local secondary index.

    A GSI's key may have several attributes (since November 2025): up to 4 for the partition
    key and 4 for the sort key, each in its own type, in the order given. `partition` and
    `sort` are the first of each; `partition_keys` and `sort_keys` hold them all.
    """

    name: str
    kind: Literal["GSI", "LSI"]
    partition: KeyAttribute
    sort: KeyAttribute | None = None
    projection: Projection = "ALL"
    non_key_attributes: tuple[str, ...] = ()
    partition_keys: tuple[KeyAttribute, ...] = ()
    sort_keys: tuple[KeyAttribute, ...] = ()

    def __post_init__(self) -> None:
        check_table_name(self.name, "index")
        partitions = self.partition_keys or (self.partition,)
        sorts = self.sort_keys or ((self.sort,) if self.sort is not None else ())
        if partitions[0] != self.partition or (sorts[:1] or (None,))[0] != self.sort:
            raise ValidationError(f"index {self.name}: partition and sort must be the first "
                                  "of partition_keys and sort_keys")
        if len(partitions) > MAX_KEY_ATTRIBUTES or len(sorts) > MAX_KEY_ATTRIBUTES:
            raise ValidationError(f"index {self.name}: a key has at most "
                                  f"{MAX_KEY_ATTRIBUTES} attributes")
        if self.kind == "LSI" and (len(partitions) > 1 or len(sorts) > 1):
            raise ValidationError(f"index {self.name}: only a GSI's key may have several "
                                  "attributes")
        names = [k.name for k in (*partitions, *sorts)]
        if len(set(names)) != len(names):
            raise ValidationError(f"index {self.name}: an attribute is twice in its key")
        object.__setattr__(self, "partition_keys", tuple(partitions))
        object.__setattr__(self, "sort_keys", tuple(sorts))

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(k.name for k in (*self.partition_keys, *self.sort_keys))

    @property
    def multi_attribute(self) -> bool:
        """Whether the key has more than one partition or more than one sort attribute."""
        return len(self.partition_keys) > 1 or len(self.sort_keys) > 1

    def projected_names(self, table: TableSchema) -> frozenset[str] | None:
        """The attributes an index item holds, or None when it holds all of them."""
        if self.projection == "ALL":
            return None
        names = set(self.key_names) | set(table.key_names)
        if self.projection == "INCLUDE":
            names |= set(self.non_key_attributes)
        return frozenset(names)

    @property
    def projection_text(self) -> str:
        """The projection as DESCRIBE shows it: ``ALL``, ``INCLUDE (title, size)``."""
        attributes = f" ({', '.join(self.non_key_attributes)})" if self.non_key_attributes else ""
        return f"{self.projection}{attributes}"

    def describe(self) -> str:
        keys = " + ".join(_listed(keys) for keys in (self.partition_keys, self.sort_keys)
                          if keys)
        projection: str = self.projection
        if projection == "INCLUDE":
            projection += f" {', '.join(self.non_key_attributes)}"
        return f"{self.kind} {self.name}: {keys}, projection {projection}"


def _listed(keys: tuple[KeyAttribute, ...]) -> str:
    return str(keys[0]) if len(keys) == 1 else "(" + ", ".join(map(str, keys)) + ")"


def gsi(*, partition: str | Sequence[str], sort: str | Sequence[str] | None = None,
        projection: Projection | Sequence[str] = "ALL") -> IndexSpec:
    """A global secondary index a model declares by its fields' Python names, for
    ``indexes={"ByTournament": dl.gsi(partition=["tournament", "region"], sort=["round"])}``:
    up to 4 partition and 4 sort attributes, in the order given; a projection of "ALL",
    "KEYS_ONLY" or a list of attribute names (INCLUDE)."""
    def names(value: str | Sequence[str] | None, role: str) -> tuple[str, ...]:
        if value is None:
            return ()
        listed = (value,) if isinstance(value, str) else tuple(value)
        if not all(isinstance(n, str) and n for n in listed):
            raise ValidationError(f"gsi({role}=...) takes field names, got {value!r:.60}")
        return listed

    spec = IndexSpec(names(partition, "partition"), names(sort, "sort"), projection)
    if not spec.partition or len(spec.partition) > MAX_KEY_ATTRIBUTES or len(
            spec.sort) > MAX_KEY_ATTRIBUTES:
        raise ValidationError(f"a GSI key has 1 to {MAX_KEY_ATTRIBUTES} partition attributes "
                              f"and at most {MAX_KEY_ATTRIBUTES} sort attributes")
    return spec


def gsi_source(index: Index, names: Mapping[str, str] | None = None) -> str:
    """``dl.gsi(...)`` source declaring `index` (`names` maps attribute names to a model's
    Python names where they differ)."""
    def listed(keys: tuple[KeyAttribute, ...]) -> list[str]:
        return [(names or {}).get(k.name, k.name) for k in keys]

    arguments = [f"partition={listed(index.partition_keys)!r}"]
    if index.sort_keys:
        arguments.append(f"sort={listed(index.sort_keys)!r}")
    if index.projection == "INCLUDE":
        arguments.append(f"projection={list(index.non_key_attributes)!r}")
    elif index.projection != "ALL":
        arguments.append(f"projection={index.projection!r}")
    return f"dl.gsi({', '.join(arguments)})"


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """A GSI as a model declares it (`gsi`): fields by Python name, in key order."""

    partition: tuple[str, ...]
    sort: tuple[str, ...] = ()
    projection: Projection | Sequence[str] = "ALL"


@dataclass(frozen=True, slots=True)
class TableSchema:
    """What DynamoDB knows of a table's structure."""

    name: str
    partition: KeyAttribute
    sort: KeyAttribute | None = None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.partition.name,) + ((self.sort.name,) if self.sort else ())

    @property
    def partition_keys(self) -> tuple[KeyAttribute, ...]:
        """As `Index.partition_keys`: a table's key has one partition attribute."""
        return (self.partition,)

    @property
    def sort_keys(self) -> tuple[KeyAttribute, ...]:
        return (self.sort,) if self.sort else ()

    def keys_of(self, index: str | None) -> TableSchema | Index:
        """The table's own key (None) or the named index's: both have partition_keys and
        sort_keys, in key order."""
        return self if index is None else self.index(index)

    def index(self, name: str) -> Index:
        for index in self.indexes:
            if index.name == name:
                return index
        known = ", ".join(i.name for i in self.indexes) or "none"
        raise ValidationError(
            f"table {self.name} has no index {name!r} (its indexes: {known})", table=self.name
        )

    def rows(self) -> list[dict[str, str]]:
        """One row for the table's key and one per index: kind, name, partition key, sort
        key and projection (what DESCRIBE shows)."""
        def row(kind: str, name: str, keys: TableSchema | Index, projection: str,
                ) -> dict[str, str]:
            return {"kind": kind, "name": name,
                    "partition_key": ", ".join(map(str, keys.partition_keys)),
                    "sort_key": ", ".join(map(str, keys.sort_keys)), "projection": projection}

        return [row("table", self.name, self, "ALL"),
                *(row(i.kind, i.name, i, i.projection_text) for i in self.indexes)]

    def figures(self) -> list[tuple[str, Any]]:
        """What to show of the table as (label, value) pairs: its key and TTL and, for a
        live table, DescribeTable's item count, size (or that the server reports none),
        billing, stream and status."""
        extra = self.extra
        shown: list[tuple[str, Any]] = [
            ("key", " + ".join(str(k) for k in (self.partition, self.sort) if k))]
        if "ItemCount" in extra:
            shown.append(("items", extra["ItemCount"]))
        if "TableSizeBytes" in extra:
            size_bytes = extra["TableSizeBytes"]
            shown.append(("size", "not reported by the server"
                          if not size_bytes and extra.get("ItemCount") else
                          display.size(size_bytes)))
        shown.append(("TTL", self.ttl_attribute or "off"))
        if extra:
            stream = extra.get("StreamSpecification", {})
            shown += [("billing", extra.get("BillingModeSummary", {}).get(
                "BillingMode", "PROVISIONED")), ("stream", stream.get("StreamViewType", "on")
                                                  if stream.get("StreamEnabled") else "off")]
        if "TableStatus" in extra:
            shown.append(("status", extra["TableStatus"]))
        return shown

    def __repr__(self) -> str:
        facts = dict(self.figures())
        items = f"; {display.count(facts['items'], 'item')}" if "items" in facts else ""
        indexes = "".join(f"; {index.describe()}" for index in self.indexes)
        return f"<TableSchema {self.name}: key {facts['key']}{indexes}{items}>"

    def _repr_html_(self) -> str:
        """The table's figures, then its key and indexes."""
        foot = ["DynamoDB refreshes the item count and size about every six hours."
                if "ItemCount" in self.extra else ""]
        return display.card(f"Table {self.name}", self.figures()[1:], body=display.table(
            self.rows(), labels={"partition_key": "partition key", "sort_key": "sort key"}),
            foot=foot)

    def attribute_definitions(self) -> list[dict[str, str]]:
        """Every key attribute of the table and its indexes, once each."""
        seen: dict[str, str] = {}
        keys = [self.partition, self.sort]
        for index in self.indexes:
            keys += [*index.partition_keys, *index.sort_keys]
        for key in keys:
            if key is None:
                continue
            if seen.setdefault(key.name, key.type) != key.type:
                raise ValidationError(
                    f"attribute {key.name} is used as a key with two types "
                    f"({seen[key.name]} and {key.type})",
                    table=self.name,
                )
        return [{"AttributeName": n, "AttributeType": t} for n, t in seen.items()]

    def create_table_request(
        self,
        *,
        billing: Literal["PAY_PER_REQUEST", "PROVISIONED"] = "PAY_PER_REQUEST",
        read_capacity: int = 5,
        write_capacity: int = 5,
        stream: str | None = None,
    ) -> dict[str, Any]:
        """The CreateTable request for this schema (TTL is set by a separate call)."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeySchema": _key_schema(self.partition, self.sort),
            "AttributeDefinitions": self.attribute_definitions(),
            "BillingMode": billing,
        }
        throughput = {"ReadCapacityUnits": read_capacity, "WriteCapacityUnits": write_capacity}
        if billing == "PROVISIONED":
            request["ProvisionedThroughput"] = throughput
        gsis = [i for i in self.indexes if i.kind == "GSI"]
        lsis = [i for i in self.indexes if i.kind == "LSI"]
        if gsis:
            request["GlobalSecondaryIndexes"] = [
                {**_index_request(i), **({"ProvisionedThroughput": throughput}
                                         if billing == "PROVISIONED" else {})}
                for i in gsis
            ]
        if lsis:
            request["LocalSecondaryIndexes"] = [_index_request(i) for i in lsis]
        if stream:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
        return request

    @classmethod
    def from_description(
        cls, table: Mapping[str, Any], ttl_attribute: str | None = None
    ) -> TableSchema:
        """Build a schema from a DescribeTable ``Table`` mapping.

        Raises DynamoDBError (never a KeyError) when the description is incomplete, e.g. a key
        attribute without a type in AttributeDefinitions.
        """
        name = table.get("TableName", "?")
        types = {d["AttributeName"]: d["AttributeType"]
                 for d in table.get("AttributeDefinitions", [])}

        def keys(schema: list[Mapping[str, str]], owner: str
                 ) -> tuple[tuple[KeyAttribute, ...], tuple[KeyAttribute, ...]]:
            by_role: dict[str, list[KeyAttribute]] = {"HASH": [], "RANGE": []}
            for key in schema:
                attribute = key["AttributeName"]
                if attribute not in types:
                    raise DynamoDBError(
                        f"DescribeTable of {name} gives {owner} the key attribute {attribute!r} "
                        "but no type for it in AttributeDefinitions; the table's definitions "
                        "are incomplete (an UpdateTable that sent only some of them can cause "
                        "this on local servers): recreate the table or its index",
                        table=name, operation="DescribeTable")
                by_role.setdefault(key["KeyType"], []).append(
                    KeyAttribute(attribute, types[attribute]))
            if not by_role["HASH"]:
                raise DynamoDBError(f"DescribeTable of {name} gives {owner} no partition key",
                                    table=name, operation="DescribeTable")
            return tuple(by_role["HASH"]), tuple(by_role["RANGE"])

        partitions, sorts = keys(table.get("KeySchema", []), "the table")
        partition, sort = partitions[0], (sorts[0] if sorts else None)
        indexes = []
        for kind, entry in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
            for raw in table.get(entry, []):
                index_partitions, index_sorts = keys(raw.get("KeySchema", []),
                                                     f"index {raw.get('IndexName')}")
                projection = raw.get("Projection", {})
                indexes.append(Index(
                    raw["IndexName"], kind, index_partitions[0],  # type: ignore[arg-type]
                    index_sorts[0] if index_sorts else None,
                    projection.get("ProjectionType", "ALL"),
                    tuple(projection.get("NonKeyAttributes", ())),
                    index_partitions, index_sorts,
                ))
        extra = {k: table[k] for k in ("ItemCount", "TableSizeBytes", "BillingModeSummary",
                                       "ProvisionedThroughput", "StreamSpecification",
                                       "TableStatus") if k in table}
        return cls(table["TableName"], partition, sort,
                   tuple(sorted(indexes, key=lambda i: (i.kind, i.name))), ttl_attribute, extra)


def _key_schema(partition: KeyAttribute | tuple[KeyAttribute, ...],
                sort: KeyAttribute | tuple[KeyAttribute, ...] | None) -> list[dict[str, str]]:
    """HASH then RANGE entries, each list in key order."""
    partitions = partition if isinstance(partition, tuple) else (partition,)
    sorts = sort if isinstance(sort, tuple) else (() if sort is None else (sort,))
    return ([{"AttributeName": k.name, "KeyType": "HASH"} for k in partitions]
            + [{"AttributeName": k.name, "KeyType": "RANGE"} for k in sorts])


def _index_request(index: Index) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.projection == "INCLUDE":
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    return {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.partition_keys, index.sort_keys),
        "Projection": projection,
    }
