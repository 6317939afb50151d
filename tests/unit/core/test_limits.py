"""DynamoDB's item limits, checked before sending: size, nesting, names and text.

The sizes restate the Developer Guide's "Item sizes and formats": names and strings as UTF-8
bytes, binary as raw bytes, BOOL/NULL one byte, lists and maps 3 bytes plus one per element.
Numbers are counted at the upper bound of the documented "one byte per two significant
digits, plus one" (dynalite, which validates like DynamoDB, counts up to two more).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dynamorm_lab as dl
from dynamorm_lab._core.codec import encode_item, encode_value
from dynamorm_lab._core.limits import (
    MAX_DEPTH,
    check_item,
    check_values,
    item_size,
    surely_fits,
    too_deep,
)
from dynamorm_lab._ops.wire import dumps
from dynamorm_lab.errors import CodecError, ValidationError

MAX_ITEM = 400 * 1024


def nest(levels: int, leaf: dict[str, Any] | None = None, kind: str = "M") -> dict[str, Any]:
    """An AttributeValue of `levels` nested maps (or lists) around a number."""
    value = leaf or {"N": "1"}
    for _ in range(levels):
        value = {"M": {"a": value}} if kind == "M" else {"L": [value]}
    return value


def python_nest(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


# --- size -------------------------------------------------------------------------------------

def test_strings_count_utf8_bytes_of_names_and_values() -> None:
    assert item_size({"a": {"S": "xyz"}}) == 1 + 3
    assert item_size({"é": {"S": "ü" * 10}}) == 2 + 20
    assert item_size({"k": {"S": "✓"}}) == 1 + 3


def test_binary_bool_and_null() -> None:
    assert item_size({"b": {"B": b"\x00" * 10}}) == 1 + 10
    assert item_size({"flag": {"BOOL": True}}) == 4 + 1
    assert item_size({"none": {"NULL": True}}) == 4 + 1


def test_lists_and_maps_take_three_bytes_and_one_per_element() -> None:
    assert item_size({"l": {"L": []}}) == 1 + 3
    assert item_size({"m": {"M": {}}}) == 1 + 3
    assert item_size({"l": {"L": [{"S": "ab"}, {"S": "c"}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
    assert item_size({"m": {"M": {"k": {"S": "ab"}}}}) == 1 + 3 + 1 + (1 + 2)


@pytest.mark.parametrize(("text", "digits"), [
    ("1", 1), ("12", 2), ("123", 3), ("100", 1), ("0.001", 1), ("1.50", 2), ("0", 0),
    ("12345678901234567890123456789012345678", 38), ("1E+125", 1), ("-7", 1)])
def test_numbers_count_significant_digits_at_the_upper_bound(text: str, digits: int) -> None:
    documented = (digits + 1) // 2 + 1  # "one byte per two significant digits, plus one"
    size = item_size({"n": {"N": text}}) - 1
    assert documented < size <= documented + 2
    assert (size == documented + 2) == text.startswith("-")


def test_an_item_of_exactly_400_kb_passes_and_one_byte_more_is_refused() -> None:
    at_limit = {"a": {"S": "x" * (MAX_ITEM - 1)}}
    assert check_item(at_limit, "T") == MAX_ITEM
    with pytest.raises(ValidationError, match="409,601 bytes") as refused:
        check_item({"a": {"S": "x" * MAX_ITEM}}, "T")
    assert refused.value.table == "T"


def test_multibyte_characters_count_three_bytes() -> None:
    with pytest.raises(ValidationError):
        check_item({"a": {"S": "✓" * 150_000}}, "T")


# --- nesting, names, text ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["M", "L"])
def test_32_levels_of_nesting_pass_and_33_are_refused_with_the_path(kind: str) -> None:
    check_item({"pk": {"S": "x"}, "d": nest(MAX_DEPTH, kind=kind)})
    with pytest.raises(CodecError, match="32 levels") as refused:
        check_item({"pk": {"S": "x"}, "d": nest(MAX_DEPTH + 1, kind=kind)}, "T")
    step = ".a" if kind == "M" else "[0]"
    assert refused.value.path == "$.d" + step * MAX_DEPTH
    assert refused.value.table == "T"


def test_a_lone_surrogate_is_refused_with_its_path() -> None:
    for item, path in (({"s": {"S": "ok\ud800"}}, "$.s"),
                       ({"m": {"M": {"k": {"L": [{"S": "\udfff"}]}}}}, "$.m.k[0]"),
                       ({"set": {"SS": ["a", "\ud83d"]}}, "$.set"),
                       ({"m": {"M": {"\ud800": {"N": "1"}}}}, "$.m.\ud800")):
        with pytest.raises(CodecError, match="surrogate") as refused:
            check_item(item)
        assert refused.value.path == path


def test_empty_names_and_map_keys_are_refused() -> None:
    with pytest.raises(CodecError, match="non-empty") as refused:
        check_item({"m": {"M": {"ok": {"M": {"": {"N": "1"}}}}}})
    assert refused.value.path == "$.m.ok."
    with pytest.raises(CodecError, match="non-empty"):
        check_item({"": {"S": "x"}})


def test_expression_values_are_checked_too() -> None:
    check_values({":v0": nest(MAX_DEPTH), ":v1": {"S": "fine"}})
    with pytest.raises(CodecError, match="32 levels"):
        check_values({":v0": nest(MAX_DEPTH + 1)})
    with pytest.raises(CodecError, match="surrogate"):
        check_values({":v1": {"S": "\ud800"}})


def test_a_value_too_deep_to_encode_names_the_path_without_recursion() -> None:
    error = too_deep(python_nest(5000))
    assert error.path == "$" + ".a" * (MAX_DEPTH + 1)
    assert too_deep([[[1]]]).path == "$[0][0][0]"


class Deep(dl.Model, table="deep_things"):
    pk: str = dl.field(partition_key=True)
    d: dict[str, Any] = dl.field(default_factory=dict)
    anything: Any = None


def test_encoding_5000_levels_is_a_codec_error_not_a_recursion_error() -> None:
    deep = python_nest(5000)
    for encode in (lambda: dl.encode_items([{"d": deep}]), lambda: encode_item({"d": deep}),
                   lambda: encode_value(deep), lambda: Deep(pk="x", d=deep).to_item(),
                   lambda: Deep(pk="x", anything=[deep]).to_item(),
                   lambda: Deep.to_items([Deep(pk="x", d=deep)])):
        with pytest.raises(CodecError, match="32 levels"):
            encode()


# --- properties ---------------------------------------------------------------------------------

LEAVES = st.one_of(st.text(max_size=5).map(lambda s: {"S": s}),
                   st.integers(-10**6, 10**6).map(lambda i: {"N": str(i)}),
                   st.decimals(allow_nan=False, allow_infinity=False, places=3,
                               min_value=-1000, max_value=1000).map(lambda d: {"N": str(d)}),
                   st.booleans().map(lambda b: {"BOOL": b}), st.just({"NULL": True}),
                   st.binary(max_size=5).map(lambda b: {"B": b}))
VALUES = st.recursive(LEAVES, lambda kids: st.one_of(
    st.lists(kids, max_size=3).map(lambda xs: {"L": xs}),
    st.dictionaries(st.text(min_size=1, max_size=3), kids, max_size=3).map(
        lambda m: {"M": m})), max_leaves=12)


def depth(av: dict[str, Any]) -> int:
    [(tag, payload)] = av.items()
    if tag == "M":
        return 1 + max((depth(v) for v in payload.values()), default=0)
    if tag == "L":
        return 1 + max((depth(v) for v in payload), default=0)
    return 0


@given(st.dictionaries(st.text(min_size=1, max_size=4), VALUES, min_size=1, max_size=4))
def test_the_size_is_the_sum_of_its_parts_and_shallow_items_pass(item: dict[str, Any]) -> None:
    whole = item_size(item)
    assert whole == sum(item_size({name: av}) for name, av in item.items())
    assert all(depth(av) <= MAX_DEPTH for av in item.values())
    assert check_item(item) == whole


@given(st.integers(0, 40), st.sampled_from(["M", "L"]))
def test_depth_decides_exactly_at_32(levels: int, kind: str) -> None:
    item = {"d": nest(levels, kind=kind)}
    if levels <= MAX_DEPTH:
        check_item(item)
    else:
        with pytest.raises(CodecError):
            check_item(item)


def test_decimal_and_int_texts_from_the_codec_are_measured() -> None:
    item = dl.encode_items([{"a": Decimal("-0.000123"), "b": 10**37}])[0]
    negative_three_digits = (3 + 1) // 2 + 2 + 1
    one_digit = (1 + 1) // 2 + 2
    assert item_size(item) == (1 + negative_three_digits) + (1 + one_digit)


@given(st.dictionaries(st.text(min_size=1, max_size=4), VALUES, min_size=1, max_size=4))
def test_an_items_json_never_undercounts_its_size_or_its_depth(item: dict[str, Any]) -> None:
    """What bulk writes rely on to skip the walk: the JSON is at least the DynamoDB size,
    and holds at least as many "M"/"L" markers as levels of nesting."""
    encoded = dumps({"PutRequest": {"Item": item}})
    assert len(encoded) >= item_size(item)
    markers = encoded.count(b'"M":') + encoded.count(b'"L":')
    assert markers >= max(depth(av) for av in item.values())


def test_an_item_proved_by_its_json_needs_no_walk_and_a_large_one_is_walked() -> None:
    small = {"pk": {"S": "p"}, "n": {"N": "1"}}
    assert surely_fits(dumps(small))
    near = {"pk": {"S": "p"}, "text": {"S": "x" * 409_580}}  # fits; its JSON is too long
    assert not surely_fits(dumps(near)) and check_item(near) <= 400 * 1024
    deep = nest(40)
    assert not surely_fits(dumps({"d": deep}))
