"""The one place where botocore's errors become dynamorm_lab's.

`translate()` maps a botocore exception to the library's exception tree, keeping the table,
key and request parameters (never headers or credentials) and DynamoDB's request id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from ..errors import (
    ConditionFailed,
    ConnectionFailed,
    DynamoDBError,
    DynamormError,
    TableNotFound,
    Throttled,
    TransactionCancelled,
    ValidationError,
)

__all__ = ["WRITE_OPERATIONS", "translate"]

# Every operation that changes data or tables; a read-only connection refuses them unsent.
WRITE_OPERATIONS = frozenset({
    "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
    "CreateTable", "DeleteTable", "UpdateTable", "UpdateTimeToLive", "RestoreTableFromBackup",
    "RestoreTableToPointInTime", "CreateBackup", "DeleteBackup", "CreateGlobalTable",
    "UpdateGlobalTable", "UpdateContinuousBackups", "TagResource", "UntagResource",
    "ImportTable", "UpdateContributorInsights", "UpdateKinesisStreamingDestination",
    "EnableKinesisStreamingDestination", "DisableKinesisStreamingDestination",
    "PutResourcePolicy", "DeleteResourcePolicy", "UpdateTableReplicaAutoScaling",
    "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
})

_THROTTLING = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "Throttling", "TooManyRequestsException",
})

_MEANING = {
    "ConditionalCheckFailedException": "the condition was false, so nothing was written",
    "ResourceNotFoundException": "the table or index does not exist (or is not ACTIVE yet)",
    "ResourceInUseException": "the table already exists or is being created, updated or deleted",
    "ValidationException": "DynamoDB refused the request as invalid",
    "ItemCollectionSizeLimitExceededException": "an item collection exceeded 10 GB (an LSI limit)",
    "UnrecognizedClientException": "the credentials were not recognised",
    "AccessDeniedException": "these credentials are not allowed to do this",
    "ExpiredTokenException": "the session token has expired; sign in again",
    "InternalServerError": "DynamoDB had an internal error; retrying may succeed",
    "UnknownOperationException": "this server does not implement the operation",
}


def _context(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "table": params.get("TableName"),
        "key": params.get("Key"),
        "request": {k: v for k, v in params.items() if k != "Item"} | (
            {"Item": "<item>"} if "Item" in params else {}),
    }


def translate(exc: Exception, operation: str, params: Mapping[str, Any]) -> DynamormError:
    """The library error for a botocore exception raised by `operation` with `params`."""
    context = _context(params)
    table = context["table"]
    where = f"{operation}" + (f" on table {table}" if table else "")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")) or _MEANING.get(code, "")
        request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
        meaning = _MEANING.get(code)
        text = f"{where} failed: {message}"
        if meaning and meaning not in text:
            text += f" ({meaning})"
        common = {"code": code, "request_id": request_id, "operation": operation, **context}
        if code == "ConditionalCheckFailedException":
            failed = ConditionFailed(text, old_item=exc.response.get("Item"), **common)
            failed.retried = bool(exc.response.get("ResponseMetadata", {}).get("RetryAttempts"))
            return failed
        if code == "TransactionCanceledException":
            return TransactionCancelled(
                text, reasons=exc.response.get("CancellationReasons", []), **common)
        if code == "ResourceNotFoundException":
            return TableNotFound(text, **common)
        if code in _THROTTLING:
            return Throttled(f"{text} (still throttled after retries)", **common)
        if code == "ValidationException":
            return ValidationError(text, code=code, **context)
        return DynamoDBError(text, **common)
    if isinstance(exc, NoCredentialsError):
        return ConnectionFailed(
            f"{where}: no AWS credentials found; configure a profile (aws configure / "
            "aws sso login) or use connect('local')", **context)
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ConnectionClosedError
                  | ReadTimeoutError):
        return ConnectionFailed(f"{where}: cannot reach the endpoint ({exc})", **context)
    if isinstance(exc, ParamValidationError):
        return ValidationError(f"{where}: invalid request: {exc}", **context)
    if isinstance(exc, BotoCoreError):
        return DynamormError(f"{where} failed: {exc}", **context)
    raise exc
