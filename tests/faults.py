"""A fault-injecting HTTP proxy between a botocore client and the local DynamoDB server.

Tests point a connection at ``proxy.url``; every request is forwarded to the real server
with `http.client` and its response returned, except where a fault says otherwise:

- ``unprocess(op, fraction)``: BatchWriteItem/BatchGetItem requests lose that fraction of
  their write requests/keys on the way in; they come back in UnprocessedItems/UnprocessedKeys
  (merged with whatever the server itself left unprocessed).
- ``error(op, status, type_name)``: the request is answered with an error, not forwarded.

Each fault applies to the next `times` matching requests (None: every one), each with a
`probability` drawn from a seeded `random.Random`. Counters say what the proxy saw.
No boto3/botocore code is touched: this is plain HTTP.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["FaultProxy", "OpStats"]

_TARGET_PREFIX = "DynamoDB_20120810."
_ERROR_PREFIX = "com.amazonaws.dynamodb.v20120810#"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te",
               "trailer", "upgrade", "proxy-connection"}


@dataclass
class OpStats:
    """What the proxy saw of one operation."""

    requests: int = 0  # requests received from the client
    forwarded: int = 0  # requests sent on to the server
    items: int = 0  # write requests (BatchWriteItem) or keys (BatchGetItem) forwarded
    unprocessed: int = 0  # write requests or keys held back by an `unprocess` fault
    errors: int = 0  # requests answered with an injected error


@dataclass
class _Fault:
    operation: str
    kind: str  # "unprocess" or "error"
    times: int | None
    probability: float
    fraction: float = 0.0
    status: int = 500
    type_name: str = ""
    message: str = "injected"


@dataclass
class _Seen:
    operation: str
    body: dict[str, Any] = field(default_factory=dict)


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 (a free port) in front of `upstream_url`."""

    def __init__(self, upstream_url: str, *, seed: int = 0) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self.stats: dict[str, OpStats] = {}
        self.seen: list[_Seen] = []  # every request body, in arrival order
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fault-proxy")
        self.port: int = self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle ---
    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- configuration ---
    def unprocess(self, operation: str, fraction: float, *, times: int | None = None,
                  probability: float = 1.0) -> None:
        """Hold back `fraction` of the items of the next `times` requests (None: all)."""
        if operation not in ("BatchWriteItem", "BatchGetItem") or not 0 <= fraction <= 1:
            raise ValueError("unprocess takes BatchWriteItem/BatchGetItem and 0 <= fraction <= 1")
        self._add(_Fault(operation, "unprocess", times, probability, fraction=fraction))

    def error(self, operation: str, status: int, type_name: str, times: int | None = 1, *,
              probability: float = 1.0, message: str = "injected") -> None:
        """Answer the next `times` requests with `status` and `type_name`, unforwarded."""
        self._add(_Fault(operation, "error", times, probability, status=status,
                         type_name=type_name, message=message))

    def clear(self) -> None:
        """Remove every fault (counters are kept)."""
        with self._lock:
            self._faults.clear()

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def op(self, operation: str) -> OpStats:
        with self._lock:
            return self.stats.setdefault(operation, OpStats())

    def bodies(self, operation: str) -> list[dict[str, Any]]:
        with self._lock:
            return [s.body for s in self.seen if s.operation == operation]

    def _pick(self, operation: str) -> list[_Fault]:
        """The faults that fire for this request (consuming their counts)."""
        with self._lock:
            fired = []
            for fault in self._faults:
                if fault.operation != operation or fault.times == 0:
                    continue
                if fault.probability < 1 and self._rng.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                fired.append(fault)
            return fired

    def _choose(self, count: int, fraction: float) -> set[int]:
        with self._lock:
            return set(self._rng.sample(range(count), int(fraction * count)))

    # --- request handling ---
    def _handle(self, target: str, raw: bytes, headers: dict[str, str],
                path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        operation = target.removeprefix(_TARGET_PREFIX)
        body: dict[str, Any] = json.loads(raw) if raw else {}
        with self._lock:
            self.stats.setdefault(operation, OpStats()).requests += 1
            self.seen.append(_Seen(operation, body))
        faults = self._pick(operation)
        for fault in faults:
            if fault.kind == "error":
                self.op(operation).errors += 1
                payload = json.dumps({"__type": _ERROR_PREFIX + fault.type_name,
                                      "message": fault.message}).encode()
                return fault.status, [("Content-Type", "application/x-amz-json-1.0")], payload
        held: dict[str, Any] = {}
        fraction = max((f.fraction for f in faults), default=0.0)
        if fraction and operation in ("BatchWriteItem", "BatchGetItem"):
            body, held = self._hold_back(operation, body, fraction)
        items = _count(operation, body)
        if held and not body.get("RequestItems"):  # everything held back: answer directly
            status, out_headers, data = 200, [("Content-Type", "application/x-amz-json-1.0")], b"{}"
        else:
            status, out_headers, data = self._forward(path, headers, json.dumps(body).encode())
            with self._lock:
                stats = self.stats[operation]
                stats.forwarded += 1
                stats.items += items
        if held and status == 200:
            response = json.loads(data or b"{}")
            slot = "UnprocessedItems" if operation == "BatchWriteItem" else "UnprocessedKeys"
            merged = response.get(slot) or {}
            for table, entry in held.items():
                if operation == "BatchWriteItem":
                    merged.setdefault(table, []).extend(entry)
                else:
                    merged.setdefault(table, {**entry, "Keys": []})["Keys"].extend(entry["Keys"])
            response[slot] = merged
            data = json.dumps(response).encode()
            out_headers = [(k, v) for k, v in out_headers if k.lower() != "x-amz-crc32"]
        return status, out_headers, data

    def _hold_back(self, operation: str, body: dict[str, Any],
                   fraction: float) -> tuple[dict[str, Any], dict[str, Any]]:
        requests = body.get("RequestItems", {})
        slots = [(table, n) for table, entry in requests.items()
                 for n in range(len(entry if operation == "BatchWriteItem" else entry["Keys"]))]
        chosen = {slots[i] for i in self._choose(len(slots), fraction)}
        kept: dict[str, Any] = {}
        held: dict[str, Any] = {}
        for table, entry in requests.items():
            listed = entry if operation == "BatchWriteItem" else entry["Keys"]
            keep = [x for n, x in enumerate(listed) if (table, n) not in chosen]
            hold = [x for n, x in enumerate(listed) if (table, n) in chosen]
            if operation == "BatchWriteItem":
                kept.update({table: keep} if keep else {})
                held.update({table: hold} if hold else {})
            else:
                kept.update({table: {**entry, "Keys": keep}} if keep else {})
                held.update({table: {**entry, "Keys": hold}} if hold else {})
        self.op(operation).unprocessed += len(chosen)
        return {**body, "RequestItems": kept}, held

    def _forward(self, path: str, headers: dict[str, str],
                 body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            sent["Content-Length"] = str(len(body))
            connection.request("POST", path, body, sent)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
            return response.status, kept, data
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 60
            disable_nagle_algorithm = True  # headers and body go out in one segment
            wbufsize = 1 << 16

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, data = proxy._handle(
                    self.headers.get("X-Amz-Target", ""), raw, dict(self.headers.items()),
                    self.path)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        return Handler


def _count(operation: str, body: dict[str, Any]) -> int:
    requests = body.get("RequestItems", {})
    if operation == "BatchWriteItem":
        return sum(len(v) for v in requests.values())
    if operation == "BatchGetItem":
        return sum(len(v.get("Keys", [])) for v in requests.values())
    return 0
