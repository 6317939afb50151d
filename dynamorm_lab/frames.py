"""Wire items to pandas DataFrames, column by column, never losing precision silently.

The number rule: a column whose values are all integral and fit in 64 bits becomes ``int64``
(``Int64`` when some items lack it); a column whose every value survives the trip through a
float exactly (its shortest float repr is the same decimal) becomes ``float64``; any other
number column stays ``object`` holding exact ``Decimal``/``int`` values. Booleans become
``boolean``; a missing attribute is NA. Sets, lists and maps stay Python objects, or with
``flatten=True`` maps spread into ``info.rating``-style columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ._codec import decode_value
from ._gcpause import paused_gc

__all__ = ["frame_from_items", "numbers_column"]

_INT64 = (-(2**63), 2**63 - 1)


def _columns(items: Sequence[Mapping[str, Any]], flatten: bool) -> dict[str, dict[int, Any]]:
    columns: dict[str, dict[int, Any]] = {}
    for row, item in enumerate(items):
        for name, av in item.items():
            if flatten and "M" in av:
                _spread(columns, row, name, av["M"])
            else:
                columns.setdefault(name, {})[row] = av
    return columns


def _spread(columns: dict[str, dict[int, Any]], row: int, prefix: str,
            mapping: Mapping[str, Any]) -> None:
    for key, av in mapping.items():
        name = f"{prefix}.{key}"
        if "M" in av:
            _spread(columns, row, name, av["M"])
        else:
            columns.setdefault(name, {})[row] = av


def numbers_column(values: list[Any]) -> tuple[list[Any], str]:
    """Numbers of one column and the dtype the number rule gives them."""
    present = [v for v in values if v is not None]
    missing = len(present) < len(values)
    if all(type(v) is int and _INT64[0] <= v <= _INT64[1] for v in present):
        return values, "Int64" if missing else "int64"
    floats = []
    for value in present:
        as_float = float(value)
        if Decimal(repr(as_float)) != Decimal(value):
            return values, "object"
        floats.append(as_float)
    return [float("nan") if v is None else float(v) for v in values], "float64"


def frame_from_items(
    items: Sequence[Mapping[str, Any]],
    *,
    flatten: bool = False,
    columns: Sequence[str] | None = None,
    decoders: Mapping[str, Callable[[Any], Any]] | None = None,
    names: Mapping[str, str] | None = None,
    only: Sequence[str] | None = None,
) -> Any:
    """A DataFrame from wire items.

    Args:
        columns: column order to start with (others follow in first-seen order); a
            projection's columns, when given, are exactly the columns.
        decoders: per-attribute decoders (a model's fields); others decode generically.
        names: attribute name -> column name (a model's Python names).
        only: keep exactly these columns (a projection; list elements stay inside lists).
    """
    import pandas as pd

    with paused_gc():
        return _frame(pd, items, flatten=flatten, columns=columns, decoders=decoders,
                      names=names, only=only)


def _frame(pd: Any, items: Sequence[Mapping[str, Any]], *, flatten: bool,
           columns: Sequence[str] | None, decoders: Mapping[str, Callable[[Any], Any]] | None,
           names: Mapping[str, str] | None, only: Sequence[str] | None) -> Any:
    by_column = _columns(items, flatten)
    order = list(columns or [])
    if flatten:  # a map spread into "name.key" columns is not also a column of its own
        order = [c for c in order if c in by_column
                 or not any(k.startswith(c + ".") for k in by_column)]
    order += [c for c in by_column if c not in order and only is None]
    count = len(items)
    data: dict[str, Any] = {}
    for name in order:
        cells = by_column.get(name, {})
        label = (names or {}).get(name, name)
        custom = (decoders or {}).get(name)
        tags = set(map(next, map(iter, cells.values())))  # one type key per value
        if custom is None and len(tags) == 1:
            fast = _single_type_column(pd, cells, next(iter(tags)), count)
            if fast is not None:
                data[label] = fast
                continue
        decode: Callable[[Any], Any] = custom or decode_value
        values: list[Any] = [None] * count
        for row, av in cells.items():
            values[row] = decode(av)
        data[label] = _series(pd, values, tags, count - len(cells), count)
    return pd.DataFrame(data, index=pd.RangeIndex(count), columns=list(data) or None)


def _spread_rows(cells: dict[int, Any], count: int, convert: Callable[[Any], Any]) -> list[Any]:
    if len(cells) == count:
        return [convert(v) for v in cells.values()] if list(cells) == list(range(count)) \
            else [convert(cells[row]) for row in range(count)]
    values: list[Any] = [None] * count
    for row, value in cells.items():
        values[row] = convert(value)
    return values


def _short_decimal(text: str) -> bool:
    """True when the N text has at most 15 significant digits and no exponent: such a
    decimal survives the trip through a float exactly (so the number rule says float64)."""
    if "e" in text or "E" in text:
        return False
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    return len(digits) <= 15


def _single_type_column(pd: Any, cells: dict[int, Any], tag: str, count: int) -> Any:
    """A column whose values all have one scalar type, built without per-value decoding.

    Gives exactly what the per-value path gives (the number rule included), only faster; None
    for the cases it does not handle."""
    index = pd.RangeIndex(count)
    missing = len(cells) < count
    if tag == "S":
        return pd.Series(_spread_rows(cells, count, lambda av: av["S"]), index=index)
    if tag == "BOOL":
        return pd.Series(_spread_rows(cells, count, lambda av: av["BOOL"]), dtype="boolean",
                         index=index)
    if tag != "N":
        return None
    texts = [av["N"] for av in cells.values()]
    if not any("." in t or "e" in t or "E" in t for t in texts):
        numbers = [int(t) for t in texts]
        if numbers and (min(numbers) < _INT64[0] or max(numbers) > _INT64[1]):
            return None
        values = _spread_rows(dict(zip(cells, numbers, strict=True)), count, lambda v: v)
        return pd.Series(values, dtype="Int64" if missing else "int64", index=index)
    if all(_short_decimal(t) for t in texts):
        values = _spread_rows(dict(zip(cells, texts, strict=True)), count, float)
        return pd.Series([float("nan") if v is None else v for v in values],
                         dtype="float64", index=index)
    return None


def _series(pd: Any, values: list[Any], tags: set[str], missing: int, count: int) -> Any:
    index = pd.RangeIndex(count)
    if tags == {"N"}:
        if all(v is None or (type(v) in (int, Decimal)) for v in values):
            numbers, dtype = numbers_column(values)
            if dtype != "object":
                return pd.Series(numbers, dtype=dtype, index=index)
        elif all(v is None or type(v) is float for v in values):
            return pd.Series(values, dtype="float64", index=index)
    if tags == {"BOOL"}:
        return pd.Series(values, dtype="boolean", index=index)
    if tags == {"S"}:
        return pd.Series(values, index=index)
    series = pd.Series(values, dtype=object, index=index)
    return series.where(series.notna(), pd.NA) if missing or "NULL" in tags else series
