"""Tests for the value codec (``dynamorm_lab._core.codec``) and the model codec built on it.

Expectations come from DynamoDB's documented rules and the README ("Models", "Numbers are
exact"), not from running the code:

* a number is finite, has at most 38 significant digits (leading and trailing zeros do not
  count) and a magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125;
* an empty set cannot be stored; key attributes (table and index keys) cannot be empty strings
  or empty binary, other attributes can;
* untyped numbers read back as ``int`` when the stored text is integral and as ``Decimal``
  otherwise; a ``float`` outside a ``float`` field is accepted only when exact in decimal;
* every refusal is a ``CodecError`` whose ``.path`` names where the bad value was.
"""

import datetime as dt
import enum
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from helpers import Color
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl
from dynamorm_lab._core.codec import decode_item, decode_value, encode_item, encode_value
from dynamorm_lab.errors import CodecError, DynamormError

# --- helper strategies ---------------------------------------------------------------------

MAX_38_DIGITS = 10**38 - 1

# ints DynamoDB can hold digit for digit (up to 38 digits).
ints = st.integers(-MAX_38_DIGITS, MAX_38_DIGITS)

# ints beyond 38 digits that still have few significant digits (trailing zeros do not count).
round_big_ints = st.builds(lambda m, e: m * 10**e, st.integers(-999, 999), st.integers(38, 120))


@st.composite
def dynamo_decimals(draw: st.DrawFn) -> Decimal:
    """Finite Decimals with at most 38 significant digits and adjusted exponent -130..125."""
    coefficient = draw(st.integers(0, MAX_38_DIGITS))
    sign = draw(st.sampled_from("+-"))
    width = len(str(coefficient))
    # adjusted exponent = exponent + (width - 1) must stay within -130..125
    exponent = draw(st.integers(-130 - (width - 1), 125 - (width - 1)))
    return Decimal(f"{sign}{coefficient}E{exponent}")  # built from text: exact, no context


# finite floats whose magnitude is within DynamoDB's range (and zero).
dynamo_floats = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-130, max_value=9.99e125),
    st.floats(min_value=-9.99e125, max_value=-1e-130),
)

scalars = st.one_of(
    st.text(), ints, round_big_ints, dynamo_decimals(), st.booleans(), st.none(), st.binary()
)
non_empty_sets = st.one_of(
    st.sets(st.text(), min_size=1, max_size=4),
    st.sets(st.one_of(ints, dynamo_decimals()), min_size=1, max_size=4),
    st.sets(st.binary(), min_size=1, max_size=4),
)
untyped_values = st.recursive(
    st.one_of(scalars, non_empty_sets),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=20,
)

fixed_zones = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
aware_datetimes = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31), timezones=fixed_zones
)
ttl_datetimes = st.datetimes(
    min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 12, 31), timezones=fixed_zones
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def whole_seconds(value: dt.datetime) -> dt.datetime:
    """The instant `value` with its fraction of a second dropped (what a TTL keeps)."""
    return value.astimezone(dt.UTC).replace(microsecond=0)


def assert_same(expected: Any, got: Any, where: str = "value") -> None:
    """Untyped round-trip equality that does not let True pass for 1 or 1 for True."""
    if expected is None or isinstance(expected, bool):
        assert got is expected, where
    elif isinstance(expected, int):
        assert type(got) is int, f"{where}: int came back as {type(got).__name__}"
        assert got == expected, where
    elif isinstance(expected, Decimal):
        assert type(got) in (int, Decimal), f"{where}: {type(got).__name__}"
        assert got == expected, where
    elif isinstance(expected, str | bytes):
        assert type(got) is type(expected), where
        assert got == expected, where
    elif isinstance(expected, list):
        assert type(got) is list, where
        assert len(got) == len(expected), where
        for index, (e, g) in enumerate(zip(expected, got, strict=True)):
            assert_same(e, g, f"{where}[{index}]")
    elif isinstance(expected, dict):
        assert type(got) is dict, where
        assert got.keys() == expected.keys(), where
        for key in expected:
            assert_same(expected[key], got[key], f"{where}.{key}")
    elif isinstance(expected, set):
        assert type(got) is set, where
        assert got == expected, where
        element_types = {type(x) for x in expected}
        if element_types <= {str}:
            assert all(type(x) is str for x in got), where
        elif element_types <= {bytes}:
            assert all(type(x) is bytes for x in got), where
        else:
            assert all(type(x) in (int, Decimal) for x in got), where
            if element_types == {int}:
                assert all(type(x) is int for x in got), where
    else:  # pragma: no cover - the strategies make nothing else
        raise AssertionError(f"unexpected {type(expected)} at {where}")


# --- models used below -----------------------------------------------------------------------



class Size(enum.Enum):
    SMALL = 1
    MEDIUM = 2
    LARGE = 30


class Part(dl.Model):
    label: str
    amount: Decimal = dl.field(name="amt")
    labels: set[str] = dl.field(default_factory=set)
    note: str | None = None


class Everything(dl.Model, table="codec_everything"):
    pk: str = dl.field(partition_key=True)
    text: str
    count: int
    price: Decimal
    ratio: float
    flag: bool
    blob: bytes
    numbers: list[int]
    prices: dict[str, Decimal]
    words: set[str]
    counts: set[int]
    blobs: set[bytes]
    amounts: set[Decimal]
    when: dt.datetime
    day: dt.date
    ident: uuid.UUID
    color: Color
    size: Size
    part: Part
    parts: list[Part]
    maybe_count: int | None = None
    maybe_when: dt.datetime | None = None
    maybe_part: Part | None = None
    either: int | str = 0
    ranks: list[int] = dl.field(as_set=True, default_factory=list)
    doc: dict[str, Decimal] = dl.field(as_json=True, default_factory=dict)
    expires: dt.datetime | None = dl.field(ttl=True, default=None)
    renamed: str = dl.field(name="rn", default="")


class Measured(dl.Model):
    ratio: float
    series: list[float] = dl.field(default_factory=list)


class Expiring(dl.Model):
    expires: dt.datetime | None = dl.field(ttl=True, default=None)


class Scored(dl.Model):
    score: Decimal = dl.field(name="sc", default=Decimal(0))
    info: dict[str, Any] = dl.field(default_factory=dict)
    nums: list[int] = dl.field(default_factory=list)
    by_name: dict[str, int] = dl.field(default_factory=dict)
    words: set[str] = dl.field(default_factory=set)
    counts: set[int] = dl.field(default_factory=set)
    when: dt.datetime | None = None
    part: Part | None = None
    body: dict[str, Any] = dl.field(as_json=True, default_factory=dict)


class Keyed(dl.Model, table="codec_keyed"):
    ident: str = dl.field(partition_key=True, name="PK")
    sort: str = dl.field(sort_key=True, name="SK")
    lookup: str | None = dl.field(default=None, gsi_partition="ByLookup")
    note: str = ""
    data: bytes = b""


class BinaryKeyed(dl.Model, table="codec_binary_keyed"):
    raw: bytes = dl.field(partition_key=True)


class Nicknamed(dl.Model):
    nickname: str | None = "anon"


parts = st.builds(
    Part,
    label=st.text(),
    amount=dynamo_decimals(),
    labels=st.sets(st.text(min_size=1), max_size=3),
    note=st.none() | st.text(),
)

everything = st.builds(
    Everything,
    pk=st.text(min_size=1),
    text=st.text(),
    count=ints,
    price=dynamo_decimals(),
    ratio=dynamo_floats,
    flag=st.booleans(),
    blob=st.binary(),
    numbers=st.lists(ints, max_size=4),
    prices=st.dictionaries(st.text(max_size=6), dynamo_decimals(), max_size=3),
    words=st.sets(st.text(min_size=1), max_size=3),
    counts=st.sets(ints, max_size=3),
    blobs=st.sets(st.binary(min_size=1), max_size=3),
    amounts=st.sets(dynamo_decimals(), max_size=3),
    when=aware_datetimes,
    day=st.dates(),
    ident=st.uuids(),
    color=st.sampled_from(Color),
    size=st.sampled_from(Size),
    part=parts,
    parts=st.lists(parts, max_size=2),
    maybe_count=st.none() | ints,
    maybe_when=st.none() | aware_datetimes,
    maybe_part=st.none() | parts,
    either=ints | st.text(),
    ranks=st.lists(ints, unique=True, max_size=4).map(sorted),
    doc=st.dictionaries(st.text(max_size=6), dynamo_decimals(), max_size=3),
    expires=st.none() | ttl_datetimes,
    renamed=st.text(),
)


def codec_error(call: Any) -> CodecError:
    """Run `call` and return the CodecError it raises (failing the test if it does not)."""
    with pytest.raises(CodecError) as info:
        call()
    assert isinstance(info.value, DynamormError)
    return info.value


# --- 1. properties ---------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(untyped_values)
def test_untyped_values_round_trip(value: Any) -> None:
    assert_same(value, decode_value(encode_value(value)))


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), untyped_values, max_size=5))
def test_untyped_items_round_trip(item: dict[str, Any]) -> None:
    assert_same(item, decode_item(encode_item(item)))


@settings(max_examples=150, deadline=None)
@given(everything)
def test_typed_model_round_trip(obj: Everything) -> None:
    back = Everything.from_item(obj.to_item())
    expected = Everything(**{
        **obj.to_dict(),
        "expires": None if obj.expires is None else whole_seconds(obj.expires),
    })
    assert back == expected
    # equality lets 1 == Decimal(1) == True pass; the declared types must come back too
    assert type(back.count) is int
    assert type(back.price) is Decimal
    assert type(back.ratio) is float
    assert repr(back.ratio) == repr(obj.ratio)
    assert type(back.flag) is bool
    assert type(back.blob) is bytes
    assert all(type(n) is int for n in back.numbers)
    assert all(type(v) is Decimal for v in back.prices.values())
    assert type(back.words) is set and all(type(w) is str for w in back.words)
    assert type(back.counts) is set and all(type(c) is int for c in back.counts)
    assert type(back.blobs) is set and all(type(b) is bytes for b in back.blobs)
    assert type(back.amounts) is set and all(type(a) is Decimal for a in back.amounts)
    assert type(back.when) is dt.datetime and back.when.utcoffset() is not None
    assert type(back.day) is dt.date
    assert type(back.ident) is uuid.UUID
    assert back.color is obj.color and back.size is obj.size
    assert type(back.part) is Part and type(back.part.amount) is Decimal
    assert type(back.either) is type(obj.either)
    assert all(type(r) is int for r in back.ranks)


@settings(max_examples=200, deadline=None)
@given(dynamo_floats, st.lists(dynamo_floats, max_size=5))
def test_float_fields_round_trip_to_the_identical_float(ratio: float, series: list[float]) -> None:
    back = Measured.from_item(Measured(ratio=ratio, series=series).to_item())
    assert type(back.ratio) is float
    assert repr(back.ratio) == repr(ratio)
    assert [repr(x) for x in back.series] == [repr(x) for x in series]
    assert all(type(x) is float for x in back.series)


@settings(max_examples=100, deadline=None)
@given(ttl_datetimes)
@example(dt.datetime(2024, 5, 1, 12, 30, 15, 999999, tzinfo=dt.UTC))
def test_ttl_keeps_whole_seconds(value: dt.datetime) -> None:
    item = Expiring(expires=value).to_item()
    assert item["expires"] == {"N": str((value - EPOCH) // dt.timedelta(seconds=1))}
    back = Expiring.from_item(item).expires
    assert back == whole_seconds(value)
    assert back.utcoffset() is not None


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2300, 6, 1, 8, 0, 0, 999999, tzinfo=dt.UTC),
        dt.datetime(3000, 1, 1, 0, 0, 0, 999999, tzinfo=dt.UTC),
    ],
)
def test_ttl_far_in_the_future_still_drops_the_fraction(value: dt.datetime) -> None:
    back = Expiring.from_item(Expiring(expires=value).to_item()).expires
    assert back == value.replace(microsecond=0)


# --- wire form of a model --------------------------------------------------------------------

def test_model_item_uses_attribute_names_and_omits_none_and_empty_sets() -> None:
    obj = Scored(score=Decimal("1.5"), words=set(), when=None, info={"a": 1})
    item = obj.to_item()
    assert item["sc"] == {"N": "1.5"}
    assert "score" not in item
    assert "words" not in item  # an empty set is simply not written
    assert "when" not in item
    back = Scored.from_item(item)
    assert back.words == set() and type(back.words) is set
    assert back.when is None
    assert back == obj


def test_datetime_is_stored_as_iso_utc_text() -> None:
    zone = dt.timezone(dt.timedelta(hours=5, minutes=30))
    when = dt.datetime(2024, 2, 29, 23, 15, 0, 250000, tzinfo=zone)
    text = Scored(when=when).to_item()["when"]["S"]
    parsed = dt.datetime.fromisoformat(text)
    assert parsed.utcoffset() == dt.timedelta(0)
    assert parsed == when


def test_optional_field_set_to_none_reads_back_as_none_even_with_a_default() -> None:
    back = Nicknamed.from_item(Nicknamed(nickname=None).to_item())
    assert back.nickname is None


# --- 2. refusals, each with a path -----------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": {"b": [1, float("nan")]}}, "a.b[1]"),
        ({"a": float("inf")}, "a"),
        ({"a": [float("-inf")]}, "a[0]"),
        ({"a": Decimal("NaN")}, "a"),
        ({"a": {"b": Decimal("Infinity")}}, "a.b"),
        ({"n": Decimal("1." + "2" * 38)}, "n"),  # 39 significant digits
        ({"n": [10**38 + 1]}, "n[0]"),  # an int with 39 significant digits
        ({"n": Decimal("1E+126")}, "n"),
        ({"n": Decimal("-1E+126")}, "n"),
        ({"n": Decimal("1E-131")}, "n"),
        ({"n": Decimal("-1E-131")}, "n"),
        ({"m": {"s": set()}}, "m.s"),
        ({"l": [[1], [2, {"k": float("nan")}]]}, "l[1][1].k"),
        ({"when": dt.datetime(2024, 1, 1, 12, 0)}, "when"),
        ({"mix": {"a", 1}}, "mix"),
        ({"outer": {"ns": {Decimal("1"), float("nan")}}}, "outer.ns"),
    ],
)
def test_untyped_refusals_name_the_path(value: dict[str, Any], path: str) -> None:
    assert codec_error(lambda: encode_value(value)).path == path


def test_inexact_float_in_untyped_position_is_refused_mentioning_decimal() -> None:
    error = codec_error(lambda: encode_value({"price": {"net": 0.1}}))
    assert error.path == "price.net"
    assert "Decimal" in str(error)


def test_non_str_map_key_is_refused_at_its_map() -> None:
    error = codec_error(lambda: encode_value({"outer": {1: "x"}}))
    assert error.path.startswith("outer")


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"score": Decimal("NaN")}, "sc"),  # the alias, not the Python name
        ({"score": Decimal("1E+126")}, "sc"),
        ({"score": Decimal("9" * 39)}, "sc"),
        ({"info": {"a": {"b": 0.1}}}, "info.a.b"),
        ({"info": {"a": [1, float("nan")]}}, "info.a[1]"),
        ({"info": {"a": set()}}, "info.a"),
        ({"nums": [1, 10**40 + 1]}, "nums[1]"),
        ({"by_name": {"k": 10**39 + 7}}, "by_name.k"),
        ({"words": {"a", 1}}, "words"),
        ({"counts": {10**39 + 1}}, "counts"),
        ({"when": dt.datetime(2024, 1, 1)}, "when"),  # naive
        ({"part": Part(label="x", amount=Decimal("1E-131"))}, "part.amt"),
    ],
)
def test_model_refusals_start_with_the_attribute_name(values: dict[str, Any], path: str) -> None:
    assert codec_error(lambda: Scored(**values).to_item()).path == path


@pytest.mark.parametrize(
    ("values", "prefix"),
    [
        ({"info": {"a": {5: "x"}}}, "info.a"),  # a non-str key, reported at (or in) its map
        ({"body": {"x": float("nan")}}, "body"),  # inside a JSON field
    ],
)
def test_model_refusals_inside_a_value_start_with_its_path(values: dict[str, Any],
                                                           prefix: str) -> None:
    path = codec_error(lambda: Scored(**values).to_item()).path
    assert path == prefix or path.startswith((prefix + ".", prefix + "["))


def test_naive_ttl_datetime_is_refused_at_its_attribute() -> None:
    error = codec_error(lambda: Expiring(expires=dt.datetime(2030, 1, 1)).to_item())
    assert error.path == "expires"


# --- 3. accepted edge values -----------------------------------------------------------------

@pytest.mark.parametrize(
    "number",
    [
        Decimal("1." + "2" * 37),  # 38 significant digits
        Decimal("-" + "9" * 38),
        Decimal("9.9999999999999999999999999999999999999E+125"),  # the largest magnitude
        Decimal("1E+125"),
        Decimal("-1E+125"),
        Decimal("1E-130"),  # the smallest magnitude
        Decimal("-1E-130"),
        Decimal("1" + "0" * 50),  # 1 significant digit, 51 digits long
        Decimal("1.5" + "0" * 60),  # 2 significant digits
        Decimal("0E-200"),  # zero, whatever its exponent
        10**38 - 1,
        -(10**38) + 1,
        10**38,
        10**100,
        -(3 * 10**125),
    ],
)
def test_numbers_within_dynamodb_rules_are_accepted_and_round_trip(number: Any) -> None:
    back = decode_value(encode_value({"n": number}))["n"]
    assert back == number
    if isinstance(number, int):
        assert type(back) is int
    else:
        assert type(back) in (int, Decimal)


@pytest.mark.parametrize(("number", "expected"), [(0.5, Decimal("0.5")), (2.0, Decimal(2)),
                                                  (-0.25, Decimal("-0.25"))])
def test_exact_floats_are_accepted_in_untyped_positions(number: float, expected: Decimal) -> None:
    back = decode_value(encode_value({"x": [number]}))["x"][0]
    assert type(back) in (int, Decimal)  # untyped numbers never read back as float
    assert back == expected


def test_empty_strings_and_bytes_are_allowed_outside_keys() -> None:
    assert encode_value({"s": ""}) == {"M": {"s": {"S": ""}}}
    obj = Keyed(ident="k", sort="s", note="", data=b"")
    item = obj.to_item()
    assert item["note"] == {"S": ""}
    assert item["data"] == {"B": b""}
    assert Keyed.from_item(item) == obj


# --- 4. keys ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("model", "values", "attribute"),
    [
        (Keyed, {"ident": "", "sort": "s"}, "PK"),
        (Keyed, {"ident": "k", "sort": ""}, "SK"),
        (Keyed, {"ident": "k", "sort": "s", "lookup": ""}, "lookup"),  # a GSI key
        (BinaryKeyed, {"raw": b""}, "raw"),
    ],
)
def test_empty_key_attributes_are_refused(model: Any, values: dict[str, Any],
                                          attribute: str) -> None:
    error = codec_error(lambda: model(**values).to_item())
    assert error.path == attribute
    assert attribute in str(error)


# --- 5. JSON fields --------------------------------------------------------------------------

def test_json_field_keeps_decimals_exactly() -> None:
    thirty = "12345678901234.5678901234567890"  # 30 significant digits, trailing zero kept
    body = {"price": Decimal("1.10"), "big": Decimal(thirty), "list": [Decimal("0.1"), "x"]}
    item = Scored(body=body).to_item()
    assert set(item["body"]) == {"S"}
    text = item["body"]["S"]
    assert isinstance(text, str)
    as_text = json.loads(text, parse_float=str)  # the stored JSON is valid and exact
    assert as_text["price"] == "1.10"
    assert as_text["big"] == thirty
    back = Scored.from_item(item).body
    assert type(back["price"]) is Decimal and str(back["price"]) == "1.10"
    assert type(back["big"]) is Decimal and str(back["big"]) == thirty
    assert back["list"] == [Decimal("0.1"), "x"]


# --- 6. typed decode errors ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("item", "path"),
    [
        ({"nums": {"S": "x"}}, "nums"),
        ({"nums": {"L": [{"N": "1"}, {"S": "x"}]}}, "nums[1]"),
        ({"nums": {"L": [{"N": "1.5"}]}}, "nums[0]"),  # not an int: never rounded silently
        ({"by_name": {"M": {"k": {"S": "x"}}}}, "by_name.k"),
        ({"sc": {"S": "x"}}, "sc"),
        ({"sc": {"N": "not a number"}}, "sc"),
        ({"counts": {"SS": ["a"]}}, "counts"),
        ({"when": {"S": "yesterday"}}, "when"),
        ({"part": {"M": {"amt": {"BOOL": True}}}}, "part.amt"),
    ],
)
def test_typed_decode_errors_name_the_attribute(item: dict[str, Any], path: str) -> None:
    assert codec_error(lambda: Scored.from_item(item)).path == path


def test_int_field_holding_a_string_is_refused_on_read() -> None:
    error = codec_error(lambda: Everything.from_item({"pk": {"S": "k"}, "count": {"S": "x"}}))
    assert error.path == "count"
