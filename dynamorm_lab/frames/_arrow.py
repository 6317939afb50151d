"""Items as Arrow tables: DynamoDB's JSON read by pyarrow, and the same table built in Python.

Two paths give one result. `ArrowReader` parses each raw Query/Scan response body with
pyarrow's JSON reader (no Python object per value) and `table_from_chunks` turns the
AttributeValue structs into typed columns with Arrow compute; `arrow_from_items` builds the
identical table from wire items already in Python (a `Result`, or items from elsewhere).

The type rule, applied to each attribute (and recursively inside lists and maps):

- S -> string; BOOL -> bool; B -> binary; NULL or missing -> null
- N -> int64 when every value is integral in form and fits; else decimal128(38, s) (s: the
  largest scale) when every value fits 38 digits; else the exact text. No number becomes a
  float unless asked: a model's ``float`` field gives float64 and its ``Decimal`` field
  never int64 (top-level attributes; `kinds`), and ``numbers="float"`` makes every number
  array that is not int64 float64, at every depth (the frames module states the rule once)
- SS -> list<string>; NS -> list<number by the N rule>; BS -> list<binary>
- L -> list<the element rule over all elements>; M -> struct of every key seen (first-seen
  order), each by this rule
- several types in one attribute -> the AttributeValue as compact JSON text (sorted keys)
"""

from __future__ import annotations

import binascii
import io
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from itertools import accumulate, chain
from typing import Any

from .._core.codec import decode_binary
from .._core.query import numbers_option
from ._pandas import fits_int64, integers, spread_rows

__all__ = ["ArrowReader", "arrow_from_items", "table_from_chunks"]

_TAGS = ("S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M")


def _pa() -> Any:
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow comes with the [lab] and [dev] extras
        from ..errors import ValidationError

        raise ValidationError("to_arrow() needs pyarrow: pip install pyarrow") from None
    return pa


# --- numbers: the one rule both paths share -------------------------------------------------

def numbers_from_texts(texts: list[str | None], kind: str = "any",
                       numbers: str = "exact") -> Any:
    """N texts (None where missing) as one Arrow array by the N rule (`kind`: the model
    field's kind, "any" when untyped; only "float" and "decimal" change the type)."""
    pa = _pa()
    present = [t for t in texts if t is not None]
    if kind != "float":
        ints = integers(present) if kind != "decimal" else None
        if ints is not None and fits_int64(ints):
            return pa.array(spread_rows(texts, ints), pa.int64())
        if numbers == "exact":
            return _decimals(pa, texts, present)
    return pa.array(spread_rows(texts, list(map(float, present))), pa.float64())


def _decimals(pa: Any, texts: list[str | None], present: list[str]) -> Any:
    """Exact numbers: decimal128(38, the largest scale) when every value fits, else the text."""
    decimals = [Decimal(t) for t in present]
    scale = max(max(-d.as_tuple().exponent, 0) for d in decimals)  # type: ignore[operator]
    whole = max(len(d.as_tuple().digits) + d.as_tuple().exponent for d in decimals)  # type: ignore[operator]
    if max(whole, 0) + scale <= 38:
        return pa.array(spread_rows(texts, decimals), pa.decimal128(38, scale))
    return pa.array(texts, pa.string())


def _numbers_arrow(texts: Any, kind: str = "any", numbers: str = "exact") -> Any:
    """The N rule (`numbers_from_texts`) on an Arrow string array: Arrow's casts for the
    common cases (integers; floats where they are asked for; decimals written without an
    exponent, cast at their largest scale), the shared Python rule for the rest. (Which
    case applies is found by substring search first: a cast that fails costs far more than
    the search.)"""
    pa = _pa()
    import pyarrow.compute as pc

    if kind == "float" or (numbers == "float" and kind == "decimal"):
        return _cast(pa, pc, texts, pa.float64(), kind=kind, numbers=numbers)
    exponent = _holds(pc, texts, "e", "E")
    if kind != "decimal" and not exponent and not _holds(pc, texts, "."):
        try:
            return pc.cast(texts, pa.int64())
        except pa.ArrowInvalid:  # an integer beyond int64: the Python rule decides
            return numbers_from_texts(texts.to_pylist(), kind, numbers)
    if numbers == "float":
        return _cast(pa, pc, texts, pa.float64(), kind=kind, numbers=numbers)
    if exponent:
        return numbers_from_texts(texts.to_pylist(), kind, numbers)
    point = pc.find_substring(texts, ".")  # -1 where there is none: scale 0
    length = pc.utf8_length(texts)
    has_point = pc.greater_equal(point, 0)
    scale = pc.max(pc.if_else(has_point, pc.subtract(pc.subtract(length, point), 1), 0)
                   ).as_py() or 0
    # digits before the point (a sign not counted): Arrow's cast to decimal128 does not
    # check the precision, so a number of more than 38 digits must not reach it
    whole = pc.max(pc.subtract(pc.if_else(has_point, point, length),
                               pc.cast(pc.starts_with(texts, "-"), pa.int32()))).as_py() or 0
    if whole + scale > 38:  # no decimal128(38, scale) holds it: the Python rule decides
        return numbers_from_texts(texts.to_pylist(), kind, numbers)
    return _cast(pa, pc, texts, pa.decimal128(38, scale), kind=kind, numbers=numbers)


def _cast(pa: Any, pc: Any, texts: Any, target: Any, *, kind: str, numbers: str) -> Any:
    """Arrow's cast of the texts, or the Python rule where Arrow refuses one (more than 38
    digits at that scale; a text Arrow does not read but Python does)."""
    try:
        return pc.cast(texts, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return numbers_from_texts(texts.to_pylist(), kind, numbers)


def _holds(pc: Any, texts: Any, *parts: str) -> bool:
    """Whether any text contains any of `parts`."""
    return any(pc.any(pc.match_substring(texts, part)).as_py() for part in parts)


# --- the Arrow path -------------------------------------------------------------------------

def _sanitized(pa: Any, kind: Any) -> Any:
    """The type with inferred timestamps back to strings (every JSON string in an
    AttributeValue is text; pyarrow guesses timestamps from ISO-looking strings)."""
    if pa.types.is_timestamp(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _sanitized(pa, f.type)) for f in kind])
    if pa.types.is_list(kind):
        return pa.list_(_sanitized(pa, kind.value_type))
    return kind


def _merged(pa: Any, old: Any, new: Any) -> Any:
    """One type holding both (structs by field name, old fields first; null gives way)."""
    if old == new or pa.types.is_null(new):
        return old
    if pa.types.is_null(old):
        return new
    if pa.types.is_struct(old) and pa.types.is_struct(new):
        fields = {f.name: f.type for f in old}
        for f in new:
            fields[f.name] = _merged(pa, fields[f.name], f.type) if f.name in fields else f.type
        return pa.struct([pa.field(name, kind) for name, kind in fields.items()])
    if pa.types.is_list(old) and pa.types.is_list(new):
        return pa.list_(_merged(pa, old.value_type, new.value_type))
    if pa.types.is_integer(old) and pa.types.is_floating(new):
        return new
    return old


class ArrowReader:
    """Reads raw Query/Scan response bodies with pyarrow, keeping one schema across pages so
    that the parser infers types only when a page brings something new (thread-safe: the
    segments of a parallel scan share one reader)."""

    def __init__(self) -> None:
        self._schema: Any = None
        self._lock = threading.Lock()

    def read(self, body: bytes) -> dict[str, Any]:
        """A response dict: ``Items`` is an Arrow struct array of this page's items; the
        other members (LastEvaluatedKey, counts, capacity) are plain Python."""
        pa = _pa()
        import pyarrow.json as pj

        if not body:
            return {"Items": pa.array([], pa.null())}
        with self._lock:
            schema = self._schema
        try:
            table = self._parse(pj, body, schema)
        except pa.ArrowInvalid:
            table = self._parse(pj, body, None)  # something new conflicts: infer afresh
        if schema is None or table.schema != schema:
            clean = pa.schema([pa.field(f.name, _sanitized(pa, f.type)) for f in table.schema])
            with self._lock:
                merged = clean if self._schema is None else pa.schema(list(_merged(
                    pa, pa.struct(list(self._schema)), pa.struct(list(clean)))))
                self._schema = merged
            if clean != table.schema:
                table = self._parse(pj, body, merged)
        items = (table.column("Items").combine_chunks() if "Items" in table.column_names
                 else None)
        meta = table.drop_columns(["Items"]) if items is not None else table
        row = meta.slice(0, 1).to_pylist()[0] if meta.num_columns else {}
        response = {k: _stripped(v) for k, v in row.items() if v is not None}
        response["Items"] = (items.flatten() if items is not None and len(items)
                             else pa.array([], pa.null()))
        return response

    @staticmethod
    def _parse(pj: Any, body: bytes, schema: Any) -> Any:
        options = pj.ReadOptions(block_size=max(len(body) + 1024, 1 << 16), use_threads=False)
        parse = (pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
                 if schema is not None else None)
        return pj.read_json(io.BytesIO(body), read_options=options, parse_options=parse)


def _stripped(value: Any) -> Any:
    """A value from Arrow's to_pylist without the None members Arrow adds for absent keys."""
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value


def _members(pa: Any, chunk: Any) -> dict[str, Any]:
    """An AttributeValue struct array's members (validity of the struct applied)."""
    if not pa.types.is_struct(chunk.type):
        return {}
    return dict(zip([f.name for f in chunk.type], chunk.flatten(), strict=True))


def _present(array: Any) -> bool:
    """Whether any row of the array holds a value."""
    return bool(len(array) > array.null_count)


def _convert(pa: Any, chunks: list[Any], kind: str = "any", numbers: str = "exact") -> Any:
    """AttributeValue struct arrays (one per page) as one typed array by the type rule
    (`kind`: the model field's kind of a top-level attribute, for its numbers)."""
    import pyarrow.compute as pc

    members = [_members(pa, c) for c in chunks]
    total = sum(len(c) for c in chunks)
    tags = [t for t in _TAGS if t != "NULL" and any(t in m and _present(m[t]) for m in members)]
    if not tags:
        return pa.nulls(total)
    if len(tags) > 1:
        values = (_stripped(v) for c in chunks for v in c.to_pylist())
        return pa.array([None if not v or "NULL" in v else _json(v) for v in values],
                        pa.string())
    tag = tags[0]
    parts = [m.get(tag, pa.nulls(len(c))) for m, c in zip(members, chunks, strict=True)]
    if tag in ("S", "BOOL", "N", "B"):
        base = pa.bool_() if tag == "BOOL" else pa.string()
        flat = pa.concat_arrays([p if p.type == base else p.cast(base) for p in parts])
        if tag == "N":
            return _numbers_arrow(flat, kind, numbers)
        if tag == "B":
            return pa.array([None if x is None else binascii.a2b_base64(x)
                             for x in flat.to_pylist()], pa.binary())
        return flat
    if tag == "M":
        return _struct(pa, parts, numbers)
    lengths: list[int] = []
    for part in parts:
        lengths += ([0] * len(part) if pa.types.is_null(part.type)
                    else pc.fill_null(pc.list_value_length(part), 0).to_pylist())
    offsets = pa.array(list(accumulate(chain([0], lengths))), pa.int32())
    mask = pa.concat_arrays([p.is_null() for p in parts])
    elements = [p.flatten() for p in parts if not pa.types.is_null(p.type)]
    if tag == "L":
        values = _convert(pa, elements, numbers=numbers) if elements else pa.nulls(0)
    else:
        flat = (pa.concat_arrays([e.cast(pa.string()) for e in elements]) if elements
                else pa.array([], pa.string()))
        values = (_numbers_arrow(flat, numbers=numbers) if tag == "NS" else flat
                  if tag == "SS" else pa.array([binascii.a2b_base64(x)
                                                for x in flat.to_pylist()], pa.binary()))
    return pa.ListArray.from_arrays(offsets, values, mask=mask)


def _struct(pa: Any, parts: list[Any], numbers: str) -> Any:
    names: dict[str, None] = {}
    for part in parts:
        if pa.types.is_struct(part.type):
            names.update(dict.fromkeys(f.name for f in part.type))
    mask = pa.concat_arrays([p.is_null() for p in parts])
    fields = [_members(pa, p) for p in parts]
    children = [_convert(pa, [f.get(name, pa.nulls(len(p))) for f, p in
                              zip(fields, parts, strict=True)], numbers=numbers)
                for name in names]
    if not names:
        return pa.StructArray.from_arrays([], fields=[], mask=mask) if len(mask) else \
            pa.array([], pa.struct([]))
    return pa.StructArray.from_arrays(children, names=list(names), mask=mask)


def table_from_chunks(pages: Sequence[Any], *, columns: Sequence[str] | None = None,
                      drop: Sequence[str] = (), kinds: Mapping[str, str] | None = None,
                      numbers: str = "exact") -> Any:
    """A table from the pages' item struct arrays (`ArrowReader.read()["Items"]`).

    Args:
        columns: exactly these columns, in this order (a projection).
        drop: columns to leave out (key attributes a projection added for the cursor).
        kinds: attribute -> a model field's kind (`FrameSpec.kinds`): float fields give
            float64, Decimal fields never int64.
        numbers: "exact", or "float" for float64 wherever a number array is not int64.
    """
    numbers_option(numbers)
    pa = _pa()
    pages = [p for p in pages if len(p)]
    names: dict[str, None] = {}
    for page in pages:
        if pa.types.is_struct(page.type):
            names.update(dict.fromkeys(f.name for f in page.type))
    fields = [_members(pa, p) for p in pages]
    order = list(columns) if columns is not None else [n for n in names if n not in drop]
    arrays = [_convert(pa, [f.get(name, pa.nulls(len(p))) for f, p in
                            zip(fields, pages, strict=True)], (kinds or {}).get(name, "any"),
                       numbers) for name in order]
    if not order:
        return pa.table({})
    return pa.table(dict(zip(order, arrays, strict=True)))


# --- the Python path -------------------------------------------------------------------------

def arrow_from_items(items: Sequence[Mapping[str, Any]], *, columns: Sequence[str] | None = None,
                     drop: Sequence[str] = (), kinds: Mapping[str, str] | None = None,
                     numbers: str = "exact") -> Any:
    """The same table `table_from_chunks` gives, from wire items already in Python."""
    numbers_option(numbers)
    pa = _pa()
    names = dict.fromkeys(chain.from_iterable(items))
    order = list(columns) if columns is not None else [n for n in names if n not in drop]
    if not order:
        return pa.table({})
    return pa.table({name: _py_convert(pa, [item.get(name) for item in items],
                                       (kinds or {}).get(name, "any"), numbers)
                     for name in order})


def _py_convert(pa: Any, values: list[Any], kind: str = "any", numbers: str = "exact") -> Any:
    present = [av for av in values if av is not None]
    tags = [t for t in _TAGS if t != "NULL" and any(t in av for av in present)]
    if not tags:
        return pa.nulls(len(values))
    if len(tags) > 1:
        return pa.array([None if av is None or "NULL" in av else _json(av) for av in values],
                        pa.string())
    tag = tags[0]
    payloads = [None if av is None or tag not in av else av[tag] for av in values]
    if tag == "S":
        return pa.array(payloads, pa.string())
    if tag == "BOOL":
        return pa.array(payloads, pa.bool_())
    if tag == "N":
        return numbers_from_texts(payloads, kind, numbers)
    if tag == "B":
        return pa.array([None if p is None else decode_binary(p) for p in payloads],
                        pa.binary())
    if tag == "M":
        keys = dict.fromkeys(chain.from_iterable(p for p in payloads if p is not None))
        mask = pa.array([p is None for p in payloads], pa.bool_())
        children = [_py_convert(pa, [None if p is None else p.get(k) for p in payloads],
                                numbers=numbers) for k in keys]
        if not keys:
            return pa.StructArray.from_arrays([], fields=[], mask=mask) if values else \
                pa.array([], pa.struct([]))
        return pa.StructArray.from_arrays(children, names=list(keys), mask=mask)
    offsets = pa.array(list(accumulate(chain([0], (0 if p is None else len(p)
                                                    for p in payloads)))), pa.int32())
    mask = pa.array([p is None for p in payloads], pa.bool_())
    flat = [x for p in payloads if p is not None for x in p]
    convert: Callable[[list[Any]], Any] = {
        "L": lambda xs: _py_convert(pa, xs, numbers=numbers),
        "SS": lambda xs: pa.array(xs, pa.string()),
        "NS": lambda xs: numbers_from_texts(xs, numbers=numbers),
        "BS": lambda xs: pa.array([decode_binary(x) for x in xs], pa.binary()),
    }[tag]
    return pa.ListArray.from_arrays(offsets, convert(flat), mask=mask)


def _json(av: Any) -> str:
    """An AttributeValue as compact JSON with sorted keys (binary as base64 text)."""
    return json.dumps(av, sort_keys=True, separators=(",", ":"), default=_b64)


def _b64(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return binascii.b2a_base64(value, newline=False).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not part of an AttributeValue")
