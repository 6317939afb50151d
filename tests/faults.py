"""A fault-injecting HTTP proxy between a botocore client and the local DynamoDB server.

Each request to ``proxy.url`` is forwarded to the server with `http.client`, unless a fault
fires: ``unprocess(op, fraction)`` holds back that fraction of a BatchWriteItem/BatchGetItem's
items and returns them in UnprocessedItems/UnprocessedKeys (merged with the server's own);
``error(op, status, type_name)`` answers with an error, unforwarded; ``reset(op)`` forwards the
request (the server applies it) and then aborts the client's connection with a TCP reset
instead of answering (``partial=True``: after half of the response), a lost response;
``delay(op, seconds)`` forwards the request and holds the response for `seconds`, past the
client's read timeout. A fault applies to the next `times` matching requests (None: all), each
with a `probability` drawn from a seeded `random.Random`; ``clear()`` drops every fault.
`stats`/`op()` count what the proxy saw, `bodies()` gives request bodies in order and
`body_counts()`/`tokens()` how often each distinct body (or ClientRequestToken) arrived, so a
test can tell a retry of the same request from a new one. Plain HTTP: no boto3/botocore code
is touched.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import io
import json
import random
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["FaultProxy", "OpStats"]

_JSON = [("Content-Type", "application/x-amz-json-1.0")]
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"}
_BATCHES = {"BatchWriteItem": "UnprocessedItems", "BatchGetItem": "UnprocessedKeys"}
Response = tuple[int, list[tuple[str, str]], bytes]


@dataclass
class OpStats:
    """What the proxy saw of one operation."""

    requests: int = 0  # received from the client
    forwarded: int = 0  # sent on to the server
    items: int = 0  # write requests or keys forwarded (batches)
    unprocessed: int = 0  # write requests or keys held back
    errors: int = 0  # answered with an injected error
    resets: int = 0  # connections aborted instead of answering (reset faults)
    delayed: int = 0  # responses held back (delay faults)


@dataclass
class _Fault:
    operation: str
    times: int | None
    probability: float
    fraction: float | None = None  # an `unprocess` fault when set, else an `error` fault
    status: int = 500
    type_name: str = ""
    message: str = "injected"
    kind: str = ""  # "reset" or "delay" (otherwise `fraction` decides, as above)
    seconds: float = 0.0  # delay faults: how long the response is held
    forward: bool = True  # reset/delay faults: the server receives the request first
    partial: bool = False  # reset faults: half of the response is sent before the reset

    @property
    def is_error(self) -> bool:
        return not self.kind and self.fraction is None


@dataclass
class _Action:
    """What the handler does instead of simply answering: abort or wait first."""

    kind: str  # "reset" or "delay"
    seconds: float = 0.0
    partial: bool = False


def _listed(operation: str, entry: Any) -> list[Any]:
    """The write requests (BatchWriteItem) or keys (BatchGetItem) of one table's entry."""
    listed: list[Any] = entry if operation == "BatchWriteItem" else entry["Keys"]
    return listed


def _entry(operation: str, entry: Any, listed: list[Any]) -> Any:
    return listed if operation == "BatchWriteItem" else {**entry, "Keys": listed}


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 (a free port) in front of `upstream_url`."""

    def __init__(self, upstream_url: str, *, seed: int = 0) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._seen: list[tuple[str, dict[str, Any]]] = []
        self._stopping = threading.Event()
        self.stats: dict[str, OpStats] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fault-proxy")
        self.port: int = self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers holding a delayed response
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    __enter__ = start

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults and counters ---
    def unprocess(self, operation: str, fraction: float, *, times: int | None = None,
                  probability: float = 1.0) -> None:
        """Hold back `fraction` of the items of the next `times` requests (None: all)."""
        if operation not in _BATCHES or not 0 <= fraction <= 1:
            raise ValueError("unprocess takes BatchWriteItem/BatchGetItem and 0 <= fraction <= 1")
        with self._lock:
            self._faults.append(_Fault(operation, times, probability, fraction=fraction))

    def error(self, operation: str, status: int, type_name: str, times: int | None = 1, *,
              probability: float = 1.0, message: str = "injected") -> None:
        """Answer the next `times` requests (None: all) with `status` and `type_name`."""
        with self._lock:
            self._faults.append(_Fault(operation, times, probability, status=status,
                                       type_name=type_name, message=message))

    def reset(self, operation: str, times: int | None = 1, *, probability: float = 1.0,
              partial: bool = False, forward: bool = True) -> None:
        """Forward the next `times` requests (None: all), then abort the client's connection
        with a TCP reset instead of answering: the server applied the request, the client
        never learns it. ``partial=True`` sends half of the response first (a reset in the
        middle of the body); ``forward=False`` aborts before the server sees the request."""
        with self._lock:
            self._faults.append(_Fault(operation, times, probability, kind="reset",
                                       forward=forward, partial=partial))

    def delay(self, operation: str, seconds: float, times: int | None = 1, *,
              probability: float = 1.0, forward: bool = True) -> None:
        """Forward the next `times` requests (None: all) and hold each response `seconds`
        before sending it (past a client's read timeout, the client gives up first and may
        retry: the server has then applied the request once already). ``forward=False``
        holds the request instead, and forwards it late (after the client may have retried)."""
        if seconds < 0:
            raise ValueError("delay takes a non-negative number of seconds")
        with self._lock:
            self._faults.append(_Fault(operation, times, probability, kind="delay",
                                       seconds=seconds, forward=forward))

    def clear(self) -> None:
        """Drop every fault (counters and recorded bodies are kept)."""
        with self._lock:
            self._faults.clear()

    def body_counts(self, operation: str) -> collections.Counter[str]:
        """How many times each distinct request body of `operation` arrived (bodies as
        canonical JSON): a botocore retry resends the same body, a new call sends another."""
        return collections.Counter(json.dumps(body, sort_keys=True)
                                   for body in self.bodies(operation))

    def tokens(self, operation: str) -> list[str | None]:
        """The ClientRequestToken of every request of `operation` received, in order."""
        return [body.get("ClientRequestToken") for body in self.bodies(operation)]

    def op(self, operation: str) -> OpStats:
        with self._lock:
            return self.stats.setdefault(operation, OpStats())

    def bodies(self, operation: str) -> list[dict[str, Any]]:
        """The body of every request of `operation` received, in order."""
        with self._lock:
            return [body for op, body in self._seen if op == operation]

    def _fire(self, operation: str) -> list[_Fault]:
        with self._lock:
            fired = [f for f in self._faults if f.operation == operation and f.times != 0
                     and (f.probability >= 1 or self._rng.random() < f.probability)]
            for fault in fired:
                fault.times = None if fault.times is None else fault.times - 1
            return fired

    # --- requests ---
    def _handle(self, operation: str, raw: bytes, headers: dict[str, str],
                path: str) -> tuple[Response, _Action | None]:
        body: dict[str, Any] = json.loads(raw) if raw else {}
        stats = self.op(operation)
        with self._lock:
            stats.requests += 1
            self._seen.append((operation, body))
        faults = self._fire(operation)
        for fault in faults:
            if fault.is_error:
                with self._lock:
                    stats.errors += 1
                return (fault.status, _JSON, json.dumps({
                    "__type": f"com.amazonaws.dynamodb.v20120810#{fault.type_name}",
                    "message": fault.message}).encode()), None
        action = self._action(faults, stats)
        if action is not None and not next(f for f in faults if f.kind == action.kind).forward:
            if action.kind == "reset":
                return (0, [], b""), action  # aborted before the server saw it
            self._wait(action.seconds)  # held on its way in: the server gets it late
            action = None
        unprocess = [f for f in faults if f.fraction is not None]
        fraction = max(f.fraction or 0.0 for f in unprocess) if unprocess else 0.0
        held: dict[str, Any] = {}
        if fraction:
            body, held = self._hold_back(operation, body, fraction)
        if held and not body["RequestItems"]:  # everything held back: answer directly
            status, out_headers, data = 200, _JSON, b"{}"
        else:
            status, out_headers, data = self._forward(path, headers, json.dumps(body).encode())
            with self._lock:
                stats.forwarded += 1
                stats.items += sum(len(_listed(operation, entry))
                                   for entry in body.get("RequestItems", {}).values()
                                   if operation in _BATCHES)
        if held and status == 200:
            response = json.loads(data or b"{}")
            merged = response.get(_BATCHES[operation]) or {}
            for table, entry in held.items():
                mine = merged.setdefault(table, _entry(operation, entry, []))
                _listed(operation, mine).extend(_listed(operation, entry))
            response[_BATCHES[operation]] = merged
            data = json.dumps(response).encode()  # so botocore's checksum no longer applies:
            out_headers = [(k, v) for k, v in out_headers if k.lower() != "x-amz-crc32"]
        return (status, out_headers, data), action

    def _action(self, faults: list[_Fault], stats: OpStats) -> _Action | None:
        """A reset wins over a delay when both fire for one request."""
        for kind in ("reset", "delay"):
            fault = next((f for f in faults if f.kind == kind), None)
            if fault is not None:
                with self._lock:
                    if kind == "reset":
                        stats.resets += 1
                    else:
                        stats.delayed += 1
                return _Action(kind, fault.seconds, fault.partial)
        return None

    def _wait(self, seconds: float) -> None:
        """Hold a response (returns early when the proxy stops)."""
        self._stopping.wait(seconds)

    def _hold_back(self, operation: str, body: dict[str, Any],
                   fraction: float) -> tuple[dict[str, Any], dict[str, Any]]:
        requests = body.get("RequestItems", {})
        slots = [(table, n) for table, entry in requests.items()
                 for n in range(len(_listed(operation, entry)))]
        with self._lock:
            chosen = set(self._rng.sample(slots, int(fraction * len(slots))))
            self.stats[operation].unprocessed += len(chosen)
        kept: dict[str, Any] = {}
        held: dict[str, Any] = {}
        for table, entry in requests.items():
            for target, hold in ((kept, False), (held, True)):
                listed = [x for n, x in enumerate(_listed(operation, entry))
                          if ((table, n) in chosen) == hold]
                if listed:
                    target[table] = _entry(operation, entry, listed)
        return {**body, "RequestItems": kept}, held

    def _forward(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request("POST", path, body, {**sent, "Content-Length": str(len(body))})
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, kept, data
        finally:
            connection.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore expects
    timeout = 60
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per request
    wbufsize = 1 << 16  # headers and body leave in one write

    def do_POST(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "").removeprefix("DynamoDB_20120810.")
        (status, headers, data), action = proxy._handle(target, raw, dict(self.headers.items()),
                                                        self.path)
        if action is not None and action.kind == "reset":
            self._abort((status, headers, data) if action.partial and status else None)
            return
        if action is not None:
            proxy._wait(action.seconds)
        try:
            self._answer(status, headers, data)
        except OSError:  # the client gave up meanwhile (its read timeout): nobody to answer
            self.close_connection = True

    def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes,
                cut: int | None = None) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data if cut is None else data[:cut])
        self.wfile.flush()

    def _abort(self, partial: Response | None) -> None:
        """Close the connection with a TCP reset (SO_LINGER 0), after half of `partial`."""
        self.close_connection = True
        if partial is not None:
            status, headers, data = partial
            with contextlib.suppress(OSError):
                self._answer(status, headers, data, cut=len(data) // 2)
        # Close the buffered files first: the socket really closes (and resets) only when
        # nothing refers to it any more.
        for stream in (self.wfile, self.rfile):
            with contextlib.suppress(OSError):
                stream.close()
        self.wfile, self.rfile = io.BytesIO(), io.BytesIO()  # what the server still flushes
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        self.connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        return
