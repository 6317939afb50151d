"""DynamoDB's limits on items, checked before anything is sent (local servers skip some).

One walk over an encoded item measures it as DynamoDB bills it and refuses what DynamoDB
would refuse, naming the path (``$.info.cast[2]``):

- size: at most 400 KB (409,600 bytes): attribute names and map keys as UTF-8 bytes, strings
  as UTF-8 bytes, binary as raw bytes, numbers about one byte per two significant digits
  plus one (counted here as the upper bound, so a number never tips an item over unseen),
  BOOL and NULL one byte, lists and maps 3 bytes plus one byte per element;
- nesting: lists and maps at most 32 levels deep;
- names: attribute names and map keys at least one character;
- text: every string valid Unicode (a lone surrogate such as ``"\\ud800"`` cannot be sent as
  UTF-8).

Sources: the Developer Guide's "Item sizes and formats" and "Service, account, and table
quotas" (nested attribute depth).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import CodecError, ValidationError

__all__ = ["MAX_DEPTH", "MAX_ITEM_BYTES", "check_item", "check_values", "item_size",
           "surely_fits",
           "too_deep"]

MAX_ITEM_BYTES = 400 * 1024
MAX_DEPTH = 32

_SCALAR_BYTES = {"BOOL": 1, "NULL": 1}


def check_item(item: Mapping[str, Any], table: str | None = None) -> int:
    """Refuse an item DynamoDB would refuse (size, nesting, names, text); returns its size."""
    try:
        size = _map_size(item, "$", 0, top=True)
    except CodecError as exc:
        raise CodecError(exc.reason, path=exc.path, table=table) from None
    if size > MAX_ITEM_BYTES:
        raise ValidationError(
            f"the item is {size:,} bytes by DynamoDB's rule; an item is at most "
            f"{MAX_ITEM_BYTES:,} bytes (400 KB), names included", table=table)
    return size


def surely_fits(encoded: bytes) -> bool:
    """True when an item's DynamoDB JSON (`encoded`) proves the item within the limits
    without walking it: every part of an item takes at least as many bytes of JSON as
    DynamoDB counts for it (names and strings as quoted UTF-8, binary as base64, a number
    as its text, lists and maps with their brackets), and nesting cannot exceed the number
    of ``"M":``/``"L":`` in the text. False means only: walk it (`check_item`)."""
    return len(encoded) <= MAX_ITEM_BYTES and (
        encoded.count(b'"M":') + encoded.count(b'"L":') <= MAX_DEPTH)


def check_values(values: Mapping[str, Any], table: str | None = None) -> None:
    """Refuse expression values DynamoDB would refuse (nesting, names, text)."""
    for name, av in values.items():
        try:
            _value_size(av, name, 0)
        except CodecError as exc:
            raise CodecError(exc.reason, path=exc.path, table=table) from None


def item_size(item: Mapping[str, Any]) -> int:
    """An item's size as DynamoDB counts it (numbers at their upper bound)."""
    return _map_size(item, "$", 0, top=True)


def too_deep(value: Any) -> CodecError:
    """The error for a Python value nested too deep to encode at all (found without
    recursion): names the path where DynamoDB's 32 levels run out."""
    path, node, depth = "$", value, 0
    while depth <= MAX_DEPTH:
        if isinstance(node, Mapping) and node:
            key, node = next(iter(node.items()))
            path += f".{key}"
        elif isinstance(node, list | tuple) and node:
            node = node[0]
            path += "[0]"
        else:
            break
        depth += 1
    return CodecError(f"nested more than DynamoDB's {MAX_DEPTH} levels of lists and maps",
                      path=path)


def _text_bytes(text: str, path: str) -> int:
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise CodecError("text that is not valid Unicode (a lone surrogate) cannot be stored",
                         path=path) from None


def _name_bytes(name: Any, path: str) -> int:
    if type(name) is not str or not name:
        raise CodecError("attribute names and map keys must be non-empty text", path=path)
    return _text_bytes(name, path)


def _map_size(payload: Mapping[str, Any], path: str, depth: int, *, top: bool = False) -> int:
    size = 0 if top else 3
    for name, av in payload.items():
        inner = f"{path}.{name}"
        size += _name_bytes(name, inner) + _value_size(av, inner, depth) + (0 if top else 1)
    return size


def _number_bytes(text: str) -> int:
    """DynamoDB's "about one byte per two significant digits, plus one", at its upper bound
    (one more, and one for a minus sign)."""
    digits = text.lstrip("-").split("e")[0].split("E")[0].replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 2 + text.startswith("-")


def _value_size(av: Any, path: str, depth: int) -> int:
    if not isinstance(av, Mapping) or len(av) != 1:
        raise CodecError("not an AttributeValue (one type key such as 'S' or 'M')", path=path)
    [(tag, payload)] = av.items()
    if tag == "S":
        return _text_bytes(payload, path)
    if tag == "N":
        return _number_bytes(payload)
    if tag in _SCALAR_BYTES:
        return _SCALAR_BYTES[tag]
    if tag == "B":
        return len(payload)
    if tag in ("M", "L"):
        if depth >= MAX_DEPTH:
            raise CodecError(f"nested more than DynamoDB's {MAX_DEPTH} levels of lists and "
                             "maps", path=path)
        if tag == "M":
            return _map_size(payload, path, depth + 1)
        return 3 + sum(1 + _value_size(element, f"{path}[{index}]", depth + 1)
                       for index, element in enumerate(payload))
    if tag == "SS":
        return sum(_text_bytes(element, path) for element in payload)
    if tag == "NS":
        return sum(map(_number_bytes, payload))
    if tag == "BS":
        return sum(map(len, payload))
    raise CodecError(f"unknown AttributeValue type {tag!r}", path=path)
