"""General importers and an exporter for DynamoDB's JSON formats.

- BatchWriteItem request JSON: ``{"Table": [{"PutRequest": {"Item": {typed}}}, ...]}``
- DynamoDB JSON lines (DynamoDB's export format): one ``{"Item": {typed}}`` per line
- plain JSON (an array, or JSON lines) of untyped items, numbers read as exact Decimals
- NoSQL Workbench data models: ``DataModel[]`` with key schemas, GSIs and ``TableData``

Typed JSON carries binary as base64 text; it is turned into bytes (and back on export).
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .._batch import WriteReport, WriteRequest, write_requests
from .._codec import encode_item
from .._schema import Index, KeyAttribute, TableSchema
from .._session import resolve
from ..errors import ValidationError

if TYPE_CHECKING:
    from .._connection import Connection

__all__ = [
    "export_json", "import_items", "import_json", "import_workbench_model", "read_json",
    "typed_from_json", "typed_to_json", "workbench_tables",
]

_TYPES = frozenset({"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"})


def typed_from_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """A typed AttributeValue from its JSON form (binary from base64), validated."""
    if not isinstance(av, Mapping) or len(av) != 1 or next(iter(av)) not in _TYPES:
        raise ValidationError(f"not a typed AttributeValue: {av!r:.80}")
    tag, value = next(iter(av.items()))
    if tag == "B":
        return {"B": base64.b64decode(value)}
    if tag == "BS":
        return {"BS": [base64.b64decode(v) for v in value]}
    if tag == "L":
        return {"L": [typed_from_json(v) for v in value]}
    if tag == "M":
        return {"M": {k: typed_from_json(v) for k, v in value.items()}}
    return {tag: value}


def typed_to_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON form of a typed AttributeValue (binary as base64)."""
    tag, value = next(iter(av.items()))
    if tag == "B":
        return {"B": base64.b64encode(value).decode()}
    if tag == "BS":
        return {"BS": [base64.b64encode(v).decode() for v in value]}
    if tag == "L":
        return {"L": [typed_to_json(v) for v in value]}
    if tag == "M":
        return {"M": {k: typed_to_json(v) for k, v in value.items()}}
    return {tag: value}


def _typed_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: typed_from_json(av) for name, av in item.items()}


def _open(path: str | Path) -> IO[str]:
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def read_json(source: str | Path | Any) -> Any:
    """JSON from a path (``.gz`` too) or already-parsed data; a JSON-lines file gives a list."""
    if not isinstance(source, str | Path):
        return source
    with _open(source) as handle:
        text = handle.read()
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError:
        return [json.loads(line, parse_float=Decimal) for line in text.splitlines() if line.strip()]


def _items_from(data: Any, table: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, wire item) pairs from any of the supported layouts."""
    if isinstance(data, Mapping) and "DataModel" in data:
        raise ValidationError("this is a NoSQL Workbench model; use import_workbench_model()")
    if isinstance(data, Mapping) and all(isinstance(v, list) for v in data.values()):
        for name, requests in data.items():  # BatchWriteItem RequestItems
            for request in requests:
                if "PutRequest" not in request:
                    raise ValidationError(f"only PutRequest entries can be imported, got "
                                          f"{sorted(request)}")
                yield name, _typed_item(request["PutRequest"]["Item"])
        return
    if table is None:
        raise ValidationError("name the table: these items do not say which table they go to")
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        if isinstance(row, Mapping) and set(row) == {"Item"}:
            yield table, _typed_item(row["Item"])  # DynamoDB JSON (export) lines
        elif isinstance(row, Mapping):
            yield table, encode_item(dict(row))
        else:
            raise ValidationError(f"an item must be a JSON object, got {type(row).__name__}")


def import_items(conn: Connection, pairs: Iterable[tuple[str, dict[str, Any]]], *,
                 progress: Any = None) -> dict[str, WriteReport]:
    """Batch-write (table, wire item) pairs; one report per table."""
    by_table: dict[str, dict[tuple[Any, ...], WriteRequest]] = {}
    key_names: dict[str, tuple[str, ...]] = {}
    for name, item in pairs:
        if name not in key_names:
            key_names[name] = conn.describe(name).key_names
        missing = [k for k in key_names[name] if k not in item]
        if missing:
            raise ValidationError(f"an item for {name} lacks key attribute(s) "
                                  f"{', '.join(missing)}", table=name)
        key = {k: item[k] for k in key_names[name]}
        # the last put of a key wins, as writing them one after another would
        by_table.setdefault(name, {})[tuple(repr(key[k]) for k in key_names[name])] = (
            WriteRequest(name, {"PutRequest": {"Item": item}}, key))
    return {name: write_requests(conn, list(requests.values()), on_progress=progress)
            for name, requests in by_table.items()}


def import_json(source: str | Path | Any, connection: Any = None, *,
                table: str | None = None) -> dict[str, WriteReport]:
    """Import items from BatchWriteItem JSON, DynamoDB JSON lines or plain JSON.

    The tables must exist (create them from a model, or use import_workbench_model).
    Numbers stay exact; binary in typed JSON is base64 text.
    """
    conn = resolve(connection)
    return import_items(conn, _items_from(read_json(source), table))


def workbench_tables(model: Mapping[str, Any]) -> list[tuple[TableSchema, list[dict[str, Any]]]]:
    """The tables (schemas) and typed items of a NoSQL Workbench data model."""
    if "DataModel" not in model:
        raise ValidationError("not a NoSQL Workbench model: it has no DataModel list")
    out = []
    for table in model["DataModel"]:
        keys = table["KeyAttributes"]

        def key(spec: Mapping[str, Any] | None) -> KeyAttribute | None:
            if not spec:
                return None
            return KeyAttribute(spec["AttributeName"], spec["AttributeType"])

        indexes = []
        for gsi in table.get("GlobalSecondaryIndexes", []):
            index_keys = gsi["KeyAttributes"]
            projection = gsi.get("Projection", {})
            partition = key(index_keys["PartitionKey"])
            assert partition is not None
            indexes.append(Index(gsi["IndexName"], "GSI", partition, key(index_keys.get("SortKey")),
                                 projection.get("ProjectionType", "ALL"),
                                 tuple(projection.get("NonKeyAttributes", ()))))
        partition = key(keys["PartitionKey"])
        assert partition is not None
        schema = TableSchema(table["TableName"], partition, key(keys.get("SortKey")),
                             tuple(indexes))
        items = [_typed_item(item) for item in table.get("TableData", [])]
        out.append((schema, items))
    return out


def import_workbench_model(source: str | Path | Any, connection: Any = None, *,
                           create: bool = True) -> dict[str, WriteReport]:
    """Create the tables of a NoSQL Workbench model (if missing) and load their data."""
    conn = resolve(connection)
    tables = workbench_tables(read_json(source))
    if create:
        for schema, _items in tables:
            if not conn.table_exists(schema.name):
                conn.create_table(schema)
    return import_items(conn, ((s.name, item) for s, items in tables for item in items))


def export_json(table: str, path: str | Path, connection: Any = None) -> int:
    """Write every item of `table` as DynamoDB JSON lines (``{"Item": {...}}``); returns count."""
    conn = resolve(connection)
    schema = conn.describe(table)
    from .._query import Query

    count = 0
    destination = Path(path)
    opener = gzip.open if destination.suffix == ".gz" else open
    with opener(destination, "wt", encoding="utf-8") as handle:
        for item in Query(schema, scan=True).as_items().using(conn):
            handle.write(json.dumps({"Item": typed_to_json(item)}, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count
