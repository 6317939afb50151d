"""A faster way from DynamoDB's read responses to Python, through botocore's own extension point.

botocore parses every response by walking the output shape member by member; for a page of
items that is most of the client's time. Registering a `response_parser_factory` on the
session (the extension point botocore provides for this) lets the library read its read
operations' bodies with one JSON parse, or take them raw for its own parser (the read
pipeline parses Query/Scan pages itself, after peeking at their LastEvaluatedKey), while
signing, retries, error parsing and every other operation stay botocore's. The one client a
connection has does this only inside `parsing()`, so the client itself behaves as botocore's
for everyone else. The price: binary values arrive as base64 text, which the codec decodes
itself (`decode_binary`).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from .._core.codec import decode_binary

__all__ = ["FAST_OPERATIONS", "PLACEHOLDER_TABLE", "Parse", "binary_items", "binary_keys",
           "dumps", "parse_body", "parser_factory", "parsing", "peek_last_key", "placeholder",
           "sending", "swap_body"]

FAST_OPERATIONS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
_FAST_SHAPES = frozenset({"QueryOutput", "ScanOutput", "GetItemOutput", "BatchGetItemOutput"})

_loads: Callable[[Any], Any] = json.loads
_dumps: Callable[[Any], bytes] = lambda value: json.dumps(
    value, separators=(",", ":"), default=_base64).encode()
try:
    import orjson

    _loads = orjson.loads
    _dumps = lambda value: orjson.dumps(value, default=_base64)
except ImportError:  # orjson is optional: the standard library is correct, only slower
    pass


def _base64(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"{type(value).__name__} is not part of a wire item")


def dumps(value: Any) -> bytes:
    """A request fragment (wire items, with bytes as base64 text) as DynamoDB's JSON."""
    return _dumps(value)


# How this thread's read responses are parsed: "botocore" (the default, for every caller of
# the client), "json" (one JSON pass) or "raw" (the body itself, parsed by the caller).
Parse = Literal["botocore", "json", "raw"]
_MODE = threading.local()


@contextmanager
def parsing(mode: Parse) -> Iterator[None]:
    """In this thread, read responses (Query, Scan, GetItem, BatchGetItem) are parsed as
    `mode` says: ``"json"`` in one JSON pass (binary as base64 text), ``"raw"`` not at all
    (``{"Body": bytes}``, for the caller's own parser). Other operations, and every call
    outside this block, keep botocore's parser."""
    before = getattr(_MODE, "mode", "botocore")
    _MODE.mode = mode
    try:
        yield
    finally:
        _MODE.mode = before


def parser_factory() -> Any:
    """A botocore response-parser factory whose JSON parser reads Query/Scan/GetItem/
    BatchGetItem bodies as `parsing()` says (botocore's parsers load only when a client is
    made)."""
    from botocore.parsers import JSONParser, ResponseParserFactory

    class ReadParser(JSONParser):  # type: ignore[misc]
        def _do_parse(self, response: dict[str, Any], shape: Any) -> Any:
            mode = getattr(_MODE, "mode", "botocore")
            if mode == "botocore" or shape is None or shape.name not in _FAST_SHAPES:
                return super()._do_parse(response, shape)
            body = response["body"]
            parsed = {"Body": body} if mode == "raw" else parse_body(body)
            self._inject_response_metadata(parsed, response["headers"])
            return parsed

    class ReadParserFactory(ResponseParserFactory):  # type: ignore[misc]
        def create_parser(self, protocol_name: str) -> Any:
            if protocol_name == "json":
                return ReadParser(**self._defaults)
            return super().create_parser(protocol_name)

    return ReadParserFactory()


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


def binary_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items read in one JSON pass, with their binary values (B, BS, inside lists and maps)
    as bytes again: wire items exactly as botocore's own parser gives them."""
    return [{name: _binary(av) for name, av in item.items()} for item in items]


def _binary(av: dict[str, Any]) -> dict[str, Any]:
    if "B" in av:
        return {"B": decode_binary(av["B"])}
    if "BS" in av:
        return {"BS": [decode_binary(v) for v in av["BS"]]}
    if "L" in av:
        return {"L": [_binary(v) for v in av["L"]]}
    if "M" in av:
        return {"M": {k: _binary(v) for k, v in av["M"].items()}}
    return av


def binary_keys(key: dict[str, Any] | None) -> dict[str, Any] | None:
    """A key (LastEvaluatedKey, an item's key) with base64 text turned back into bytes, so it
    can be sent again through botocore's serializer."""
    if not key:
        return key
    return {name: ({"B": decode_binary(av["B"])} if "B" in av else av)
            for name, av in key.items()}


# --- requests sent as bytes the library built -------------------------------------------------
# botocore walks a BatchWriteItem's input shape member by member to validate and serialize
# it, which costs more than encoding the items did. Inside `sending(body)`, the client is
# called with a tiny `placeholder()` request (validated and serialized in no time) and the
# `before-call` handler `swap_body` puts the library's body in its place before the request
# is signed, so signing, retries and error parsing stay botocore's. A placeholder that
# somehow went out unswapped names a table that cannot exist: it would fail, never write.

PLACEHOLDER_TABLE = "dynamorm_lab-body-not-swapped"
_BODY = threading.local()


@contextmanager
def sending(body: bytes) -> Iterator[None]:
    """In this thread, a call made inside the block goes out with `body` as its JSON."""
    _BODY.body = body
    try:
        yield
    finally:
        _BODY.body = None


def swap_body(params: dict[str, Any], **_: Any) -> None:
    """botocore's ``before-call`` hook: the body `sending()` holds replaces the serialized
    placeholder (the request is signed after this, on every attempt)."""
    body = getattr(_BODY, "body", None)
    if body is not None:
        params["body"] = body
        _BODY.body = None


def placeholder(operation: str) -> dict[str, Any]:
    """The smallest valid input of `operation` (only BatchWriteItem is sent this way)."""
    if operation != "BatchWriteItem":
        raise ValueError(f"{operation} is not sent from prebuilt bytes")
    return {"RequestItems": {PLACEHOLDER_TABLE: [
        {"DeleteRequest": {"Key": {"k": {"S": "k"}}}}]}}
