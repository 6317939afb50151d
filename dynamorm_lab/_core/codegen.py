"""A query written three ways: a ``%%dynamo`` statement, ORM Python code, a boto3 request.

Widgets show these so a user can copy what they built; each runs to the same rows.
"""

from __future__ import annotations

import pprint
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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


def to_partiql(spec: QuerySpec, schema: TableSchema, plan: Plan | None = None) -> str:
    """The query as a ``%%dynamo`` statement (PartiQL plus our LIMIT); `plan` (needed for
    an order) names the sort key read."""
    projection = ", ".join(_pq_path(p) for p in spec.projection) if spec.projection else "*"
    source = '"' + schema.name.replace('"', '""') + '"'
    if spec.index:
        source += '."' + spec.index.replace('"', '""') + '"'
    text = f"SELECT {projection} FROM {source}"
    if spec.conditions:
        text += " WHERE " + " AND ".join(_condition(c, _PARTIQL) for c in spec.conditions)
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


def to_python(spec: QuerySpec, schema: TableSchema, *, connection: str = "db") -> str:
    """ORM code that runs the same query (``db`` is the connection's variable name)."""
    lines = ["import dynamorm_lab as dl", "from decimal import Decimal", "",
             f"table = {connection}.model({schema.name!r})"]
    conditions = ", ".join(_condition(c, _PYTHON) for c in spec.conditions)
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


# --- one writer of conditions, two dialects -----------------------------------------------------

@dataclass(frozen=True)
class _Dialect:
    """How a condition tree is written in one language: the operands, and a template per
    node (``{0}``, ``{1}``... are the operands written; ``{op}`` the comparison)."""

    name: str
    operand: Callable[[x.Operand], str]
    compare: str
    between: str
    within: str
    calls: Mapping[str, str]
    junctions: tuple[str, str]  # AND, OR
    group: str  # an AND/OR inside another node
    negate: str  # NOT of a condition; the condition is grouped unless the template groups it
    ops: Mapping[str, str] = field(default_factory=dict)


def _condition(node: x.Condition, d: _Dialect, *, top: bool = False) -> str:
    """`node` written in dialect `d` (`top`: a conjunct of the WHERE, not grouped)."""
    if isinstance(node, x.Compare):
        return d.compare.format(d.operand(node.left), d.operand(node.right),
                                op=d.ops.get(node.op, node.op))
    if isinstance(node, x.Between):
        return d.between.format(*map(d.operand, (node.subject, node.low, node.high)))
    if isinstance(node, x.In):
        options = ", ".join(map(d.operand, node.options))
        return d.within.format(d.operand(node.subject), options)
    if isinstance(node, x.Call):
        args = list(map(d.operand, node.args))
        template = d.calls.get(node.function, node.function + "({all})")
        return template.format(*args, all=", ".join(args))
    if isinstance(node, x.And | x.Or):
        joiner = d.junctions[0 if isinstance(node, x.And) else 1]
        text = joiner.join(_condition(p, d) for p in node.parts)
        return text if top else d.group.format(text)
    if isinstance(node, x.Not):
        return d.negate.format(_condition(node.part, d, top="({0})" in d.negate))
    raise ValueError(f"cannot write {type(node).__name__} in {d.name}")


_PARTIQL = _Dialect(
    "PartiQL", _pq_operand, "{0} {op} {1}", "{0} BETWEEN {1} AND {2}", "{0} IN [{1}]",
    {"attribute_exists": "{0} IS NOT MISSING", "attribute_not_exists": "{0} IS MISSING"},
    (" AND ", " OR "), "({0})", "NOT ({0})")
_PYTHON = _Dialect(
    "Python", _py_value, "({0} {op} {1})", "{0}.between({1}, {2})", "{0}.is_in([{1}])",
    {"attribute_exists": "{0}.exists()", "attribute_not_exists": "{0}.not_exists()",
     "begins_with": "{0}.begins_with({1})", "contains": "{0}.contains({1})",
     "attribute_type": "{0}.is_type({1})"},
    (" & ", " | "), "({0})", "~{0}",
    {"=": "==", "<>": "!="})


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
