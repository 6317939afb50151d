"""The AST of the ``%%dynamo`` language: DynamoDB's PartiQL plus a few documented additions.

Plain frozen dataclasses (every `Node` subclass is made one); every node records where it
starts (1-based ``line`` and ``col``) so that errors found after parsing (an unknown table, a
bad value) can point at the text.

PartiQL (as AWS documents it for DynamoDB): SELECT, INSERT, UPDATE, DELETE; paths such as
``info.rating`` and ``info.actors[0]``; literals for strings, numbers, booleans, NULL, lists,
maps and sets (``<<'a', 'b'>>``); ``?`` parameters. Our additions: ``:name`` variables
(bound as values, never as text), ``LIMIT n``, ``EXPLAIN``, ``SHOW TABLES``, ``DESCRIBE``,
several statements separated by ``;``, and ``BEGIN TRANSACTION; ... COMMIT;``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, dataclass_transform

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


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class _Frozen:
    """Makes every subclass a frozen dataclass, as if each said ``@dataclass(frozen=True)``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(frozen=True)(cls)


class Node(_Frozen):
    """Base of every node: where it starts in the text (1-based)."""

    line: int = field(default=1, kw_only=True, compare=False)
    col: int = field(default=1, kw_only=True, compare=False)


# --- expressions ----------------------------------------------------------------------------

class PathExpr(Node):
    """``a.b[2].c``: names (already unquoted) and list indexes."""

    elements: tuple[str | int, ...]


class Literal(Node):
    """A constant as a Python value: str, int, Decimal, bool, None, list, dict (str keys) or
    frozenset (``<<...>>``). Containers may hold `Param`/`Variable` nodes where the text had
    ``?`` or ``:name``; they are resolved when the statement is compiled."""

    value: Any


class Param(Node):
    """``?``: the index-th positional parameter (0-based, in order of appearance)."""

    index: int


class Variable(Node):
    """``:name``: a Python variable of the notebook, bound as a value."""

    name: str


class Call(Node):
    """A function call: begins_with, contains, attribute_type, size, exists-style functions
    (attribute_exists / attribute_not_exists), and in UPDATE: list_append, set_add,
    set_delete, if_not_exists. ``name`` is lower-case."""

    name: str
    args: tuple[Node, ...]


class BinaryOp(Node):
    """Arithmetic in UPDATE SET: ``a + 1``, ``a - b``."""

    op: str  # "+" or "-"
    left: Node
    right: Node


class Compare(Node):
    """``left op right`` with op in =, <>, <, <=, >, >= (``!=`` is read as ``<>``)."""

    op: str
    left: Node
    right: Node


class Between(Node):
    subject: Node
    low: Node
    high: Node


class In(Node):
    """``subject IN [a, b]`` or ``subject IN (a, b)``."""

    subject: Node
    options: tuple[Node, ...]


class IsCheck(Node):
    """``subject IS [NOT] MISSING`` / ``IS [NOT] NULL``; what is "MISSING" or "NULL"."""

    subject: Node
    what: str
    negated: bool = False


class Logical(Node):
    """``AND`` / ``OR`` of two or more parts (flattened, in written order)."""

    op: str  # "AND" or "OR"
    parts: tuple[Node, ...]


class Not(Node):
    part: Node


# --- statements -----------------------------------------------------------------------------

class TableRef(Node):
    """``"table"`` or ``"table"."index"``."""

    table: str
    index: str | None = None


class Statement(Node):
    """Base of statements; ``text`` is the statement's own source text."""

    text: str = field(default="", kw_only=True, compare=False)


class Select(Statement):
    """``SELECT proj FROM t [WHERE c] [ORDER BY path [ASC|DESC]] [LIMIT n]``.

    ``projection`` is None for ``*``."""

    projection: tuple[PathExpr, ...] | None
    source: TableRef
    where: Node | None = None
    order_by: PathExpr | None = None
    descending: bool = False
    limit: int | None = None


class Insert(Statement):
    """``INSERT INTO t VALUE {...}``; ``item`` is a Literal holding a dict."""

    source: TableRef
    item: Literal


class SetAction(Node):
    """``SET path = value`` where value is a Literal/Param/Variable/PathExpr/BinaryOp/Call."""

    path: PathExpr
    value: Node


class Remove(Node):
    """``REMOVE path``."""

    path: PathExpr


class Update(Statement):
    """``UPDATE t SET ... REMOVE ... WHERE c [RETURNING (ALL|MODIFIED) (OLD|NEW) *]``."""

    source: TableRef
    actions: tuple[SetAction | Remove, ...]
    where: Node | None = None
    returning: str | None = None  # DynamoDB ReturnValues: ALL_OLD, ALL_NEW, UPDATED_*


class Delete(Statement):
    """``DELETE FROM t WHERE c [RETURNING ALL OLD *]``."""

    source: TableRef
    where: Node | None = None
    returning: str | None = None  # ALL_OLD


class Explain(Statement):
    """``EXPLAIN <SELECT | UPDATE | DELETE>`` (our addition)."""

    statement: Statement


class Advise(Statement):
    """``ADVISE SELECT ...; SELECT ...`` (our addition): the GSIs that would serve every
    SELECT after it in the cell; nothing is read but the tables' samples."""

    statements: tuple[Statement, ...]


class ShowTables(Statement):
    """``SHOW TABLES`` (our addition)."""


class Describe(Statement):
    """``DESCRIBE "t"`` (our addition)."""

    source: TableRef


class Begin(Statement):
    """``BEGIN [TRANSACTION]`` (our addition)."""


class Commit(Statement):
    """``COMMIT [TRANSACTION]`` (our addition)."""


class Rollback(Statement):
    """``ROLLBACK`` (our addition): forget the statements since BEGIN."""

