"""Files into rows, a batch at a time: Parquet and CSV through pyarrow, JSON Lines (plain
or DynamoDB JSON) line by line. Nothing reads a whole file at once.

Rows are numbered from 1 (a CSV's header is not a row; a JSON Lines file's rows are its line
numbers, blank lines skipped). A CSV's key cells are read as text and typed by the table's
key schema ("007" stays "007" for an S key; an N key's text is its exact number, and a cell
that is not one refuses only its row); other columns are typed by pyarrow (numbers with a
fraction are floats, stored as their shortest decimal text).
"""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .._core.bulk import encode_row
from .._core.codec import AttributeValue
from .._core.typed_json import typed_item
from ..errors import ValidationError
from ._rows import CHUNK_ROWS, arrow_batch_rows

__all__ = ["FORMATS", "FileRows", "Unreadable", "encode_line", "encode_row", "file_rows"]

FORMATS = ("parquet", "csv", "jsonl")
_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl",
             ".ndjson": "jsonl", ".json": "jsonl"}


@dataclass
class FileRows:
    """A file's rows as ``(row number, row)`` and how to encode them."""

    name: str
    rows: Iterator[tuple[int, Any]]
    total: int | None
    encode: Callable[[Any], dict[str, AttributeValue]]


def file_format(path: Path, given: str | None) -> str:
    """The format named, or the one the file's suffix says (``.gz`` looked through)."""
    if given is not None:
        if given not in FORMATS:
            raise ValidationError(f"format must be one of {', '.join(FORMATS)}, got {given!r}")
        return given
    suffixes = [s for s in path.suffixes if s != ".gz"]
    found = _SUFFIXES.get(suffixes[-1].lower()) if suffixes else None
    if found is None:
        raise ValidationError(f"cannot tell the format of {path.name} from its name: pass "
                              f"format= one of {', '.join(FORMATS)}")
    return found


def encode_line(row: Any) -> dict[str, AttributeValue]:
    """A JSON Lines row: DynamoDB JSON (``{"Item": {"name": {"S": ...}}}``) or a plain
    object (numbers read as exact Decimals)."""
    if isinstance(row, Unreadable):
        raise ValidationError(row.reason)
    if isinstance(row, Mapping) and set(row) == {"Item"} and isinstance(row["Item"], Mapping):
        return typed_item(row["Item"])
    return encode_row(row)


def file_rows(path: str | Path, *, format: str | None = None, keep_na: bool = False,
              key_types: Mapping[str, str] | None = None, float_text: bool = True,
              ) -> FileRows:
    """A file's rows, read lazily (`FileRows.rows` is a generator)."""
    if not isinstance(path, str | Path):
        raise ValidationError(f"load takes a file path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"no file {str(path)!r}")
    kind = file_format(path, format)
    if kind == "jsonl":
        return FileRows(path.name, _json_lines(path), None, encode_line)
    if kind == "parquet":
        import pyarrow.parquet as pq

        total = pq.ParquetFile(path).metadata.num_rows
        return FileRows(path.name, _numbered(_parquet_batches(path), keep_na, float_text),
                        total, encode_row)
    keys = dict(key_types or {})
    return FileRows(path.name, _numbered(_csv_batches(path, keys), keep_na, float_text), None,
                    _csv_encoder(keys))


def _numbered(batches: Iterator[Any], keep_na: bool, float_text: bool,
              ) -> Iterator[tuple[int, Any]]:
    number = 0
    for batch in batches:
        for row in arrow_batch_rows(batch, keep_na=keep_na, float_text=float_text):
            number += 1
            yield number, row


def _parquet_batches(path: Path) -> Iterator[Any]:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as handle:
        yield from handle.iter_batches(batch_size=CHUNK_ROWS)


def _csv_batches(path: Path, key_types: Mapping[str, str]) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    text_keys = {name: pa.string() for name in key_types}  # typed by `_csv_encoder`
    try:
        reader = pcsv.open_csv(path, convert_options=pcsv.ConvertOptions(
            column_types=text_keys, strings_can_be_null=False))
    except pa.ArrowInvalid as exc:
        raise ValidationError(f"{path.name}: not a CSV file pyarrow can read ({exc})") from None
    with reader:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as exc:
                raise ValidationError(f"{path.name}: {exc} (a column's later rows do not fit "
                                      "the type its first rows gave it)") from None
            yield batch


def _csv_encoder(key_types: Mapping[str, str]) -> Callable[[Any], dict[str, AttributeValue]]:
    """Rows of a CSV file, whose key cells were read as text: an N key's text becomes its
    exact number (a cell that is not a number stays text, and the row is refused for it)."""
    numbers = [name for name, kind in key_types.items() if kind == "N"]

    def encode(row: Any) -> dict[str, AttributeValue]:
        for name in numbers:
            text = row.get(name) if isinstance(row, dict) else None
            if isinstance(text, str):
                with contextlib.suppress(ArithmeticError):  # not a number: refused as text
                    row[name] = Decimal(text.strip())
        return encode_row(row)

    return encode


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    with _open(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line, parse_float=Decimal)
            except json.JSONDecodeError as exc:  # a row that is refused, as a bad item is
                yield number, Unreadable(f"not JSON: {exc.msg} at column {exc.colno} (a "
                                         "JSON Lines file holds one object per line)")
            except RecursionError:
                yield number, Unreadable("nested deeper than Python's JSON parser reads")


@dataclass(frozen=True)
class Unreadable:
    """A line that is not a JSON object: refused as a row, with the reason."""

    reason: str
