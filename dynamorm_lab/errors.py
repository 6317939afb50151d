"""The one exception tree of dynamorm_lab.

Every error the library raises derives from :class:`DynamormError`. Context is passed
keyword-only and is never required to build the message, so errors stay cheap to raise.
Errors never carry credentials: requests are stored without headers or signatures.

::

    DynamormError
    ├── ModelDefinitionError     a model class is declared wrongly (raised at class creation)
    ├── CodecError               a value cannot be converted to or from DynamoDB (names the path)
    ├── ExpressionError          a condition, update or projection cannot be built
    ├── ParseError               a %%dynamo statement cannot be read (line, column, caret)
    ├── ValidationError          a request breaks a DynamoDB rule (client-side or server)
    │   └── RowsRejected         a bulk write's rows do not fit the table (see .report)
    ├── ReadOnlyError            a write was attempted on a read-only connection (nothing sent)
    ├── ConnectionFailed         the endpoint is unreachable or the embedded server won't start
    ├── ItemNotFound             get() found no item with that key
    ├── ScanRefused              a query would Scan a table over the connection's scan guard
    ├── AccessPatternError       a model's access pattern would Scan, use another index, or
    │                            read a sparse index that can miss items (an AssertionError too)
    ├── BatchIncomplete          some batch writes still failed after retries (see .report)
    └── DynamoDBError            DynamoDB answered a request with an error
        ├── ConditionFailed      a condition expression was false (carries the old item if returned)
        │   ├── ItemAlreadyExists    create() found an item with the same key
        │   └── VersionConflict      optimistic locking lost a race (someone else wrote first)
        ├── Throttled            capacity or request rate exceeded, after retries
        ├── TableNotFound        the table does not exist (or is not ACTIVE yet)
        └── TransactionCancelled a transaction was cancelled (reasons per action)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "AccessPatternError",
    "BatchIncomplete",
    "CodecError",
    "ConditionFailed",
    "ConnectionFailed",
    "DynamoDBError",
    "DynamormError",
    "ExpressionError",
    "ItemAlreadyExists",
    "ItemNotFound",
    "ModelDefinitionError",
    "ParseError",
    "ReadOnlyError",
    "RowsRejected",
    "ScanRefused",
    "TableNotFound",
    "Throttled",
    "TransactionCancelled",
    "ValidationError",
    "VersionConflict",
]


class DynamormError(Exception):
    """Base class of every error raised by dynamorm_lab."""

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        key: Mapping[str, Any] | None = None,
        request: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.table = table
        self.key = dict(key) if key is not None else None
        self.request = dict(request) if request is not None else None

    def __str__(self) -> str:
        return self.message


class ModelDefinitionError(DynamormError, TypeError):
    """A model class is declared wrongly; raised when the class statement runs."""

    def __init__(self, message: str, *, model: str, field: str | None = None) -> None:
        where = f"{model}.{field}" if field else model
        super().__init__(f"{where}: {message}")
        self.model = model
        self.field = field


class CodecError(DynamormError, ValueError):
    """A value cannot be converted to or from a DynamoDB AttributeValue."""

    def __init__(self, message: str, *, path: str = "", **context: Any) -> None:
        text = f"{message} (at {path})" if path else message
        super().__init__(text, **context)
        self.path = path
        self.reason = message

    def at(self, prefix: str) -> CodecError:
        """Return the same error with `prefix` prepended to its path (built while unwinding)."""
        if not self.path:
            path = prefix
        elif self.path.startswith("["):
            path = prefix + self.path
        else:
            path = f"{prefix}.{self.path}"
        return CodecError(self.reason, path=path, table=self.table, key=self.key)


class ExpressionError(DynamormError, ValueError):
    """A condition, update or projection expression cannot be built as written."""


class ParseError(DynamormError, ValueError):
    """Statement text cannot be read; says where (1-based line and column) and what was expected.

    ``str(error)`` is the description, then the offending line with a caret under the column.
    """

    def __init__(self, description: str, *, text: str, line: int, col: int,
                 expected: tuple[str, ...] = ()) -> None:
        lines = text.splitlines() or [""]
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        self.highlight = f"  {source}\n  {' ' * max(col - 1, 0)}^"
        super().__init__(f"{description} (line {line}, column {col})\n{self.highlight}")
        self.description = description
        self.line = line
        self.col = col
        self.expected = expected


class ValidationError(DynamormError, ValueError):
    """A request breaks one of DynamoDB's rules (found before sending, or by the server)."""

    def __init__(self, message: str, *, code: str | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.code = code


class RowsRejected(ValidationError):
    """Rows of a bulk write do not fit the table (nothing was written);
    ``report.rejected`` lists each by row number with the reason."""

    def __init__(self, message: str, *, report: Any = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.report = report


class ReadOnlyError(DynamormError):
    """A write was attempted on a read-only connection; nothing was sent."""


class ConnectionFailed(DynamormError):
    """The endpoint could not be reached, or the embedded server could not start."""


class ItemNotFound(DynamormError, LookupError):
    """No item exists with the requested key."""


class BatchIncomplete(DynamormError):
    """Some batch writes were still unprocessed after retries; ``report.failed`` lists each."""

    def __init__(self, message: str, *, report: Any = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.report = report


class ScanRefused(DynamormError):
    """A query would Scan a table larger than the scan guard; ``plan`` says why and suggests."""

    def __init__(self, message: str, *, plan: Any = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.plan = plan


class AccessPatternError(DynamormError, AssertionError):
    """A model's access patterns do not hold; ``report`` has every pattern's plan. An
    AssertionError too, so that pytest shows it as a failed check."""

    def __init__(self, message: str, *, report: Any = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.report = report


class DynamoDBError(DynamormError):
    """DynamoDB answered a request with an error."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        operation: str | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.code = code
        self.request_id = request_id
        self.operation = operation


class ConditionFailed(DynamoDBError):
    """A condition expression evaluated to false; nothing was written.

    ``old_item`` holds the item as it was (decoded to a model instance when the request was
    made for a model), when DynamoDB returned it.
    """

    def __init__(self, message: str, *, old_item: Any = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.old_item = old_item
        self.retried = False  # botocore sent the request more than once


class ItemAlreadyExists(ConditionFailed):
    """create() found an item with the same primary key; nothing was written."""


class VersionConflict(ConditionFailed):
    """Optimistic locking lost a race: the stored version is not the one this object was read at."""

    def __init__(
        self, message: str, *, expected: int | None = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.expected = expected


class Throttled(DynamoDBError):
    """Capacity or request rate was exceeded, and retries did not get through."""


class TableNotFound(DynamoDBError):
    """The table does not exist, or is not ACTIVE yet."""


class TransactionCancelled(DynamoDBError):
    """A transaction was cancelled; ``reasons`` lists each action's reason in request order."""

    def __init__(self, message: str, *, reasons: list[Any] | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.reasons = list(reasons or [])
        self.actions: list[Any] = []  # one CancelledAction per action, when the library knows
