"""A query written three ways: a ``%%dynamo`` statement, ORM Python code, a boto3 request.

Widgets show these so a user can copy what they built; each runs to the same rows.
"""

from __future__ import annotations

import pprint
import re
from collections.abc import Callable
from typing import Any

from . import expr as x
from .codec import decode_value
from .planner import Plan
from .schema import TableSchema
from .spec import QuerySpec

__all__ = ["to_boto3", "to_partiql", "to_python"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARTIQL_WORDS = frozenset({"select", "from", "where", "and", "or", "not", "in", "between",
                            "is", "missing", "null", "true", "false", "order", "by", "limit",
                            "value", "set", "remove", "insert", "update", "delete", "into"})


# --- PartiQL ------------------------------------------------------------------------------

def _name(name: str) -> str:
    if _IDENTIFIER.fullmatch(name) and name.lower() not in _PARTIQL_WORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def _pq_path(path: x.Path) -> str:
    out = ""
    for element in path.elements:
        out += f"[{element}]" if isinstance(element, int) else (
            ("." if out else "") + _name(element))
    return out


def _pq_literal(value: Any) -> str:
    if isinstance(value, bytes):
        raise ValueError("PartiQL has no binary literal; bind binary values with ? or :name")
    return x.literal(value)


def _pq_operand(node: x.Operand) -> str:
    if isinstance(node, x.Path):
        return _pq_path(node)
    if isinstance(node, x.Value):
        return _pq_literal(decode_value(node.av))
    if isinstance(node, x.Size):
        return f"size({_pq_path(node.path)})"
    raise ValueError(f"{type(node).__name__} cannot appear in a PartiQL WHERE")


def _pq_group(node: x.Condition) -> str:
    text = _pq_condition(node)
    return f"({text})" if isinstance(node, x.And | x.Or) else text


def _pq_condition(node: x.Condition) -> str:
    if isinstance(node, x.Compare):
        return f"{_pq_operand(node.left)} {node.op} {_pq_operand(node.right)}"
    if isinstance(node, x.Between):
        return (f"{_pq_operand(node.subject)} BETWEEN {_pq_operand(node.low)} AND "
                f"{_pq_operand(node.high)}")
    if isinstance(node, x.In):
        return (f"{_pq_operand(node.subject)} IN "
                f"[{', '.join(_pq_operand(o) for o in node.options)}]")
    if isinstance(node, x.Call):
        if node.function == "attribute_exists":
            return f"{_pq_operand(node.args[0])} IS NOT MISSING"
        if node.function == "attribute_not_exists":
            return f"{_pq_operand(node.args[0])} IS MISSING"
        return f"{node.function}({', '.join(_pq_operand(a) for a in node.args)})"
    if isinstance(node, x.And | x.Or):
        joiner = " AND " if isinstance(node, x.And) else " OR "
        return joiner.join(_pq_group(p) for p in node.parts)
    if isinstance(node, x.Not):
        return f"NOT ({_pq_condition(node.part)})"
    raise ValueError(f"cannot write {type(node).__name__} in PartiQL")


def to_partiql(spec: QuerySpec, schema: TableSchema, plan: Plan | None = None) -> str:
    """The query as a ``%%dynamo`` statement (PartiQL plus our LIMIT); `plan` (needed for
    an order) names the sort key read."""
    projection = ", ".join(_pq_path(p) for p in spec.projection) if spec.projection else "*"
    source = '"' + schema.name.replace('"', '""') + '"'
    if spec.index:
        source += '."' + spec.index.replace('"', '""') + '"'
    text = f"SELECT {projection} FROM {source}"
    if spec.conditions:
        text += " WHERE " + " AND ".join(_pq_group(c) for c in spec.conditions)
    if spec.descending is not None and plan is not None:
        sort = (schema.index(plan.index).sort if plan.index else schema.sort)
        if sort is not None:
            text += f" ORDER BY {_name(sort.name)} {'DESC' if spec.descending else 'ASC'}"
    if spec.limit:
        text += f" LIMIT {spec.limit}"
    return text


# --- Python ----------------------------------------------------------------------------------

def _py_path(path: x.Path) -> str:
    text = f"dl.attr({path.name!r})"
    for element in path.elements[1:]:
        text += f"[{element!r}]"
    return text


def _py_value(node: x.Operand) -> str:
    if isinstance(node, x.Value):
        return repr(decode_value(node.av))
    if isinstance(node, x.Path):
        return _py_path(node)
    if isinstance(node, x.Size):
        return f"{_py_path(node.path)}.size()"
    raise ValueError(f"cannot write {type(node).__name__} as Python")


_PY_COMPARE = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_PY_CALLS: dict[str, Callable[[x.Call], str]] = {
    "attribute_exists": lambda n: f"{_py_value(n.args[0])}.exists()",
    "attribute_not_exists": lambda n: f"{_py_value(n.args[0])}.not_exists()",
    "begins_with": lambda n: f"{_py_value(n.args[0])}.begins_with({_py_value(n.args[1])})",
    "contains": lambda n: f"{_py_value(n.args[0])}.contains({_py_value(n.args[1])})",
    "attribute_type": lambda n: f"{_py_value(n.args[0])}.is_type({_py_value(n.args[1])})",
}


def _py_condition(node: x.Condition) -> str:
    if isinstance(node, x.Compare):
        return f"({_py_value(node.left)} {_PY_COMPARE[node.op]} {_py_value(node.right)})"
    if isinstance(node, x.Between):
        return f"{_py_value(node.subject)}.between({_py_value(node.low)}, {_py_value(node.high)})"
    if isinstance(node, x.In):
        return (f"{_py_value(node.subject)}.is_in("
                f"[{', '.join(_py_value(o) for o in node.options)}])")
    if isinstance(node, x.Call):
        return _PY_CALLS[node.function](node)
    if isinstance(node, x.And | x.Or):
        joiner = " & " if isinstance(node, x.And) else " | "
        return "(" + joiner.join(_py_condition(p) for p in node.parts) + ")"
    if isinstance(node, x.Not):
        return f"~{_py_condition(node.part)}"
    raise ValueError(f"cannot write {type(node).__name__} as Python")


def to_python(spec: QuerySpec, schema: TableSchema, *, connection: str = "db") -> str:
    """ORM code that runs the same query (``db`` is the connection's variable name)."""
    lines = ["import dynamorm_lab as dl", "from decimal import Decimal", "",
             f"table = {connection}.model({schema.name!r})"]
    conditions = ", ".join(_py_condition(c) for c in spec.conditions)
    chain = f"table.query({conditions})"
    if spec.index:
        chain += f".index({spec.index!r})"
    if spec.projection:
        chain += f".select({', '.join(repr(str(p)) for p in spec.projection)})"
    if spec.descending is not None:
        chain += ".descending()" if spec.descending else ".ascending()"
    if spec.limit:
        chain += f".limit({spec.limit})"
    if spec.consistent:
        chain += ".consistent()"
    lines.append(f"rows = {chain}.as_dicts().using({connection}).to_pandas()")
    return "\n".join(lines)


def to_boto3(spec: QuerySpec, plan: Plan) -> str:
    """The low-level request the plan sends, as boto3 client code."""
    operation = re.sub(r"(?<!^)(?=[A-Z])", "_", plan.operation).lower()
    request = dict(plan.request)
    if plan.operation == "BatchGetItem":
        keys = request.pop("Keys")
        table = request.pop("TableName")
        request = {"RequestItems": {table: {"Keys": keys, **request}}}
    if spec.limit and plan.operation in ("Query", "Scan") and plan.chosen.filter is None:
        request["Limit"] = spec.limit
    body = pprint.pformat(request, indent=1, width=88, sort_dicts=False)
    return ("import boto3\n\nclient = boto3.client('dynamodb')\n"
            f"response = client.{operation}(**{body})")
