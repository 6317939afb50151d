"""The embedded DynamoDB-compatible server (moto's, in this process, on 127.0.0.1).

It imports only the core (DynamoDB's item limit) and the errors; the facade starts it.
"""

from ._server import LocalServer, shared_server, start_server

__all__ = ["LocalServer", "shared_server", "start_server"]
