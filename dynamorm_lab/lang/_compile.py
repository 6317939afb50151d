"""Compile ``%%dynamo`` AST nodes into the ORM's own condition and update objects.

Nothing here writes DynamoDB expression text: paths become `Path` objects, values become
`Value` nodes (``?`` parameters and ``:name`` variables are bound as values, never spliced as
text), and the request is rendered later by the same renderer the Python API uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._core import expr as x
from .._core.codec import encode_value
from ..errors import CodecError, ExpressionError, ValidationError
from . import _ast as a

__all__ = ["Bindings", "condition", "path", "update_actions", "value"]

_COMPARE = {"=", "<>", "<", "<=", ">", ">="}
_TYPES = {"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"}


@dataclass
class Bindings:
    """Values for ``?`` parameters (in order) and ``:name`` variables (the notebook's)."""

    params: Sequence[Any] = ()
    variables: Mapping[str, Any] = field(default_factory=dict)


def _error(node: a.Node, message: str) -> ValidationError:
    return ValidationError(f"{message} (line {node.line}, column {node.col})")


def path(node: a.PathExpr) -> x.Path:
    """A document path (untyped: PartiQL names are DynamoDB attribute names)."""
    return x.Path(node.elements)


def value(node: a.Node, bindings: Bindings) -> Any:
    """The Python value of a literal, ``?`` parameter or ``:name`` variable."""
    if isinstance(node, a.Literal):
        return _resolve(node.value, bindings, node)
    if isinstance(node, a.Param):
        if node.index >= len(bindings.params):
            raise _error(node, f"parameter ?{node.index + 1} has no value: pass one with "
                         f"-p (got {len(bindings.params)})")
        return bindings.params[node.index]
    if isinstance(node, a.Variable):
        if node.name not in bindings.variables:
            raise _error(node, f"variable :{node.name} is not defined in the notebook")
        return bindings.variables[node.name]
    raise _error(node, "expected a value here")


def _resolve(raw: Any, bindings: Bindings, where: a.Node) -> Any:
    if isinstance(raw, a.Param | a.Variable | a.Literal):
        return value(raw, bindings)
    if isinstance(raw, list):
        return [_resolve(v, bindings, where) for v in raw]
    if isinstance(raw, dict):
        return {k: _resolve(v, bindings, where) for k, v in raw.items()}
    if isinstance(raw, frozenset):
        return {_resolve(v, bindings, where) for v in raw}
    return raw


def _value_node(node: a.Node, bindings: Bindings) -> x.Value:
    try:
        return x.Value(encode_value(value(node, bindings)))
    except CodecError as exc:
        raise _error(node, f"this value cannot be stored in DynamoDB: {exc}") from None


def operand(node: a.Node, bindings: Bindings) -> x.Operand:
    """A path, ``size(path)`` or a value."""
    if isinstance(node, a.PathExpr):
        return path(node)
    if isinstance(node, a.Call) and node.name == "size":
        (target,) = _args(node, 1)
        return x.Size(_path_arg(target))
    return _value_node(node, bindings)


def _args(node: a.Call, count: int) -> tuple[a.Node, ...]:
    if len(node.args) != count:
        raise _error(node, f"{node.name}() takes {count} argument(s), got {len(node.args)}")
    return node.args


def _path_arg(node: a.Node) -> x.Path:
    if not isinstance(node, a.PathExpr):
        raise _error(node, "expected an attribute path here")
    return path(node)


def condition(node: a.Node, bindings: Bindings) -> x.Condition:
    """A WHERE clause as a condition tree."""
    if isinstance(node, a.Logical):
        parts = tuple(condition(p, bindings) for p in node.parts)
        return x.And(parts) if node.op == "AND" else x.Or(parts)
    if isinstance(node, a.Not):
        return x.Not(condition(node.part, bindings))
    if isinstance(node, a.Compare):
        if node.op not in _COMPARE:
            raise _error(node, f"unknown comparison {node.op}")
        return x.Compare(node.op, operand(node.left, bindings), operand(node.right, bindings))
    if isinstance(node, a.Between):
        try:  # the expression API's checks: bounds of one type, not reversed
            return operand(node.subject, bindings).between(operand(node.low, bindings),
                                                           operand(node.high, bindings))
        except ExpressionError as exc:
            raise _error(node, str(exc)) from None
    if isinstance(node, a.In):
        options = tuple(operand(o, bindings) for o in node.options)
        if not 1 <= len(options) <= x.MAX_IN_VALUES:
            raise _error(node, f"IN takes 1 to {x.MAX_IN_VALUES} values")
        return x.In(operand(node.subject, bindings), options)
    if isinstance(node, a.IsCheck):
        target = _path_arg(node.subject)
        if node.what == "MISSING":
            return target.exists() if node.negated else target.not_exists()
        is_null = target.is_type("NULL")
        return (target.exists() & ~is_null) if node.negated else is_null
    if isinstance(node, a.Call):
        return _function(node, bindings)
    raise _error(node, "expected a condition here")


def _function(node: a.Call, bindings: Bindings) -> x.Condition:
    name = node.name
    if name in ("attribute_exists", "attribute_not_exists"):
        (target,) = _args(node, 1)
        return _path_arg(target).exists() if name == "attribute_exists" else (
            _path_arg(target).not_exists())
    if name in ("begins_with", "contains"):
        target, argument = _args(node, 2)
        return x.Call(name, (_path_arg(target), operand(argument, bindings)))
    if name == "attribute_type":
        target, kind = _args(node, 2)
        letter = value(kind, bindings)
        if letter not in _TYPES:
            raise _error(kind, f"attribute_type takes one of {', '.join(sorted(_TYPES))}")
        return _path_arg(target).is_type(letter)
    raise _error(node, f"{name}() is not a condition; use begins_with, contains, "
                 "attribute_type, attribute_exists, attribute_not_exists or size(...) with a "
                 "comparison")


def _update_operand(node: a.Node, bindings: Bindings) -> x.Operand:
    if isinstance(node, a.PathExpr):
        return path(node)
    if isinstance(node, a.BinaryOp):
        return x.Arithmetic(node.op, _update_operand(node.left, bindings),
                            _update_operand(node.right, bindings))
    if isinstance(node, a.Call) and node.name == "list_append":
        first, second = _args(node, 2)
        return x.ListAppend(_update_operand(first, bindings), _update_operand(second, bindings))
    if isinstance(node, a.Call) and node.name == "if_not_exists":
        target, default = _args(node, 2)
        return x.IfNotExists(_path_arg(target), _update_operand(default, bindings))
    if isinstance(node, a.Call):
        raise _error(node, f"{node.name}() cannot be used as a value here")
    return _value_node(node, bindings)


def update_actions(actions: Sequence[a.SetAction | a.Remove],
                   bindings: Bindings) -> list[x.UpdateAction]:
    """SET/REMOVE clauses as update actions (set_add/set_delete become ADD/DELETE)."""
    out: list[x.UpdateAction] = []
    for action in actions:
        target = path(action.path)
        if isinstance(action, a.Remove):
            out.append(target.remove())
            continue
        node = action.value
        if isinstance(node, a.Call) and node.name in ("set_add", "set_delete"):
            source, elements = _args(node, 2)
            if not (isinstance(source, a.PathExpr) and source.elements == action.path.elements):
                raise _error(node, f"{node.name}() must name the attribute being set "
                             f"({x.describe(target)})")
            encoded = _value_node(elements, bindings)
            verb = "ADD" if node.name == "set_add" else "DELETE"
            if encoded.tag not in ("SS", "NS", "BS"):
                raise _error(elements, f"{node.name}() takes a set such as <<'a', 'b'>>")
            out.append(x.UpdateAction(verb, target, encoded))
            continue
        out.append(x.UpdateAction("SET", target, _update_operand(node, bindings)))
    return out
