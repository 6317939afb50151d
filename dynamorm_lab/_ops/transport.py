"""The transport: the one place the library talks to DynamoDB, at the bottom of the ops layer.

`Transport` is what every operation needs from a connection, and the only thing they are
written against: `call()`, the settings that shape requests (read-only, the batch retry
policy, the scan guard, the cursor key), the cached table figures and the last read's stats.
`BotoTransport` is it over one botocore client:

- ``call()`` refuses a write on a read-only transport before sending it, runs the
  ``on_first_write`` hook before its first write (the facade names the AWS account about
  to change), reads a response
  the way it is asked (botocore's parse, one JSON pass, or the raw body: see `wire`), and
  translates botocore's errors into the library's in one place (`boundary.translate`);
- ``on()``/``off()`` hook botocore events (logging, metrics, tests);
- ``as_read_only()`` gives the same client refusing every write.

A fake transport (tests/unit/ops) serves the operations canned responses with no server.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from .._core.results import Stats
from .._core.retry import RetryPolicy
from ..errors import ReadOnlyError
from .boundary import WRITE_OPERATIONS, translate
from .wire import FAST_OPERATIONS, Parse, parsing, placeholder, sending, swap_body

__all__ = ["BotoTransport", "Transport"]

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
HISTORY = 1000  # queries a connection remembers for the index advisor
_THROTTLING = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                         "RequestLimitExceeded"})
_COUNT_LOCK = threading.Lock()


class Transport(Protocol):
    """What the operations need from a connection."""

    read_only: bool
    retry_policy: RetryPolicy
    scan_guard: int | None
    cursor_key: bytes
    samples: dict[tuple[str, int], Any]  # each table's sample, read once (samples.Profile)
    history: deque[Any]  # the queries this connection read with, latest last (for advise)

    throttles: int  # throttling answers seen so far, retried or not (rate limits read it)

    def call(self, operation: str, params: dict[str, Any], *,
             parse: Parse = "botocore", body: bytes | None = None) -> dict[str, Any]:
        """Send one request (refused unsent when it writes on a read-only transport).
        `body`: `params` already as DynamoDB's JSON, sent as it is (BatchWriteItem)."""
        ...

    def table_stats(self, name: str, *, max_age: float = 60.0,
                    ) -> tuple[int | None, int | None]:
        """(item count, size in bytes) from DescribeTable, cached for `max_age` seconds."""
        ...

    def forget_stats(self, name: str) -> None:
        """Drop the cached figures and sample of a table (after its schema changed)."""
        ...

    def cached_table(self, name: str) -> dict[str, Any] | None:
        """The last DescribeTable body `table_stats` read of `name`, sending nothing."""
        ...

    @property
    def last_stats(self) -> Stats | None:
        """What the last read of this thread did and cost."""
        ...

    @last_stats.setter
    def last_stats(self, stats: Stats) -> None: ...


class BotoTransport:
    """`Transport` over one botocore DynamoDB client."""

    def __init__(self, client: Any, *, read_only: bool = False,
                 retry_policy: RetryPolicy | None = None, scan_guard: int | None = 10_000,
                 cursor_key: bytes = b"") -> None:
        self.client = client
        self.read_only = read_only
        self.retry_policy = retry_policy or RetryPolicy()
        self.scan_guard = scan_guard
        self.cursor_key = cursor_key
        self._figures: dict[str, tuple[float, dict[str, Any]]] = {}
        self.samples: dict[tuple[str, int], Any] = {}
        self.history: deque[Any] = deque(maxlen=HISTORY)
        self.throttles = 0
        # called once, before the first write is sent: (operation, params); set by the facade
        self.on_first_write: Callable[[str, dict[str, Any]], None] | None = None
        self._local = threading.local()
        events = client.meta.events
        events.register("before-call.dynamodb.BatchWriteItem", swap_body,
                        unique_id="dynamorm_lab.swap_body")
        events.register_first("needs-retry.dynamodb", self._count_throttle,
                              unique_id="dynamorm_lab.throttles")

    def _count_throttle(self, response: Any = None, **_: Any) -> None:
        """botocore's ``needs-retry`` hook, on every attempt: count throttling answers
        (answering nothing, so botocore's own retry handler still decides)."""
        if response is not None and response[1].get("Error", {}).get("Code") in _THROTTLING:
            with _COUNT_LOCK:
                self.throttles += 1

    def as_read_only(self) -> BotoTransport:
        """The same client, cache and hooks, refusing every write."""
        if self.read_only:
            return self
        view = copy.copy(self)
        view.read_only = True
        return view

    def call(self, operation: str, params: dict[str, Any], *,
             parse: Parse = "botocore", body: bytes | None = None) -> dict[str, Any]:
        if operation in WRITE_OPERATIONS:
            if self.read_only:
                raise ReadOnlyError(
                    f"{operation} refused: this connection is read-only (nothing was sent)",
                    table=params.get("TableName"), key=params.get("Key"))
            self.before_write(operation, params)
        method = getattr(self.client, _SNAKE.sub("_", operation).lower())
        mode: Parse = parse if operation in FAST_OPERATIONS else "botocore"
        try:
            if body is not None:
                with sending(body):
                    response: dict[str, Any] = method(**placeholder(operation))
            elif mode == "botocore":
                response = method(**params)
            else:
                with parsing(mode):
                    response = method(**params)
        except Exception as exc:  # translated below; non-botocore errors re-raise unchanged
            raise translate(exc, operation, params) from exc
        return response

    def before_write(self, operation: str, params: dict[str, Any]) -> None:
        """Run `on_first_write` if no write went before (once, whichever thread writes
        first); for writes this connection has others send (Dask workers), too."""
        if self.on_first_write is None:
            return
        with _COUNT_LOCK:
            hook, self.on_first_write = self.on_first_write, None
        if hook is not None:
            hook(operation, params)

    def on(self, event: str, handler: Callable[..., Any], *, unique_id: str | None = None) -> None:
        """Register a botocore event handler (e.g. ``"before-send.dynamodb"``)."""
        self.client.meta.events.register(event, handler, unique_id=unique_id)

    def off(self, event: str, handler: Callable[..., Any] | None = None, *,
            unique_id: str | None = None) -> None:
        """Unregister a handler registered with `on()`."""
        self.client.meta.events.unregister(event, handler, unique_id=unique_id)

    def table_stats(self, name: str, *, max_age: float = 60.0,
                    ) -> tuple[int | None, int | None]:
        cached = self._figures.get(name)
        if cached is not None and time.monotonic() - cached[0] < max_age:
            table = cached[1]
        else:
            table = self.call("DescribeTable", {"TableName": name})["Table"]
            self._figures[name] = (time.monotonic(), table)
        return table.get("ItemCount"), table.get("TableSizeBytes")

    def forget_stats(self, name: str) -> None:
        self._figures.pop(name, None)
        for key in [k for k in self.samples if k[0] == name]:  # its schema may have changed
            del self.samples[key]

    def cached_table(self, name: str) -> dict[str, Any] | None:
        cached = self._figures.get(name)
        return None if cached is None else cached[1]

    @property
    def last_stats(self) -> Stats | None:
        stats: Stats | None = getattr(self._local, "stats", None)
        return stats

    @last_stats.setter
    def last_stats(self, stats: Stats) -> None:
        self._local.stats = stats

    def close(self) -> None:
        """Close the client's connection pool."""
        closer = getattr(self.client, "close", None)
        if closer is not None:
            closer()
