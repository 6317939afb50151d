"""The default connection, held here so the pure core can delegate without importing I/O.

The first connection `connect()` makes becomes the default; after that the default changes only
when the user says so (`dl.use(conn)`, `connect(..., make_default=True)`, ``%dynamo use``), so a
later connection to another account never redirects models silently. Active-record methods on
models call `resolve(None)` to find it. The core never imports the connection module.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConnectionFailed

__all__ = ["clear_default", "current", "resolve", "set_default"]

_default: Any = None


def set_default(connection: Any) -> None:
    """Make `connection` the one used when a model method is given none."""
    global _default  # noqa: PLW0603 - one process-wide default, like logging's root logger
    _default = connection


def clear_default(connection: Any) -> None:
    """Forget `connection` as the default (it was closed); the next `connect()` takes over."""
    global _default  # noqa: PLW0603 - see set_default
    if _default is connection:
        _default = None


def current() -> Any:
    """The default connection, or None."""
    return _default


def resolve(connection: Any = None) -> Any:
    """The given connection, else the default one; raises when there is neither."""
    if connection is not None:
        return connection
    if _default is None:
        raise ConnectionFailed(
            "no connection yet: call dynamorm_lab.connect() (or pass connection=...)"
        )
    return _default
