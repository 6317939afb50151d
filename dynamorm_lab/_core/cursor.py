"""Opaque, URL-safe cursors that resume exactly one query where it stopped, signed.

A cursor is base64url JSON ``{"v": 2, "q": <query fingerprint>, "s": <state>}`` followed by an
HMAC-SHA256 of that text under the connection's cursor key. Decoding refuses a cursor that was
edited, made under another key, or made by a different query. The key is the connection's
``cursor_key=``, else the ``DYNAMORM_CURSOR_KEY`` environment variable, else a random key made
once per process (so by default a cursor resumes only in the process that made it).

What a cursor reveals: it is signed, not encrypted. Anyone holding it can read the keys it
carries (the LastEvaluatedKey DynamoDB returned, or the key of the last item handed out) and
the query's fingerprint; it never carries credentials or other item data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from typing import Any

from ..errors import ValidationError

__all__ = ["KEY_VARIABLE", "cursor_key", "decode_cursor", "encode_cursor", "fingerprint",
           "from_jsonable", "jsonable"]

_VERSION = 2
KEY_VARIABLE = "DYNAMORM_CURSOR_KEY"
_MIN_KEY = 16
_PROCESS_KEY = secrets.token_bytes(32)


def cursor_key(key: bytes | str | None = None) -> bytes:
    """The signing key: `key`, else $DYNAMORM_CURSOR_KEY, else this process's random key."""
    if key is None:
        key = os.environ.get(KEY_VARIABLE) or None
        if key is None:
            return _PROCESS_KEY
        source = f"${KEY_VARIABLE}"
    else:
        source = "cursor_key"
    if isinstance(key, str):
        key = key.encode()
    if not isinstance(key, bytes | bytearray):
        raise ValidationError(f"{source} must be bytes or text, got {type(key).__name__}")
    if len(key) < _MIN_KEY:
        raise ValidationError(f"{source} must be at least {_MIN_KEY} bytes long (got "
                              f"{len(key)}); use e.g. secrets.token_hex(32)")
    return bytes(key)


def jsonable(value: Any) -> Any:
    """Wire data as JSON-ready data (bytes become ``{"$b64": ...}``)."""
    if isinstance(value, bytes | bytearray):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def from_jsonable(value: Any) -> Any:
    """The inverse of `jsonable`."""
    if isinstance(value, dict):
        if set(value) == {"$b64"}:
            return base64.b64decode(value["$b64"])
        return {k: from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    return value


def fingerprint(request: dict[str, Any], *extra: Any) -> str:
    """A short digest identifying a request (and, e.g., its segment count)."""
    text = json.dumps([jsonable(request), jsonable(list(extra))], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _signature(body: str, key: bytes) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def encode_cursor(query_fingerprint: str, state: Any, key: bytes) -> str:
    """A cursor token for `state` of the query identified by `query_fingerprint`."""
    payload = json.dumps({"v": _VERSION, "q": query_fingerprint, "s": jsonable(state)},
                         separators=(",", ":"), sort_keys=True)
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_signature(body, key)}"


def decode_cursor(token: str, query_fingerprint: str, key: bytes) -> Any:
    """The state inside `token`; raises ValidationError if edited, foreign or from another
    query."""
    if not isinstance(token, str) or token.count(".") != 1:
        raise ValidationError("this is not a dynamorm_lab cursor (expected text like 'eyJ...x.y')")
    body, signature = token.split(".")
    if not hmac.compare_digest(_signature(body, key), signature):
        raise ValidationError(
            "the cursor was edited, damaged, or signed under another key (cursors are signed "
            f"with the connection's cursor_key, else ${KEY_VARIABLE}, else a key made once per "
            "process); resume from a cursor a result gave you, under the same key")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        raise ValidationError("the cursor cannot be read") from None
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        raise ValidationError("this cursor's version is not supported")
    if data.get("q") != query_fingerprint:
        raise ValidationError("this cursor belongs to a different query; a cursor resumes only "
                              "the query that produced it")
    return from_jsonable(data.get("s"))
