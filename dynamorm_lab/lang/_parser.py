"""The ``%%dynamo`` parser: tokens to the AST of `_ast`, by recursive descent.

The language is DynamoDB's PartiQL as AWS documents it (a statement copied from the console
or the docs parses unchanged) plus our additions: ``:name`` variables, ``LIMIT``, ``EXPLAIN``,
``SHOW TABLES``, ``DESCRIBE``, ``BEGIN``/``COMMIT``/``ROLLBACK`` and ``;``-separated scripts.

Design choices, and why:

- One method per grammar rule, and a table from statement keyword to method, so a new
  statement is one method and one table row (sqlglot's ``STATEMENT_PARSERS``).
- Every error is a `ParseError` naming what was expected, what was found and where (line,
  column, caret); the "after X" context is taken from the previous token unless a rule
  knows a better phrase ("after the projection").
- Nesting (parentheses, NOT, containers, function calls, ``+``/``-`` chains) is limited to
  `MAX_DEPTH` levels. The parser needs about three Python frames per level, so the limit
  keeps it well inside the interpreter's recursion limit, and it keeps the resulting trees
  shallow enough for the code that walks them (compiler, ``==``, ``repr``).
- Parsing never evaluates anything: ``?`` and ``:name`` stay nodes (`Param`, `Variable`),
  even inside list/map/set literals, and are bound when the statement is compiled.
- The layers below live in `_tokens`: the tokenizer, the cursor with the error vocabulary
  (`TokenStream`) and the literal-value reader with the nesting guard (`ValueStream`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import ClassVar, NamedTuple

from . import _ast as a
from ._tokens import CONSTANTS, MAX_DEPTH, Token, TokenKind, ValueStream

__all__ = ["KEYWORDS", "MAX_DEPTH", "StatementWrite", "parse", "statement_writes"]

STATEMENT_LIST = ("SELECT, INSERT, UPDATE, DELETE, EXPLAIN, ADVISE, SHOW TABLES, DESCRIBE, "
                  "BEGIN, COMMIT")
_STATEMENT_EXPECTED = (
    "SELECT", "INSERT", "UPDATE", "DELETE", "EXPLAIN", "ADVISE", "SHOW TABLES", "DESCRIBE",
    "BEGIN", "COMMIT", "ROLLBACK",
)
_EXPLAINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE")
_COMPARISONS = ("=", "<>", "!=", "<", "<=", ">", ">=")
_PREDICATE_EXPECTED = (*_COMPARISONS, "BETWEEN", "IN", "IS", "NOT")
# Words that would make a statement ambiguous as bare names; quote them ("Order") to use them.
RESERVED = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "BETWEEN", "ORDER", "LIMIT",
    "SET", "REMOVE", "RETURNING", "TRUE", "FALSE", "NULL", "MISSING", "EXISTS",
})
# attribute_type's second argument: DynamoDB's type descriptors.
ATTRIBUTE_TYPES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")
_EXISTS_UNSUPPORTED = ("EXISTS(...) is not supported yet: DynamoDB only accepts it inside a "
                       "transaction; read the item with a SELECT instead")


@dataclass(frozen=True)
class _Function:
    """A known function: where it may appear and what each argument must be.

    ``role`` is "condition" (a predicate in WHERE), "number" (``size``: an operand in WHERE)
    or "update" (a value in UPDATE ... SET). ``args`` are "path", "value" or "type".
    """

    role: str
    args: tuple[str, ...]


FUNCTIONS: dict[str, _Function] = {
    "begins_with": _Function("condition", ("path", "value")),
    "contains": _Function("condition", ("path", "value")),
    "attribute_type": _Function("condition", ("path", "type")),
    "attribute_exists": _Function("condition", ("path",)),
    "attribute_not_exists": _Function("condition", ("path",)),
    "size": _Function("number", ("path",)),
    "list_append": _Function("update", ("value", "value")),
    "set_add": _Function("update", ("path", "value")),
    "set_delete": _Function("update", ("path", "value")),
    "if_not_exists": _Function("update", ("path", "value")),
}
_WHERE_ROLES = ("condition", "number")
_TRANSACTIONS: dict[str, type[a.Statement]] = {"BEGIN": a.Begin, "COMMIT": a.Commit,
                                             "ROLLBACK": a.Rollback}


def parse(text: str) -> list[a.Statement]:
    """Parse ``%%dynamo`` text into its statements (``;``-separated; empty ones are skipped).

    Raises `ParseError` with the line, column and expected tokens of the first problem.
    """
    return _Parser(text).statements()


class StatementWrite(NamedTuple):
    """A statement that changes a table: INSERT, UPDATE or DELETE, the table, its own text."""

    verb: str
    table: str
    text: str


def statement_writes(text: str) -> list[StatementWrite]:
    """The writes in ``%%dynamo`` text, in order, found by parsing alone (nothing is sent):
    what a cell would change, to ask about before running it. EXPLAIN writes nothing; the
    statements between BEGIN and COMMIT are listed one by one. Raises `ParseError`."""
    return [StatementWrite(type(s).__name__.upper(), s.source.table, s.text)
            for s in parse(text) if isinstance(s, a.Insert | a.Update | a.Delete)]


def _logical(op: str, parts: list[a.Node]) -> a.Node:
    """One part stays itself; more become one flat `Logical` starting where the first does."""
    if len(parts) == 1:
        return parts[0]
    return a.Logical(op, tuple(parts), line=parts[0].line, col=parts[0].col)


class _Parser(ValueStream):
    """The grammar, one method per rule, over a `ValueStream` (tokens, literal values, the
    ``?`` counter and the nesting guard)."""

    def at_call(self) -> bool:
        return self.peek().kind is TokenKind.NAME and self.peek(1).is_punct("(")

    # --- statements -----------------------------------------------------------------------

    def statements(self) -> list[a.Statement]:
        found: list[a.Statement] = []
        while True:
            while self.accept_punct(";"):
                pass
            if self.peek().kind is TokenKind.END:
                return found
            found.append(self._statement())

    def _statement(self) -> a.Statement:
        """One statement, stamped with its own source text and the position of its first
        token (so errors found later, e.g. an unknown table, can point at it)."""
        first = self.peek()
        if first.keyword == "EXISTS":
            raise self.fail(_EXISTS_UNSUPPORTED, first, _STATEMENT_EXPECTED)
        handler = self._STATEMENTS.get(first.keyword or "")
        if handler is None:
            raise self.expected(_STATEMENT_EXPECTED, what=f"a statement ({STATEMENT_LIST})",
                                 context="")
        self.keywords.add(self.pos)
        statement = handler(self)
        text = self.text[first.start:self.tokens[self.pos - 1].end].strip()
        return replace(statement, text=text, line=first.line, col=first.col)

    def _finish(self, more: tuple[str, ...], context: str) -> None:
        """A statement ends at ``;`` or the end of the text; say what else could have come."""
        if not self.at_end():
            raise self.expected((*more, ";"), context=context)

    def _select(self) -> a.Select:
        self.advance()
        projection = self._projection()
        self.expect_keyword("FROM", "after the projection")
        source = self._table_ref()
        where: a.Node | None = None
        order_by: a.PathExpr | None = None
        descending, limit = False, None
        more: tuple[str, ...] = ("WHERE", "ORDER BY", "LIMIT")
        context = "after the table name"
        if self.accept_keyword("WHERE"):
            where = self._condition()
            more, context = ("AND", "OR", "ORDER BY", "LIMIT"), "after the condition"
        if self.at_keyword("ORDER"):
            order_by, descending, more = self._order_by()
            context = "after ORDER BY"
        if self.at_keyword("LIMIT"):
            limit = self._limit()
            more, context = (), "after LIMIT"
        self._finish(more, context)
        return a.Select(projection, source, where, order_by, descending, limit)

    def _projection(self) -> tuple[a.PathExpr, ...] | None:
        """``*`` or a list of paths (None stands for ``*``)."""
        if self.accept_punct("*"):
            return None
        if self.at_call():
            raise self.fail("functions are not supported in the projection; select paths "
                             "or *", self.peek(), ("*", "a path"))
        paths = [self._path(("*", "a path"))]
        while self.accept_punct(","):
            paths.append(self._path())
        return tuple(paths)

    def _order_by(self) -> tuple[a.PathExpr, bool, tuple[str, ...]]:
        self.keyword()
        self.expect_keyword("BY", "after ORDER")
        path = self._path(("a sort key",))
        descending = bool(self.accept_keyword("DESC"))
        more: tuple[str, ...] = ("LIMIT",)
        if not descending and not self.accept_keyword("ASC"):
            more = ("ASC", "DESC", "LIMIT")
        if self.at_punct(","):
            raise self.fail("ORDER BY takes a single key: DynamoDB returns items in the order "
                             "of the sort key", self.peek(), more)
        return path, descending, more

    def _limit(self) -> int:
        self.keyword()
        token = self.peek()
        if token.kind is TokenKind.NUMBER and isinstance(token.value, int) and token.value > 0:
            self.advance()
            return token.value
        raise self.expected(("a positive integer",))

    def _insert(self) -> a.Insert:
        self.advance()
        self.expect_keyword("INTO", "after INSERT")
        source = self._table_ref()
        if self.at_keyword("VALUES"):
            raise self.fail("expected VALUE after the table name, found 'VALUES' (DynamoDB "
                             "inserts one item: INSERT INTO t VALUE {...})", self.peek(),
                             ("VALUE",))
        self.expect_keyword("VALUE", "after the table name")
        start = self.peek()
        if not start.is_punct("{"):
            raise self.expected(("{",), what="'{' (the item, as a map)")
        item = a.Literal(self.value(), line=start.line, col=start.col)
        self._finish((), "after the item")
        return a.Insert(source, item)

    def _update(self) -> a.Update:
        self.advance()
        source = self._table_ref()
        actions: list[a.SetAction | a.Remove] = []
        while clause := self.accept_keyword("SET") or self.accept_keyword("REMOVE"):
            action = self._set_action if clause.keyword == "SET" else self._remove_action
            actions.append(action())
            while self.accept_punct(","):
                actions.append(action())
        if not actions:
            raise self.expected(("SET", "REMOVE"), context="after the table name")
        self.expect_keyword("WHERE", "after the SET/REMOVE clauses",
                             (",", "SET", "REMOVE", "WHERE"))
        where = self._condition()
        returning = self._returning(("ALL", "MODIFIED"), ("OLD", "NEW"))
        self._finish(("AND", "OR"), "after the condition")
        return a.Update(source, tuple(actions), where, returning=returning)

    def _set_action(self) -> a.SetAction:
        path = self._path()
        self.expect_punct("=", "after the path being set")
        return a.SetAction(path, self._value_expr(), line=path.line, col=path.col)

    def _remove_action(self) -> a.Remove:
        path = self._path()
        return a.Remove(path, line=path.line, col=path.col)

    def _delete(self) -> a.Delete:
        self.advance()
        self.expect_keyword("FROM", "after DELETE")
        source = self._table_ref()
        self.expect_keyword("WHERE", "after the table name (DELETE needs the item's key)")
        where = self._condition()
        returning = self._returning(("ALL",), ("OLD",))
        self._finish(("AND", "OR"), "after the condition")
        return a.Delete(source, where, returning=returning)

    def _returning(self, which_allowed: tuple[str, ...],
                   age_allowed: tuple[str, ...]) -> str | None:
        """``RETURNING (ALL|MODIFIED) (OLD|NEW) *`` as DynamoDB's ReturnValues (ALL_OLD,
        ALL_NEW, UPDATED_OLD, UPDATED_NEW); DELETE allows only ALL OLD, as DynamoDB does."""
        if self.accept_keyword("RETURNING") is None:
            return None
        which = self.peek()
        if which.keyword not in which_allowed:
            raise self.expected(which_allowed)
        self.keyword()
        age = self.peek()
        if age.keyword not in age_allowed:
            raise self.expected(age_allowed)
        self.keyword()
        self.expect_punct("*")
        prefix = "ALL" if which.keyword == "ALL" else "UPDATED"
        return f"{prefix}_{age.keyword}"

    def _explain(self) -> a.Explain:
        self.advance()
        if not self.at_keyword(*_EXPLAINABLE):
            raise self.expected(_EXPLAINABLE, what="SELECT, INSERT, UPDATE or DELETE")
        return a.Explain(self._statement())

    def _advise(self) -> a.Advise:
        """``ADVISE`` and every statement after it in the cell, each a SELECT."""
        self.advance()
        found: list[a.Statement] = []
        while True:
            while self.accept_punct(";"):
                pass
            if self.peek().kind is TokenKind.END and found:
                return a.Advise(tuple(found))
            if not self.at_keyword("SELECT"):
                raise self.expected(("SELECT",), what="a SELECT to advise on")
            found.append(self._statement())

    def _show(self) -> a.ShowTables:
        self.advance()
        self.expect_keyword("TABLES", "after SHOW")
        self._finish((), "after SHOW TABLES")
        return a.ShowTables()

    def _describe_table(self) -> a.Describe:
        self.advance()
        source = self._table_ref()
        self._finish((), "after the table name")
        return a.Describe(source)

    def _transaction(self) -> a.Statement:
        """``BEGIN | COMMIT | ROLLBACK [TRANSACTION]``."""
        word = str(self.advance().keyword)
        if self.accept_keyword("TRANSACTION"):
            self._finish((), f"after {word} TRANSACTION")
        else:
            self._finish(("TRANSACTION",), f"after {word}")
        return _TRANSACTIONS[word]()

    _STATEMENTS: ClassVar[dict[str, Callable[[_Parser], a.Statement]]] = {
        "SELECT": _select, "INSERT": _insert, "UPDATE": _update, "DELETE": _delete,
        "EXPLAIN": _explain, "ADVISE": _advise, "SHOW": _show, "DESCRIBE": _describe_table,
        "BEGIN": _transaction, "COMMIT": _transaction, "ROLLBACK": _transaction,
    }

    # --- names, tables and paths ----------------------------------------------------------

    def _name(self, expected: tuple[str, ...]) -> str:
        token = self.peek()
        if token.kind is TokenKind.QUOTED_NAME:
            return str(self.advance().value)
        if token.kind is TokenKind.NAME:
            if token.keyword in RESERVED:
                raise self.expected(expected, note=f"to use {token.keyword} as a name, quote "
                                                    f"it: \"{token.value}\"")
            return str(self.advance().value)
        raise self.expected(expected)

    def _table_ref(self) -> a.TableRef:
        first = self.peek()
        table = self._name(("a table name",))
        self._refuse_bare_dash(first)
        index = None
        if self.accept_punct("."):
            index_token = self.peek()
            index = self._name(("an index name",))
            self._refuse_bare_dash(index_token)
        return a.TableRef(table, index, line=first.line, col=first.col)

    def _refuse_bare_dash(self, first: Token) -> None:
        """``FROM battle-royale`` reads as ``battle - royale``: say to quote the name."""
        if not (first.kind is TokenKind.NAME and self.at_punct("-")
                and self.peek().start == first.end):
            return
        end, index = first.end, self.pos
        while self.tokens[index].start == end and (
                self.tokens[index].is_punct("-")
                or self.tokens[index].kind in (TokenKind.NAME, TokenKind.NUMBER)):
            end, index = self.tokens[index].end, index + 1
        name = self.text[first.start:end]
        raise self.fail(f"names with '-' must be quoted: write \"{name}\"", first,
                         ("a table name",))

    def _path(self, expected: tuple[str, ...] = ("a path",)) -> a.PathExpr:
        """``name ( . name | [ index ] )*``; quoted names are unquoted, ``"a.b"`` is one name."""
        first = self.peek()
        elements: list[str | int] = [self._name(expected)]
        while True:
            if self.accept_punct("."):
                elements.append(self._name(("a name",)))
            elif self.accept_punct("["):
                token = self.peek()
                if not (token.kind is TokenKind.NUMBER and isinstance(token.value, int)):
                    raise self.expected(("a list index",),
                                         what="a list index (an integer, 0 or more)")
                elements.append(self.advance().value)
                self.expect_punct("]", "after the list index")
            else:
                return a.PathExpr(tuple(elements), line=first.line, col=first.col)

    # --- conditions -----------------------------------------------------------------------

    def _condition(self) -> a.Node:
        """OR of ANDs; a chain of the same operator becomes one flat `Logical`. (The loops are
        written out, not shared, to keep each nesting level at three Python frames.)"""
        parts = [self._conjunction()]
        while self.accept_keyword("OR"):
            parts.append(self._conjunction())
        return _logical("OR", parts)

    def _conjunction(self) -> a.Node:
        parts = [self._negation()]
        while self.accept_keyword("AND"):
            parts.append(self._negation())
        return _logical("AND", parts)

    def _negation(self) -> a.Node:
        """``NOT* ( '(' condition ')' | predicate )``; NOTs are read in a loop, not by
        recursion, but each still counts as a level of nesting."""
        nots: list[Token] = []
        while token := self.accept_keyword("NOT"):
            nots.append(token)
        start = self.peek()
        grouped = start.is_punct("(")
        with self.nested(start, len(nots) + grouped):
            if grouped:
                self.advance()
                node = self._condition()
                self.expect_punct(")", expected=(")", "AND", "OR"))
            else:
                node = self._predicate()
        for token in reversed(nots):
            node = a.Not(node, line=token.line, col=token.col)
        return node

    def _predicate(self) -> a.Node:
        if self.at_keyword("EXISTS"):
            raise self.fail(_EXISTS_UNSUPPORTED, self.peek(), ("a condition",))
        if self.at_call():
            call = self._call(_WHERE_ROLES)
            if call.name != "size":
                return call
            return self._comparison(call)
        return self._comparison(self._operand(("a condition",)))

    def _comparison(self, left: a.Node) -> a.Node:
        """What follows the left operand: a comparison, [NOT] BETWEEN, [NOT] IN, IS [NOT].
        Every resulting node starts where its left operand starts."""
        line, col = left.line, left.col
        token = self.peek()
        if token.is_punct(*_COMPARISONS):
            self.advance()
            op = "<>" if token.text == "!=" else token.text
            return a.Compare(op, left, self._where_operand(), line=line, col=col)
        negated = self.accept_keyword("NOT")
        node: a.Node
        if self.accept_keyword("BETWEEN"):
            low = self._where_operand()
            self.expect_keyword("AND", "between the BETWEEN bounds")
            node = a.Between(left, low, self._where_operand(), line=line, col=col)
        elif self.accept_keyword("IN"):
            node = a.In(left, self._in_options(), line=line, col=col)
        elif negated:
            raise self.expected(("BETWEEN", "IN"))
        elif self.accept_keyword("IS"):
            is_not = self.accept_keyword("NOT") is not None
            what = self.peek().keyword or ""
            if what not in ("MISSING", "NULL"):
                raise self.expected(("MISSING", "NULL"))
            self.keyword()
            return a.IsCheck(left, what, is_not, line=line, col=col)
        else:
            raise self.expected(_PREDICATE_EXPECTED,
                                 what="a comparison operator, BETWEEN, IN or IS")
        return a.Not(node, line=line, col=col) if negated else node

    def _in_options(self) -> tuple[a.Node, ...]:
        opener = self.peek()
        if not opener.is_punct("[", "("):
            raise self.expected(("[", "("), what="'[' or '(' (the list of values)")
        self.advance()
        closer = "]" if opener.text == "[" else ")"
        if self.at_punct(closer):
            raise self.fail("IN needs at least one value", self.peek(), ("a value",))
        options = [self._where_operand()]
        while self.accept_punct(","):
            options.append(self._where_operand())
        self.expect_punct(closer, "in the IN list", (",", closer))
        return tuple(options)

    def _where_operand(self) -> a.Node:
        """An operand in WHERE: a value, a path, or ``size(path)``."""
        if self.at_call():
            start = self.peek()
            call = self._call(_WHERE_ROLES)
            if call.name != "size":
                raise self.fail(f"{call.name}(...) is a condition, not a value", start,
                                 ("a value",))
            return call
        return self._operand()

    # --- operands, values and calls -------------------------------------------------------

    def _starts_operand(self) -> bool:
        """Whether the current token can begin an operand (reserved words cannot, except the
        constants, and MISSING, which `_operand` explains)."""
        token = self.peek()
        if token.kind is TokenKind.NAME:
            return token.keyword not in RESERVED or token.keyword in (*CONSTANTS, "MISSING")
        if token.kind in (TokenKind.QUOTED_NAME, TokenKind.STRING, TokenKind.NUMBER,
                          TokenKind.VARIABLE):
            return True
        return token.is_punct("?", "-", "[", "{", "<<")

    def _operand(self, expected: tuple[str, ...] = ("a value",)) -> a.Node:
        """A literal, ``?``, ``:name`` or a path (function calls are handled by the caller,
        because which ones are allowed depends on where the operand is)."""
        if not self._starts_operand():
            raise self.expected(expected)
        token = self.peek()
        if token.kind is TokenKind.NAME and token.keyword not in CONSTANTS:
            if token.keyword == "MISSING":
                raise self.fail("MISSING is not a value; test for it with IS MISSING", token,
                                 ("a value",))
            if self.at_call():
                raise self.fail(f"{token.value}(...) cannot be used here", token, ("a value",))
            return self._path(("a value",))
        if token.kind is TokenKind.QUOTED_NAME:
            return self._path()
        value = self.value()
        if isinstance(value, a.Param | a.Variable):
            return value
        return a.Literal(value, line=token.line, col=token.col)

    def _value_expr(self) -> a.Node:
        """``operand ((+|-) operand)*``, left-associative: the value of a SET action. The
        chain is read in a loop, but each operator nests the tree one level deeper, so it
        counts toward MAX_DEPTH like any other nesting."""
        left = self._update_operand()
        chain = 0
        while operator := self.accept_punct("+", "-"):
            chain += 1
            if self.depth + chain > MAX_DEPTH:
                raise self.fail(f"nesting is deeper than {MAX_DEPTH} levels", operator)
            right = self._update_operand()
            left = a.BinaryOp(operator.text, left, right, line=left.line, col=left.col)
        return left

    def _update_operand(self) -> a.Node:
        if self.at_call():
            return self._call(("update",))
        return self._operand()

    def _call(self, roles: tuple[str, ...]) -> a.Call:
        """``name(args)`` for a function allowed in this place (WHERE or SET)."""
        token = self.peek()
        name = str(token.value).lower()
        function = FUNCTIONS.get(name)
        allowed = tuple(n for n, f in FUNCTIONS.items() if f.role in roles)
        if name == "exists":
            raise self.fail(_EXISTS_UNSUPPORTED, token, allowed)
        if function is None:
            raise self.fail(f"unknown function '{token.value}': expected one of "
                             f"{', '.join(allowed)}", token, allowed)
        if function.role not in roles:
            place = "in UPDATE ... SET" if function.role == "update" else "in a WHERE condition"
            raise self.fail(f"{name}(...) can only be used {place}", token, allowed)
        self.advance()
        self.advance()  # "("
        args: list[a.Node] = []
        with self.nested(token):
            for number, kind in enumerate(function.args):
                if number:
                    self.expect_punct(",", self._arity(name, function))
                args.append(self._argument(kind, roles))
        self.expect_punct(")", self._arity(name, function))
        return a.Call(name, tuple(args), line=token.line, col=token.col)

    @staticmethod
    def _arity(name: str, function: _Function) -> str:
        count = len(function.args)
        return f"in {name}(...), which takes {count} argument{'s' if count > 1 else ''}"

    def _argument(self, kind: str, roles: tuple[str, ...]) -> a.Node:
        if kind == "path":
            return self._path()
        if kind == "type":
            return self._type_argument()
        return self._update_operand() if "update" in roles else self._operand()

    def _type_argument(self) -> a.Node:
        token = self.peek()
        if token.kind is TokenKind.STRING and token.value not in ATTRIBUTE_TYPES:
            raise self.fail(f"unknown attribute type {token.text}: expected one of "
                             f"{', '.join(ATTRIBUTE_TYPES)}", token, ATTRIBUTE_TYPES)
        if token.kind in (TokenKind.STRING, TokenKind.VARIABLE) or token.is_punct("?"):
            return self._operand()
        raise self.expected(("a type",), what="a type such as 'S' or 'N'")


# The words of the language, for completion: those that start a statement (the parser's
# table), the others its rules read, and the functions (lower case, as they are written).
KEYWORDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "statement": tuple(_Parser._STATEMENTS),
    "clause": tuple(sorted((RESERVED | {"INTO", "VALUE", "BY", "ASC", "DESC", "TABLES",
                                        "TRANSACTION", "ALL", "MODIFIED", "OLD", "NEW"})
                           - set(_Parser._STATEMENTS))),
    "function": tuple(FUNCTIONS),
})
