"""Opaque, URL-safe cursors that resume exactly one query where it stopped.

A cursor is base64url JSON ``{"v": 1, "q": <query fingerprint>, "s": <state>}`` followed by a
checksum. Decoding refuses a damaged cursor and one made by a different query. It carries only
keys DynamoDB returned (LastEvaluatedKey, or the key of the last item handed out), never
credentials.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from .errors import ValidationError

__all__ = ["decode_cursor", "encode_cursor", "fingerprint", "from_jsonable", "jsonable"]

_VERSION = 1


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


def _checksum(payload: str) -> str:
    return hashlib.sha256(("dynamorm_lab/cursor:" + payload).encode()).hexdigest()[:16]


def encode_cursor(query_fingerprint: str, state: Any) -> str:
    """A cursor token for `state` of the query identified by `query_fingerprint`."""
    payload = json.dumps({"v": _VERSION, "q": query_fingerprint, "s": jsonable(state)},
                         separators=(",", ":"), sort_keys=True)
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return f"{body}.{_checksum(body)}"


def decode_cursor(token: str, query_fingerprint: str) -> Any:
    """The state inside `token`; raises ValidationError if damaged or from another query."""
    if not isinstance(token, str) or token.count(".") != 1:
        raise ValidationError("this is not a dynamorm_lab cursor (expected text like 'eyJ...x.y')")
    body, checksum = token.split(".")
    if _checksum(body) != checksum:
        raise ValidationError("the cursor is damaged or was edited; resume from a cursor that "
                              "a result gave you")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        raise ValidationError("the cursor cannot be read") from None
    if data.get("v") != _VERSION:
        raise ValidationError(f"cursor version {data.get('v')} is not supported")
    if data.get("q") != query_fingerprint:
        raise ValidationError("this cursor belongs to a different query; a cursor resumes only "
                              "the query that produced it")
    return from_jsonable(data.get("s"))
