"""Create, delete and describe tables, waiting for DynamoDB to finish each change."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from .._core.model import Model, schema
from .._core.schema import TableSchema, check_table_name
from ..errors import DynamoDBError, TableNotFound, ValidationError

if TYPE_CHECKING:
    from .transport import Transport

__all__ = [
    "create_table", "delete_table", "describe", "exists", "list_tables", "poll_until", "table_name",
    "wait_active",
]

BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
STREAM_VIEWS = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")


def table_name(model_or_name: Any) -> str:
    if isinstance(model_or_name, str) and model_or_name:
        return check_table_name(model_or_name)
    if isinstance(model_or_name, TableSchema):
        return model_or_name.name
    if isinstance(model_or_name, type) and issubclass(model_or_name, Model):
        return schema(model_or_name).name
    raise ValidationError(f"expected a table name, a model or a TableSchema, "
                          f"got {model_or_name!r:.80}")


def create_table(
    transport: Transport,
    model: Any,
    *,
    billing: Literal["PAY_PER_REQUEST", "PROVISIONED"] = "PAY_PER_REQUEST",
    read_capacity: int = 5,
    write_capacity: int = 5,
    stream: str | None = None,
    ttl: bool = True,
    wait: bool = True,
    timeout: float = 300.0,
) -> TableSchema:
    """Create the table a model (or TableSchema) declares; enable TTL when it has one."""
    table = model if isinstance(model, TableSchema) else schema(model)
    check_table_name(table.name)
    for index in table.indexes:
        check_table_name(index.name)
    if billing not in BILLING_MODES:
        raise ValidationError(f"billing must be one of {', '.join(BILLING_MODES)}")
    if stream is not None and stream not in STREAM_VIEWS:
        raise ValidationError(f"stream must be one of {', '.join(STREAM_VIEWS)}")
    if billing == "PROVISIONED" and (read_capacity < 1 or write_capacity < 1):
        raise ValidationError("provisioned capacity must be at least 1 read and 1 write unit")
    request = table.create_table_request(billing=billing, read_capacity=read_capacity,
                                         write_capacity=write_capacity, stream=stream)
    transport.call("CreateTable", request)
    if wait or (ttl and table.ttl_attribute):
        wait_active(transport, table.name, timeout=timeout)
    if ttl and table.ttl_attribute:
        transport.call("UpdateTimeToLive", {
            "TableName": table.name,
            "TimeToLiveSpecification": {"Enabled": True, "AttributeName": table.ttl_attribute},
        })
    return table


def poll_until(done: Callable[[], bool], *, what: str, table: str,
               timeout: float = 300.0) -> None:
    """Call `done` with growing pauses (50 ms to 2 s) until it is true or `timeout` passes."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while not done():
        if time.monotonic() > deadline:
            raise DynamoDBError(f"{what} after {timeout:.0f} s", table=table)
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def wait_active(transport: Transport, name: str, *, timeout: float = 300.0) -> None:
    """Wait until the table and all its GSIs are ACTIVE."""
    def active() -> bool:
        description = transport.call("DescribeTable", {"TableName": name})["Table"]
        statuses = [description.get("TableStatus")] + [
            g.get("IndexStatus", "ACTIVE") for g in description.get("GlobalSecondaryIndexes", [])]
        return all(s == "ACTIVE" for s in statuses)

    poll_until(active, what=f"table {name} is still not ACTIVE", table=name, timeout=timeout)


def delete_table(transport: Transport, model_or_name: Any, *, wait: bool = True,
                 timeout: float = 300.0) -> None:
    """Delete a table; with `wait`, return once DynamoDB no longer knows it."""
    name = table_name(model_or_name)
    transport.call("DeleteTable", {"TableName": name})
    transport.forget_stats(name)
    if wait:
        poll_until(lambda: not exists(transport, name), what=f"table {name} still exists",
                   table=name, timeout=timeout)


def described(transport: Transport, name: str) -> dict[str, Any]:
    """The table's DescribeTable body, as the transport caches it (read if not held)."""
    transport.table_stats(name)
    return transport.cached_table(name) or {}


def exists(transport: Transport, model_or_name: Any) -> bool:
    """True when the table exists (in any status)."""
    try:
        transport.call("DescribeTable", {"TableName": table_name(model_or_name)})
    except TableNotFound:
        return False
    return True


def describe(transport: Transport, model_or_name: Any) -> TableSchema:
    """The live table as a TableSchema (keys, indexes, TTL attribute, counts)."""
    name = table_name(model_or_name)
    description = transport.call("DescribeTable", {"TableName": name})["Table"]
    ttl_attribute = None
    try:
        ttl = transport.call("DescribeTimeToLive", {"TableName": name})["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            ttl_attribute = ttl.get("AttributeName")
    except DynamoDBError:
        ttl_attribute = None  # servers without TTL support (dynalite) describe no TTL
    return TableSchema.from_description(description, ttl_attribute)


def list_tables(transport: Transport) -> list[str]:
    """Every table name, following ListTables pagination."""
    names: list[str] = []
    params: dict[str, Any] = {}
    while True:
        page = transport.call("ListTables", params)
        names.extend(page.get("TableNames", []))
        last = page.get("LastEvaluatedTableName")
        if not last:
            return sorted(names)
        params = {"ExclusiveStartTableName": last}
