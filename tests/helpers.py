"""Helpers shared by test modules: unique names, canonical snapshots, request recorders."""

from __future__ import annotations

import json
import uuid
from typing import Any


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def canonical(items: list[dict[str, Any]]) -> list[str]:
    """Items as sorted canonical JSON, to compare two snapshots of a table."""
    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    return sorted(json.dumps(norm(item), sort_keys=True, default=repr) for item in items)


def sent_operations(connection: Any) -> list[str]:
    """Every operation `connection` sends from now on (through any of its clients)."""
    sent: list[str] = []

    def hook(**kwargs: Any) -> None:
        sent.append(kwargs["event_name"].rsplit(".", 1)[-1])

    connection.on("before-send.dynamodb", hook)
    return sent
