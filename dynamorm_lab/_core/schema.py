"""A table's keys, indexes and TTL as plain data, from a model or from DescribeTable.

The same `TableSchema` serves table creation, the planner, schema diffs and introspection,
whether it was declared by a model or read from a live table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import DynamoDBError, ValidationError

__all__ = ["Index", "KeyAttribute", "Projection", "TableSchema", "check_table_name"]

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


@dataclass(frozen=True, slots=True)
class KeyAttribute:
    """A key attribute: its DynamoDB name and scalar type letter (S, N or B)."""

    name: str
    type: str

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


@dataclass(frozen=True, slots=True)
class Index:
    """A global or local secondary index."""

    name: str
    kind: Literal["GSI", "LSI"]
    partition: KeyAttribute
    sort: KeyAttribute | None = None
    projection: Projection = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_table_name(self.name, "index")

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.partition.name,) + ((self.sort.name,) if self.sort else ())

    def projected_names(self, table: TableSchema) -> frozenset[str] | None:
        """The attributes an index item holds, or None when it holds all of them."""
        if self.projection == "ALL":
            return None
        names = set(self.key_names) | set(table.key_names)
        if self.projection == "INCLUDE":
            names |= set(self.non_key_attributes)
        return frozenset(names)

    def describe(self) -> str:
        keys = " + ".join(str(k) for k in (self.partition, self.sort) if k)
        projection: str = self.projection
        if projection == "INCLUDE":
            projection += f" {', '.join(self.non_key_attributes)}"
        return f"{self.kind} {self.name}: {keys}, projection {projection}"


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

    def index(self, name: str) -> Index:
        for index in self.indexes:
            if index.name == name:
                return index
        known = ", ".join(i.name for i in self.indexes) or "none"
        raise ValidationError(
            f"table {self.name} has no index {name!r} (its indexes: {known})", table=self.name
        )

    def attribute_definitions(self) -> list[dict[str, str]]:
        """Every key attribute of the table and its indexes, once each."""
        seen: dict[str, str] = {}
        keys = [self.partition, self.sort]
        for index in self.indexes:
            keys += [index.partition, index.sort]
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
                 ) -> tuple[KeyAttribute, KeyAttribute | None]:
            by_role = {}
            for key in schema:
                attribute = key["AttributeName"]
                if attribute not in types:
                    raise DynamoDBError(
                        f"DescribeTable of {name} gives {owner} the key attribute {attribute!r} "
                        "but no type for it in AttributeDefinitions; the table's definitions "
                        "are incomplete (an UpdateTable that sent only some of them can cause "
                        "this on local servers): recreate the table or its index",
                        table=name, operation="DescribeTable")
                by_role[key["KeyType"]] = KeyAttribute(attribute, types[attribute])
            if "HASH" not in by_role:
                raise DynamoDBError(f"DescribeTable of {name} gives {owner} no partition key",
                                    table=name, operation="DescribeTable")
            return by_role["HASH"], by_role.get("RANGE")

        partition, sort = keys(table.get("KeySchema", []), "the table")
        indexes = []
        for kind, entry in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes")):
            for raw in table.get(entry, []):
                index_partition, index_sort = keys(raw.get("KeySchema", []),
                                                   f"index {raw.get('IndexName')}")
                projection = raw.get("Projection", {})
                indexes.append(Index(
                    raw["IndexName"], kind, index_partition, index_sort,  # type: ignore[arg-type]
                    projection.get("ProjectionType", "ALL"),
                    tuple(projection.get("NonKeyAttributes", ())),
                ))
        extra = {k: table[k] for k in ("ItemCount", "TableSizeBytes", "BillingModeSummary",
                                       "StreamSpecification", "TableStatus") if k in table}
        return cls(table["TableName"], partition, sort,
                   tuple(sorted(indexes, key=lambda i: (i.kind, i.name))), ttl_attribute, extra)


def _key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _index_request(index: Index) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.projection == "INCLUDE":
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    return {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.partition, index.sort),
        "Projection": projection,
    }
