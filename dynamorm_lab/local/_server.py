"""Start moto's DynamoDB server in a thread of this process, bound to 127.0.0.1 only.

Not `mock_aws`: that would intercept every boto3 client in the process, the user's real AWS
clients included. The server binds port 0 so the operating system picks a free port
atomically (moto's own `start()` hangs forever on a port that is taken).

moto's backend is not thread-safe (a conditional write checks, then writes, with no lock), and
the threaded server would run concurrent requests side by side and lose updates. So requests
are served one at a time (`_Serialised`), which makes every request atomic as it is on DynamoDB;
connections are still accepted concurrently.

moto refuses items over 405,000 bytes by its own count (it leaves out the list and map
overheads DynamoDB counts); DynamoDB's limit is 400 KB, 409,600 bytes. The server is given
DynamoDB's limit (`_dynamodb_item_limit`), so an item the library's check passes (measured
as DynamoDB does, never less than moto's count) is stored here as it would be on AWS.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Any

from .._core.limits import MAX_ITEM_BYTES
from ..errors import ConnectionFailed

__all__ = ["LocalServer", "shared_server", "start_server"]

HOST = "127.0.0.1"
_shared: LocalServer | None = None
_lock = threading.Lock()


class _Serialised:
    """A WSGI app that runs one request at a time, its whole response body included."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self._lock:
            response = self._app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                closer = getattr(response, "close", None)
                if closer is not None:
                    closer()


class LocalServer:
    """A running embedded server; `stop()` shuts it down and joins its thread."""

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.host, self.port = server.server_address[:2]

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Shut the server down and wait for its thread (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def reset(self) -> None:
        """Forget every table and item (moto keeps state per process)."""
        from moto.backends import get_backend

        for account in get_backend("dynamodb").values():
            for region_backend in account.values():
                region_backend.reset()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LocalServer {self.endpoint_url} ({state})>"


def _dynamodb_item_limit() -> None:
    """Give moto's item store DynamoDB's 400 KB limit instead of its own 405,000 bytes."""
    try:
        from moto.dynamodb.models import dynamo_type
    except ImportError:  # pragma: no cover - start_server reports the missing package
        return
    limited = getattr(dynamo_type, "LimitedSizeDict", None)
    too_large = getattr(dynamo_type, "ItemSizeTooLarge", None)
    if limited is None or too_large is None or getattr(limited, "_dynamorm_limit", False):
        return  # another moto layout: its own limit stays (the library checks first)

    def size(part: Any) -> int:
        measured = getattr(part, "size", None)
        return int(measured()) if callable(measured) else len(str(part).encode("utf-8"))

    def setitem(self: dict[str, Any], key: str, value: Any) -> None:
        total = sum(map(size, (*self.keys(), *self.values(), key, value)))
        if total > MAX_ITEM_BYTES:
            raise too_large
        dict.__setitem__(self, key, value)

    limited.__setitem__ = setitem
    limited._dynamorm_limit = True


def start_server(port: int = 0) -> LocalServer:
    """Start a new embedded server on 127.0.0.1 (`port=0` picks a free one)."""
    try:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server
    except ImportError as exc:
        raise ConnectionFailed(
            f"the embedded server needs moto[dynamodb], flask and flask-cors ({exc}); "
            "install dynamorm_lab with its dependencies"
        ) from None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _dynamodb_item_limit()
    app = _Serialised(DomainDispatcherApplication(create_backend_app))
    try:
        server = make_server(HOST, port, app, threaded=True, request_handler=MotoRequestHandler)
    except OSError as exc:
        raise ConnectionFailed(f"cannot listen on {HOST}:{port}: {exc}") from None
    thread = threading.Thread(target=server.serve_forever, name="dynamorm-local", daemon=True)
    thread.start()
    return LocalServer(server, thread)


def shared_server() -> LocalServer:
    """The process's embedded server, started on first use and stopped at exit."""
    global _shared  # noqa: PLW0603 - one embedded server per process
    with _lock:
        if _shared is None or not _shared.running:
            _shared = start_server()
            atexit.register(_shared.stop)
        return _shared
