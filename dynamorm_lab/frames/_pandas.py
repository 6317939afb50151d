"""DataFrames from wire items, column by column (the number rule: see `dynamorm_lab.frames`)."""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from typing import Any

from .._core.codec import PAYLOAD_DECODERS, decode_list, decode_number, decode_value
from .._core.gcpause import paused_gc
from .._core.query import numbers_option

__all__ = ["FRAME_KINDS", "FrameBuilder", "FrameSpec", "fits_int64", "frame_from_items",
           "frame_records", "frame_series", "integers", "number_form", "spread_rows",
           "table_frame"]

_INT64 = (-(2**63), 2**63 - 1)

# Model field kinds whose per-value decoding a whole-column conversion reproduces exactly.
FRAME_KINDS = frozenset({"str", "int", "float", "decimal", "bool", "bytes"})


def _cells(items: Sequence[Mapping[str, Any]], flatten: bool,
           ) -> tuple[dict[str, list[Any]], bool]:
    """Each attribute's AttributeValues, one cell per item (None where the item lacks it),
    and whether every item holds every attribute (no cell is None)."""
    if flatten and any("M" in av for item in items for av in item.values()):
        return _spread_cells(items), False
    if items and len(items[0]) > 1 and len(set(map(len, items))) == 1:
        # most pages: every item holds the first one's attributes (checked by the getter),
        # so one C-level pass and a transpose cut the columns
        names = list(items[0])
        try:
            rows: list[Any] | None = list(map(itemgetter(*names), items))
        except KeyError:  # some item holds other attributes: the general way below
            rows = None
        if rows is not None:
            return dict(zip(names, map(list, zip(*rows, strict=True)), strict=True)), True
    names = list(dict.fromkeys(chain.from_iterable(items)))
    return {name: [item.get(name) for item in items] for name in names}, False


def _spread_cells(items: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    count = len(items)
    columns: dict[str, list[Any]] = {}

    def put(name: str, row: int, av: Any) -> None:
        if "M" in av:
            for key, inner in av["M"].items():
                put(f"{name}.{key}", row, inner)
            return
        column = columns.get(name)
        if column is None:
            column = columns[name] = [None] * count
        column[row] = av

    for row, item in enumerate(items):
        for name, av in item.items():
            put(name, row, av)
    return columns


def integers(texts: list[str]) -> list[int] | None:
    """The N texts as ints when every one is integral in form, else None (int() refuses
    '.', 'e' and 'E', which is how `decode_number` tells a Decimal)."""
    try:
        return list(map(int, texts))
    except ValueError:
        return None


def fits_int64(numbers: list[int]) -> bool:
    """Whether every integer fits an int64 column."""
    return not numbers or (min(numbers) >= _INT64[0] and max(numbers) <= _INT64[1])


def number_form(texts: list[Any], kind: str, numbers: str) -> tuple[str, list[Any]] | None:
    """N texts of one column converted as a whole, exactly as decoding them one by one for a
    field of `kind` gives them: ("int", ints) when all are integral in form (not for Decimal
    fields), ("float", floats) for float fields or when floats are asked for, else ("exact",
    Decimals, or for untyped numbers ints and Decimals as `decode_number` reads them); None
    where only the field's decoder can say (an int field's '1E+2', text no number reads, a
    field of another kind)."""
    if kind not in ("any", "int", "float", "decimal"):
        return None
    if kind in ("any", "int"):
        ints = integers(texts)
        if ints is not None:
            return "int", ints
        if kind == "int":
            return None
    try:
        if kind == "float" or numbers == "float":
            return "float", list(map(float, texts))
        return "exact", list(map(Decimal if kind == "decimal" else decode_number, texts))
    except (ValueError, TypeError, ArithmeticError):  # the decoder gives the exact error
        return None


@dataclass(frozen=True)
class FrameSpec:
    """How wire items become a DataFrame.

    Attributes:
        flatten: spread maps into ``info.rating``-style columns.
        columns: column order to start with (others follow in first-seen order); a
            projection's columns, when given, are exactly the columns.
        decoders: per-attribute decoders (a model's fields); others decode generically.
        names: attribute name -> column name (a model's Python names).
        only: keep exactly these columns (a projection; list elements stay inside lists).
        kinds: attribute name -> a model field's kind (one of `FRAME_KINDS`), for columns
            whose decoder a whole-column conversion reproduces.
        numbers: the number rule, "exact" or "float" (see the module docstring).
    """

    flatten: bool = False
    columns: Sequence[str] | None = None
    decoders: Mapping[str, Callable[[Any], Any]] | None = None
    names: Mapping[str, str] | None = None
    only: Sequence[str] | None = None
    kinds: Mapping[str, str] | None = None
    numbers: str = "exact"

    def __post_init__(self) -> None:
        numbers_option(self.numbers)

    def order(self, seen: Sequence[str]) -> list[str]:
        """The frame's attribute columns, given the attributes the items hold."""
        order = list(self.columns or [])
        if self.flatten:  # a map spread into "name.key" columns is not also a column
            order = [c for c in order if c in seen
                     or not any(k.startswith(c + ".") for k in seen)]
        return order + [c for c in seen if c not in order and self.only is None]

    def decoding(self, name: str) -> tuple[Callable[[Any], Any] | None, str | None]:
        """A column's own decoder (None: generic) and the kind a whole-column conversion
        may assume ("any" for generic columns, None when only the decoder will do)."""
        custom = (self.decoders or {}).get(name)
        return custom, (self.kinds or {}).get(name) if custom is not None else "any"

    def build(self, pd: Any, seen: Sequence[str], count: int,
              column: Callable[[str, Any], Any]) -> Any:
        """The DataFrame from `column(name, index)`, one Series per attribute column."""
        index = pd.RangeIndex(count)
        data = {(self.names or {}).get(name, name): column(name, index)
                for name in self.order(seen)}
        return pd.DataFrame(data, index=index, columns=list(data) or None)


def frame_from_items(items: Sequence[Mapping[str, Any]], spec: FrameSpec | None = None,
                     **options: Any) -> Any:
    """A DataFrame from wire items, as `spec` (or the same options as keywords) says."""
    builder = FrameBuilder(spec or FrameSpec(**options))
    builder.add(items)
    return builder.finish()


class FrameBuilder:
    """Builds a DataFrame page by page: each column is converted as its page arrives, so
    the work (and freeing the page) runs while the next page is on its way.

    A column keeps one conversion while its pages allow it (one scalar type at C speed, one
    container type, or value by value). When a page disagrees, the column goes on value by
    value, and what earlier pages gave is already that (numbers read as floats are read again
    from their texts, kept for this). Dtypes (the number rule) are chosen in `finish()` from
    every value, so the frame is the one `frame_from_items` gives for all the items at once.
    """

    def __init__(self, spec: FrameSpec) -> None:
        self.spec = spec
        self.count = 0
        self._columns: dict[str, _Decoded] = {}

    def add(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Take one page of wire items."""
        with paused_gc():
            page, full = _cells(items, self.spec.flatten)
            size = len(items)
            for name, cells in page.items():
                column = self._columns.get(name)
                if column is None:
                    column = self._columns[name] = _Decoded(self.count, self.spec.numbers)
                column.add(cells, *self.spec.decoding(name), missing=0 if full else None)
            for name, column in self._columns.items():
                if name not in page:
                    column.pad(size)
            self.count += size

    def finish(self) -> Any:
        """The DataFrame of every item added."""
        import pandas as pd

        with paused_gc():
            def column(name: str, index: Any) -> Any:
                found = self._columns.get(name) or _Decoded(self.count)  # none has it
                return found.series(pd, index)

            return self.spec.build(pd, list(self._columns), self.count, column)


class _Decoded:
    """One column's values, converted page by page; `mode` is how (a `_page_values` form;
    "any": value by value, which every other form's values already are, except "float")."""

    __slots__ = ("decode", "missing", "mode", "numbers", "tags", "texts", "values")

    def __init__(self, rows: int, numbers: str = "exact") -> None:
        self.values: list[Any] = [None] * rows
        self.missing = rows
        self.tags: set[str] = set()
        self.mode: str | None = None  # None: nothing present yet
        self.texts: list[Any] | None = None  # "float": the N texts, to read them again
        self.decode: Callable[[Any], Any] = decode_value
        self.numbers = numbers

    def pad(self, rows: int) -> None:
        self.values += [None] * rows
        self.missing += rows
        if self.texts is not None:
            self.texts += [None] * rows

    def add(self, cells: list[Any], custom: Callable[[Any], Any] | None, kind: str | None,
            *, missing: int | None = None) -> None:
        """Convert one page's cells of this column (`missing`: how many are None, if known)."""
        if missing is None:
            missing = cells.count(None)
        if missing == len(cells):
            self.pad(len(cells))
            return
        self.decode = custom or decode_value
        if self.mode == "any":
            mode, values, tags = "any", *_by_value(cells, missing, custom)
        else:
            mode, values, tags = _page_values(cells, missing, custom, kind, self.numbers)
            if self.mode is not None and mode != self.mode:
                self._by_value()
                if mode != "any":
                    mode, values, tags = "any", *_by_value(cells, missing, custom)
        if mode == "float":
            self.texts = (self.texts or [None] * len(self.values)) + [
                None if av is None else av["N"] for av in cells]
        self.mode = mode
        self.values += values
        self.missing += missing
        self.tags |= tags

    def _by_value(self) -> None:
        """From here on value by value; numbers read as floats are read again, exactly."""
        if self.mode == "float" and self.texts is not None:
            decode = self.decode
            self.values = [None if text is None else decode({"N": text})
                           for text in self.texts]
        self.texts = None
        self.mode = "any"

    def series(self, pd: Any, index: Any) -> Any:
        """The column's Series, by the number rule and the NA rule."""
        if self.mode in _NUMBER_FORMS:
            return _form_series(pd, self.mode, self.values, self.missing, index,
                                numbers=self.numbers)
        return frame_series(pd, self.values, self.tags, self.missing, index,  # None: all NA
                            numbers=self.numbers)


# The forms `number_form` gives: their values are already typed for `_form_series`.
_NUMBER_FORMS = frozenset({"int", "float", "exact"})


def _form_series(pd: Any, form: str, values: list[Any], missing: int, index: Any, *,
                 numbers: str) -> Any:
    """A number column's Series from a `number_form` form and its values (None: missing)."""
    if form == "int":
        present = [v for v in values if v is not None] if missing else values
        if fits_int64(present):
            return pd.Series(values, dtype="Int64" if missing else "int64", index=index)
    if form == "float":
        return pd.Series([float("nan") if v is None else v for v in values]
                         if missing else values, dtype="float64", index=index)
    return _exact_series(pd, values, missing, index, numbers)


def _exact_series(pd: Any, values: list[Any], missing: int, index: Any, numbers: str) -> Any:
    """Numbers neither int64 nor a float field holds: the exact values (NA where missing),
    or with ``numbers="float"`` the nearest floats (NaN where missing)."""
    if numbers == "float":
        return pd.Series([float("nan") if v is None else float(v) for v in values]
                         if missing else list(map(float, values)), dtype="float64",
                         index=index)
    series = pd.Series(values, dtype=object, index=index)
    return series.where(series.notna(), pd.NA) if missing else series


def _page_values(cells: list[Any], missing: int, custom: Callable[[Any], Any] | None,
                 kind: str | None, numbers: str = "exact") -> tuple[str, list[Any], set[str]]:
    """Some cells of a column (at least one present) converted: their form, their values
    in their rows (None where missing) and their tags.

    Most columns hold one type: the first value's tag is tried for all, with C-level
    conversions (`_single_type`), then a container type's payload decoder; any other column
    is decoded value by value (the "any" form: the field's decoder, or `decode_value`)."""
    present = cells if not missing else [av for av in cells if av is not None]
    if kind is not None:
        tag = next(iter(present[0]))
        try:
            payloads = list(map(itemgetter(tag), present))
        except KeyError:
            payloads = None
        if payloads is not None:
            single = _single_type(payloads, tag=tag, kind=kind, numbers=numbers)
            if single is not None:
                form, converted = single
                return form, _spread(cells, converted, missing), {tag}
            if custom is None and tag in PAYLOAD_DECODERS:
                return tag, _spread(cells, list(map(PAYLOAD_DECODERS[tag], payloads)),
                                    missing), {tag}
    return "any", *_by_value(cells, missing, custom)


def _by_value(cells: list[Any], missing: int, custom: Callable[[Any], Any] | None,
              ) -> tuple[list[Any], set[str]]:
    """Cells decoded one by one (the field's decoder, or the generic one) and their tags."""
    present = cells if not missing else [av for av in cells if av is not None]
    values = decode_list(present) if custom is None else list(map(custom, present))
    return _spread(cells, values, missing), set(chain.from_iterable(present))


def spread_rows(cells: Sequence[Any], values: list[Any]) -> list[Any]:
    """Converted values of the present (not None) cells, back in their rows."""
    return _spread(cells, values, len(cells) - len(values))


def _spread(cells: Sequence[Any], values: list[Any], missing: int) -> list[Any]:
    """Converted values of the present cells, back in their rows (None where missing)."""
    if not missing:
        return values
    out: list[Any] = [None] * len(cells)
    taken = iter(values)
    for row, av in enumerate(cells):
        if av is not None:
            out[row] = next(taken)
    return out


def _single_type(payloads: list[Any], *, tag: str, kind: str,
                 numbers: str) -> tuple[str, list[Any]] | None:
    """Values that all have one scalar type (`payloads`: their payloads) converted as a
    whole, as decoding them one by one would: the form ("S", "BOOL", "B", or for numbers
    a `number_form` form, whose dtype waits for the whole column) and the values; None when
    it does not apply."""
    if tag == "S" and kind in ("any", "str"):
        return "S", payloads
    if tag == "BOOL" and kind in ("any", "bool"):
        return "BOOL", payloads
    if tag == "B" and kind in ("any", "bytes"):
        if not all(type(p) is str for p in payloads):
            return None
        return "B", list(map(binascii.a2b_base64, payloads))
    return number_form(payloads, kind, numbers) if tag == "N" else None


def frame_series(pd: Any, values: list[Any], tags: set[str], missing: int, index: Any, *,
                 numbers: str = "exact") -> Any:
    """A column's Series from its decoded values, by the number rule and the NA rule: the
    decoders' types decide (ints that fit: int64; floats, which only float fields give:
    float64; other numbers exact, or floats when asked)."""
    if tags == {"N"}:
        present = [v for v in values if v is not None] if missing else values
        types = set(map(type, present))
        if types == {int} and fits_int64(present):
            return pd.Series(values, dtype="Int64" if missing else "int64", index=index)
        if types == {float}:
            return _form_series(pd, "float", values, missing, index, numbers=numbers)
        if types <= {int, Decimal} or (numbers == "float" and types <= {int, Decimal, float}):
            return _exact_series(pd, values, missing, index, numbers)
    if tags == {"BOOL"}:
        return pd.Series(values, dtype="boolean", index=index)
    if tags == {"S"}:
        return pd.Series(values, index=index)
    series = pd.Series(values, dtype=object, index=index)
    return series.where(series.notna(), pd.NA) if missing or "NULL" in tags else series


def table_frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Any:
    """A DataFrame of plain rows (reports, plans, descriptions): the one place the other
    layers' ``to_pandas()`` methods build a frame."""
    import pandas as pd

    return pd.DataFrame(list(rows), columns=list(columns) if columns is not None else None)


def frame_records(frame: Any) -> list[dict[str, Any]]:
    """A frame's rows as dicts, leaving out the cells that are NA (an item that lacks the
    attribute), so that a row holds what its item held."""
    import pandas as pd

    return [{name: value for name, value in row.items()
             if not (value is None or (pd.api.types.is_scalar(value) and pd.isna(value)))}
            for row in frame.to_dict(orient="records")]
