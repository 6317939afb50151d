"""A fault-injecting HTTP proxy between a botocore client and the local DynamoDB server.

Each request to ``proxy.url`` is forwarded to the server with `http.client`, unless a fault
fires: ``unprocess(op, fraction)`` holds back that fraction of a BatchWriteItem/BatchGetItem's
items and returns them in UnprocessedItems/UnprocessedKeys (merged with the server's own);
``error(op, status, type_name)`` answers with an error, unforwarded. A fault applies to the
next `times` matching requests (None: all), each with a `probability` drawn from a seeded
`random.Random`. `stats`/`op()` count what the proxy saw, `bodies()` gives request bodies.
Plain HTTP: no boto3/botocore code is touched.
"""

from __future__ import annotations

import http.client
import json
import random
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


@dataclass
class _Fault:
    operation: str
    times: int | None
    probability: float
    fraction: float | None = None  # an `unprocess` fault when set, else an `error` fault
    status: int = 500
    type_name: str = ""
    message: str = "injected"


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
                path: str) -> Response:
        body: dict[str, Any] = json.loads(raw) if raw else {}
        stats = self.op(operation)
        with self._lock:
            stats.requests += 1
            self._seen.append((operation, body))
        faults = self._fire(operation)
        for fault in faults:
            if fault.fraction is None:
                with self._lock:
                    stats.errors += 1
                return fault.status, _JSON, json.dumps({
                    "__type": f"com.amazonaws.dynamodb.v20120810#{fault.type_name}",
                    "message": fault.message}).encode()
        fraction = max(f.fraction or 0.0 for f in faults) if faults else 0.0
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
        return status, out_headers, data

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
        status, headers, data = proxy._handle(target, raw, dict(self.headers.items()),
                                              self.path)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return
