"""Batch reads that lose nothing: chunks of 100 keys, unprocessed keys retried with backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import Throttled, ValidationError

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = [
    "RetryPolicy", "WriteFailure", "WriteReport", "get_chunks", "key_identity", "write_chunks",
]

MAX_GET_KEYS = 100


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter for unprocessed items and keys."""

    attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def get_chunks(conn: Connection, table: str, keys: Sequence[dict[str, Any]], *,
               extra: dict[str, Any], policy: RetryPolicy | None = None,
               ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any]]]:
    """For each chunk of 100 keys: the items found and the merged response (for stats).

    Unprocessed keys are retried with backoff; if some remain after the last attempt,
    Throttled is raised naming how many.
    """
    policy = policy or RetryPolicy()
    for start in range(0, len(keys), MAX_GET_KEYS):
        pending: dict[str, Any] = {table: {"Keys": list(keys[start:start + MAX_GET_KEYS]),
                                           **extra}}
        found: list[dict[str, Any]] = []
        consumed: list[dict[str, Any]] = []
        for attempt in range(policy.attempts):
            response = conn.call("BatchGetItem", {"RequestItems": pending,
                                                  "ReturnConsumedCapacity": "INDEXES"})
            found.extend(response.get("Responses", {}).get(table, []))
            consumed.extend(response.get("ConsumedCapacity", []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
            time.sleep(policy.delay(attempt))
        if pending:
            left = len(pending.get(table, {}).get("Keys", []))
            raise Throttled(f"BatchGetItem on {table}: {left} key(s) still unprocessed after "
                            f"{policy.attempts} attempts", table=table)
        yield found, {"ConsumedCapacity": consumed, "ScannedCount": len(found)}


MAX_WRITE_ITEMS = 25
MAX_REQUEST_BYTES = 16 * 1024 * 1024


@dataclass
class WriteFailure:
    """One write that did not happen, and why."""

    table: str
    request: dict[str, Any]
    reason: str

    @property
    def key_or_item(self) -> dict[str, Any]:
        put: dict[str, Any] = self.request.get("PutRequest", {})
        delete: dict[str, Any] = self.request.get("DeleteRequest", {})
        return dict(put.get("Item") or delete.get("Key") or {})


@dataclass
class WriteReport:
    """What a batch write did: written, retried, and what finally failed (never dropped)."""

    written: int = 0
    requests: int = 0
    retried: int = 0
    failed: list[WriteFailure] = field(default_factory=list)
    capacity: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def __repr__(self) -> str:
        return (f"<WriteReport written={self.written} requests={self.requests} "
                f"retried={self.retried} failed={len(self.failed)}>")


def key_identity(key: dict[str, Any]) -> tuple[Any, ...]:
    """A hashable identity for a wire key (for duplicate detection and ordering)."""
    return tuple(sorted((name, repr(sorted(av.items()))) for name, av in key.items()))


def write_chunks(conn: Connection, table: str, requests: Sequence[dict[str, Any]],
                 key_names: Sequence[str], *, policy: RetryPolicy | None = None,
                 on_progress: Any = None) -> WriteReport:
    """BatchWriteItem `requests` (PutRequest/DeleteRequest) in chunks of 25, losing nothing.

    The same key twice in one chunk is refused before sending (DynamoDB would reject the
    whole request). Unprocessed items are retried with backoff; those still unprocessed after
    the last attempt are reported in `WriteReport.failed`.
    """
    policy = policy or RetryPolicy()
    report = WriteReport()
    for start in range(0, len(requests), MAX_WRITE_ITEMS):
        chunk = list(requests[start:start + MAX_WRITE_ITEMS])
        _check_unique_keys(table, chunk, key_names)
        pending: list[dict[str, Any]] = chunk
        for attempt in range(policy.attempts):
            report.requests += 1
            try:
                response = conn.call("BatchWriteItem", {
                    "RequestItems": {table: pending}, "ReturnConsumedCapacity": "TOTAL"})
            except Throttled as exc:
                if attempt + 1 == policy.attempts:
                    report.failed += [WriteFailure(table, r, str(exc)) for r in pending]
                    pending = []
                    break
                time.sleep(policy.delay(attempt))
                continue
            for consumed in response.get("ConsumedCapacity", []):
                report.capacity += float(consumed.get("CapacityUnits", 0.0))
            unprocessed = response.get("UnprocessedItems", {}).get(table, [])
            report.written += len(pending) - len(unprocessed)
            if on_progress is not None:
                on_progress(len(pending) - len(unprocessed))
            pending = unprocessed
            if not pending:
                break
            report.retried += len(pending)
            time.sleep(policy.delay(attempt))
        report.failed += [WriteFailure(table, r, f"still unprocessed after {policy.attempts} "
                                                 "attempts") for r in pending]
    return report


def _check_unique_keys(table: str, chunk: list[dict[str, Any]], key_names: Sequence[str]) -> None:
    seen: set[tuple[Any, ...]] = set()
    for request in chunk:
        body = request.get("PutRequest", {}).get("Item") or request.get(
            "DeleteRequest", {}).get("Key") or {}
        key = {name: body[name] for name in key_names if name in body}
        if len(key) != len(key_names):
            missing = ", ".join(n for n in key_names if n not in body)
            raise ValidationError(f"a write to {table} lacks key attribute(s) {missing}",
                                  table=table, key=key)
        identity = key_identity(key)
        if identity in seen:
            raise ValidationError(f"the same key {key} appears twice in one batch for {table}; "
                                  "DynamoDB rejects such a batch (nothing was sent)",
                                  table=table, key=key)
        seen.add(identity)
