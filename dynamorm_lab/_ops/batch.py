"""Batches that lose nothing.

Reads: any number of keys over one or several tables, 100 keys a request, duplicates removed,
results in the caller's order, missing keys reported. Writes: any number of puts and deletes,
25 a request, the same key twice in one request refused before sending. Unprocessed items and
keys are retried with exponential backoff and full jitter; what is still unprocessed after the
last attempt is reported item by item, never dropped. Limits are checked client-side because
local servers accept requests that AWS rejects.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._core import display
from .._core.codec import decode_item, key_identity
from .._core.rate import Limiter
from .._core.retry import RetryPolicy
from ..errors import DynamormError, ReadOnlyError, Throttled, ValidationError
from .wire import binary_keys, dumps

if TYPE_CHECKING:
    from .transport import Transport

__all__ = [
    "MAX_GET_KEYS", "MAX_WRITE_ITEMS", "RejectedRow", "RetryPolicy", "SampleLoad", "WriteFailure",
    "WriteReport", "WriteRequest", "get_chunks", "get_keys", "key_identity", "request_body",
    "write_requests",
]

MAX_GET_KEYS = 100
MAX_WRITE_ITEMS = 25
MAX_REQUEST_BYTES = 16 * 1024 * 1024

TableKey = tuple[str, dict[str, Any]]


# --- reads ----------------------------------------------------------------------------------

def get_keys(transport: Transport, keys: Sequence[TableKey], *,
             extra: dict[str, dict[str, Any]] | None = None,
             policy: RetryPolicy | None = None, on_page: Callable[[dict[str, Any]], None]
             | None = None, fast: bool = False,
             ) -> tuple[list[dict[str, Any] | None], list[TableKey]]:
    """Read (table, key) pairs: items in the caller's order (None where missing) and the
    missing pairs. Duplicates are read once. `extra` holds per-table options
    (ProjectionExpression, ConsistentRead, ExpressionAttributeNames). `fast`: read through
    the data-plane client (items' binary values then arrive as base64 text)."""
    unique: dict[tuple[str, tuple[Any, ...]], TableKey] = {}
    for table, key in keys:
        unique.setdefault((table, key_identity(key)), (table, key))
    found: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
    key_names = {table: tuple(key) for table, key in unique.values()}
    pairs = list(unique.values())
    for start in range(0, len(pairs), MAX_GET_KEYS):
        chunk = pairs[start:start + MAX_GET_KEYS]
        request: dict[str, Any] = {}
        for table, key in chunk:
            entry = request.setdefault(table, {"Keys": [], **(extra or {}).get(table, {})})
            entry["Keys"].append(key)
        for response in _get_with_retries(transport, request, policy or RetryPolicy(), fast=fast):
            if on_page is not None:
                on_page(response)
            for table, items in response.get("Responses", {}).items():
                for item in items:
                    key = {n: item[n] for n in key_names[table] if n in item}
                    ident = key_identity(key)
                    found[(table, ident)] = item
    ordered = [found.get((table, key_identity(key))) for table, key in keys]
    missing = [pair for pair, item in zip(keys, ordered, strict=True) if item is None]
    return ordered, missing


def _get_with_retries(transport: Transport, request: dict[str, Any], policy: RetryPolicy, *,
                      fast: bool = False) -> Iterator[dict[str, Any]]:
    pending = request
    for attempt in range(policy.attempts):
        response = transport.call("BatchGetItem", {"RequestItems": pending,
                                                   "ReturnConsumedCapacity": "INDEXES"},
                                  parse="json" if fast else "botocore")
        yield response
        pending = response.get("UnprocessedKeys") or {}
        if fast:  # resent through botocore's serializer: binary keys as bytes again
            pending = {table: {**entry, "Keys": [binary_keys(k) for k in entry["Keys"]]}
                       for table, entry in pending.items()}
        if not pending:
            return
        if attempt + 1 < policy.attempts:
            time.sleep(policy.delay(attempt))
    left = sum(len(v.get("Keys", [])) for v in pending.values())
    raise Throttled(f"BatchGetItem: {left} key(s) still unprocessed after {policy.attempts} "
                    "attempts; nothing was dropped silently", table=next(iter(pending)))


def get_chunks(transport: Transport, table: str, keys: Sequence[dict[str, Any]], *,
               extra: dict[str, Any], policy: RetryPolicy | None = None, fast: bool = False,
               ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any]]]:
    """For each chunk of 100 keys of one table: the items found and a response for stats."""
    for start in range(0, len(keys), MAX_GET_KEYS):
        chunk = list(keys[start:start + MAX_GET_KEYS])
        responses: list[dict[str, Any]] = []
        items, _missing = get_keys(transport, [(table, k) for k in chunk], extra={table: extra},
                                   policy=policy, on_page=responses.append, fast=fast)
        found = [item for item in items if item is not None]
        consumed = [c for r in responses for c in r.get("ConsumedCapacity", [])]
        yield found, {"ConsumedCapacity": consumed, "ScannedCount": len(found)}


# --- writes ---------------------------------------------------------------------------------

@dataclass
class WriteFailure:
    """One write that did not happen, and why; `source` is the caller's object if any."""

    table: str
    request: dict[str, Any]
    reason: str
    source: Any = None

    @property
    def key_or_item(self) -> dict[str, Any]:
        put: dict[str, Any] = self.request.get("PutRequest", {})
        delete: dict[str, Any] = self.request.get("DeleteRequest", {})
        return dict(put.get("Item") or delete.get("Key") or {})


@dataclass
class RejectedRow:
    """A row a bulk write refused before sending, by its number (1 for the first row)."""

    row: int
    reason: str


@dataclass
class WriteReport:
    """What a batch write did: written, retried, what finally failed (never dropped), what
    was never sent (a batch writer whose ``with`` block raised), the rows refused before
    sending (bulk writes from data) and the rate limiter it ran under, if any."""

    written: int = 0
    requests: int = 0
    retried: int = 0
    failed: list[WriteFailure] = field(default_factory=list)
    capacity: float = 0.0
    unsent: list[WriteFailure] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    limiter: Limiter | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unsent and not self.rejected

    def merge(self, other: WriteReport) -> None:
        self.written += other.written
        self.requests += other.requests
        self.retried += other.retried
        self.failed += other.failed
        self.capacity += other.capacity
        self.unsent += other.unsent
        self.rejected += other.rejected

    @property
    def headline(self) -> str:
        """The important figures in words: ``4,609 items written in 185 requests``."""
        text = (f"{display.count(self.written, 'item')} written in "
                f"{display.count(self.requests, 'request')}")
        problems = [display.count(n, word, word) for n, word in (
            (len(self.failed), "failed"), (len(self.unsent), "unsent"),
            (len(self.rejected), "rejected")) if n]
        return text + (f" ({', '.join(problems)})" if problems else "")

    def __repr__(self) -> str:
        retried = f", {display.number(self.retried)} retried" if self.retried else ""
        unsent = f", {display.number(len(self.unsent))} unsent" if self.unsent else ""
        rejected = f", {display.number(len(self.rejected))} rejected" if self.rejected else ""
        return (f"<WriteReport {display.number(self.written)} written, "
                f"{display.number(len(self.failed))} failed, "
                f"{display.count(self.requests, 'request')}{retried}{unsent}{rejected}>")

    def _repr_html_(self) -> str:
        """The headline, the figures, and the first writes that did not happen (why)."""
        facts = [("written", self.written), ("requests", self.requests),
                 ("retried", self.retried or None), ("failed", len(self.failed) or None),
                 ("unsent", len(self.unsent) or None),
                 ("rejected before sending", len(self.rejected) or None),
                 ("write units", self.capacity or None)]
        problems = [{**row, "key_or_item": display.item_text(decode_item(row["key_or_item"]))
                     if row["key_or_item"] else None} for row in self._problems()]
        body = display.table(problems, limit=20) if problems else ""
        return display.card(self.headline, facts, body=body)

    def _problems(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {"table": f.table, "operation": next(iter(f.request)), "row": None,
             "key_or_item": f.key_or_item, "reason": f.reason}
            for f in [*self.failed, *self.unsent]]
        rows += [{"table": None, "operation": "rejected", "row": r.row, "key_or_item": None,
                  "reason": r.reason} for r in self.rejected]
        return rows

    def to_pandas(self) -> Any:
        """One row per failed, unsent or rejected write (empty when everything was
        written); a rejected row has its row number and no table operation."""
        from ..frames import table_frame

        return table_frame(self._problems(), columns=["table", "operation", "row",
                                                      "key_or_item", "reason"])


class SampleLoad(Mapping[str, WriteReport]):
    """What loading a data set wrote, table by table: a read-only mapping of table name to
    its `WriteReport` (``load["Movies"].written``), shown as one row per table."""

    def __init__(self, reports: Mapping[str, WriteReport], name: str | None = None) -> None:
        self._reports = dict(reports)
        self.name = name

    def __getitem__(self, table: str) -> WriteReport:
        return self._reports[table]

    def __iter__(self) -> Iterator[str]:
        return iter(self._reports)

    def __len__(self) -> int:
        return len(self._reports)

    @property
    def ok(self) -> bool:
        """Whether every item of every table was written."""
        return all(report.ok for report in self._reports.values())

    def __repr__(self) -> str:
        lines = [f"{table}: {report.headline}" for table, report in self._reports.items()]
        return f"<SampleLoad {'; '.join(lines) or 'nothing written'}>"

    def __str__(self) -> str:
        return display.text_table(self.rows())

    def rows(self) -> list[dict[str, Any]]:
        """One row per table: items written, requests, retried, failed."""
        return [{"table": table, "items written": r.written, "requests": r.requests,
                 "retried": r.retried, "failed": len(r.failed) + len(r.unsent) + len(
                     r.rejected)} for table, r in self._reports.items()]

    def _repr_html_(self) -> str:
        """The totals, then a row per table: items written, requests, retried, failed."""
        written = sum(r.written for r in self._reports.values())
        requests = sum(r.requests for r in self._reports.values())
        title = (f"{self.name + ': ' if self.name else ''}{display.count(written, 'item')} "
                 f"written to {display.count(len(self), 'table')} in "
                 f"{display.count(requests, 'request')}")
        return display.card(title, body=display.table(self.rows(), keep_blank=True))


@dataclass
class WriteRequest:
    """One put or delete for a batch, with the object it came from; `wire` is its body as
    DynamoDB's JSON, encoded once (sizes are measured on it and requests joined from it)."""

    table: str
    body: dict[str, Any]  # {"PutRequest": {...}} or {"DeleteRequest": {...}}
    key: dict[str, Any]
    source: Any = None
    apply: dict[str, Any] = field(default_factory=dict)  # set on `source` once written
    wire: bytes = b""

    def encoded(self) -> bytes:
        if not self.wire:
            self.wire = dumps(self.body)
        return self.wire


def _chunks(requests: Iterable[WriteRequest], *, checked: bool = False,
            ) -> Iterator[list[WriteRequest]]:
    """Chunks of at most 25 requests and 16 MB; the same key twice anywhere in one batch is
    refused (its outcome would depend on which chunk DynamoDB happened to apply last), unless
    the caller `checked` that already."""
    chunk: list[WriteRequest] = []
    seen: set[tuple[str, tuple[Any, ...]]] = set()
    size = 0
    for request in requests:
        body_size = len(request.encoded()) + len(request.table) + 8
        if not checked:
            ident = (request.table, key_identity(request.key))
            if ident in seen:
                raise ValidationError(
                    f"the same key {request.key} is written twice in one batch for "
                    f"{request.table}; DynamoDB rejects such a request (nothing was sent)",
                    table=request.table, key=request.key)
            seen.add(ident)
        if len(chunk) == MAX_WRITE_ITEMS or size + body_size > MAX_REQUEST_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(request)
        size += body_size
    if chunk:
        yield chunk


def write_requests(transport: Transport, requests: Iterable[WriteRequest], *,
                   policy: RetryPolicy | None = None,
                   on_progress: Callable[[int], None] | None = None, workers: int = 1,
                   limiter: Limiter | None = None, checked: bool = False) -> WriteReport:
    """Send puts/deletes over any tables in BatchWriteItem requests, losing nothing.

    Every chunk is validated before the first is sent, unless the caller `checked` the
    requests already (then they are read as they come, for constant memory). `workers`
    threads send chunks concurrently over the one client; `limiter` paces them."""
    policy = policy or RetryPolicy()
    if workers < 1:
        raise ValidationError(f"workers must be at least 1, got {workers!r}")
    chunks: Iterable[list[WriteRequest]] = (_chunks(requests, checked=True) if checked
                                           else list(_chunks(requests)))
    if transport.read_only:
        first = next(iter(chunks), None) if not isinstance(chunks, list) else (
            chunks[0] if chunks else None)
        if first is not None:
            raise ReadOnlyError("BatchWriteItem refused: this connection is read-only "
                                "(nothing was sent)", table=first[0].table)
        return WriteReport()
    sender = _Sender(transport, policy, on_progress, limiter)
    if workers == 1:
        for chunk in chunks:
            sender.send(chunk)
        return sender.report
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    with ThreadPoolExecutor(workers, thread_name_prefix="batch-write") as pool:
        running: set[Future[None]] = set()
        for chunk in chunks:
            if len(running) >= 2 * workers:  # bounded: the source is read as chunks go
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()
            running.add(pool.submit(sender.send, chunk))
        for future in running:
            future.result()
    return sender.report


def request_body(pending: Sequence[WriteRequest]) -> bytes:
    """A BatchWriteItem body joined from the requests' encoded bodies."""
    tables: dict[str, list[bytes]] = {}
    for r in pending:
        tables.setdefault(r.table, []).append(r.encoded())
    parts = b",".join(dumps(table) + b":[" + b",".join(bodies) + b"]"
                      for table, bodies in tables.items())
    return b'{"RequestItems":{' + parts + b'},"ReturnConsumedCapacity":"TOTAL"}'


class _Sender:
    """Sends chunks (from one thread or several) into one report, retrying what DynamoDB
    left unprocessed with backoff."""

    def __init__(self, transport: Transport, policy: RetryPolicy,
                 on_progress: Callable[[int], None] | None, limiter: Limiter | None) -> None:
        self.transport, self.policy, self.limiter = transport, policy, limiter
        self.on_progress = on_progress
        self.report = WriteReport()
        self._lock = threading.Lock()

    def send(self, chunk: list[WriteRequest]) -> None:
        part = WriteReport()
        try:
            self._send(chunk, part)
        finally:
            with self._lock:
                self.report.merge(part)

    def _send(self, chunk: list[WriteRequest], report: WriteReport) -> None:
        pending, policy = chunk, self.policy
        for attempt in range(policy.attempts):
            request_items: dict[str, list[dict[str, Any]]] = {}
            for r in pending:
                request_items.setdefault(r.table, []).append(r.body)
            report.requests += 1
            if self.limiter is not None:
                self.limiter.wait()
            throttles = self.transport.throttles
            try:
                response = self.transport.call(
                    "BatchWriteItem", {"RequestItems": request_items,
                                       "ReturnConsumedCapacity": "TOTAL"},
                    body=request_body(pending))
            except Throttled as exc:
                self._throttled()
                if attempt + 1 == policy.attempts:
                    report.failed += [WriteFailure(r.table, r.body, str(exc), r.source)
                                      for r in pending]
                    return
                time.sleep(policy.delay(attempt))
                continue
            except DynamormError as exc:  # a request-level refusal: every item in it failed
                report.failed += [WriteFailure(r.table, r.body, str(exc), r.source)
                                  for r in pending]
                return
            units = sum(float(c.get("CapacityUnits", 0.0))
                        for c in response.get("ConsumedCapacity", []))
            report.capacity += units
            if self.limiter is not None:
                self.limiter.spend(units)
            unprocessed = _unprocessed(response, pending)
            if unprocessed or self.transport.throttles != throttles:
                self._throttled()
            done = len(pending) - len(unprocessed)
            report.written += done
            if self.on_progress is not None and done:
                with self._lock:
                    self.on_progress(done)
            pending = unprocessed
            if not pending:
                return
            report.retried += len(pending)
            if attempt + 1 < policy.attempts:
                time.sleep(policy.delay(attempt))
        report.failed += [WriteFailure(r.table, r.body, f"still unprocessed after "
                                       f"{policy.attempts} attempts", r.source) for r in pending]

    def _throttled(self) -> None:
        if self.limiter is not None:
            self.limiter.throttled()


def _unprocessed(response: dict[str, Any], pending: list[WriteRequest]) -> list[WriteRequest]:
    """Map UnprocessedItems back to the caller's requests by table and key."""
    left = response.get("UnprocessedItems") or {}
    if not left:
        return []
    wanted = {(r.table, key_identity(r.key)): r for r in pending}
    out = []
    for table, bodies in left.items():
        for body in bodies:
            inner = body.get("PutRequest", {}).get("Item") or body.get(
                "DeleteRequest", {}).get("Key", {})
            match = next((r for (t, _i), r in wanted.items() if t == table
                          and all(inner.get(k) == v for k, v in r.key.items())), None)
            if match is None:
                match = WriteRequest(table, body, {}, None)
            out.append(match)
    return out
