"""Data migrations: scan a table, transform each item, write it back only if nobody else did.

The write is conditional on the item being as it was read: the version when the model has
one, otherwise every attribute the item had (``attribute = :value_read``) and the absence of
every attribute the transform adds. Only what changed is written (SET/REMOVE), so attributes
the transform does not know survive. Progress is resumable: the report's cursor, given back
as ``resume=``, continues after the last page fully processed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._core import display
from .._core.codec import decode_item, encode_item
from .._core.expr import Condition, Placeholders, UpdateAction, Value, attr, compile_condition
from .._core.expr import compile_update as render_update
from .._core.model import Model
from .._core.query import Query
from .._core.rate import Limiter, limiter_for, rate_spec
from .._core.schema import TableSchema
from ..errors import (
    ConditionFailed,
    DynamormError,
    ItemNotFound,
    ReadOnlyError,
    ValidationError,
)
from .crud import save
from .progress import Progress
from .reads import run_pages
from .tables import describe, described

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["BackfillReport", "backfill"]


@dataclass
class BackfillReport:
    """What a backfill did; `cursor` resumes it (None once the whole table was processed)."""

    changed: int = 0
    skipped: int = 0
    failed: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    read: int = 0
    pages: int = 0
    cursor: str | None = None
    elapsed: float = 0.0
    finished: bool = False
    limiter: Limiter | None = field(default=None, repr=False)  # the writes' rate limit

    @property
    def headline(self) -> str:
        """``120 items changed of 500 read, 3 skipped, 0 failed (finished)``."""
        state = "finished" if self.finished else "resumable with report.cursor"
        return (f"{display.count(self.changed, 'item')} changed of "
                f"{display.number(self.read)} read, {display.number(self.skipped)} skipped, "
                f"{display.number(len(self.failed))} failed ({state})")

    def __repr__(self) -> str:
        return f"<BackfillReport {self.headline}>"

    def _repr_html_(self) -> str:
        """The headline, the figures, and the first items not written back (why)."""
        facts = [("pages", self.pages), ("seconds", round(self.elapsed, 2)),
                 ("resume with", self.cursor if not self.finished else None)]
        failed = [{"key": display.item_text(decode_item(key)), "why": why}
                  for key, why in self.failed]
        return display.card(self.headline, facts,
                            body=display.table(failed, limit=20) if failed else "")


def backfill(transport: Transport, source: type[Model] | TableSchema | str,
             transform: Callable[[Any], Any], *, segments: int = 1, resume: str | None = None,
             page_size: int | None = None, progress: bool | None = None,
             rate: Any = None) -> BackfillReport:
    """Apply `transform` to every item and write back the ones it changed, conditionally.

    `transform` receives a model object (for a model) or a plain dict (for a table name) and
    returns the new object/dict, or None to leave the item alone. Items that changed since
    they were read are not overwritten: they are reported in ``failed``. `rate` limits the
    Scan's read units and the writes' write units per second (each its own bucket).
    """
    spec = rate_spec(rate)
    if not callable(transform):
        raise ValidationError("backfill needs a transform function")
    if transport.read_only:
        raise ReadOnlyError("backfill refused: this connection is read-only (nothing was read "
                            "or written)")
    if isinstance(source, str):
        source = describe(transport, source)
    run = _Backfill(transport, source, transform)
    run.limiter = run.report.limiter = limiter_for(
        spec, lambda: described(transport, run.table.name), "write")
    query = (Query(source, scan=True).as_items().segments(segments).after(resume).rate(spec)
             .progress(False))  # the backfill shows its own bar
    if page_size:
        query = query.page_size(page_size)
    report = run.report
    report.cursor = resume
    started = time.perf_counter()
    count, _size = transport.table_stats(run.table.name)
    try:
        with Progress(total=count, desc=f"backfill {run.table.name}", enabled=progress) as bar:
            for page in run_pages(transport, query):
                for index, item in enumerate(page.items):
                    run.one(item)
                    report.read += 1
                    report.cursor = (page.cursor if index == len(page.items) - 1
                                     else page.cursor_after(index))
                report.cursor = page.cursor  # also after an empty last page
                report.pages += 1
                bar.update(len(page.items))
    except BaseException as exc:  # any stop (our error, the transform's, Ctrl-C) can resume
        report.elapsed = time.perf_counter() - started
        with contextlib.suppress(AttributeError):
            exc.report = report  # type: ignore[attr-defined]
        raise
    report.elapsed = time.perf_counter() - started
    report.finished = report.cursor is None
    return report


class _Backfill:
    """One backfill run: what it writes to, how, and what it did so far."""

    def __init__(self, transport: Transport, source: type[Model] | TableSchema,
                 transform: Callable[[Any], Any]) -> None:
        self.transport = transport
        self.transform = transform
        self.model = source if isinstance(source, type) else None
        schema = source.__dynamorm_schema__ if isinstance(source, type) else source
        assert isinstance(schema, TableSchema)
        self.table = schema
        self.managed = set(self.model.__dynamorm_attrs__) if self.model is not None else None
        self.versioned = self.model is not None and "version" in self.model.__dynamorm_roles__
        self.report = BackfillReport()
        self.limiter: Limiter | None = None

    def one(self, item: dict[str, Any]) -> None:
        model, report = self.model, self.report
        key = {k: item[k] for k in self.table.key_names}
        result = self.transform(model.from_item(item) if model is not None
                                else decode_item(item))
        if result is None:
            report.skipped += 1
            return
        try:
            if self.versioned:
                self.paced(lambda: save(transport=self.transport, obj=result, condition=None))
                report.changed += 1
                return
            after = result.to_item() if isinstance(result, Model) else encode_item(result)
            if self.managed is not None:  # keep attributes the model does not know
                after = {**{k: v for k, v in item.items() if k not in self.managed}, **after}
            if self.write(item, after):
                report.changed += 1
            else:
                report.skipped += 1
        except (ConditionFailed, ItemNotFound) as exc:
            report.failed.append((key, f"changed by someone else since it was read: {exc}"))
        except DynamormError as exc:
            report.failed.append((key, str(exc)))

    def paced(self, send: Callable[[], Any]) -> Any:
        """`send()` under the rate limit: a write counts one unit when sent (the rest of
        what it consumed, when DynamoDB says, afterwards); throttling is reported."""
        if self.limiter is None:
            return send()
        self.limiter.wait()
        self.limiter.spend(1.0)
        throttles = self.transport.throttles
        try:
            return send()
        finally:
            if self.transport.throttles != throttles:
                self.limiter.throttled()

    def write(self, before: dict[str, Any], after: dict[str, Any]) -> bool:
        """Write `after` over `before` if the stored item is still `before`; False if same."""
        key_names, managed = self.table.key_names, self.managed
        for name in key_names:
            if after.get(name) != before.get(name):
                raise ValidationError(f"a backfill transform must not change the key ({name})")
        actions = [UpdateAction("SET", attr(name), Value(av)) for name, av in after.items()
                   if name not in key_names and before.get(name) != av]
        actions += [UpdateAction("REMOVE", attr(name), None) for name in before
                    if name not in after and name not in key_names
                    and (managed is None or name in managed)]
        if not actions:
            return False
        unchanged: list[Condition] = [attr(n) == Value(av) for n, av in before.items()]
        unchanged += [attr(n).not_exists() for n in after if n not in before]
        condition = unchanged[0]
        for part in unchanged[1:]:
            condition = condition & part
        ph = Placeholders()
        key = {k: before[k] for k in key_names}
        params = {"TableName": self.table.name, "Key": key,
                  "UpdateExpression": render_update(actions, ph),
                  "ConditionExpression": compile_condition(condition, ph),
                  "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                  "ReturnConsumedCapacity": "TOTAL"}
        try:
            response = self.paced(lambda: self.transport.call("UpdateItem", ph.into(params)))
            consumed = response.get("ConsumedCapacity") if isinstance(response, dict) else None
            if self.limiter is not None and consumed:
                self.limiter.spend(float(consumed.get("CapacityUnits", 1.0)) - 1.0)
        except ConditionFailed as exc:
            if not exc.retried:
                raise
            # botocore retried: the first attempt's response may have been lost after the
            # server applied it, so the retry met our own write. That is a change, not a
            # conflict, when the stored item is exactly what we wrote.
            stored = exc.old_item
            if stored is None:  # servers that ignore ReturnValuesOnConditionCheckFailure
                stored = self.transport.call("GetItem", {"TableName": self.table.name, "Key": key,
                                                    "ConsistentRead": True}).get("Item")
            if stored != after:
                raise
        return True
