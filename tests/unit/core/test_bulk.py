"""Bulk conversions: the same results as item-by-item calls, errors that name the item, and
the garbage collector left as it was."""

from __future__ import annotations

import gc
from decimal import Decimal
from typing import Any

import pytest

import dynamorm_lab as dl


class Reading(dl.Model, table="bulk_readings"):
    sensor: str = dl.field(partition_key=True)
    at: int = dl.field(sort_key=True)
    value: Decimal | None = None
    tags: set[str] = dl.field(default_factory=set)


def readings(count: int) -> list[Reading]:
    return [Reading(sensor=f"s{n % 7}", at=n, value=Decimal(n).scaleb(-2) if n % 3 else None,
                    tags={"a", f"t{n % 4}"} if n % 2 else set()) for n in range(count)]


def test_models_to_items_and_back_match_single_calls() -> None:
    objects = readings(500)
    items = Reading.to_items(objects)
    assert items == [o.to_item() for o in objects]
    assert Reading.from_items(items) == [Reading.from_item(i) for i in items] == objects


def test_plain_dicts_both_ways_match_single_calls() -> None:
    plain: list[dict[str, Any]] = [{"id": n, "name": f"n{n}", "ratio": Decimal("0.5") * n,
                                    "nested": {"deep": [n, None, True]}} for n in range(300)]
    wire = dl.encode_items(plain)
    assert wire[3] == {"id": {"N": "3"}, "name": {"S": "n3"}, "ratio": {"N": "1.5"},
                       "nested": {"M": {"deep": {"L": [{"N": "3"}, {"NULL": True},
                                                       {"BOOL": True}]}}}}
    assert dl.decode_items(wire) == plain
    assert dl.decode_items(iter(wire)) == plain  # any iterable, read once


def test_a_bad_value_is_named_by_its_position_and_the_gc_is_restored() -> None:
    plain = [{"id": 1}, {"id": 2}, {"id": Decimal("NaN")}]
    assert gc.isenabled()
    with pytest.raises(dl.CodecError, match=r"\[2\]\.id"):
        dl.encode_items(plain)
    assert gc.isenabled()
    with pytest.raises(dl.CodecError, match=r"expected a Reading, got dict \(at \[1\]\)"):
        Reading.to_items([Reading(sensor="a", at=1), {"sensor": "b"}])  # type: ignore[list-item]
    with pytest.raises(dl.CodecError, match=r"expected a wire item.*\(at \[0\]\)"):
        Reading.from_items(["not an item"])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", ["text", b"bytes", {"a": {"S": "x"}}, 5, None])
def test_something_other_than_a_list_of_items_is_refused(bad: Any) -> None:
    with pytest.raises(dl.ValidationError, match="expected an iterable"):
        dl.decode_items(bad)
    with pytest.raises(dl.ValidationError, match="expected an iterable"):
        Reading.from_items(bad)
