"""Many items at once: the codec over a list, with the cyclic GC paused.

Converting thousands of items allocates hundreds of thousands of small dicts, lists and
strings, and on Python 3.11 the collector's full passes over them cost as much as the
conversion itself. Items hold no reference cycles, so the collector is paused for the batch
(reference counting still frees everything). An error names the item's position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import CodecError, ValidationError
from .codec import AttributeValue, decode_item, encode_item
from .gcpause import paused_gc

__all__ = ["convert_all", "decode_items", "encode_items", "encode_row"]


def convert_all(values: Iterable[Any], convert: Callable[[Any], Any], what: str, *,
                kind: type, expected: str) -> list[Any]:
    """`convert` applied to every value, GC paused; every value must be a `kind` (`expected`
    names it in the error), and a CodecError says which value failed."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise ValidationError(f"expected an iterable of {what}, got {type(values).__name__}")
    values = list(values)
    # one C-level pass over the types, then a check per distinct type (an isinstance per
    # value would cost as much as a tenth of the conversion when `kind` is an ABC)
    if not all(issubclass(t, kind) for t in set(map(type, values))):
        for index, value in enumerate(values):
            if not isinstance(value, kind):
                raise CodecError(f"expected {expected}, got {type(value).__name__}").at(
                    f"[{index}]")
    with paused_gc():
        try:
            return list(map(convert, values))
        except CodecError as exc:
            raise _located(exc, values, convert) from None


def _located(error: CodecError, values: list[Any], convert: Callable[[Any], Any]) -> CodecError:
    """The error with the position of the first value that fails (found by converting again
    one by one: the fast pass above does not count)."""
    for index, value in enumerate(values):
        try:
            convert(value)
        except CodecError as exc:
            return exc.at(f"[{index}]")
    return error


def encode_items(items: Iterable[dict[str, Any]]) -> list[dict[str, AttributeValue]]:
    """Plain dicts to wire items (`encode_item` on each), for bulk work."""
    return convert_all(items, encode_item, "dicts", kind=dict, expected="a dict")


def decode_items(items: Iterable[Mapping[str, AttributeValue]]) -> list[dict[str, Any]]:
    """Wire items to plain dicts (`decode_item` on each), for bulk work."""
    return convert_all(items, decode_item, "wire items", kind=Mapping,
                       expected="a wire item (a dict)")


def encode_row(row: Any) -> dict[str, AttributeValue]:
    """A row of Python values (a bulk write's row) as a wire item, by the codec's rules."""
    if not isinstance(row, Mapping):
        raise ValidationError(f"a row must be a dict of attribute values, got "
                              f"{type(row).__name__}")
    return encode_item(dict(row))
