"""A faster way from DynamoDB's read responses to Python, through botocore's own extension point.

botocore parses every response by walking the output shape member by member; for a page of
items that is most of the client's time. Registering a `response_parser_factory` on the
session (the extension point botocore provides for this) lets the read operations' bodies be
read with one JSON parse instead, while signing, retries, error parsing and every other
operation stay botocore's. The price: binary values arrive as base64 text, which the codec
decodes itself (`decode_binary`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .._core.codec import decode_binary

__all__ = ["FAST_OPERATIONS", "binary_keys", "fast_parser_factory", "parse_body", "peek_last_key",
           "raw_bodies"]

FAST_OPERATIONS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
_FAST_SHAPES = frozenset({"QueryOutput", "ScanOutput", "GetItemOutput", "BatchGetItemOutput"})

_loads: Callable[[Any], Any] = json.loads
try:
    from orjson import loads as _orjson_loads

    _loads = _orjson_loads
except ImportError:  # orjson is optional: the standard library is correct, only slower
    pass


_MODE = threading.local()


@contextmanager
def raw_bodies() -> Iterator[None]:
    """In this thread, read responses come back as ``{"Body": bytes}``, unparsed (for the
    Arrow path, which parses them with pyarrow)."""
    before = getattr(_MODE, "raw", False)
    _MODE.raw = True
    try:
        yield
    finally:
        _MODE.raw = before


def fast_parser_factory() -> Any:
    """A botocore response-parser factory that parses Query/Scan/GetItem/BatchGetItem output
    bodies in one JSON pass (botocore's parsers load only when a connection is made)."""
    from botocore.parsers import JSONParser, ResponseParserFactory

    class FastJSONParser(JSONParser):  # type: ignore[misc]
        def _do_parse(self, response: dict[str, Any], shape: Any) -> Any:
            if shape is not None and shape.name in _FAST_SHAPES:
                body = response["body"]
                parsed = {"Body": body} if getattr(_MODE, "raw", False) else parse_body(body)
                self._inject_response_metadata(parsed, response["headers"])
                return parsed
            return super()._do_parse(response, shape)

    class FastParserFactory(ResponseParserFactory):  # type: ignore[misc]
        def create_parser(self, protocol_name: str) -> Any:
            if protocol_name == "json":
                return FastJSONParser(**self._defaults)
            return super().create_parser(protocol_name)

    return FastParserFactory()


def parse_body(body: bytes) -> Any:
    """A raw read response body as the fast parser would have returned it."""
    return _loads(body) if body else {}


_LAST_KEY = b'"LastEvaluatedKey":'
_KEY_DECODER = json.JSONDecoder()
_KEY_SPAN = 1 << 16  # a key is at most 2 KB of partition and 1 KB of sort key, as JSON


def peek_last_key(body: bytes) -> tuple[bool, Any]:
    """A raw Query/Scan body's LastEvaluatedKey, read without parsing the items, so that the
    next request can go out before this page is parsed: ``(True, key or None)``, or
    ``(False, None)`` when the bytes alone cannot tell (an attribute of that name, an odd
    body). The caller still compares it with the full parse of the page."""
    first = body.find(_LAST_KEY)
    if first < 0:
        return True, None
    if body.find(_LAST_KEY, first + 1) >= 0:
        return False, None
    start = first + len(_LAST_KEY)
    text = body[start:start + _KEY_SPAN].decode("utf-8", "ignore").lstrip(" \t\n\r")
    try:
        key, _end = _KEY_DECODER.raw_decode(text)
    except ValueError:
        return False, None
    return (True, key) if isinstance(key, dict) and key else (False, None)


def binary_keys(key: dict[str, Any] | None) -> dict[str, Any] | None:
    """A key (LastEvaluatedKey, an item's key) with base64 text turned back into bytes, so it
    can be sent again through botocore's serializer."""
    if not key:
        return key
    return {name: ({"B": decode_binary(av["B"])} if "B" in av else av)
            for name, av in key.items()}
