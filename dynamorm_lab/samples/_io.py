"""General importers and an exporter for DynamoDB's JSON formats.

- BatchWriteItem request JSON: ``{"Table": [{"PutRequest": {"Item": {typed}}}, ...]}``
- DynamoDB JSON lines (DynamoDB's export format): one ``{"Item": {typed}}`` per line
- plain JSON (an array, or JSON lines) of untyped items, numbers read as exact Decimals
- NoSQL Workbench data models: ``DataModel[]`` with key schemas, GSIs and ``TableData``

Typed JSON carries binary as base64 text; it is turned into bytes (and back on export).
"""

from __future__ import annotations

import binascii
import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .._core.codec import encode_item, key_identity
from .._core.limits import MAX_DEPTH
from .._core.requests import check_table_item
from .._core.schema import Index, KeyAttribute, TableSchema
from .._core.session import resolve
from .._core.typed_json import typed_from_json, typed_item, typed_to_json
from .._ops.batch import SampleLoad, WriteRequest, write_requests
from ..errors import CodecError, ParseError, ValidationError

if TYPE_CHECKING:
    from .._connection import Connection

__all__ = [
    "export_json", "import_items", "import_json", "import_workbench_model", "read_json",
    "typed_from_json", "typed_to_json", "workbench_tables",
]

def _open(path: str | Path) -> IO[str]:
    path = Path(path)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


class JsonLines(list[Any]):
    """The rows of a JSON-lines file, each with the line number it came from (`lines`)."""

    def __init__(self, rows: list[Any], lines: list[int]) -> None:
        super().__init__(rows)
        self.lines = lines


def read_json(source: str | Path | Any) -> Any:
    """JSON from a path (``.gz`` too) or already-parsed data; a JSON-lines file gives a
    `JsonLines` list. A file that is neither is a `ParseError` naming the line and column."""
    if not isinstance(source, str | Path):
        return source
    with _open(source) as handle:
        text = handle.read()
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as whole:
        return _json_lines(text, whole, str(source))
    except RecursionError:  # one document nested past Python's parser: look line by line
        return _json_lines(text, None, str(source))


def _json_lines(text: str, whole: json.JSONDecodeError | None, name: str) -> JsonLines:
    rows, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line, parse_float=Decimal))
        except RecursionError:
            raise ValidationError(f"{name} line {number}: nested more than DynamoDB's "
                                  f"{MAX_DEPTH} levels of lists and maps") from None
        except json.JSONDecodeError as exc:
            if whole is None:
                whole = exc
            broken = exc
            if not rows and (whole.lineno > number or text.lstrip().startswith("[")):
                broken = whole  # one JSON document, broken further on
            raise ParseError(f"{name} is not valid JSON or JSON lines: {broken.msg}",
                             text=text, line=broken.lineno if broken is whole else number,
                             col=broken.colno) from None
        lines.append(number)
    return JsonLines(rows, lines)


# A wire item for a table, with where it came from ("line 7", "item 3") for errors.
Placed = tuple[str, dict[str, Any], str]


def _items_from(data: Any, table: str | None) -> Iterator[Placed]:
    """(table, wire item, where) from any of the supported layouts."""
    if isinstance(data, Mapping) and "DataModel" in data:
        raise ValidationError("this is a NoSQL Workbench model; use import_workbench_model()")
    if isinstance(data, Mapping) and data and all(isinstance(v, list) for v in data.values()):
        for name, requests in data.items():  # BatchWriteItem RequestItems
            for number, request in enumerate(requests, start=1):
                where = f"{name} request {number}"
                if not isinstance(request, Mapping) or "PutRequest" not in request:
                    raise ValidationError(f"{where}: only PutRequest entries can be imported, "
                                          f"got {request!r:.60}", table=name)
                yield name, _placed(lambda r=request: typed_item(r["PutRequest"]["Item"]),
                                    where, name), where
        return
    if table is None:
        raise ValidationError("name the table: these items do not say which table they go to")
    rows = data if isinstance(data, list) else [data]
    lines = getattr(rows, "lines", None)
    for index, row in enumerate(rows):
        where = f"line {lines[index]}" if lines is not None else f"item {index + 1}"
        if isinstance(row, Mapping) and set(row) == {"Item"}:  # DynamoDB JSON (export) lines
            yield table, _placed(lambda r=row: typed_item(r["Item"]), where, table), where
        elif isinstance(row, Mapping):
            yield table, _placed(lambda r=row: encode_item(dict(r)), where, table), where
        else:
            raise ValidationError(f"{where}: an item must be a JSON object, got "
                                  f"{type(row).__name__}", table=table)


def _placed(convert: Any, where: str, table: str) -> dict[str, Any]:
    """`convert()`, its errors prefixed with where the item came from."""
    try:
        item: dict[str, Any] = convert()
    except (CodecError, ValidationError) as exc:
        raise ValidationError(f"{where}: {exc}", table=table) from None
    except (KeyError, TypeError, AttributeError, ValueError, binascii.Error) as exc:
        raise ValidationError(f"{where}: not a typed DynamoDB item ({exc!r:.80})",
                              table=table) from None
    return item


def import_items(conn: Connection, placed: Iterable[Placed], *, progress: Any = None,
                 name: str | None = None) -> SampleLoad:
    """Batch-write (table, wire item, where) triples; one report per table (`name`: the
    data set's, for the display).

    Every item is checked against its table (key attributes present and of the table's
    types, index keys' types, DynamoDB's size and nesting limits) before the first write;
    the first bad one is refused naming where it came from, and nothing is written. The
    last item of a key wins, as writing them one after another would.
    """
    by_table: dict[str, dict[tuple[Any, ...], WriteRequest]] = {}
    schemas: dict[str, TableSchema] = {}
    for table, item, where in placed:
        schema = schemas.get(table) or schemas.setdefault(table, conn.describe(table))
        try:
            check_table_item(schema, item)
        except (CodecError, ValidationError) as exc:
            raise ValidationError(f"{where}: {exc}; nothing was written", table=table) from None
        key = {k: item[k] for k in schema.key_names}
        by_table.setdefault(table, {})[key_identity(key)] = WriteRequest(
            table, {"PutRequest": {"Item": item}}, key)
    return SampleLoad({table: write_requests(conn.transport, list(requests.values()),
                                             on_progress=progress)
                       for table, requests in by_table.items()}, name)


def import_json(source: str | Path | Any, connection: Any = None, *,
                table: str | None = None) -> SampleLoad:
    """Import items from BatchWriteItem JSON, DynamoDB JSON lines or plain JSON.

    The tables must exist (create them from a model, or use import_workbench_model).
    Numbers stay exact; binary in typed JSON is base64 text. The whole file is read and
    every item checked against its table before the first write: a malformed file is a
    `ParseError` with its line and column, an item that does not fit its table (a key
    missing or of the wrong type, over 400 KB, nested too deep) a `ValidationError` naming
    its line; either way nothing is written.
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
        items = [typed_item(item) for item in table.get("TableData", [])]
        out.append((schema, items))
    return out


def import_workbench_model(source: str | Path | Any, connection: Any = None, *,
                           create: bool = True) -> SampleLoad:
    """Create the tables of a NoSQL Workbench model (if missing) and load their data."""
    conn = resolve(connection)
    tables = workbench_tables(read_json(source))
    if create:
        for schema, _items in tables:
            if not conn.table_exists(schema.name):
                conn.create_table(schema)
    return import_items(conn, ((s.name, item, f"{s.name} item {number}") for s, items in tables
                               for number, item in enumerate(items, start=1)))


def export_json(table: str, path: str | Path, connection: Any = None) -> int:
    """Write every item of `table` as DynamoDB JSON lines (``{"Item": {...}}``); returns count."""
    conn = resolve(connection)
    schema = conn.describe(table)
    from .._core.query import Query

    count = 0
    destination = Path(path)
    opener = gzip.open if destination.suffix == ".gz" else open
    with opener(destination, "wt", encoding="utf-8") as handle:
        for item in Query(schema, scan=True).as_items().using(conn):
            typed = {name: typed_to_json(av) for name, av in item.items()}
            handle.write(json.dumps({"Item": typed}, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count
