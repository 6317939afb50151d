"""Run single-item reads and writes, and explain a failed condition precisely.

A write is built by `_requests` (pure), sent through `Connection.call`, and only when DynamoDB
accepts it are the new version and timestamps applied to the object. A failed condition is
told apart using the old item DynamoDB returns: the key was taken (create), the version moved
(optimistic locking), the item is missing (update), or the caller's own condition was false.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._core.codec import decode_value
from .._core.model import Model
from .._core.requests import (
    WriteRequest,
    build_create,
    build_delete,
    build_get,
    build_save,
    build_update,
    key_from,
    key_of,
    wire_key,
)
from .._core.results import Stats
from ..errors import (
    CodecError,
    ConditionFailed,
    DynamormError,
    ItemAlreadyExists,
    ItemNotFound,
    ValidationError,
    VersionConflict,
)

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["create", "delete", "get", "refresh", "save", "update"]


def _decode(model: type[Model], item: Mapping[str, Any] | None) -> Any:
    if item is None:
        return None
    try:
        return model.from_item(item)
    except CodecError:
        return dict(item)


def _read_one(transport: Transport, model: type[Model], params: dict[str, Any], *,
              fast: bool = False) -> dict[str, Any] | None:
    """One GetItem, its Stats (capacity included) kept as the connection's `last_stats`."""
    started = time.perf_counter()
    response = transport.call("GetItem", {**params, "ReturnConsumedCapacity": "TOTAL"},
                              parse="json" if fast else "botocore")
    item: dict[str, Any] | None = response.get("Item")
    stats = Stats("GetItem", params["TableName"])
    found = 0 if item is None else 1
    stats.add(response, returned=found, scanned=found)
    stats.elapsed = time.perf_counter() - started
    transport.last_stats = stats
    return item


def _send(transport: Transport, request: WriteRequest) -> dict[str, Any]:
    try:
        return transport.call(request.operation, request.params)
    except ConditionFailed as exc:
        if exc.old_item is None:  # servers that ignore ReturnValuesOnConditionCheckFailure
            exc.old_item = _current(transport, request)
        if exc.retried and _is_own_write(request, exc.old_item):
            return {"Attributes": exc.old_item}
        raise _explain(request, exc) from exc


def _is_own_write(request: WriteRequest, stored: Mapping[str, Any] | None) -> bool:
    """True when the stored item is exactly what this create/save writes. Asked only when
    botocore retried the request: the first attempt's response was lost after the server
    applied it, and the retry met the write itself. (Without a retry, an identical item is
    another writer's: two racing increments compute the same next state.)"""
    if stored is None or request.item is None:
        return False
    wanted = {k: v for k, v in request.item.items() if k not in request.ignore}
    kept = {k: v for k, v in stored.items() if k not in request.ignore}
    if request.kind == "create":
        return dict(stored) == request.item
    managed = set(request.model.__dynamorm_attrs__) - set(request.ignore)
    return {k: v for k, v in kept.items() if k in managed} == wanted


def _current(transport: Transport, request: WriteRequest) -> Any:
    """The stored item now (a consistent read), to explain a failed condition."""
    params = {"TableName": request.params["TableName"], "Key": request.key,
              "ConsistentRead": True}
    return transport.call("GetItem", params).get("Item")


def _explain(request: WriteRequest, exc: ConditionFailed) -> DynamormError:
    model = request.model
    raw_old = exc.old_item
    old = _decode(model, raw_old)
    context = {"table": exc.table, "key": request.key, "request": exc.request,
               "code": exc.code, "request_id": exc.request_id, "operation": exc.operation}
    name = model.__name__
    if request.kind == "create" and raw_old is not None:
        return ItemAlreadyExists(f"{name} with key {_show(request.key)} already exists; "
                                 "nothing was written", old_item=old, **context)
    if request.kind == "update" and raw_old is None and "attribute_exists" in (
            request.params.get("ConditionExpression") or ""):
        return ItemNotFound(f"{name} with key {_show(request.key)} does not exist; nothing "
                            "was updated (pass must_exist=False to create it)",
                            table=exc.table, key=request.key, request=exc.request)
    if request.versioned:
        version_field = model.__dynamorm_roles__["version"]
        stored = None
        if raw_old is not None and version_field.attr_name in raw_old:
            stored = version_field.decode(raw_old[version_field.attr_name])
        expected = request.expected_version or None
        if stored != expected:
            if raw_old is None:
                why = "the item was deleted by someone else"
            elif expected is None:
                why = f"the item already exists at version {stored}; read it before saving"
            else:
                why = f"it was read at version {expected} but is now at version {stored}"
            return VersionConflict(f"{name} {_show(request.key)}: {why}; nothing was written",
                                   old_item=old, expected=expected, **context)
    return ConditionFailed(f"{name} {_show(request.key)}: the condition was false; nothing "
                           "was written", old_item=old, **context)


def _show(key: Mapping[str, Any]) -> str:
    return "(" + ", ".join(f"{name}={decode_value(av)!r}" for name, av in key.items()) + ")"


def _stored_values(model: type[Model], item: Mapping[str, Any]) -> dict[str, Any]:
    """The stored fields of `item` decoded (fields that are not stored keep their value)."""
    fresh = model.from_item(item).__dict__
    return {f.py_name: fresh[f.py_name] for f in model.__dynamorm_attrs__.values()}


def _apply(obj: Any, request: WriteRequest, attributes: Mapping[str, Any] | None) -> None:
    if attributes is not None:
        obj.__dict__.update(_stored_values(request.model, attributes))
    else:
        obj.__dict__.update(request.apply)


def get(transport: Transport, model: type[Model], key: Sequence[Any], named: Mapping[str, Any], *,
        consistent: bool, attributes: Sequence[Any] | None) -> Any:
    wire = key_from(model, key, named)
    params = build_get(model, wire, consistent=consistent, attributes=attributes)
    item = _read_one(transport, model, params, fast=True)
    if item is None:
        raise ItemNotFound(f"no {model.__name__} with key {_show(wire)} in table "
                           f"{model.__table__}", table=model.__table__, key=wire)
    return model.from_item(item)


def create(transport: Transport, obj: Model, condition: Any) -> Model:
    request = build_create(obj, condition)
    _send(transport, request)
    _apply(obj, request, None)
    return obj


def save(transport: Transport, obj: Model, condition: Any) -> Model:
    request = build_save(obj, condition)
    response = _send(transport, request)
    _apply(obj, request, response.get("Attributes"))
    return obj


def update(transport: Transport, target: Any, actions: Sequence[Any], *, key: Any,
           condition: Any, must_exist: bool) -> Any:
    if isinstance(target, type):
        if key is None:
            raise ValidationError(f"update({target.__name__}, ...) needs key=")
        request = build_update(target, actions, condition, key=wire_key(target, key),
                               must_exist=must_exist)
    else:
        if key is not None:
            raise ValidationError("update(obj, ...) takes its key from the object; drop key=")
        request = build_update(target, actions, condition, must_exist=must_exist)
    response = _send(transport, request)
    attributes = response.get("Attributes")
    if isinstance(target, type):
        return request.model.from_item(attributes or {})
    _apply(target, request, attributes)
    return target


def delete(transport: Transport, target: Any, *, key: Any, condition: Any) -> None:
    if isinstance(target, type):
        if key is None:
            raise ValidationError(f"delete({target.__name__}, ...) needs key=")
        request = build_delete(target, condition, key=wire_key(target, key))
    else:
        if key is not None:
            raise ValidationError("delete(obj) takes its key from the object; drop key=")
        request = build_delete(target, condition)
    _send(transport, request)


def refresh(transport: Transport, obj: Model) -> Model:
    model = type(obj)
    wire = key_of(obj)
    item = _read_one(transport, model, build_get(model, wire, consistent=True))
    if item is None:
        raise ItemNotFound(f"{model.__name__} with key {_show(wire)} no longer exists",
                           table=model.__table__, key=wire)
    obj.__dict__.update(_stored_values(model, item))
    return obj
