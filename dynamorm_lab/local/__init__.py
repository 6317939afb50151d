"""The embedded DynamoDB-compatible server (moto's, in this process, on 127.0.0.1)."""

from ._server import LocalServer, shared_server, start_server

__all__ = ["LocalServer", "shared_server", "start_server"]
