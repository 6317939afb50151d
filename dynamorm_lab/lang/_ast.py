"""The AST of the ``%%dynamo`` language: DynamoDB's PartiQL plus a few documented additions.

Plain frozen dataclasses; every node records where it starts (1-based ``line`` and ``col``)
so that errors found after parsing (an unknown table, a bad value) can point at the text.

PartiQL (as AWS documents it for DynamoDB): SELECT, INSERT, UPDATE, DELETE; paths such as
``info.rating`` and ``info.actors[0]``; literals for strings, numbers, booleans, NULL, lists,
maps and sets (``<<'a', 'b'>>``); ``?`` parameters. Our additions: ``:name`` variables
(bound as values, never as text), ``LIMIT n``, ``EXPLAIN``, ``SHOW TABLES``, ``DESCRIBE``,
several statements separated by ``;``, and ``BEGIN TRANSACTION; ... COMMIT;``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Begin",
    "Between",
    "BinaryOp",
    "Call",
    "Commit",
    "Compare",
    "Delete",
    "Describe",
    "Explain",
    "In",
    "Insert",
    "IsCheck",
    "Literal",
    "Logical",
    "Node",
    "Not",
    "Param",
    "PathExpr",
    "Remove",
    "Rollback",
    "Select",
    "SetAction",
    "ShowTables",
    "Statement",
    "TableRef",
    "Update",
    "Variable",
]


@dataclass(frozen=True)
class Node:
    """Base of every node: where it starts in the text (1-based)."""

    line: int = field(default=1, kw_only=True, compare=False)
    col: int = field(default=1, kw_only=True, compare=False)


# --- expressions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PathExpr(Node):
    """``a.b[2].c``: names (already unquoted) and list indexes."""

    elements: tuple[str | int, ...]


@dataclass(frozen=True)
class Literal(Node):
    """A constant as a Python value: str, int, Decimal, bool, None, list, dict (str keys) or
    frozenset (``<<...>>``). Containers may hold `Param`/`Variable` nodes where the text had
    ``?`` or ``:name``; they are resolved when the statement is compiled."""

    value: Any


@dataclass(frozen=True)
class Param(Node):
    """``?``: the index-th positional parameter (0-based, in order of appearance)."""

    index: int


@dataclass(frozen=True)
class Variable(Node):
    """``:name``: a Python variable of the notebook, bound as a value."""

    name: str


@dataclass(frozen=True)
class Call(Node):
    """A function call: begins_with, contains, attribute_type, size, exists-style functions
    (attribute_exists / attribute_not_exists), and in UPDATE: list_append, set_add,
    set_delete, if_not_exists. ``name`` is lower-case."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class BinaryOp(Node):
    """Arithmetic in UPDATE SET: ``a + 1``, ``a - b``."""

    op: str  # "+" or "-"
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    """``left op right`` with op in =, <>, <, <=, >, >= (``!=`` is read as ``<>``)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Between(Node):
    subject: Node
    low: Node
    high: Node


@dataclass(frozen=True)
class In(Node):
    """``subject IN [a, b]`` or ``subject IN (a, b)``."""

    subject: Node
    options: tuple[Node, ...]


@dataclass(frozen=True)
class IsCheck(Node):
    """``subject IS [NOT] MISSING`` / ``IS [NOT] NULL``; what is "MISSING" or "NULL"."""

    subject: Node
    what: str
    negated: bool = False


@dataclass(frozen=True)
class Logical(Node):
    """``AND`` / ``OR`` of two or more parts (flattened, in written order)."""

    op: str  # "AND" or "OR"
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    part: Node


# --- statements -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TableRef(Node):
    """``"table"`` or ``"table"."index"``."""

    table: str
    index: str | None = None


@dataclass(frozen=True)
class Statement(Node):
    """Base of statements; ``text`` is the statement's own source text."""

    text: str = field(default="", kw_only=True, compare=False)


@dataclass(frozen=True)
class Select(Statement):
    """``SELECT proj FROM t [WHERE c] [ORDER BY path [ASC|DESC]] [LIMIT n]``.

    ``projection`` is None for ``*``."""

    projection: tuple[PathExpr, ...] | None
    source: TableRef
    where: Node | None = None
    order_by: PathExpr | None = None
    descending: bool = False
    limit: int | None = None


@dataclass(frozen=True)
class Insert(Statement):
    """``INSERT INTO t VALUE {...}``; ``item`` is a Literal holding a dict."""

    source: TableRef
    item: Literal


@dataclass(frozen=True)
class SetAction(Node):
    """``SET path = value`` where value is a Literal/Param/Variable/PathExpr/BinaryOp/Call."""

    path: PathExpr
    value: Node


@dataclass(frozen=True)
class Remove(Node):
    """``REMOVE path``."""

    path: PathExpr


@dataclass(frozen=True)
class Update(Statement):
    """``UPDATE t SET ... REMOVE ... WHERE c [RETURNING (ALL|MODIFIED) (OLD|NEW) *]``."""

    source: TableRef
    actions: tuple[SetAction | Remove, ...]
    where: Node | None = None
    returning: str | None = None  # DynamoDB ReturnValues: ALL_OLD, ALL_NEW, UPDATED_*


@dataclass(frozen=True)
class Delete(Statement):
    """``DELETE FROM t WHERE c [RETURNING ALL OLD *]``."""

    source: TableRef
    where: Node | None = None
    returning: str | None = None  # ALL_OLD


@dataclass(frozen=True)
class Explain(Statement):
    """``EXPLAIN <SELECT | UPDATE | DELETE>`` (our addition)."""

    statement: Statement


@dataclass(frozen=True)
class ShowTables(Statement):
    """``SHOW TABLES`` (our addition)."""


@dataclass(frozen=True)
class Describe(Statement):
    """``DESCRIBE "t"`` (our addition)."""

    source: TableRef


@dataclass(frozen=True)
class Begin(Statement):
    """``BEGIN [TRANSACTION]`` (our addition)."""


@dataclass(frozen=True)
class Commit(Statement):
    """``COMMIT [TRANSACTION]`` (our addition)."""


@dataclass(frozen=True)
class Rollback(Statement):
    """``ROLLBACK`` (our addition): forget the statements since BEGIN."""

