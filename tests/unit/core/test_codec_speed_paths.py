"""The compiled model codec serves well-formed objects and items itself.

It hands a value to the prepared converters only when it cannot decide (a value of an
unexpected type, a refusal); these tests count those hand-overs. Identity of results and errors
is checked in test_codec_speed_identity.py.
"""

import datetime as dt
import gc
import uuid
from decimal import Decimal
from typing import Any

import pytest

import dynamorm_lab as dl
from dynamorm_lab._core.model import ModelCodec


@pytest.fixture
def handed_over(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of calls to the prepared (fallback) paths of codecs built during the test."""
    counts = {"encode": 0, "decode": 0}
    encode, decode = ModelCodec.encode_prepared, ModelCodec.decode_prepared

    def counting_encode(self: ModelCodec, obj: Any) -> Any:
        counts["encode"] += 1
        return encode(self, obj)

    def counting_decode(self: ModelCodec, item: Any) -> Any:
        counts["decode"] += 1
        return decode(self, item)

    monkeypatch.setattr(ModelCodec, "encode_prepared", counting_encode)
    monkeypatch.setattr(ModelCodec, "decode_prepared", counting_decode)
    return counts


def make_models() -> tuple[type, type]:
    """Fresh classes, so their codecs are compiled while the counters are in place (the
    annotations are evaluated here, as this module does not postpone them)."""

    class Part(dl.Model):
        label: str
        amount: Decimal = dl.field(name="amt", default=Decimal(0))

    class Order(dl.Model, table="speed_paths_orders"):
        pk: str = dl.field(partition_key=True)
        sk: int = dl.field(sort_key=True)
        total: Decimal
        ratio: float = 0.0
        paid: bool = False
        note: str | None = None
        raw: bytes = b""
        tags: set[str] = dl.field(default_factory=set)
        levels: set[int] = dl.field(default_factory=set)
        history: list[int] = dl.field(default_factory=list)
        info: dict[str, Any] = dl.field(default_factory=dict)
        when: dt.datetime | None = None
        ident: uuid.UUID | None = None
        part: Part | None = None
        parts: list[Part] = dl.field(default_factory=list)
        maybe_ints: list[int] | None = dl.field(default_factory=list)
        counts: dict[str, int | None] = dl.field(default_factory=dict)
        scratch: str = dl.field(stored=False, default="")

    return Part, Order


def test_well_formed_objects_and_items_never_fall_back(handed_over: dict[str, int]) -> None:
    part, order = make_models()
    objects = [
        order(pk="p", sk=1, total=Decimal("12.50")),
        order(pk="p", sk=2, total=Decimal("-0.001"), ratio=0.1, paid=True, note="n", raw=b"x",
              tags={"a", "b"}, levels={1, 2}, history=[3, 4], info={"k": [1, "x", None]},
              when=dt.datetime(2024, 5, 1, tzinfo=dt.UTC), ident=uuid.uuid4(),
              part=part(label="l", amount=Decimal(3)), parts=[part(label="m")],
              maybe_ints=None, counts={"a": 1, "b": None}),
    ]
    for obj in objects:
        assert order.from_item(obj.to_item()) == obj
    assert handed_over == {"encode": 0, "decode": 0}


def test_values_the_inline_code_does_not_cover_are_handed_over(
        handed_over: dict[str, int]) -> None:
    _, order = make_models()
    with pytest.raises(dl.errors.CodecError) as info:
        order(pk="", sk=1, total=Decimal(1)).to_item()  # an empty key is refused
    assert info.value.path == "pk"
    assert handed_over["encode"] == 1
    # an int field written in exponent form: still an int, read by the prepared decoder
    back = order.from_item({"pk": {"S": "p"}, "sk": {"N": "1E+3"}, "total": {"N": "1"}})
    assert back.sk == 1000 and type(back.sk) is int
    assert handed_over["decode"] == 1


def test_decoded_objects_keep_their_values_without_a_separate_dict() -> None:
    """The values of a decoded object live in the object (no __dict__ until one is asked
    for): one object less for the cyclic collector to look at per item read."""
    _, order = make_models()
    item = order(pk="p", sk=1, total=Decimal(1), tags={"a"}).to_item()
    tracked_values = sum(gc.is_tracked(v) for v in vars(order.from_item(item)).values())
    gc.collect()
    before = len(gc.get_objects())
    kept = [order.from_item(item) for _ in range(100)]
    per_object = (len(gc.get_objects()) - before - 1) / len(kept)
    # the object and its values, no __dict__ (which would add a whole object each: 100 more);
    # rounded, because another thread of the suite (a server) may free an object meanwhile
    assert round(per_object) == 1 + tracked_values
    assert kept[0].tags == {"a"} and kept[0].to_dict()["pk"] == "p"


def test_decoded_maps_of_scalars_are_not_tracked_by_the_collector() -> None:
    """A map built empty and filled with numbers and strings is not tracked by the cyclic
    collector (a copy of the wire map would be): reading many items then costs no full
    collection passes over them."""
    from dynamorm_lab._core.codec import decode_item

    item = decode_item({"geo": {"M": {"lat": {"N": "1.5"}, "name": {"S": "x"}}},
                        "tags": {"SS": ["a"]}})
    assert not gc.is_tracked(item["geo"])
    assert gc.is_tracked(item)  # it holds a map and a set
