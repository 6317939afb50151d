"""`connect()` and `Connection`: one botocore client, one error boundary, no secrets shown.

Targets: ``connect()`` uses AWS when the standard chain finds configuration and the embedded
local server otherwise (saying so once); ``connect("local")`` always uses the embedded server;
``connect("aws", region=..., profile=...)`` always uses AWS; ``connect("http://...")`` or
``endpoint_url=`` points at any DynamoDB-compatible endpoint.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._core import cursor as _cursor
from ._core import display as _display
from ._core import session as _session
from ._core.expr import UpdateAction
from ._core.retry import RetryPolicy
from ._core.schema import TableSchema
from ._ops import advise as _advise
from ._ops import backfill as _backfill
from ._ops import crud as _crud
from ._ops import export as _export
from ._ops import introspect as _introspect
from ._ops import load as _load
from ._ops import migrate as _migrate
from ._ops import reads as _reads
from ._ops import samples as _samples
from ._ops import tables as _tables
from ._ops import transactions as _transactions
from ._ops import writes as _writes
from ._ops.batch import WriteReport
from ._ops.redact import register_secrets
from ._ops.transport import BotoTransport
from ._ops.wire import parser_factory
from .errors import ConnectionFailed, RowsRejected, ValidationError

if TYPE_CHECKING:
    from ._core.estimate import Basis
    from ._core.model import Model
    from ._core.query import Query
    from ._core.results import Page, Stats
    from ._ops.advise import Advice
    from ._ops.backfill import BackfillReport
    from ._ops.export import ExportReport
    from ._ops.migrate import MigrationPlan, SchemaDiff
    from ._ops.results import Result
    from ._ops.samples import Profile
    from ._ops.transactions import Transaction
    from ._ops.writes import BatchGetResult, BatchWriter
    from .local import LocalServer

__all__ = ["Connection", "connect", "default_connection", "use"]

log = logging.getLogger("dynamorm_lab")
_LOCAL_REGION = "us-east-1"
_told_local = False
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def _setting(name: str, doc: str, *, settable: bool = False) -> Any:
    """A property of the connection that is its transport's setting of that name."""
    def get(self: Connection) -> Any:
        return getattr(self.transport, name)

    def put(self: Connection, value: Any) -> None:
        setattr(self.transport, name, value)

    return property(get, put if settable else None, doc=doc)


@dataclass(eq=False, repr=False)
class Connection:
    """A connection to DynamoDB (AWS, the embedded server or another endpoint): the facade.

    Every method is a thin delegation to an operation of the ops layer, which works through
    this connection's `transport` (one botocore client, one error boundary, read-only,
    hooks). Model methods given no connection use the default one (see `use`).
    """

    transport: BotoTransport
    target: str
    region: str
    endpoint_url: str | None = None
    profile: str | None = None
    server: LocalServer | None = None
    # the last ListTables (when, names), shared with read-only views: see known_tables
    _listing: dict[str, tuple[float, list[str]]] = field(default_factory=dict, init=False)
    _confirm_writes: bool = False
    _account_of: Callable[[], str | None] | None = None  # STS, for a connection to AWS
    _asked: dict[str, str | None] = field(default_factory=dict, init=False)  # once each

    def __repr__(self) -> str:
        where = self.endpoint_url or f"AWS {self.region}"
        extra = f" profile={self.profile}" if self.profile else ""
        mode = " read-only" if self.read_only else ""
        return f"<Connection {self.target} {where}{extra}{mode}>"

    def _repr_html_(self) -> str:
        """What a notebook shows for ``db``: where it points, in words, and how it behaves."""
        def yes_no(flag: bool) -> str:
            return "yes" if flag else "no"

        return _display.card(f"Connected to {self.where}", [
            ("region", self.region), ("profile", self.profile or ""),
            ("read-only", yes_no(self.read_only)),
            ("asks before writes in cells", yes_no(self.confirm_writes)),
            ("models use it by default", yes_no(_session.current() is self))])

    # --- the transport's settings and hooks ---
    read_only = _setting("read_only", "Every write is refused before it is sent.")
    scan_guard = _setting("scan_guard", "A query only a Scan serves is refused on a table of "
                          "more items than this (None: never).", settable=True)
    retry_policy = _setting("retry_policy", "The backoff for unprocessed batch items and keys.")
    cursor_key = _setting("cursor_key", "The key cursors are signed with.")

    @property
    def client(self) -> Any:
        """The botocore DynamoDB client (an escape hatch: it bypasses read-only)."""
        return self.transport.client

    @property
    def last_stats(self) -> Stats | None:
        """What the last read of this thread on this connection did and cost (every read
        route sets it; a Result, frame or table also carries its own)."""
        return self.transport.last_stats

    @property
    def is_local(self) -> bool:
        return self.server is not None

    @property
    def confirm_writes(self) -> bool:
        """Whether ``%%dynamo`` asks before each destructive statement (``connect(...,
        confirm_writes=True)``), as ``--yes`` skips."""
        return self._confirm_writes

    @property
    def account(self) -> str | None:
        """The AWS account id this connection acts in (STS GetCallerIdentity with its own
        credentials, asked once); None for the embedded server and other endpoints, or when
        it cannot be known."""
        if "account" not in self._asked:
            self._asked["account"] = self._account_of() if self._account_of else None
        return self._asked["account"]

    @property
    def where(self) -> str:
        """What this connection talks to, in words, as notices and ``%%dynamo``'s
        confirm_writes questions name it: the embedded server, an endpoint, or the AWS
        account, region and profile."""
        return _where(self)

    def on(self, event: str, handler: Callable[..., Any], *, unique_id: str | None = None) -> None:
        """Register a botocore event handler (e.g. ``"before-send.dynamodb"``), for logging,
        metrics or tests."""
        self.transport.on(event, handler, unique_id=unique_id)

    def off(self, event: str, handler: Callable[..., Any] | None = None, *,
            unique_id: str | None = None) -> None:
        """Unregister a handler registered with `on()`."""
        self.transport.off(event, handler, unique_id=unique_id)

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one DynamoDB request by its API name, through the error boundary."""
        return self.transport.call(operation, params)

    def as_read_only(self) -> Connection:
        """This connection refusing every write before it is sent: the same client, server,
        settings and hooks (closing either closes both). Itself when already read-only."""
        if self.read_only:
            return self
        view = copy.copy(self)
        view.transport = self.transport.as_read_only()
        return view

    def table_stats(self, name: str, *, max_age: float = 60.0) -> tuple[int | None, int | None]:
        """(item count, size in bytes) from DescribeTable, cached for `max_age` seconds;
        DynamoDB refreshes them about every six hours: estimates and the scan guard only."""
        return self.transport.table_stats(name, max_age=max_age)

    def forget_stats(self, name: str) -> None:
        """Drop the cached figures of a table (after it changed)."""
        self.transport.forget_stats(name)

    # --- items ---
    def get(self, model: type[Model], *key: Any, consistent: bool = False,
            attributes: Sequence[Any] | None = None, **named_key: Any) -> Any:
        """Read one item by primary key; raises ItemNotFound when there is none."""
        return _crud.get(self.transport, model, key, named_key, consistent=consistent,
                         attributes=attributes)

    def create(self, obj: Model, *, condition: Any = None) -> Model:
        """Write a new item; raises ItemAlreadyExists when the key is taken."""
        return _crud.create(self.transport, obj, condition)

    def save(self, obj: Model, *, condition: Any = None) -> Model:
        """Insert or update an item (checks and bumps the version when the model has one)."""
        return _crud.save(self.transport, obj, condition)

    def update(self, target: Any, *actions: UpdateAction, key: Any = None,
               condition: Any = None, must_exist: bool = True) -> Any:
        """Apply update actions; returns the updated object (and refreshes `target`)."""
        return _crud.update(self.transport, target, actions, key=key, condition=condition,
                            must_exist=must_exist)

    def delete(self, target: Any, *, key: Any = None, condition: Any = None) -> None:
        """Delete an item (an object, or a model class with key=)."""
        _crud.delete(self.transport, target, key=key, condition=condition)

    def refresh(self, obj: Model) -> Model:
        """Reload an object's values with a consistent read."""
        return _crud.refresh(self.transport, obj)

    # --- batches and transactions ---
    def batch_get(self, target: Any, keys: Iterable[Any] | None = None, *,
                  consistent: bool = False, attributes: Sequence[str] | None = None,
                  policy: RetryPolicy | None = None) -> BatchGetResult:
        """Read many keys: ``batch_get(Movie, [(2013, "Rush"), ...])`` or a list of
        ``(Model, key)`` pairs; found items in your order, missing keys in ``.missing``."""
        return _writes.batch_get(self.transport, target, keys, consistent=consistent,
                                 attributes=attributes, policy=policy or self.retry_policy)

    def batch_write(self, puts: Iterable[Model] = (), deletes: Iterable[Any] = (), *,
                    progress: bool | None = None, raise_on_failure: bool = True,
                    policy: RetryPolicy | None = None) -> WriteReport:
        """Put and delete any number of items; nothing is dropped (see WriteReport)."""
        return _writes.batch_write(self.transport, puts, deletes,
                                   policy=policy or self.retry_policy, progress=progress,
                                   raise_on_failure=raise_on_failure)

    # --- bulk writes from data ---
    def put_items(self, table: Any, items: Iterable[Any], *, on_error: str = "raise",
                  workers: int = 1, rate: Any = None, progress: bool | None = None,
                  ) -> WriteReport:
        """Write dicts of Python values (any iterable; a generator streams in flat memory)
        into a table (its name) or through a model (its fields decide). Every row is checked
        against the table first; see `put_frame` for ``on_error``, ``workers``, ``rate``."""
        return _load.put_items(self.transport, table, items, options=_load.LoadOptions(
            on_error, workers, rate, progress))

    def put_frame(self, table: Any, frame: Any, *, keep_na: bool = False,
                  on_error: str = "raise", workers: int = 1, rate: Any = None,
                  progress: bool | None = None) -> WriteReport:
        """Write a pandas DataFrame or pyarrow Table, one item per row (missing cells left
        out unless ``keep_na``). ``on_error="raise"`` checks every row and writes nothing if
        one is bad (`RowsRejected` names each by number); ``"skip"`` writes the good ones
        and lists the rest in ``report.rejected``. ``workers`` threads send batches at once;
        ``rate`` caps the write units per second (a number, ``"25%"`` or ``"adaptive"``)."""
        from .frames import is_frame

        options = _load.LoadOptions(on_error, workers, rate, progress)
        if is_frame(frame) == "dask":
            return self._put_dask(table, frame, keep_na=keep_na, options=options)
        return _load.put_frame(self.transport, table, frame, keep_na=keep_na, options=options)

    def _put_dask(self, table: Any, frame: Any, *, keep_na: bool,
                  options: _load.LoadOptions) -> WriteReport:
        """A dask DataFrame, each partition written by the worker that holds it through a
        connection of its own, the rate split evenly between partitions. Every row is
        checked first (a pass over every partition); on_error="raise" then writes nothing
        if one is bad."""
        from .frames import on_partitions

        parts = frame.npartitions
        rate = _load.shared_rate(self.transport, table, options.rate, max(1, parts))
        recipe = Recipe.of(self)
        name = _tables.table_name(table)
        check = PartitionWrite(recipe, table, keep_na, options.workers, rate, check_only=True)
        checked = on_partitions(frame, check)
        lengths = [length for length, _report in checked]
        found = _load.renumbered([report for _length, report in checked], lengths)
        if found.rejected and options.on_error == "raise":
            raise RowsRejected(_load.rejected_message(found, name), report=found, table=name)
        self.transport.before_write("BatchWriteItem", {"TableName": name})  # workers write
        write = PartitionWrite(recipe, table, keep_na, options.workers, rate)
        written = on_partitions(frame, write)
        report = _load.renumbered([r for _length, r in written], lengths)
        report.rejected = found.rejected
        return report

    def load(self, table: Any, path: Any, *, format: str | None = None,
             keep_na: bool = False, on_error: str = "raise", workers: int = 1,
             rate: Any = None, progress: bool | None = None) -> WriteReport:
        """Write a Parquet, CSV or JSON Lines file (plain or DynamoDB JSON, ``.gz`` too),
        read in batches, never whole; options as `put_frame`."""
        return _load.load(self.transport, table, path, format=format, keep_na=keep_na,
                          options=_load.LoadOptions(on_error, workers, rate, progress))

    def batch_writer(self, *, raise_on_failure: bool = True,
                     policy: RetryPolicy | None = None) -> BatchWriter:
        """A context manager that streams puts/deletes, 25 per request."""
        return _writes.BatchWriter(self.transport, policy=policy or self.retry_policy,
                                   raise_on_failure=raise_on_failure)

    def transaction(self, *, token: str | None = None) -> Transaction:
        """A write transaction (up to 100 actions), committed when its ``with`` block ends."""
        return _transactions.Transaction(self.transport, token=token)

    def transact_get(self, pairs: Sequence[tuple[type[Model], Any]]) -> list[Any]:
        """Read up to 100 ``(Model, key)`` items in one snapshot (None where missing)."""
        return _transactions.transact_get(self.transport, pairs)

    # --- reads planned by the query builder ---
    def run(self, query: Query) -> Result:
        """Run a query to the end (or its limit); see `Query.all()`."""
        return _reads.run(self.transport, query)

    def frame(self, query: Query, *, flatten: bool = False, numbers: str = "exact") -> Any:
        """Run a query straight into a DataFrame; see `Query.to_pandas()`."""
        return _reads.frame(self.transport, query, flatten=flatten, numbers=numbers)

    def arrow(self, query: Query, *, numbers: str = "exact") -> Any:
        """Run a query straight into a pyarrow Table; see `Query.to_arrow()`."""
        return _reads.arrow(self.transport, query, numbers=numbers)

    def iter_frames(self, query: Query, *, rows: int = 10_000, flatten: bool = False,
                    numbers: str = "exact") -> Iterator[Any]:
        """Run a query into DataFrames of about `rows` rows; see `Query.iter_frames()`."""
        return _reads.iter_frames(self.transport, query, rows=rows, flatten=flatten,
                                  numbers=numbers)

    def iter_batches(self, query: Query, *, rows: int = 10_000,
                     numbers: str = "exact") -> Iterator[Any]:
        """Run a query into Arrow RecordBatches; see `Query.iter_batches()`."""
        return _reads.iter_batches(self.transport, query, rows=rows, numbers=numbers)

    def to_parquet(self, query: Query, path: Any, *, rows: int = 10_000,
                   numbers: str = "exact", resume: bool = False) -> ExportReport:
        """Export a query to Parquet at constant memory; see `Query.to_parquet()`."""
        return _export.to_parquet(self.transport, query, path, rows=rows, numbers=numbers,
                                  resume=resume)

    def to_dask(self, query: Query, *, segments: int = 4) -> Any:
        """Run a query as a lazy dask DataFrame; see `Query.to_dask()`."""
        from .frames import dask_frame

        read = _reads.prepare(self.transport, query)  # refused here, not on every worker
        recipe = Recipe.of(self)
        lone = query.using(None).allow_scan()
        parts = segments if read.operation == "Scan" and not read.plan.extra.get(
            "requests") else 1
        share = _reads.divided_rate(self.transport, query, parts)  # one bucket a partition
        readers = [SegmentRead(recipe, lone.segment(k, of=parts).rate(share))
                   for k in range(parts)]
        meta = _reads.frame_meta(self.transport, query)
        return dask_frame(readers, meta)

    def run_pages(self, query: Query) -> Iterator[Page]:
        """Run a query page by page; see `Query.pages()`."""
        return _reads.run_pages(self.transport, query)

    def count(self, query: Query) -> int:
        """Count a query's items with Select=COUNT; see `Query.count()`."""
        return _reads.count(self.transport, query)

    def advise(self, queries: Sequence[Query] | None = None) -> Advice:
        """Propose the GSIs that turn `queries`' Scans into Queries (the smallest set found),
        each with its trade-off; without `queries`, the reads this connection has run
        (``%%dynamo`` cells included). For statement text: ``dl.advise(text, db)``."""
        workload = list(self.transport.history) if queries is None else list(queries)
        return _advise.advise(self.transport, workload)

    @property
    def history(self) -> list[Query]:
        """The queries this connection has read with, oldest first (at most 1,000)."""
        return list(self.transport.history)

    # --- schema, migrations, introspection ---
    def diff(self, model: Any) -> SchemaDiff:
        """Every difference between a model's schema and its live table."""
        return _migrate.diff(self.transport, model)

    def migrate(self, model: Any, *, dry_run: bool = False) -> MigrationPlan:
        """Apply the differences DynamoDB allows in place (refuses the others, explaining)."""
        plan = _migrate.migrate(self.transport, model, dry_run=dry_run)
        self.forget(plan.table)
        return plan

    def ensure_table(self, model: Any, **options: Any) -> SchemaDiff:
        """Create the table if it is missing; otherwise return its diff against the model."""
        return _migrate.ensure_table(self.transport, model, **options)

    def backfill(self, source: Any, transform: Callable[[Any], Any], *, segments: int = 1,
                 resume: str | None = None, page_size: int | None = None,
                 progress: bool | None = None, rate: Any = None) -> BackfillReport:
        """Transform every item and write back changes conditionally (resumable); `rate`
        caps the read and write units per second (a number, ``"25%"``, ``"adaptive"``)."""
        return _backfill.backfill(self.transport, source, transform, segments=segments,
                                  resume=resume, page_size=page_size, progress=progress,
                                  rate=rate)

    def inspect(self, table: str, *, sample: int = 500) -> Profile:
        """Keys, indexes and a bounded sample's attribute types and presence: read once per
        connection and table, then reused (`forget` reads them again)."""
        return _samples.held_profile(self.transport, table, sample=sample)

    def basis(self, table: str, *, read: bool = False) -> Basis | None:
        """What cost predictions for `table` rest on: what this connection holds of it
        (DescribeTable's figures, its sample); with `read`, fresh figures and a sample of
        200 items (once per connection) are read first."""
        if read:
            self.transport.table_stats(table)
            if not any(name == table for name, _ in self.transport.samples):
                _samples.held_profile(self.transport, table, sample=_samples.SAMPLE)
        return _samples.basis(self.transport, table)

    def sampled(self, table: str, *, sample: int = 500) -> Profile | None:
        """The sample `inspect` holds for `table`, or None when it has read none yet."""
        held: Profile | None = self.transport.samples.get((table, sample))
        return held

    def forget(self, table: str | None = None) -> None:
        """Forget what this connection holds of `table` (every table when None): its sample
        and cached figures, read again on next use (after someone else changed it)."""
        samples = self.transport.samples
        for key in [k for k in samples if table is None or k[0] == table]:
            del samples[key]
        for name in [table] if table is not None else self.tables():
            self.transport.forget_stats(name)
        self._listing.clear()  # a table made, dropped or changed: list them again

    def model(self, table: str, *, sample: int = 500, name: str | None = None) -> type[Model]:
        """A working model class for a live table, inferred from a bounded sample."""
        return _introspect.build_model(self.inspect(table, sample=sample), name=name)

    def model_source(self, table: str, *, sample: int = 500, name: str | None = None) -> str:
        """The same model as readable Python source to paste into your code."""
        return _introspect.model_source(self.inspect(table, sample=sample), name=name)

    def models(self, table: str, *, sample: int = 500) -> dict[str, type[Model]]:
        """One model per entity type of a single-table design (by type attribute or key
        prefixes such as USER#, GAME#, #METADATA#)."""
        return _introspect.entity_models(self.inspect(table, sample=sample))

    def models_source(self, table: str, *, sample: int = 500) -> str:
        """Source of every entity model of a single-table design."""
        return _introspect.entity_source(self.inspect(table, sample=sample))

    # --- tables ---
    def create_table(self, model: Any, **options: Any) -> TableSchema:
        """Create a model's table (on-demand by default), wait for ACTIVE and enable TTL."""
        created = _tables.create_table(self.transport, model, **options)
        self.forget(created.name)
        return created

    def delete_table(self, model_or_name: Any, *, wait: bool = True) -> None:
        """Delete a table and wait until it is gone."""
        _tables.delete_table(self.transport, model_or_name, wait=wait)
        self.forget(_tables.table_name(model_or_name))

    def describe(self, model_or_name: Any) -> TableSchema:
        """The live table's keys, indexes, TTL and figures, as a TableSchema."""
        return _tables.describe(self.transport, model_or_name)

    def table_exists(self, model_or_name: Any) -> bool:
        """Whether the table exists (in any status)."""
        return _tables.exists(self.transport, model_or_name)

    def tables(self) -> list[str]:
        """The names of every table, in order."""
        names = _tables.list_tables(self.transport)
        self._listing["tables"] = (time.monotonic(), names)
        return list(names)

    # --- names it holds, for completion in cells: never a Scan ---
    def known_tables(self, *, max_age: float = 60.0) -> list[str]:
        """Table names without a request when it can: the last `tables()` listing (if
        younger than `max_age` seconds, and not dropped by `forget`) plus the tables it
        holds a sample of; else one ListTables."""
        listed = self._listing.get("tables")
        if listed is None or time.monotonic() - listed[0] > max_age:
            self.tables()
            listed = self._listing["tables"]
        held = {name for name, _size in self.transport.samples}
        return sorted(set(listed[1]) | held)

    def attribute_names(self, table: str) -> list[str]:
        """The attribute names of `table` it knows without reading items: the keys of the
        table and its indexes (one DescribeTable, then held) and every attribute of a
        sample it holds. Raises `TableNotFound`."""
        schema = self._held_schema(table)
        names = set(schema.key_names).union(*(index.key_names for index in schema.indexes))
        for (name, _size), profile in self.transport.samples.items():
            if name == table:
                names.update(profile.attributes)
        return sorted(names)

    def index_names(self, table: str) -> list[str]:
        """The names of `table`'s indexes (one DescribeTable, then held)."""
        return [index.name for index in self._held_schema(table).indexes]

    def _held_schema(self, table: str) -> TableSchema:
        """The schema of the DescribeTable it holds of `table`, read once if it holds none."""
        description = (self.transport.cached_table(table)
                       or _tables.described(self.transport, table))
        return TableSchema.from_description(description)

    def close(self) -> None:
        """Close the client's connection pool (the embedded server keeps running).

        A closed default connection stops being the default: the next `connect()` takes over.
        """
        self.transport.close()
        _session.clear_default(self)


@dataclass(frozen=True)
class Recipe:
    """How to open this connection again in another process (a Dask worker): where and as
    whom, never a secret (a worker finds credentials in its own environment, as any AWS
    program does; a local endpoint needs none)."""

    target: str
    region: str
    endpoint_url: str | None
    profile: str | None
    read_only: bool
    scan_guard: int | None

    @classmethod
    def of(cls, conn: Connection) -> Recipe:
        return cls(conn.target, conn.region, conn.endpoint_url, conn.profile,
                   conn.read_only, conn.scan_guard)

    def connect(self) -> Connection:
        target = None if self.endpoint_url else "aws"
        conn = connect(target, region=self.region, profile=self.profile,
                       endpoint_url=self.endpoint_url, read_only=self.read_only,
                       scan_guard=self.scan_guard, make_default=False)
        conn.transport.on_first_write = None  # the connection it copies said so already
        return conn


@dataclass(frozen=True)
class SegmentRead:
    """One Dask partition: a query (holding no connection) read through a connection of
    the worker's own, made from the recipe, into a pandas DataFrame."""

    recipe: Recipe
    query: Query

    def __call__(self) -> Any:
        conn = self.recipe.connect()
        try:
            return self.query.using(conn).to_pandas()
        finally:
            conn.close()


@dataclass(frozen=True)
class PartitionWrite:
    """One Dask partition written (or only checked) by the worker that holds it, through a
    connection of its own: ``(rows in the partition, its WriteReport)``."""

    recipe: Recipe
    target: Any
    keep_na: bool
    workers: int
    rate: Any
    check_only: bool = False

    def __call__(self, part: Any) -> tuple[int, WriteReport]:
        conn = self.recipe.connect()
        try:
            options = _load.LoadOptions("skip", self.workers, self.rate, False,
                                        check_only=self.check_only)
            report = _load.put_frame(conn.transport, self.target, part, keep_na=self.keep_na,
                                     options=options)
        finally:
            conn.close()
        report.limiter = None  # it stays with the worker
        return len(part), report


def _aws_configured(profile: str | None) -> bool:
    """True when the standard AWS chain finds configuration, without any network call."""
    if profile or os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID"):
        return True
    import botocore.session

    session = botocore.session.Session()
    resolver = session.get_component("credential_provider")
    for network_provider in ("iam-role", "container-role"):
        try:
            resolver.remove(network_provider)
        except Exception:
            continue
    try:
        return resolver.load_credentials() is not None
    except Exception:
        return True


def connect(
    target: str | None = None,
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    read_only: bool = False,
    max_attempts: int = 5,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    max_pool_connections: int = 16,
    scan_guard: int | None = 10_000,
    retry_policy: RetryPolicy | None = None,
    cursor_key: bytes | str | None = None,
    make_default: bool | None = None,
    confirm_writes: bool = False,
) -> Connection:
    """Connect to DynamoDB; with no AWS configuration, start the embedded local server.

    Args:
        target: None (AWS if configured, else local), "local", "aws", or an endpoint URL.
        region: as in the AWS CLI.
        profile: as in the AWS CLI; credentials come from the standard AWS chain
            (environment, shared files, SSO, process, container and instance roles).
        endpoint_url: any DynamoDB-compatible endpoint (dynalite, DynamoDB Local, ...).
        read_only: refuse every write before sending it.
        max_attempts: botocore's number of retries (standard retry mode: exponential
            backoff with jitter on throttling and 5xx).
        connect_timeout: botocore's connect timeout, in seconds.
        read_timeout: botocore's read timeout, in seconds.
        scan_guard: a query the planner can only serve with a Scan is refused on a table
            holding more items than this (None: never refuse); `.allow_scan()` overrides.
        retry_policy: backoff for unprocessed batch items and keys (on top of botocore's own
            retries of throttled and failed requests).
        cursor_key: the key cursors are signed with (HMAC-SHA256), at least 16 bytes; else
            $DYNAMORM_CURSOR_KEY, else a random key made once per process. A cursor resumes
            only under the key that signed it (use one key to resume in another process).
        make_default: model methods (``movie.save()``) use the default connection when given
            none. None (the default): this connection becomes the default only when there is
            none yet, so a later connection never redirects models silently; True: make it
            the default now (as `use()` does); False: never.
        confirm_writes: ``%%dynamo`` asks before each destructive statement (as if it
            lacked ``--yes``); read back as `Connection.confirm_writes`.

    On AWS, the first write or table change the connection sends names the account and
    region it is about to change, once (a calm note in a notebook, a log warning elsewhere).
    """
    global _told_local  # noqa: PLW0603 - the "using local" notice is printed once per process
    if target is not None and not isinstance(target, str):
        raise ValidationError(f"target must be a string such as 'local' or 'aws', "
                              f"got {type(target).__name__}")
    if max_attempts < 1 or connect_timeout <= 0 or read_timeout <= 0:
        raise ValidationError("max_attempts must be >= 1 and timeouts must be positive")
    if not isinstance(confirm_writes, bool):
        raise ValidationError(f"confirm_writes takes True or False, got "
                              f"{type(confirm_writes).__name__}")
    if target and target.startswith(("http://", "https://")):
        endpoint_url, target = target, "endpoint"
    elif target == "endpoint" and not endpoint_url:
        raise ValidationError("connect('endpoint') needs endpoint_url=... (or pass the URL)")
    if target not in (None, "local", "aws", "endpoint"):
        raise ValidationError(f"unknown target {target!r}: use 'local', 'aws' or an endpoint URL")
    if endpoint_url and target is None:
        target = "endpoint"
    server = None
    key_id = secret = None
    told = None
    if target == "local" and profile:
        raise ValidationError("connect('local') uses the embedded server, which has no "
                              "profiles; profile= is for AWS: connect('aws', profile=...)")
    if target == "local" or (target is None and not _aws_configured(profile)):
        from .local import shared_server

        server = shared_server()
        if target is None and not _told_local:
            told = "No AWS configuration found: connected to"
            _told_local = True
        target, endpoint_url = "local", server.endpoint_url
        region = region or _LOCAL_REGION
        key_id = secret = "local"
        profile = None
    elif target == "endpoint":
        region = region or os.environ.get("AWS_REGION") or os.environ.get(
            "AWS_DEFAULT_REGION") or _LOCAL_REGION
        if not _aws_configured(profile):
            key_id = secret = "local"
    else:
        told = "Connected to" if target is None else None  # AWS, found configured
        target = "aws"
    client, region, account_of = _make_client(
        region=region, profile=profile, endpoint_url=endpoint_url, key_id=key_id, secret=secret,
        max_attempts=max_attempts, connect_timeout=connect_timeout, read_timeout=read_timeout,
        pool=max_pool_connections)
    transport = BotoTransport(client, read_only=read_only, retry_policy=retry_policy,
                              scan_guard=scan_guard, cursor_key=_cursor.cursor_key(cursor_key))
    connection = Connection(transport, target=target or "aws", region=region,
                            endpoint_url=endpoint_url, profile=profile, server=server,
                            _confirm_writes=confirm_writes,
                            _account_of=account_of if target == "aws" else None)
    if connection.target == "aws":
        transport.on_first_write = _first_write_notice(connection)
    first = make_default is None and _session.current() is None
    if make_default or first:
        _session.set_default(connection)
        told = (f"{told or 'Connected to'} {_where(connection)}; models use it by default "
                "(switch with dl.use(other))")
    elif told:
        told = f"{told} {_where(connection)}"
    if told:  # at most one notice a connect() (a notebook shows it once)
        notice(told)
    return connection


def use(connection: Connection) -> Connection:
    """Make `connection` the default for model methods given none (says so once).

    The default changes only through this call (or ``connect(..., make_default=True)``,
    ``%dynamo use ALIAS``); the first `connect()` of a process becomes the default by itself.
    """
    if not isinstance(connection, Connection):
        raise ValidationError(f"use() takes a Connection (from dl.connect()), got "
                              f"{type(connection).__name__}")
    if _session.current() is not connection:
        _session.set_default(connection)
        notice(f"Models now use {_where(connection)} by default (switch with dl.use(other))")
    return connection


def notice(message: str) -> None:
    """Tell the person at the keyboard, once: in a notebook a calm one-line note in the cell
    (not stderr, which JupyterLab paints red); elsewhere a warning of the "dynamorm_lab"
    logger, as before."""
    shell = _notebook_shell()
    if shell is None:
        log.warning("dynamorm_lab: %s", message)
        return
    log.info("dynamorm_lab: %s", message)
    try:
        shell.display_pub.publish(data={"text/plain": message,
                                        "text/html": _display.note(message)}, metadata={})
    except Exception:  # a notice must never break the call that gave it
        log.warning("dynamorm_lab: %s", message)


def _notebook_shell() -> Any:
    """The IPython kernel's shell when this runs in a notebook (one that shows HTML), else
    None; IPython is looked up only if something already imported it."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
    except Exception:
        return None
    return shell if type(shell).__name__ == "ZMQInteractiveShell" else None


def _where(conn: Connection) -> str:
    """What a connection talks to, in words: the embedded server and how long its data
    lives, an endpoint, or the AWS account, region and profile."""
    if conn.is_local:
        return (f"the embedded local DynamoDB at {conn.endpoint_url} (data lives in this "
                "Python process and is gone when it stops)")
    if conn.target != "aws":
        return f"the DynamoDB-compatible endpoint {conn.endpoint_url} (region {conn.region})"
    account = f"AWS account {conn.account}" if conn.account else "AWS (account unknown)"
    profile = conn.profile or os.environ.get("AWS_PROFILE")
    return (f"{account}, region {conn.region}" + (f", profile {profile}" if profile else "")
            + (f", through {conn.endpoint_url}" if conn.endpoint_url else ""))


def _first_write_notice(conn: Connection) -> Callable[[str, dict[str, Any]], None]:
    """The transport's ``on_first_write`` hook: name the account and region the first
    write or table change is about to change."""
    def tell(operation: str, params: dict[str, Any]) -> None:
        tables = ([params["TableName"]] if "TableName" in params else
                  list(params.get("RequestItems", {})) or list(dict.fromkeys(
                      str(entry.get("TableName")) for action in params.get("TransactItems", [])
                      for entry in action.values())))
        on = f" on {', '.join(tables)}" if tables else ""
        notice(f"About to change {_where(conn)}: {operation}{on} (the first write of this "
               "connection; said once)")

    return tell


def _make_client(*, region: str | None, profile: str | None, endpoint_url: str | None,
                 key_id: str | None, secret: str | None, max_attempts: int,
                 connect_timeout: float, read_timeout: float, pool: int,
                 ) -> tuple[Any, str, Callable[[], str | None]]:
    """One botocore client, its read responses parsed as the library asks (`wire`); its
    region; and how to ask STS for the account its credentials act in."""
    import boto3
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    core = botocore.session.get_session()
    core.register_component("response_parser_factory", parser_factory())
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region,
                                        botocore_session=core)
    except BotoCoreError as exc:
        named = (f"AWS profile {profile!r}" if profile else
                 f"AWS profile {os.environ.get('AWS_PROFILE')!r} (from $AWS_PROFILE)"
                 if os.environ.get("AWS_PROFILE") else "the AWS configuration")
        raise ConnectionFailed(f"cannot use {named}: {exc}; check ~/.aws/config or pass "
                               "profile=...") from None
    region = session.region_name
    if not region:
        raise ConnectionFailed(
            "no AWS region configured: pass region='eu-west-1' (for example), set AWS_REGION, "
            "or use connect('local')")
    config = Config(retries={"max_attempts": max_attempts, "mode": "standard"},
                    connect_timeout=connect_timeout, read_timeout=read_timeout,
                    max_pool_connections=pool)
    extra = {}
    if key_id and secret:
        extra = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
    client = session.client("dynamodb", endpoint_url=endpoint_url, config=config, **extra)
    credentials = session.get_credentials()
    if credentials is not None:  # keep them out of botocore's DEBUG request dumps
        frozen = credentials.get_frozen_credentials()
        register_secrets(frozen.secret_key, frozen.token)

    def account_of() -> str | None:
        """Best effort, one attempt: any failure (no network, no permission) is None."""
        try:
            sts = session.client("sts", config=Config(
                retries={"max_attempts": 1, "mode": "standard"},
                connect_timeout=connect_timeout, read_timeout=read_timeout), **extra)
            return str(sts.get_caller_identity()["Account"])
        except Exception:
            return None

    return client, region, account_of


def default_connection() -> Connection:
    """The connection model methods use when given none: the first `connect()` made (or the
    one given to `use()`), or a new `connect()` (AWS if configured, else the embedded local
    server) when there is none yet."""
    existing = _session.current()
    return existing if existing is not None else connect()
