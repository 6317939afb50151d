"""DataFrames from wire items: the column-at-a-time fast paths give the plain answer.

`frames.frame_from_items` converts whole columns at once (one type per column, C-level maps,
the kinds of model fields) and falls back to decoding value by value. The reference here is
the plain builder: every value decoded with `decode_value` (or the model field's decoder),
then the documented rules applied in the most obvious way:

- numbers: ``int64`` (``Int64`` with missing values) when all are ints within 64 bits;
  ``float64`` for floats (only float fields decode to them); else ``object`` holding the
  exact ``int``/``Decimal`` values (never a float unless asked: ``numbers="float"`` makes
  those columns ``float64``);
- booleans ``boolean``; strings pandas' default string dtype; missing -> NA;
- sets, lists, maps, binary and columns of several types: ``object`` Python values;
- ``flatten=True``: maps spread into ``a.b`` columns.

Hypothesis draws items the way DynamoDB holds them (number texts by `encode_number`, B as
bytes from botocore or base64 text from the fast read path, attributes in any order, some
missing, columns of one type and columns mixing types) and both must agree exactly: dtypes,
values and the type of every Python value.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import itertools
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers import Mood
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl
from dynamorm_lab._core.codec import decode_value, encode_number
from dynamorm_lab._ops.results import frame_spec
from dynamorm_lab.errors import CodecError
from dynamorm_lab.frames import FrameBuilder, FrameSpec, frame_from_items

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
INT64 = (-(2**63), 2**63 - 1)


# --- wire values, the way DynamoDB holds them ------------------------------------------------

def number_text(value: int | Decimal) -> str:
    return encode_number(value)


def _valid(value: Any) -> bool:
    try:
        encode_number(value)
    except CodecError:
        return False
    return True


TIMESTAMPS = st.one_of(
    st.sampled_from(["2020-01-01", "2020-01-01T10:11:12", "2020-01-01 10:11:12",
                     "2020-01-01T10:11:12Z", "2020-01-01T10:11:12.123456+00:00",
                     "2021-06-30T23:59:59.5+05:30", "1999-12-31T00:00:00.000Z"]),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)).map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
)
TEXT = st.one_of(st.text(max_size=8), st.sampled_from(["", "ü", "日本", "a\nb", "\u2028", "💡"]),
                 TIMESTAMPS)

SMALL_INTS = st.integers(-1000, 1000)
INT64_EDGES = st.one_of(
    st.sampled_from([INT64[0], INT64[1], INT64[0] - 1, INT64[1] + 1, 2**64, -(2**64), 0]),
    st.integers(*INT64))
BIG_INTS = st.integers(-(10**38) + 1, 10**38 - 1)
FLOAT_EXACT = st.floats(allow_nan=False, allow_infinity=False).map(
    lambda f: Decimal(repr(f))).filter(_valid)
SHORT_DECIMALS = st.decimals(min_value=-10**6, max_value=10**6, places=3,
                             allow_nan=False, allow_infinity=False)
LONG_DECIMALS = st.builds(
    lambda digits, exponent, negative: Decimal(f"{'-' if negative else ''}{digits}E{exponent}"),
    st.integers(1, 10**38 - 1), st.integers(-160, 100), st.booleans()).filter(_valid)
SPECIAL_NUMBERS = st.sampled_from([Decimal(t) for t in (
    "1E+125", "-1E+125", "9.99E+125", "1E-130", "-1E-130", "1.5E+10", "1E+2", "0.1", "0.5",
    "0.12345678901234567890", "12345678901234567890123456789012345678", "1.50", "100.0",
    "-0.000001", "3.14159265358979323846264338327950288")])
ANY_NUMBER = st.one_of(SMALL_INTS, INT64_EDGES, BIG_INTS, FLOAT_EXACT, SHORT_DECIMALS,
                       LONG_DECIMALS, SPECIAL_NUMBERS)


def n(values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return values.map(lambda v: {"N": number_text(v)})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# B payloads: bytes (botocore's parser) or base64 text (the fast read path)
BINARY = st.binary(max_size=10).flatmap(lambda b: st.sampled_from([b, b64(b)]))

S_AV = TEXT.map(lambda s: {"S": s})
BOOL_AV = st.booleans().map(lambda b: {"BOOL": b})
NULL_AV = st.just({"NULL": True})
B_AV = BINARY.map(lambda b: {"B": b})
SS_AV = st.sets(TEXT, min_size=1, max_size=4).map(lambda s: {"SS": list(s)})
NS_AV = st.sets(ANY_NUMBER, min_size=1, max_size=4).map(
    lambda s: {"NS": [number_text(v) for v in s]})
BS_AV = st.sets(st.binary(max_size=6), min_size=1, max_size=4).flatmap(
    lambda s: st.sampled_from([{"BS": list(s)}, {"BS": [b64(b) for b in s]}]))
SCALAR_AV = st.one_of(S_AV, n(ANY_NUMBER), BOOL_AV, NULL_AV, B_AV, SS_AV, NS_AV, BS_AV)
# map keys include DynamoDB's type letters: they are plain names inside a map
KEYS = st.sampled_from(["x", "y", "z", "rating", "S", "N", "M", "L", "ü k"])
NESTED_AV = st.recursive(
    SCALAR_AV,
    lambda kids: st.one_of(st.lists(kids, max_size=4).map(lambda xs: {"L": xs}),
                           st.dictionaries(KEYS, kids, max_size=4).map(lambda m: {"M": m})),
    max_leaves=10)
RECORD_AV = st.fixed_dictionaries({}, optional={
    "rating": n(st.one_of(SHORT_DECIMALS, FLOAT_EXACT)), "genres": SS_AV,
    "rank": n(SMALL_INTS), "plot": S_AV, "info": st.dictionaries(KEYS, SCALAR_AV, max_size=3)
    .map(lambda m: {"M": m}), "actors": st.lists(S_AV, max_size=3).map(lambda xs: {"L": xs}),
}).map(lambda m: {"M": m})

# One attribute's values: most columns hold one type (the fast paths), some mix them.
COLUMN_KINDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "S": S_AV,
    "timestamps": TIMESTAMPS.map(lambda s: {"S": s}),
    "small ints": n(SMALL_INTS),
    "int64 edges": n(INT64_EDGES),
    "big ints": n(BIG_INTS),
    "exact floats": n(FLOAT_EXACT),
    "short decimals": n(SHORT_DECIMALS),
    "long decimals": n(LONG_DECIMALS),
    "any numbers": n(ANY_NUMBER),
    "numbers or NULL": st.one_of(n(SMALL_INTS), n(FLOAT_EXACT), NULL_AV),
    "BOOL": BOOL_AV,
    "BOOL or NULL": st.one_of(BOOL_AV, NULL_AV),
    "NULL": NULL_AV,
    "B": B_AV,
    "SS": SS_AV,
    "NS": NS_AV,
    "integer NS": st.sets(SMALL_INTS, min_size=1, max_size=4).map(
        lambda s: {"NS": [number_text(v) for v in s]}),
    "BS": BS_AV,
    "list of ints": st.lists(n(SMALL_INTS), max_size=4).map(lambda xs: {"L": xs}),
    "list of strings": st.lists(S_AV, max_size=4).map(lambda xs: {"L": xs}),
    "list of bools": st.lists(BOOL_AV, max_size=3).map(lambda xs: {"L": xs}),
    "empty containers": st.sampled_from([{"L": []}, {"M": {}}]),
    "records": RECORD_AV,
    "nested": NESTED_AV,
    "mixed": st.one_of(SCALAR_AV, NESTED_AV),
}
NAMES = ["a", "b", "c", "d", "ü", "n m", "S", "Items"]


@st.composite
def wire_items(draw: st.DrawFn, max_items: int = 40) -> list[dict[str, Any]]:
    """1..max_items items: a key `pk` in every one, other attributes of drawn column kinds,
    present in all, most or few items, each item's attributes in its own order."""
    count = draw(st.integers(1, max_items))
    key = draw(st.sampled_from([S_AV, n(BIG_INTS)]))
    names = draw(st.lists(st.sampled_from(NAMES), max_size=5, unique=True))
    columns: dict[str, list[Any]] = {"pk": draw(st.lists(key, min_size=count, max_size=count))}
    for name in names:
        values = COLUMN_KINDS[draw(st.sampled_from(sorted(COLUMN_KINDS)))]
        presence = draw(st.sampled_from(["all", "most", "few"]))
        cell = {"all": values, "most": st.one_of(values, values, values, st.none()),
                "few": st.one_of(values, st.none(), st.none(), st.none())}[presence]
        columns[name] = draw(st.lists(cell, min_size=count, max_size=count))
    items = []
    for row in range(count):
        item = {name: column[row] for name, column in columns.items()
                if column[row] is not None}
        order = draw(st.permutations(list(item)))
        items.append({name: item[name] for name in order})
    return items


# --- the reference: decode each value, then apply the documented rules plainly -------------

def ref_series(cells: list[dict[str, Any] | None],
               decode: Callable[[dict[str, Any]], Any] = decode_value,
               numbers: str = "exact") -> pd.Series:
    """One column from its AttributeValues (None where the item lacks the attribute)."""
    present = [av for av in cells if av is not None]
    tags = {tag for av in present for tag in av}
    values = [None if av is None else decode(av) for av in cells]
    missing = len(present) < len(cells)
    found = [v for v in values if v is not None]
    if tags == {"N"} and all(type(v) in (int, Decimal) for v in found):
        if all(type(v) is int and INT64[0] <= v <= INT64[1] for v in found):
            return pd.Series(values, dtype="Int64" if missing else "int64")
        if numbers == "float":
            return pd.Series([math.nan if v is None else float(v) for v in values],
                             dtype="float64")
    elif tags == {"N"} and all(type(v) is float for v in found):
        return pd.Series([math.nan if v is None else v for v in values], dtype="float64")
    elif tags == {"BOOL"}:
        return pd.Series(values, dtype="boolean")
    elif tags == {"S"}:
        return pd.Series(values)  # pandas' default for text (datetimes: pandas' inference)
    return pd.Series([pd.NA if v is None else v for v in values], dtype=object)


def ref_cells(items: list[dict[str, Any]], flatten: bool) -> dict[str, list[Any]]:
    """Each column's AttributeValues; with flatten, maps spread into name.key columns."""
    columns: dict[str, list[Any]] = {}

    def put(name: str, row: int, av: dict[str, Any]) -> None:
        if flatten and "M" in av:
            for key, inner in av["M"].items():
                put(f"{name}.{key}", row, inner)
        else:
            columns.setdefault(name, [None] * len(items))[row] = av

    for row, item in enumerate(items):
        for name, av in item.items():
            put(name, row, av)
    return columns


def ref_frame(items: list[dict[str, Any]], *, flatten: bool = False,
              numbers: str = "exact") -> pd.DataFrame:
    data = {name: ref_series(cells, numbers=numbers)
            for name, cells in ref_cells(items, flatten).items()}
    return pd.DataFrame(data, index=pd.RangeIndex(len(items)), columns=list(data) or None)


def typed(value: Any) -> Any:
    """A value with the type of every part spelled out (1 and Decimal(1) are equal in Python,
    but a frame must keep which one DynamoDB's text gave)."""
    if isinstance(value, dict):  # DynamoDB keeps no order of a map's keys
        return ("dict", frozenset((k, typed(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(typed(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(typed(v) for v in value))
    if value is None or value is pd.NA:
        return ("NA",)
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    return (type(value).__name__, value)


def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for name in want.columns:
        if want[name].dtype == object:
            assert [typed(v) for v in got[name]] == [typed(v) for v in want[name]], name


# --- generic items ---------------------------------------------------------------------------

@SETTINGS
@given(wire_items())
def test_frame_matches_the_per_value_reference(items: list[dict[str, Any]]) -> None:
    assert_same_frame(frame_from_items(items), ref_frame(items))


@SETTINGS
@given(wire_items(), st.booleans())
def test_numbers_float_matches_the_reference(items: list[dict[str, Any]],
                                             flatten: bool) -> None:
    assert_same_frame(frame_from_items(items, flatten=flatten, numbers="float"),
                      ref_frame(items, flatten=flatten, numbers="float"))


@SETTINGS
@given(wire_items())
def test_flattened_frame_matches_the_per_value_reference(items: list[dict[str, Any]]) -> None:
    got = frame_from_items(items, flatten=True)
    assert_same_frame(got, ref_frame(items, flatten=True))
    assert_same_frame(frame_from_items(items, FrameSpec(flatten=True)), got)


@SETTINGS
@given(wire_items(), st.data())
def test_binary_as_bytes_or_base64_text_gives_one_frame(items: list[dict[str, Any]],
                                                        data: st.DataObject) -> None:
    """botocore hands B out as bytes, the fast read path as base64 text: same frame."""
    def as_bytes(av: Any) -> Any:
        tag, payload = next(iter(av.items()))
        if tag == "B":
            return {"B": base64.b64decode(payload) if isinstance(payload, str) else payload}
        if tag == "BS":
            return {"BS": [base64.b64decode(p) if isinstance(p, str) else p for p in payload]}
        if tag == "L":
            return {"L": [as_bytes(v) for v in payload]}
        if tag == "M":
            return {"M": {k: as_bytes(v) for k, v in payload.items()}}
        return av

    def as_text(av: Any) -> Any:
        tag, payload = next(iter(av.items()))
        if tag == "B":
            return {"B": b64(payload) if isinstance(payload, bytes) else payload}
        if tag == "BS":
            return {"BS": [b64(p) if isinstance(p, bytes) else p for p in payload]}
        if tag == "L":
            return {"L": [as_text(v) for v in payload]}
        if tag == "M":
            return {"M": {k: as_text(v) for k, v in payload.items()}}
        return av

    flatten = data.draw(st.booleans())
    textual = frame_from_items([{k: as_text(v) for k, v in i.items()} for i in items],
                               flatten=flatten)
    binary = frame_from_items([{k: as_bytes(v) for k, v in i.items()} for i in items],
                              flatten=flatten)
    assert_same_frame(textual, binary)
    assert_same_frame(textual, ref_frame(items, flatten=flatten))


def paged_frame(items: list[dict[str, Any]], cuts: list[int], spec: FrameSpec) -> pd.DataFrame:
    """The frame FrameBuilder builds from `items` cut into pages at `cuts` (as a streamed
    Query hands them over, empty pages included)."""
    builder = FrameBuilder(spec)
    bounds = [0, *sorted(cuts), len(items)]
    for start, end in itertools.pairwise(bounds):
        builder.add(items[start:end])
    frame: pd.DataFrame = builder.finish()
    return frame


@SETTINGS
@given(wire_items(), st.data())
def test_frame_built_page_by_page_matches_the_reference(items: list[dict[str, Any]],
                                                       data: st.DataObject) -> None:
    """Each page's columns are converted as they come; a column whose pages disagree (ints
    then decimals, text then NULL...) still ends as the whole-column rule says."""
    cuts = data.draw(st.lists(st.integers(0, len(items)), max_size=5))
    flatten = data.draw(st.booleans())
    assert_same_frame(paged_frame(items, cuts, FrameSpec(flatten=flatten)),
                      ref_frame(items, flatten=flatten))


def test_pages_that_disagree_give_the_whole_column_rule() -> None:
    """Hand-picked disagreements between pages, each against the one-page frame."""
    def column(*pages: list[str | None], tag: str = "N") -> tuple[pd.Series, pd.Series]:
        items = [[{"pk": {"S": f"{p}.{i}"}} | ({} if t is None else {"v": {tag: t}})
                  for i, t in enumerate(page)] for p, page in enumerate(pages)]
        flat = [item for page in items for item in page]
        cuts = list(np.cumsum([len(page) for page in pages])[:-1])
        return paged_frame(flat, cuts, FrameSpec())["v"], frame_from_items(flat)["v"]

    cases: list[tuple[list[str | None], ...]] = [
        (["1", "2"], ["0.5"]),                          # ints, then a decimal: float64
        (["0.5", "1.50"], ["0.12345678901234567890"]),  # exact floats, then not: Decimals
        (["0.5"], [None, "3"], ["1E+2"]),                # float, int, float pages with a gap
        (["1"], [str(2**64)]),                           # int64, then beyond: exact ints
        (["1.50"], ["2"], ["0.1000000000000000000001"]),  # float texts read again exactly
    ]
    for pages in cases:
        paged, whole = column(*pages)
        pd.testing.assert_series_equal(paged, whole, check_exact=True)
        assert [typed(v) for v in paged] == [typed(v) for v in whole], pages
    paged, whole = column(["1.50"], ["0.1000000000000000000001"])
    assert paged.dtype == object and typed(paged[0]) == ("Decimal", "1.50")
    text_then_null: list[dict[str, Any]] = [{"pk": {"S": "a"}, "v": {"S": "x"}},
                                            {"pk": {"S": "b"}, "v": {"NULL": True}}]
    frame = paged_frame(text_then_null, [1], FrameSpec())
    assert frame["v"].dtype == object and frame["v"][0] == "x" and frame["v"][1] is pd.NA


def test_number_rule_examples() -> None:
    """The documented rule on hand-picked columns (the reference restated as values)."""
    def column(*texts: str | None) -> pd.Series:
        items = [{"pk": {"S": str(i)}} | ({} if t is None else {"v": {"N": t}})
                 for i, t in enumerate(texts)]
        return frame_from_items(items)["v"]

    assert column("1", "-2", str(INT64[1])).dtype == "int64"
    gappy = column("1", None, str(INT64[0]))
    assert gappy.dtype == "Int64" and gappy.isna().tolist() == [False, True, False]
    # no number becomes a float unless asked: exact values, typed as the Python API gives them
    for texts in (("0.5", "1E+2", "7"), ("1", str(10**20)), ("0.1", "0.12345678901234567890"),
                  ("1", str(2**64)), ("12345678901234567890123456789012345678",),
                  ("1E-130", "1E+125")):
        exact = column(*texts)
        assert exact.dtype == object
        assert [typed(v) for v in exact] == [typed(decode_value({"N": t})) for t in texts]
    assert column("0.5", "1E+2", "7").tolist() == [Decimal("0.5"), Decimal("1E+2"), 7]

    def floats(*texts: str | None) -> pd.Series:
        items = [{"pk": {"S": str(i)}} | ({} if t is None else {"v": {"N": t}})
                 for i, t in enumerate(texts)]
        return frame_from_items(items, numbers="float")["v"]

    assert floats("0.5", "1E+2", "7").dtype == "float64"
    assert floats("0.5", None, "7").tolist()[::2] == [0.5, 7.0]
    assert floats("1", str(10**20)).tolist() == [1.0, 1e20]
    assert floats("1", "2").dtype == "int64"  # int64 stays int64
    with_gap = column("0.1", None, "0.12345678901234567890")
    assert with_gap.dtype == object and with_gap[1] is pd.NA


def test_items_with_as_many_but_other_attributes_keep_each_column() -> None:
    """Two items of two attributes each, but not the same two: three columns, NA between."""
    items = [{"pk": {"S": "1"}, "a": {"N": "1"}}, {"pk": {"S": "2"}, "b": {"S": "x"}}]
    frame = frame_from_items(items)
    assert list(frame.columns) == ["pk", "a", "b"]
    assert frame["a"].dtype == "Int64" and frame["a"][0] == 1 and frame["a"][1] is pd.NA
    assert frame["b"].isna().tolist() == [True, False] and frame["b"][1] == "x"
    assert_same_frame(frame, ref_frame(items))


def test_missing_values_are_na_in_every_kind_of_column() -> None:
    items = [
        {"pk": {"S": "1"}, "s": {"S": "x"}, "b": {"BOOL": True}, "f": {"N": "0.5"},
         "i": {"N": "3"}, "l": {"L": [{"N": "1"}]}, "bin": {"B": "AAE="}},
        {"pk": {"S": "2"}},
    ]
    frame = frame_from_items(items)
    assert frame.dtypes.to_dict() == {
        "pk": pd.StringDtype(na_value=np.nan), "s": pd.StringDtype(na_value=np.nan),
        "b": "boolean", "f": object, "i": "Int64", "l": object, "bin": object}
    assert frame.iloc[1, 1:].isna().all()
    assert frame["l"][1] is pd.NA and frame["bin"][1] is pd.NA and frame["bin"][0] == b"\x00\x01"


def test_flatten_spreads_nested_maps_and_keeps_other_columns() -> None:
    items = [{"pk": {"S": "1"}, "info": {"M": {"rating": {"N": "8.5"}, "cast": {"M": {
        "lead": {"S": "Ann"}}}}}},
             {"info": {"M": {"rating": {"N": "7"}}}, "pk": {"S": "2"}, "tags": {"SS": ["x"]}}]
    frame = frame_from_items(items, flatten=True)
    assert list(frame.columns) == ["pk", "info.rating", "info.cast.lead", "tags"]
    assert frame["info.rating"].dtype == object
    assert [typed(v) for v in frame["info.rating"]] == [typed(Decimal("8.5")), typed(7)]
    assert frame["info.cast.lead"].isna().tolist() == [False, True]
    assert frame["tags"][0] is pd.NA and frame["tags"][1] == {"x"}


# --- model frames: the kinds fast path changes nothing ----------------------------------------



class FramesThing(dl.Model, table="FramesIdentityThings"):
    pk: str = dl.field(partition_key=True)
    count: int = 0
    price: Decimal | None = None
    ratio: float | None = None
    flag: bool | None = None
    label: str | None = None
    blob: bytes | None = None
    when: dt.datetime | None = None
    tags: set[str] = dl.field(default_factory=set)
    scores: list[int] = dl.field(default_factory=list)
    level: int | None = 5  # None is written as NULL (the default is not None)
    renamed: str | None = dl.field(None, name="Renamed-Attr")
    note: str | None = dl.field(None, as_json=True)
    expires: dt.datetime | None = dl.field(None, ttl=True)
    mood: Mood | None = None
    extra: dict[str, Any] = dl.field(default_factory=dict)


FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda f: f == 0 or 1e-130 <= abs(f) < 9.99e125)


def _int_texts(value: int) -> st.SearchStrategy[str]:
    """An int field's N text: DynamoDB's, or another writer's equal forms ('1E+2', '7.0')."""
    forms = [number_text(value)]
    if value:
        forms.append(str(Decimal(value).normalize()))
    if abs(value) < 10**30:
        forms.append(f"{value}.0")
    return st.sampled_from(forms)


@st.composite
def thing_items(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 16))
    plain = {
        "count": st.one_of(SMALL_INTS, INT64_EDGES, BIG_INTS),
        "price": st.one_of(st.none(), SHORT_DECIMALS, LONG_DECIMALS, FLOAT_EXACT,
                           SPECIAL_NUMBERS, SMALL_INTS.map(Decimal)),
        "ratio": st.one_of(st.none(), FLOATS),
        "flag": st.one_of(st.none(), st.booleans()),
        "label": st.one_of(st.none(), TEXT),
        "blob": st.one_of(st.none(), st.binary(max_size=8)),
        "when": st.one_of(st.none(), st.datetimes(timezones=st.just(dt.UTC))),
        "tags": st.sets(TEXT, max_size=3),
        "scores": st.lists(SMALL_INTS, max_size=3),
        "level": st.one_of(st.none(), SMALL_INTS),
        "renamed": st.one_of(st.none(), TEXT),
        "note": st.one_of(st.none(), TEXT),
        "expires": st.one_of(st.none(), st.integers(0, 2**33).map(
            lambda s: dt.datetime.fromtimestamp(s, dt.UTC))),
        "mood": st.one_of(st.none(), st.sampled_from(Mood)),
        "extra": st.dictionaries(KEYS, st.one_of(SMALL_INTS, TEXT), max_size=2),
    }
    # per column: every item carries it, or a sparse table where many lack it
    sparse = draw(st.sets(st.sampled_from(sorted(plain))))
    items = []
    for row in range(count):
        thing = FramesThing(pk=f"p{row}", **{k: draw(v) for k, v in plain.items()})
        item = thing.to_item()
        if "count" in item and draw(st.booleans()):
            item["count"] = {"N": draw(_int_texts(thing.count))}
        if "blob" in item and draw(st.booleans()):
            item["blob"] = {"B": b64(item["blob"]["B"])}  # as the fast read path has it
        for name in sparse:
            attr = FramesThing.__dynamorm_fields__[name].attr_name
            if draw(st.booleans()):
                item.pop(attr, None)
        if draw(st.integers(0, 9)) == 0:
            item["unmodelled"] = draw(st.one_of(S_AV, n(ANY_NUMBER)))
        order = draw(st.permutations(list(item)))
        items.append({k: item[k] for k in order})
    return items


def model_spec(flatten: bool = False) -> FrameSpec:
    """The spec the executor builds for FramesThing.scan().to_pandas()."""
    spec = frame_spec(FramesThing.scan(), flatten)
    assert isinstance(spec, FrameSpec)
    return spec


def test_model_spec_has_kinds_only_for_plain_scalar_fields() -> None:
    spec = model_spec()
    assert dict(spec.kinds or {}) == {
        "pk": "str", "count": "int", "price": "decimal", "ratio": "float", "flag": "bool",
        "label": "str", "blob": "bytes", "level": "int", "Renamed-Attr": "str"}


@SETTINGS
@given(thing_items())
def test_model_frame_kinds_fast_path_changes_nothing(items: list[dict[str, Any]]) -> None:
    spec = model_spec()
    per_value = dataclasses.replace(spec, kinds=None)  # every model column decoded by value
    assert_same_frame(frame_from_items(items, spec), frame_from_items(items, per_value))


@SETTINGS
@given(thing_items(), st.data())
def test_model_frame_built_page_by_page_is_the_same(items: list[dict[str, Any]],
                                                    data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(items)), max_size=4))
    spec = model_spec()
    assert_same_frame(paged_frame(items, cuts, spec), frame_from_items(items, spec))


@SETTINGS
@given(thing_items())
def test_model_frame_cells_are_the_models_values(items: list[dict[str, Any]]) -> None:
    """Each cell is the value from_item() gives (NA where the item lacks the attribute),
    each column typed by the documented rules over those values."""
    frame = frame_from_items(items, model_spec())
    fields = FramesThing.__dynamorm_attrs__
    assert list(frame.columns)[:len(fields)] == [f.py_name for f in fields.values()]
    assert len(frame) == len(items)
    objects = [FramesThing.from_item(item) for item in items]
    for attr, f in fields.items():
        cells = [item.get(attr) for item in items]
        want = ref_series(cells, f.decode)
        column = frame[f.py_name]
        assert column.dtype == want.dtype, (f.py_name, column.dtype, want.dtype)
        for row, (obj, cell) in enumerate(zip(objects, cells, strict=True)):
            got = column[row]
            if cell is None or getattr(obj, f.py_name) is None:
                assert pd.isna(got), (f.py_name, row, got)
                continue
            value = getattr(obj, f.py_name)
            if column.dtype == "float64":
                assert got == float(value), (f.py_name, row, got, value)
            elif column.dtype == object:
                assert typed(got) == typed(value), (f.py_name, row, got, value)
            else:
                assert got == value, (f.py_name, row, got, value)
    if "unmodelled" in frame.columns:
        assert_same_frame(frame[["unmodelled"]].reset_index(drop=True),
                          ref_frame([{"unmodelled": i["unmodelled"]} if "unmodelled" in i
                                     else {} for i in items])[["unmodelled"]])


@pytest.mark.parametrize("texts", [["1", "1E+2", "7.0"], ["100", "-3.000"], ["1", "2"]])
def test_model_int_and_decimal_columns_from_any_equal_text(texts: list[str]) -> None:
    items = [{"pk": {"S": str(i)}, "count": {"N": t}, "price": {"N": t}}
             for i, t in enumerate(texts)]
    spec = model_spec()
    frame = frame_from_items(items, spec)
    assert_same_frame(frame, frame_from_items(items, dataclasses.replace(spec, kinds=None)))
    if all(Decimal(t) == Decimal(t).to_integral_value() for t in texts):
        assert frame["count"].dtype == "int64"
        assert frame["count"].tolist() == [int(Decimal(t)) for t in texts]
