"""Build CRUD requests for model objects: keys, conditions, versions and timestamps.

Pure: a builder returns a `WriteRequest` (the parameters plus what to apply to the object if,
and only if, DynamoDB accepts it), so a failed write leaves the object unchanged. The same
builders serve single writes now and transactions later.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import CodecError, ExpressionError, ValidationError
from .codec import AttributeValue
from .expr import (
    Condition,
    IfNotExists,
    Placeholders,
    UpdateAction,
    Value,
    attr,
    compile_condition,
    compile_projection,
    compile_update,
)
from .fields import Field, now_utc
from .limits import check_item
from .model import Model
from .schema import TableSchema

__all__ = [
    "WriteRequest",
    "build_create",
    "build_delete",
    "build_get",
    "build_save",
    "build_update",
    "check_table_item",
    "key_from",
    "key_of",
    "table_delete",
    "table_put",
    "table_update",
    "wire_key",
]

@dataclass(slots=True)
class WriteRequest:
    """A write ready to send, and what it means for the object when it succeeds."""

    operation: str
    params: dict[str, Any]
    model: type[Model]
    key: dict[str, AttributeValue]
    kind: str
    expected_version: int | None = None
    apply: dict[str, Any] = field(default_factory=dict)
    versioned: bool = False
    item: dict[str, AttributeValue] | None = None  # what a create/save leaves stored
    ignore: tuple[str, ...] = ()  # attributes of `item` the write may not set (if_not_exists)


def _model_class(target: Any) -> type[Model]:
    cls = target if isinstance(target, type) else type(target)
    if not (isinstance(cls, type) and issubclass(cls, Model)) or cls.__table__ is None:
        raise ValidationError(
            f"expected a model with a table (or an object of one), got {target!r:.80}"
        )
    return cls


def key_of(obj: Model) -> dict[str, AttributeValue]:
    """The wire primary key of an object."""
    cls = _model_class(obj)
    roles = cls.__dynamorm_roles__
    key = {}
    for role in ("partition_key", "sort_key"):
        f = roles.get(role)
        if f is None:
            continue
        value = obj.__dict__.get(f.py_name)
        if value is None:
            raise ValidationError(
                f"{cls.__name__}.{f.py_name} is the {role.replace('_', ' ')} and has no value",
                table=cls.__table__)
        key[f.attr_name] = _encode_key(f, value)
    return key


def _encode_key(f: Field, value: Any) -> AttributeValue:
    try:
        return f.encode(value)
    except CodecError as exc:
        raise exc.at(f.attr_name) from None


def key_from(model: type[Model], key: Sequence[Any], named: Mapping[str, Any]) -> dict[str, Any]:
    """A wire key from ``(pk, sk)`` positions, keywords (Python or attribute names) or a dict."""
    cls = _model_class(model)
    roles = cls.__dynamorm_roles__
    key_fields = [roles[r] for r in ("partition_key", "sort_key") if r in roles]
    if len(key) == 1 and isinstance(key[0], Mapping) and not named:
        named, key = key[0], ()
    if len(key) == 1 and isinstance(key[0], tuple) and not named:
        key = key[0]
    values: dict[str, Any] = {}
    if key and named:
        raise ValidationError("give the key by position or by name, not both")
    if key:
        if len(key) != len(key_fields):
            names = ", ".join(f.py_name for f in key_fields)
            raise ValidationError(f"{cls.__name__} key is ({names}); got {len(key)} value(s)")
        values = {f.py_name: v for f, v in zip(key_fields, key, strict=True)}
    else:
        for f in key_fields:
            given = [name for name in dict.fromkeys((f.py_name, f.attr_name)) if name in named]
            if len(given) > 1:
                raise ValidationError(f"{f.py_name} is given twice (as {' and '.join(given)})")
            if given:
                values[f.py_name] = named[given[0]]
        extra = set(named) - {n for f in key_fields for n in (f.py_name, f.attr_name)}
        if extra:
            raise ValidationError(f"{', '.join(sorted(extra))} is not part of the key of "
                                  f"{cls.__name__}")
    missing = [f.py_name for f in key_fields if f.py_name not in values]
    if missing:
        raise ValidationError(f"{cls.__name__} key needs {', '.join(missing)}")
    return {f.attr_name: _encode_key(f, values[f.py_name]) for f in key_fields}


def wire_key(model: type[Model], key: Any) -> dict[str, Any]:
    """A wire key from an object, a dict of names, a tuple ``(pk, sk)`` or a lone value."""
    if isinstance(key, Model):
        return key_of(key)
    if isinstance(key, Mapping):
        return key_from(model, (), key)
    if isinstance(key, tuple):
        return key_from(model, key, {})
    return key_from(model, (key,), {})


def _check_condition(condition: Any) -> Condition | None:
    if condition is None or isinstance(condition, Condition):
        return condition
    raise ExpressionError(f"condition= takes a condition such as Movie.year > 2000, "
                          f"got {type(condition).__name__}")


def _and(*parts: Condition | None) -> Condition | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    result = present[0]
    for part in present[1:]:
        result = result & part
    return result


def _finish(params: dict[str, Any], ph: Placeholders, condition: Condition | None,
            *, return_old_on_failure: bool = True) -> dict[str, Any]:
    if condition is not None:
        params["ConditionExpression"] = compile_condition(condition, ph)
        if return_old_on_failure:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return ph.into(params)


def _version_condition(cls: type[Model], expected: int | None) -> Condition:
    version = cls.__dynamorm_roles__["version"]
    pk = cls.__dynamorm_roles__["partition_key"]
    if not expected:
        return pk.path.not_exists()
    return version.path == expected


def _values_with(obj: Model, apply: Mapping[str, Any]) -> dict[str, Any]:
    return {**obj.__dict__, **apply}


def _encoded_item(cls: type[Model], values: Mapping[str, Any]) -> dict[str, AttributeValue]:
    shell = cls.__new__(cls)
    shell.__dict__.update(values)
    item = shell.to_item()
    check_item(item, cls.__table__)
    return item


def _writing(obj: Model, now: _dt.datetime | None,
             ) -> tuple[type[Model], dict[str, Field], _dt.datetime, dict[str, Any]]:
    """What a write of `obj` starts from: its class, its roles, the time it is written at,
    and the values the write will set on the object (none yet)."""
    cls = _model_class(obj)
    return cls, cls.__dynamorm_roles__, now or now_utc(), {}


def build_create(obj: Model, condition: Any = None,
                 now: _dt.datetime | None = None) -> WriteRequest:
    """PutItem guarded by attribute_not_exists on the partition key."""
    cls, roles, now, apply = _writing(obj, now)
    if "version" in roles:
        apply[roles["version"].py_name] = 1
    for role in ("created_at", "updated_at"):
        if role in roles:
            apply[roles[role].py_name] = now
    item = _encoded_item(cls, _values_with(obj, apply))
    ph = Placeholders()
    guard = roles["partition_key"].path.not_exists()
    params = {"TableName": cls.__table__, "Item": item}
    _finish(params, ph, _and(guard, _check_condition(condition)))
    return WriteRequest("PutItem", params, cls, key_of(obj), "create", apply=apply,
                        versioned="version" in roles, item=item)


def build_save(obj: Model, condition: Any = None,
               now: _dt.datetime | None = None) -> WriteRequest:
    """UpdateItem that writes every field (an upsert that never overwrites created_at)."""
    cls, roles, now, apply = _writing(obj, now)
    expected = None
    version_condition = None
    if "version" in roles:
        expected = obj.__dict__.get(roles["version"].py_name) or 0
        apply[roles["version"].py_name] = expected + 1
        version_condition = _version_condition(cls, expected)
    if "updated_at" in roles:
        apply[roles["updated_at"].py_name] = now
    created = roles.get("created_at")
    values = _values_with(obj, apply)
    if created is not None and values.get(created.py_name) is None:
        values[created.py_name] = now
    item = _encoded_item(cls, values)
    key = key_of(obj)
    actions: list[UpdateAction] = []
    for f in cls.__dynamorm_attrs__.values():
        if f.is_key:
            continue
        if f.attr_name in item:
            value = Value(item[f.attr_name])
            operand = IfNotExists(f.path, value) if f is created else value
            actions.append(UpdateAction("SET", f.path, operand))
        elif f is not created:
            actions.append(f.path.remove())
    ph = Placeholders()
    params: dict[str, Any] = {"TableName": cls.__table__, "Key": key, "ReturnValues": "ALL_NEW"}
    if actions:
        params["UpdateExpression"] = compile_update(actions, ph)
    _finish(params, ph, _and(version_condition, _check_condition(condition)))
    return WriteRequest("UpdateItem", params, cls, key, "save", expected, apply,
                        versioned="version" in roles, item=item,
                        ignore=(created.attr_name,) if created is not None else ())


def build_update(target: Any, actions: Sequence[UpdateAction], condition: Any = None, *,
                 key: dict[str, AttributeValue] | None = None, must_exist: bool = True,
                 now: _dt.datetime | None = None) -> WriteRequest:
    """UpdateItem from update actions, adding the version check and timestamps."""
    cls = _model_class(target)
    roles = cls.__dynamorm_roles__
    is_object = not isinstance(target, type)
    if key is None:
        if not is_object:
            raise ValidationError("update(Model, ...) needs key=; or call it on an object")
        key = key_of(target)
    actions = list(actions)
    touched = {a.path.name for a in actions if hasattr(a, "path")}
    for role in ("version", "created_at", "updated_at"):
        if role in roles and roles[role].attr_name in touched:
            raise ExpressionError(f"{roles[role].py_name} is managed by the library "
                                  f"({role}); do not update it directly")
    for f in cls.__dynamorm_attrs__.values():
        if f.is_key and f.attr_name in touched:
            raise ExpressionError(f"{f.py_name} is part of the primary key and cannot be updated")
    now = now or now_utc()
    expected = None
    version_condition = None
    apply: dict[str, Any] = {}
    if "version" in roles:
        version = roles["version"]
        if is_object:
            expected = target.__dict__.get(version.py_name) or 0
            if not expected and must_exist:
                raise ValidationError(
                    f"{cls.__name__} object was never saved (no version yet); save() or "
                    "create() it first, or pass must_exist=False", table=cls.__table__)
            version_condition = _version_condition(cls, expected)
            apply[version.py_name] = expected + 1
        actions.append(version.path.set(version.path.if_not_exists(0) + 1))
    if "updated_at" in roles:
        actions.append(roles["updated_at"].path.set(now))
        apply[roles["updated_at"].py_name] = now
    exists = roles["partition_key"].path.exists() if must_exist else None
    ph = Placeholders()
    params: dict[str, Any] = {"TableName": cls.__table__, "Key": key, "ReturnValues": "ALL_NEW",
                              "UpdateExpression": compile_update(actions, ph)}
    _finish(params, ph, _and(exists, version_condition, _check_condition(condition)))
    return WriteRequest("UpdateItem", params, cls, key, "update", expected, apply,
                        versioned=version_condition is not None)


def build_delete(target: Any, condition: Any = None, *,
                 key: dict[str, AttributeValue] | None = None) -> WriteRequest:
    """DeleteItem, checking the version when deleting a versioned object."""
    cls = _model_class(target)
    is_object = not isinstance(target, type)
    if key is None:
        if not is_object:
            raise ValidationError("delete(Model, ...) needs a key; or call it on an object")
        key = key_of(target)
    expected = None
    version_condition = None
    roles = cls.__dynamorm_roles__
    if is_object and "version" in roles:
        expected = target.__dict__.get(roles["version"].py_name) or 0
        if expected:
            version_condition = _version_condition(cls, expected)
    ph = Placeholders()
    params: dict[str, Any] = {"TableName": cls.__table__, "Key": key}
    _finish(params, ph, _and(version_condition, _check_condition(condition)))
    return WriteRequest("DeleteItem", params, cls, key, "delete", expected,
                        versioned=version_condition is not None)


def build_get(model: type[Model], key: dict[str, AttributeValue], *, consistent: bool = False,
              attributes: Sequence[Any] | None = None) -> dict[str, Any]:
    """GetItem parameters (with a projection when `attributes` is given)."""
    cls = _model_class(model)
    params: dict[str, Any] = {"TableName": cls.__table__, "Key": key,
                              "ConsistentRead": bool(consistent)}
    if attributes:
        ph = Placeholders()
        params["ProjectionExpression"] = compile_projection(
            [cls.path(a) if isinstance(a, str) else a for a in attributes], ph)
        ph.into(params)
    return params


# --- table-level writes (PartiQL statements name tables, not models) ----------------------

def check_table_item(table: TableSchema, item: Mapping[str, AttributeValue], *,
                     limits: bool = True) -> None:
    """Refuse a wire item DynamoDB would refuse for this table, before sending: a key
    attribute missing, empty or of the wrong type (index keys too, where present), and
    DynamoDB's item limits (`_limits.check_item`) unless the caller proved them already."""
    missing = [k for k in table.key_names if k not in item]
    if missing:
        raise ValidationError(f"the item lacks key attribute(s) {', '.join(missing)} of "
                              f"{table.name}", table=table.name)
    keys = [(table.partition, "table"), (table.sort, "table")]
    keys += [(k, f"index {index.name}") for index in table.indexes
             for k in (*index.partition_keys, *index.sort_keys)]
    for key, owner in keys:
        if key is None or key.name not in item:
            continue
        tag, payload = next(iter(item[key.name].items()))
        if tag != key.type:
            raise ValidationError(f"key attribute {key.name!r} of {table.name} ({owner}) is of "
                                  f"type {key.type}, got {tag} {payload!r:.40}",
                                  table=table.name)
        if payload in ("", b""):
            raise ValidationError(f"key attribute {key.name!r} of {table.name} ({owner}) cannot "
                                  "be empty", table=table.name)
    if limits:
        check_item(item, table.name)


def _table_finish(params: dict[str, Any], parts: Sequence[Condition | None]) -> dict[str, Any]:
    ph = Placeholders()
    condition = _and(*parts)
    if condition is not None:
        params["ConditionExpression"] = compile_condition(condition, ph)
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return ph.into(params)


def table_put(table: TableSchema, item: dict[str, AttributeValue], *,
              condition: Condition | None = None, new_only: bool = True) -> dict[str, Any]:
    """PutItem parameters for a wire item (guarded so it only creates, as PartiQL INSERT)."""
    check_table_item(table, item)
    guard = attr(table.partition.name).not_exists() if new_only else None
    return _table_finish({"TableName": table.name, "Item": item}, [guard, condition])


def table_update(table: TableSchema, key: dict[str, AttributeValue],
                 actions: Sequence[UpdateAction], *, condition: Condition | None = None,
                 must_exist: bool = True) -> dict[str, Any]:
    """UpdateItem parameters for a key (the item must exist, as PartiQL UPDATE)."""
    check_table_item(table, key)
    for action in actions:
        if action.path.name in table.key_names:
            raise ExpressionError(f"{action.path} is part of the primary key and cannot be "
                                  "updated")
    ph = Placeholders()
    params: dict[str, Any] = {"TableName": table.name, "Key": key,
                              "UpdateExpression": compile_update(list(actions), ph),
                              "ReturnValues": "ALL_NEW"}
    exists = attr(table.partition.name).exists() if must_exist else None
    condition = _and(exists, condition)
    if condition is not None:
        params["ConditionExpression"] = compile_condition(condition, ph)
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return ph.into(params)


def table_delete(table: TableSchema, key: dict[str, AttributeValue], *,
                 condition: Condition | None = None) -> dict[str, Any]:
    """DeleteItem parameters for a key."""
    check_table_item(table, key)
    return _table_finish({"TableName": table.name, "Key": key}, [condition])
