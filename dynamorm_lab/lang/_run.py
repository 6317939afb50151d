"""Run ``%%dynamo`` statements through the ORM: the planner chooses, the executor reads.

A SELECT becomes a `Query` of the table (so it gets the planner's index choice, where
DynamoDB's own PartiQL would scan), writes go through the same request builders as the
Python API, and every result says what it cost. An UPDATE or DELETE whose WHERE is not a full
primary key becomes a planned read plus conditional per-item writes, only with ``yes=True``
(``dry_run=True`` shows the items and writes nothing).
"""

from __future__ import annotations

import difflib
import html
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._core import display
from .._core import expr as x
from .._core.codec import decode_item, encode_item
from .._core.planner import Plan, equalities, full_key
from .._core.query import Query
from .._core.requests import table_delete, table_put, table_update
from .._core.results import Stats
from .._core.schema import TableSchema
from .._core.session import resolve
from .._ops.advise import Advice
from .._ops.results import Result
from .._ops.samples import SAMPLE
from ..errors import (
    ConditionFailed,
    ItemAlreadyExists,
    ItemNotFound,
    TableNotFound,
    ValidationError,
)
from ..frames import frame_from_items, frame_records, result_table, table_frame
from . import _ast as a
from ._compile import Bindings, condition, path, update_actions, value
from ._parser import parse

if TYPE_CHECKING:
    from .._connection import Connection

__all__ = ["StatementResult", "execute"]


@dataclass
class StatementResult:
    """The outcome of one statement: rows, a plan, or a write, and a one-line summary.

    A SELECT's rows are a DataFrame built straight from DynamoDB's pages (`frame`, with
    its `stats` and `plan`); `rows` gives them as dicts. A dry run holds the items it would
    touch (`result`)."""

    statement: a.Statement
    kind: str  # rows, plan, advice, write, tables, describe, dry_run, transaction
    summary: str
    result: Result | None = None
    plan: Plan | None = None
    frame: Any = None
    notes: list[str] = field(default_factory=list)
    stats: Stats | None = None
    advice: Advice | None = None  # ADVISE: the proposals, model code and migrations
    schema: TableSchema | None = None  # DESCRIBE: the live table

    def to_pandas(self) -> Any:
        """The statement's table: its rows, the plan's candidates, or what a write returned
        (empty when there is nothing to show)."""
        if self.frame is not None:
            return self.frame
        if self.result is not None:
            return self.result.to_pandas()
        if self.plan is not None:
            return table_frame(self.plan.rows())
        return table_frame([])

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows as dicts (an item's missing attributes left out)."""
        if self.result is not None:
            return [dict(item) for item in self.result.items]
        return frame_records(self.frame) if self.kind == "rows" else []

    def to_items(self) -> list[dict[str, Any]]:
        """The wire items a dry run would touch (empty for other statements)."""
        return self.result.to_items() if self.result is not None else []

    def __len__(self) -> int:
        if self.kind == "rows" and self.frame is not None:
            return len(self.frame)
        return len(self.result) if self.result is not None else 0

    def __repr__(self) -> str:
        return f"<StatementResult {self.kind}: {self.summary}>"

    def _repr_html_(self, limit: int = 50) -> str:
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        head = f"<p><code>{html.escape(self.summary)}</code></p>{notes}"
        if self.kind == "plan":  # the summary holds the plan's sentence: said once, as title
            return (self.plan._repr_html_(title=self.summary) if self.plan is not None
                    else display.card(self.summary)) + notes
        if self.kind == "describe" and self.schema is not None:
            return self.schema._repr_html_() + notes
        if self.kind in ("write", "transaction") and self.frame is None:
            return display.note(self.summary) + notes
        if self.advice is not None:  # its summary is the advice's title: said once
            return self.advice._repr_html_() + notes
        frame = self.to_pandas()
        if frame is None or (frame.empty and self.kind not in ("rows", "dry_run")):
            return head
        return head + result_table(frame, limit=limit)  # browsable past `limit` rows


@dataclass
class _Options:
    bindings: Bindings
    allow_scan: bool = False
    yes: bool = False
    dry_run: bool = False
    sample: int = SAMPLE


class _Runner:
    def __init__(self, conn: Connection, options: _Options) -> None:
        self.conn = conn
        self.options = options
        self._models: dict[str, Any] = {}
        self._transaction: Any = None
        self._pending: list[a.Statement] = []
        self.sample_costs: list[str] = []

    # --- tables ---
    def schema(self, ref: a.TableRef) -> TableSchema:
        try:
            schema = self.conn.describe(ref.table)
        except TableNotFound:
            close = difflib.get_close_matches(ref.table, self.conn.tables(), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValidationError(f"no table {ref.table!r} (line {ref.line}, column "
                                  f"{ref.col}){hint}", table=ref.table) from None
        if ref.index is not None:
            schema.index(ref.index)
        return schema

    def source(self, ref: a.TableRef) -> Any:
        """The table as an introspected model: the planner learns which attributes every
        item has (sparse indexes) from a small sample, read once per connection (what it
        cost is told when this statement read it)."""
        if ref.table not in self._models:
            held = self.conn.sampled(ref.table, sample=self.options.sample)
            if held is None:  # the table is described (named if missing) and sampled once
                self.schema(ref)
            self._models[ref.table] = self.conn.model(ref.table, sample=self.options.sample)
            if held is None:
                self.sample_costs.append(self.conn.inspect(
                    ref.table, sample=self.options.sample).cost())
        model = self._models[ref.table]
        if ref.index is not None:
            model.__dynamorm_schema__.index(ref.index)
        return model

    def costed(self, summary: str) -> str:
        """The summary, with the samples this statement read (once per connection)."""
        if not self.sample_costs:
            return summary
        costs, self.sample_costs = self.sample_costs, []
        return f"{summary}; first read {', '.join(costs)} (once per connection)"

    def notes_for(self, ref: a.TableRef, names: set[str]) -> list[str]:
        model = self.source(ref)
        known = set(model.__dynamorm_attrs__)
        notes = []
        for name in sorted(names - known):
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
            if close:
                notes.append(f"note: attribute {name!r} was not seen in a sample of "
                             f"{self.options.sample} items of {ref.table}; did you mean "
                             f"{close[0]!r}?")
        return notes

    # --- statements ---
    def run(self, statement: a.Statement) -> StatementResult | None:
        if self._transaction is not None and not isinstance(statement, a.Commit | a.Rollback):
            self.in_transaction(statement)
            return None
        handler = _HANDLERS.get(type(statement))
        if handler is None:
            raise ValidationError(f"{type(statement).__name__} cannot run here")
        result: StatementResult | None = handler(self, statement)
        return result

    def query(self, st: a.Select) -> Query:
        where = () if st.where is None else (condition(st.where, self.options.bindings),)
        query = Query(self.source(st.source), *where).as_dicts().using(self.conn)
        if st.source.index is not None:
            query = query.index(st.source.index)
        if st.projection is not None:
            query = query.select(*(path(p) for p in st.projection))
        if st.order_by is not None:
            query = query.descending(st.descending)
        if st.limit is not None:
            query = query.limit(st.limit)
        return query.allow_scan(self.options.allow_scan)

    def select(self, st: a.Select) -> StatementResult:
        """Straight to a frame (no dicts on the way), with its stats and plan."""
        query = self.query(st)
        plan = query.explain()
        if st.order_by is not None:
            self.check_order(st, plan)
        frame = query.to_pandas()
        stats = frame.attrs["stats"]
        names = {p.elements[0] for p in st.projection or ()}
        names |= _names(st.where)
        return StatementResult(st, "rows", self.costed(stats.summary()), plan=plan, frame=frame,
                               stats=stats,
                               notes=self.notes_for(st.source, {str(n) for n in names}))

    def check_order(self, st: a.Select, plan: Plan) -> None:
        keys = self.schema(st.source).keys_of(plan.index)
        assert st.order_by is not None
        wanted = ".".join(str(e) for e in st.order_by.elements)
        if plan.chosen.partitions and wanted in {k.name for k in keys.partition_keys}:
            return  # one Query per partition value, run in the asked order
        sorts = [k.name for k in keys.sort_keys]
        if plan.operation == "Query" and wanted in sorts:
            # a multi-attribute sort key orders by each attribute once those before it are fixed
            fixed = equalities(plan.chosen.key_condition)
            if all(s in fixed for s in sorts[:sorts.index(wanted)]):
                return
        raise ValidationError(f"ORDER BY {wanted}: DynamoDB orders only by the sort key of "
                              f"the table or index a Query reads ({plan.sentence})")

    def insert(self, st: a.Insert) -> StatementResult:
        schema = self.schema(st.source)
        item = value(st.item, self.options.bindings)
        if not isinstance(item, dict):
            raise ValidationError("INSERT ... VALUE takes a map such as {'id': 1}")
        params = table_put(schema, encode_item(item))
        try:
            self.conn.call("PutItem", params)
        except ConditionFailed as exc:
            raise ItemAlreadyExists(f"INSERT into {schema.name}: an item with this key already "
                                    "exists; nothing was written", table=schema.name,
                                    key=exc.key, request=exc.request) from None
        return StatementResult(st, "write", f"PutItem on {schema.name}: 1 item inserted")

    def _target(self, st: a.Update | a.Delete) -> tuple[TableSchema, dict[str, Any] | None,
                                                        x.Condition | None]:
        schema = self.schema(st.source)
        if st.where is None:
            raise ValidationError(f"{type(st).__name__.upper()} needs a WHERE clause")
        where = condition(st.where, self.options.bindings)
        key, rest = full_key(schema, [where])
        remaining = None if not rest else (rest[0] if len(rest) == 1 else x.And(tuple(rest)))
        return schema, key, remaining if key is not None else where

    def update(self, st: a.Update) -> StatementResult:
        schema, key, rest = self._target(st)
        actions = update_actions(st.actions, self.options.bindings)
        if key is not None:
            params = table_update(schema, key, actions, condition=rest)
            params["ReturnValues"] = st.returning or "ALL_NEW"
            try:
                response = self.conn.call("UpdateItem", params)
            except ConditionFailed as exc:
                if exc.old_item is None:
                    raise ItemNotFound(f"UPDATE {schema.name}: no item has this key; nothing "
                                       "was written", table=schema.name, key=key) from None
                raise
            returned = response.get("Attributes")
            return StatementResult(st, "write", f"UpdateItem on {schema.name}: 1 item updated",
                                   frame=_frame([returned] if returned else []))
        return self.many(st, schema, rest, lambda k, c: ("UpdateItem", table_update(
            schema, k, actions, condition=c)))

    def delete(self, st: a.Delete) -> StatementResult:
        schema, key, rest = self._target(st)
        if key is not None:
            params = table_delete(schema, key, condition=rest)
            if st.returning:
                params["ReturnValues"] = st.returning
            returned = self.conn.call("DeleteItem", params).get("Attributes")
            return StatementResult(st, "write", f"DeleteItem on {schema.name}: 1 item deleted "
                                   "(if it existed and matched)",
                                   frame=_frame([returned]) if returned else None)
        return self.many(st, schema, rest, lambda k, c: ("DeleteItem", table_delete(
            schema, k, condition=c)))

    def many(self, st: a.Update | a.Delete, schema: TableSchema, where: x.Condition | None,
             build: Any) -> StatementResult:
        """A write whose WHERE is not a full key: planned read, then one write per item."""
        query = Query(self.source(st.source), *(() if where is None else (where,))).as_items()
        found = query.using(self.conn).allow_scan(self.options.allow_scan).all()
        verb = type(st).__name__.upper()
        if self.options.dry_run:
            return StatementResult(st, "dry_run", f"dry run: {verb} would touch {len(found)} "
                                   f"item(s) of {schema.name}; nothing was written",
                                   result=found, plan=found.plan, stats=found.stats)
        if not self.options.yes:
            raise ValidationError(
                f"{verb} with a WHERE that is not a full primary key touches {len(found)} "
                f"item(s) of {schema.name} ({found.plan.sentence}). Run it again with --yes to "
                "write them one by one (each write re-checks the WHERE), or --dry-run to see "
                "them", table=schema.name)
        done = skipped = 0
        started = time.perf_counter()
        for item in found.raw:
            key = {k: item[k] for k in schema.key_names}
            operation, params = build(key, where)
            try:
                self.conn.call(operation, params)
                done += 1
            except ConditionFailed:
                skipped += 1
        elapsed = (time.perf_counter() - started) * 1000
        return StatementResult(st, "write", f"{verb} on {schema.name}: {done} item(s) written, "
                               f"{skipped} skipped (changed meanwhile); read with "
                               f"{found.plan.chosen.describe()}; {elapsed:.0f} ms",
                               plan=found.plan)

    def explain(self, st: a.Explain) -> StatementResult:
        inner = st.statement
        if isinstance(inner, a.Select):
            plan = self.query(inner).explain(stats=True)
            return StatementResult(st, "plan", self.costed(plan.sentence), plan=plan)
        if isinstance(inner, a.Update | a.Delete):
            schema, key, rest = self._target(inner)
            verb = "UpdateItem" if isinstance(inner, a.Update) else "DeleteItem"
            if key is not None:
                shown = " AND ".join(f"{k} = {x.literal(v)}" for k, v in _plain(key).items())
                extra = f"; condition {x.describe(rest)}" if rest is not None else ""
                return StatementResult(st, "plan", f"{verb} on {schema.name}: the full key is "
                                       f"given ({shown}){extra}")
            query = Query(self.source(inner.source),
                          *(() if rest is None else (rest,))).using(self.conn)
            plan = query.explain(stats=True)
            return StatementResult(st, "plan", f"{verb} per item after a read: "
                                   f"{plan.sentence}", plan=plan)
        if isinstance(inner, a.Insert):
            schema = self.schema(inner.source)
            return StatementResult(st, "plan", f"PutItem on {schema.name}, only if no item has "
                                   "the same key")
        raise ValidationError("EXPLAIN takes SELECT, INSERT, UPDATE or DELETE")

    def advise(self, st: a.Advise) -> StatementResult:
        queries = [self.query(inner) for inner in st.statements if isinstance(inner, a.Select)]
        advice = self.conn.advise(queries)
        return StatementResult(st, "advice", advice.summary(), frame=advice.to_pandas(),
                               advice=advice)

    def show_tables(self, st: a.ShowTables) -> StatementResult:
        rows = []
        for name in self.conn.tables():
            schema = self.conn.describe(name)
            rows.append({"table": name, "partition_key": str(schema.partition),
                         "sort_key": str(schema.sort or ""),
                         "indexes": ", ".join(i.name for i in schema.indexes),
                         "items": schema.extra.get("ItemCount")})
        return StatementResult(st, "tables", f"{len(rows)} table(s)",
                               frame=table_frame(rows, columns=[
                                   "table", "partition_key", "sort_key", "indexes", "items"]))

    def describe(self, st: a.Describe) -> StatementResult:
        schema = self.schema(st.source)
        return StatementResult(st, "describe", describe_summary(schema),
                               frame=describe_frame(schema), schema=schema)

    # --- transactions ---
    def begin(self, st: a.Begin) -> None:
        self._transaction = self.conn.transaction()

    def in_transaction(self, st: a.Statement) -> None:
        tx = self._transaction
        if isinstance(st, a.Insert):
            schema = self.schema(st.source)
            item = value(st.item, self.options.bindings)
            tx.add_request("Put", table_put(schema, encode_item(item)))
        elif isinstance(st, a.Update | a.Delete):
            schema, key, rest = self._target(st)
            if st.returning:
                raise ValidationError("RETURNING cannot be used inside a transaction")
            if key is None:
                raise ValidationError("inside a transaction, UPDATE and DELETE need the full "
                                      "primary key in WHERE")
            if isinstance(st, a.Update):
                actions = update_actions(st.actions, self.options.bindings)
                tx.add_request("Update", table_update(schema, key, actions, condition=rest))
            else:
                tx.add_request("Delete", table_delete(schema, key, condition=rest))
        else:
            raise ValidationError(f"{type(st).__name__.upper()} cannot run inside a transaction"
                                  " (only INSERT, UPDATE and DELETE)")
        self._pending.append(st)

    def commit(self, st: a.Commit) -> StatementResult:
        if self._transaction is None:
            raise ValidationError("COMMIT without BEGIN")
        tx, count = self._transaction, len(self._pending)
        self._transaction, self._pending = None, []
        tx.commit()
        return StatementResult(st, "transaction", f"TransactWriteItems: {count} statement(s) "
                               "committed together")

    def rollback(self, st: a.Rollback) -> StatementResult:
        count = len(self._pending)
        self._transaction, self._pending = None, []
        return StatementResult(st, "transaction", f"rolled back: {count} statement(s) not sent")


_HANDLERS: dict[type, Any] = {
    a.Select: _Runner.select, a.Insert: _Runner.insert, a.Update: _Runner.update,
    a.Delete: _Runner.delete, a.Explain: _Runner.explain, a.Advise: _Runner.advise,
    a.ShowTables: _Runner.show_tables,
    a.Describe: _Runner.describe, a.Begin: _Runner.begin, a.Commit: _Runner.commit,
    a.Rollback: _Runner.rollback,
}


def _names(node: a.Node | None) -> set[str]:
    """Top-level attribute names a WHERE clause mentions."""
    if node is None:
        return set()
    if isinstance(node, a.PathExpr):
        return {str(node.elements[0])}
    out: set[str] = set()
    for name in ("left", "right", "subject", "low", "high", "part"):
        child = getattr(node, name, None)
        if isinstance(child, a.Node):
            out |= _names(child)
    for name in ("parts", "options", "args"):
        for child in getattr(node, name, ()) or ():
            if isinstance(child, a.Node):
                out |= _names(child)
    return out


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return decode_item(dict(item))


def _frame(items: Sequence[Mapping[str, Any]]) -> Any:
    return frame_from_items(items)


def describe_summary(schema: TableSchema) -> str:
    """One line: keys, item count, size (or that the server reports none), TTL, billing,
    stream (the figures `TableSchema.figures` shows)."""
    facts = dict(schema.figures())
    items = facts.get("items")
    counted = "? items" if items is None else display.count(items, "item")
    return (f"{schema.name}: key {facts['key']}; {counted}, size {facts.get('size', '?')}; "
            f"TTL {facts['TTL']}; billing {facts.get('billing', '?')}; "
            f"stream {facts.get('stream', '?')}")


def describe_frame(schema: TableSchema) -> Any:
    """One row for the table's key and one per index."""
    return table_frame(schema.rows(), columns=["kind", "name", "partition_key", "sort_key",
                                               "projection"])


def advise(workload: str | Sequence[Any] | None = None,
           connection: Connection | None = None) -> Advice:
    """Propose GSIs for a workload: ``%%dynamo`` SELECT statements (one text, ``;``-
    separated, or a list of texts), queries, or both; without one, the reads the connection
    has run. See `Connection.advise`."""
    conn: Connection = resolve(connection)
    if workload is None:
        return conn.advise()
    items = [workload] if isinstance(workload, str) else list(workload)
    queries: list[Query] = []
    runner = _Runner(conn, _Options(Bindings((), {})))
    for item in items:
        if isinstance(item, str):
            for statement in parse(item):
                if not isinstance(statement, a.Select):
                    raise ValidationError("advise() takes SELECT statements, got "
                                          f"{statement.text!r:.60}")
                queries.append(runner.query(statement))
        else:
            queries.append(item)
    return conn.advise(queries)


def query_of(text: str, connection: Connection | None = None, *,
             params: Sequence[Any] = (), variables: Mapping[str, Any] | None = None,
             allow_scan: bool = False) -> Query:
    """The `Query` one SELECT statement compiles to, not run: for what a statement cannot
    say itself (``.iter_frames()``, ``.to_parquet()``, ``.rate()``, ``.segments()``)."""
    statements = parse(text)
    if len(statements) != 1 or not isinstance(statements[0], a.Select):
        raise ValidationError(f"query_of() takes one SELECT statement, got {text.strip()!r:.60}")
    options = _Options(Bindings(tuple(params), dict(variables or {})), allow_scan)
    return _Runner(resolve(connection), options).query(statements[0])


def execute(text: str, connection: Connection | None = None, *, params: Sequence[Any] = (),
            variables: Mapping[str, Any] | None = None, allow_scan: bool = False,
            yes: bool = False, dry_run: bool = False) -> list[StatementResult]:
    """Parse and run `text`: DynamoDB PartiQL statements (plus EXPLAIN, ADVISE, LIMIT, SHOW TABLES,
    DESCRIBE, ``:variables`` and BEGIN/COMMIT transactions), separated by ``;``.

    Args:
        params: values for ``?`` placeholders, in order.
        variables: values for ``:name`` placeholders (a notebook passes its namespace).
        allow_scan: let a SELECT that can only Scan run on a table over the scan guard.
        yes: let UPDATE/DELETE whose WHERE is not a full key write every matching item.
        dry_run: show what such an UPDATE/DELETE would touch, writing nothing.
    """
    statements = parse(text)
    options = _Options(Bindings(tuple(params), dict(variables or {})), allow_scan, yes, dry_run)
    runner = _Runner(resolve(connection), options)
    results = []
    for statement in statements:
        outcome = runner.run(statement)
        if outcome is not None:
            results.append(outcome)
    if runner._transaction is not None:
        raise ValidationError("BEGIN without COMMIT: the transaction was not sent (add COMMIT;)")
    return results
