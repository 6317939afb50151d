"""DynamoDB's typed JSON (the export and BatchWriteItem format): AttributeValues whose
binary payloads are base64 text, to and from the wire items the codec uses."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ValidationError

__all__ = ["typed_from_json", "typed_item", "typed_to_json"]

_TYPES = frozenset({"S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"})


def typed_from_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """A typed AttributeValue from its JSON form (binary from base64), validated."""
    if not isinstance(av, Mapping) or len(av) != 1 or next(iter(av)) not in _TYPES:
        raise ValidationError(f"not a typed AttributeValue: {av!r:.80}")
    return _binary_walk(av, base64.b64decode, typed_from_json)


def typed_to_json(av: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON form of a typed AttributeValue (binary as base64)."""
    return _binary_walk(av, lambda data: base64.b64encode(data).decode(), typed_to_json)


def _binary_walk(av: Mapping[str, Any], binary: Callable[[Any], Any],
                 inner: Callable[[Mapping[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """An AttributeValue with its binary payloads converted by `binary`, and the values
    inside its lists and maps by `inner`."""
    tag, value = next(iter(av.items()))
    if tag == "B":
        return {"B": binary(value)}
    if tag in ("BS", "L"):
        return {tag: [(binary if tag == "BS" else inner)(element) for element in value]}
    if tag == "M":
        return {"M": {key: inner(element) for key, element in value.items()}}
    return {tag: value}


def typed_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A typed item (``{"name": {"S": ...}, ...}``) as a wire item, validated."""
    return {name: typed_from_json(av) for name, av in item.items()}
