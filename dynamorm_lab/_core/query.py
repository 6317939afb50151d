"""The fluent, immutable query builder: say what you want; the planner says how.

``Movie.query(Movie.year == 1985).select("title").limit(10).all()``. Every method returns a
new `Query`; nothing is sent until a terminal method runs (`all`, `first`, `one`, `count`,
`exists`, iteration, `pages`, `to_pandas`), each of which delegates to the executor of the
query's connection (the default one unless `using()` names another).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..errors import ItemNotFound, ValidationError
from . import advisor as _advisor
from . import codegen as _codegen
from . import session as _session
from .estimate import Basis
from .expr import Condition, Path, describe, path
from .planner import Plan, PlanRequest, plan
from .rate import rate_spec
from .schema import Index, IndexSpec, TableSchema
from .spec import NUMBERS, QuerySpec, Shape, numbers_option

__all__ = ["NUMBERS", "Query", "QuerySpec", "numbers_option", "present_attributes"]

def _positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} must be a positive int, got {value!r}")


def _is_table_model(source: Any) -> bool:
    return isinstance(source, type) and getattr(source, "__dynamorm_schema__", None) is not None


def present_attributes(model: type[Any]) -> frozenset[str]:
    """Attributes every item written through `model` has (keys and required fields)."""
    names = set()
    for f in model.__dynamorm_attrs__.values():
        always_written = f.is_key or f.spec.version
        kept = not f.node.optional and f.omit is None
        if always_written or (kept and (f.required or f.make_default() is not None)):
            names.add(f.attr_name)
    return frozenset(names)


class Query:
    """A request for items, planned only when it runs (or when `explain()` is asked)."""

    __slots__ = ("_spec",)

    def __init__(self, source: type[Any] | TableSchema, *conditions: Condition,
                 scan: bool = False) -> None:
        if not (isinstance(source, TableSchema) or _is_table_model(source)):
            raise ValidationError(f"a query needs a model with a table or a TableSchema, got "
                                  f"{source!r:.60}")
        for condition in conditions:
            if not isinstance(condition, Condition):
                raise ValidationError(f"query conditions are built from paths, such as "
                                      f"Movie.year == 1985; got {condition!r:.60}")
        shape: Shape = "model" if isinstance(source, type) else "dict"
        self._spec = QuerySpec(source, tuple(conditions), scan=scan, shape=shape)

    def _with(self, **changes: Any) -> Query:
        new = object.__new__(Query)
        new._spec = dataclasses.replace(self._spec, **changes)
        return new

    # --- building ---
    @property
    def model(self) -> type[Any] | None:
        source = self._spec.source
        return source if isinstance(source, type) else None

    @property
    def schema(self) -> TableSchema:
        source = self._spec.source
        return source if isinstance(source, TableSchema) else source.__dynamorm_schema__

    def where(self, *conditions: Condition) -> Query:
        """Add conditions (ANDed with the others; build OR/NOT groups with | and ~)."""
        for condition in conditions:
            if not isinstance(condition, Condition):
                raise ValidationError(f"where() takes conditions, got {condition!r:.60}")
        return self._with(conditions=self._spec.conditions + conditions)

    filter = where

    def index(self, name: str | None) -> Query:
        """Use this index (None: let the planner choose)."""
        if name is not None:
            self.schema.index(name)
        return self._with(index=name)

    def select(self, *attributes: str | Path) -> Query:
        """Return only these attributes (paths such as ``info.rating`` allowed)."""
        if not attributes:
            raise ValidationError("select() needs at least one attribute")
        paths = []
        for attribute in attributes:
            if isinstance(attribute, Path):
                paths.append(attribute)
            elif isinstance(attribute, str):
                model = self.model
                paths.append(model.path(attribute) if model else path(attribute))
            else:
                raise ValidationError(f"select() takes names or paths, got {attribute!r:.60}")
        return self._with(projection=tuple(paths))

    def limit(self, count: int | None) -> Query:
        """Return at most `count` items (items read may be more, when a filter applies)."""
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValidationError("limit must be a positive integer")
        return self._with(limit=count)

    def descending(self, flag: bool = True) -> Query:
        """Sort-key order high to low (a Query only)."""
        return self._with(descending=bool(flag))

    def ascending(self) -> Query:
        """Sort-key order low to high (a Query only)."""
        return self._with(descending=False)

    def consistent(self, flag: bool = True) -> Query:
        """Strongly consistent reads (not available on GSIs)."""
        return self._with(consistent=bool(flag))

    def page_size(self, count: int | None) -> Query:
        """Items DynamoDB evaluates per request (its Limit)."""
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValidationError("page_size must be a positive integer")
        return self._with(page_size=count)

    def segments(self, count: int) -> Query:
        """Scan in `count` parallel segments (threads)."""
        if not isinstance(count, int) or not 1 <= count <= 1_000_000:
            raise ValidationError("segments must be an integer from 1 to 1,000,000")
        return self._with(segments=count)

    def segment(self, index: int, *, of: int) -> Query:
        """Read only segment `index` of a Scan in `of` segments (what one Dask partition,
        or one worker of your own, reads); a query served by a Query reads it whole in
        segment 0 and nothing in the others."""
        if isinstance(of, bool) or not isinstance(of, int) or not 1 <= of <= 1_000_000:
            raise ValidationError("of= must be an integer from 1 to 1,000,000")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < of:
            raise ValidationError(f"segment index must be from 0 to {of - 1}, got {index!r}")
        return self._with(segments=1, part=(index, of))

    def to_dask(self, *, segments: int = 4, rate: Any = None) -> Any:
        """A lazy dask DataFrame with one partition per Scan segment (a Query-served read is
        one partition), each read by the Dask worker that computes it, through a connection
        of its own to the same endpoint or AWS region. Its columns come from the model, or
        from the connection's sample of the table. `rate` is split evenly between the
        partitions."""
        if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
            raise ValidationError(f"segments must be a positive int, got {segments!r}")
        query = self._rated(rate)
        return query._connection().to_dask(query, segments=segments)

    def allow_scan(self, flag: bool = True) -> Query:
        """Allow a full-table Scan even on a table over the connection's scan guard."""
        return self._with(allow_scan=bool(flag))

    def after(self, cursor: str | None) -> Query:
        """Resume where the result or page that gave `cursor` stopped."""
        if cursor is not None and not isinstance(cursor, str):
            raise ValidationError("after() takes a cursor string")
        return self._with(cursor=cursor)

    def as_dicts(self) -> Query:
        """Return plain dicts (attribute names, decoded values) instead of model objects."""
        return self._with(shape="dict")

    def as_items(self) -> Query:
        """Return wire items (AttributeValue maps) as DynamoDB sent them."""
        return self._with(shape="wire")

    def using(self, connection: Any) -> Query:
        """Run on this connection instead of the default one."""
        return self._with(connection=connection)

    def progress(self, flag: bool = True) -> Query:
        """Show (or hide) a progress bar; by default only in notebooks, for long reads."""
        return self._with(progress=bool(flag))

    # --- planning ---
    def plan_request(self, *, item_count: int | None = None, size_bytes: int | None = None,
                     basis: Basis | None = None) -> PlanRequest:
        spec = self._spec
        model = self.model
        return PlanRequest(
            table=self.schema, conditions=spec.conditions, index=spec.index, scan=spec.scan,
            projection=spec.projection, consistent=spec.consistent, descending=spec.descending,
            present=present_attributes(model) if model else frozenset(),
            assumed_present=getattr(model, "__dynamorm_assumed__", frozenset()),
            copresent=getattr(model, "__dynamorm_copresent__", {}),
            item_count=item_count, size_bytes=size_bytes, segments=spec.segments, basis=basis)

    def explain(self, *, stats: bool = False,
                with_indexes: Sequence[IndexSpec] | Mapping[str, IndexSpec] = ()) -> Plan:
        """The plan: every access path considered, the chosen one and why.

        Each usable candidate carries a predicted cost (items, pages, read units, time at
        capacity) from what the connection already holds of the table. With ``stats=True``
        the table's figures are read (DescribeTable) and a small sample, once per
        connection, so that every candidate has one. ``with_indexes=[dl.gsi(...)]`` (or
        ``{"Name": dl.gsi(...)}``) plans as if those GSIs existed: nothing is created.
        """
        if stats:
            connection = self._connection()
            count, size = connection.table_stats(self.schema.name)
            request = self.plan_request(item_count=count, size_bytes=size,
                                        basis=connection.basis(self.schema.name, read=True))
        else:
            held = self._spec.connection or _session.current()  # explaining never connects
            request = self.plan_request(basis=held.basis(self.schema.name) if held else None)
        if with_indexes:
            request = _advisor.with_indexes(request, self._what_if(request, with_indexes))
        return plan(request)

    def _what_if(self, request: PlanRequest,
                 specs: Sequence[IndexSpec] | Mapping[str, IndexSpec]) -> list[Index]:
        named = (list(specs.items()) if isinstance(specs, Mapping)
                 else [(None, spec) for spec in specs])
        fields = ({f.py_name: (f.attr_name, f.node.dynamo_type)
                   for f in self.model.__dynamorm_fields__.values()} if self.model else {})
        types = _advisor.condition_types(request)
        indexes: list[Index] = []
        for name, spec in named:
            if not isinstance(spec, IndexSpec):
                raise ValidationError(f"with_indexes takes dl.gsi(...), got {spec!r:.60}")
            table = replace(request.table, indexes=(*request.table.indexes, *indexes))
            indexes.append(_advisor.index_from_spec(table, name, spec, fields, types))
        return indexes

    @property
    def spec(self) -> QuerySpec:
        return self._spec

    def _connection(self) -> Any:
        return _session.resolve(self._spec.connection)

    # --- the same query written other ways (the widgets' Code panel) ---
    def to_partiql(self) -> str:
        """This query as a ``%%dynamo`` statement."""
        plan = self.explain() if self._spec.descending is not None else None
        return _codegen.to_partiql(self._spec, self.schema, plan)

    def to_python(self, *, connection: str = "db") -> str:
        """ORM code that runs this query (``connection`` names the connection variable)."""
        return _codegen.to_python(self._spec, self.schema, connection=connection)

    def to_boto3(self) -> str:
        """The DynamoDB request the plan sends, as boto3 client code."""
        return _codegen.to_boto3(self._spec, self.explain())

    def __repr__(self) -> str:
        spec = self._spec
        name = self.model.__name__ if self.model else self.schema.name
        text = f"{name}.{'scan' if spec.scan else 'query'}("
        text += ", ".join(describe(c) for c in spec.conditions) + ")"
        if spec.index:
            text += f".index({spec.index!r})"
        if spec.projection:
            text += f".select({', '.join(repr(str(p)) for p in spec.projection)})"
        if spec.limit:
            text += f".limit({spec.limit})"
        if spec.descending:
            text += ".descending()"
        return f"<Query {text}>"

    def __bool__(self) -> bool:
        raise ValidationError("a query has no truth value; use .exists() or .first()")

    # --- running ---
    def all(self) -> Any:
        """Every item (up to the limit) as a Result with plan, stats and cursor."""
        return self._connection().run(self)

    def pages(self) -> Iterator[Any]:
        """DynamoDB's pages as they arrive, each with the cursor that resumes after it."""
        return self._connection().run_pages(self)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[Any]:
        for page in self.pages():
            yield from page.items

    def first(self) -> Any:
        """The first item, or None."""
        for item in self.limit(1) if self._spec.limit is None else self:
            return item
        return None

    def one(self) -> Any:
        """The only item; raises ItemNotFound for none and ValidationError for several."""
        items = self.limit(2).all()
        if not items:
            raise ItemNotFound(f"no item matches {self!r}", table=self.schema.name)
        if len(items) > 1:
            raise ValidationError(f"more than one item matches {self!r}; use first() or all()",
                                  table=self.schema.name)
        return items[0]

    def count(self) -> int:
        """How many items match (DynamoDB counts; no items are transferred)."""
        return self._connection().count(self)  # type: ignore[no-any-return]

    def exists(self) -> bool:
        """True when at least one item matches."""
        return self.first() is not None

    def rate(self, value: Any) -> Query:
        """Cap the read units per second this read takes: a number, ``"25%"`` of the
        table's capacity, or ``"adaptive"`` (see `dynamorm_lab._core.rate`); None: no cap."""
        return self._with(rate=rate_spec(value))

    def _rated(self, value: Any) -> Query:
        return self if value is None else self.rate(value)

    def to_pandas(self, *, flatten: bool = False, numbers: str = "exact",
                  rate: Any = None) -> Any:
        """All matching items as a DataFrame, built page by page straight from DynamoDB's
        JSON (no per-item dicts or model objects in between).

        Numbers stay exact (see `dynamorm_lab.frames` for the rule): int64 where every value
        is an integer that fits, float64 only for ``float`` fields, exact ``int``/``Decimal``
        objects otherwise; ``numbers="float"`` asks for float64 instead. ``.attrs`` carries
        the plan's sentence and the read's `Stats`."""
        if not isinstance(flatten, bool):
            raise ValidationError(f"flatten must be True or False, got {flatten!r}")
        numbers_option(numbers)
        query = self._rated(rate)
        return query._connection().frame(query, flatten=flatten, numbers=numbers)

    def to_arrow(self, *, numbers: str = "exact", rate: Any = None) -> Any:
        """All matching items as a pyarrow Table, parsed by pyarrow from DynamoDB's JSON (no
        Python object per value). Types: see `dynamorm_lab.frames` (numbers exact: int64,
        decimal128 or text; ``numbers="float"`` for float64); the same table as
        ``.all().to_arrow()`` gives from Python."""
        numbers_option(numbers)
        query = self._rated(rate)
        return query._connection().arrow(query, numbers=numbers)

    def iter_frames(self, *, rows: int = 10_000, flatten: bool = False,
                    numbers: str = "exact", rate: Any = None) -> Iterator[Any]:
        """The matching items as DataFrames of about `rows` rows each, read as they are
        taken: memory holds one frame, not the table. Each frame's ``.attrs`` has the read's
        Stats so far and the cursor that resumes after it."""
        _positive("rows", rows)
        if not isinstance(flatten, bool):
            raise ValidationError(f"flatten must be True or False, got {flatten!r}")
        numbers_option(numbers)
        query = self._rated(rate)
        frames: Iterator[Any] = query._connection().iter_frames(
            query, rows=rows, flatten=flatten, numbers=numbers)
        return frames

    def iter_batches(self, *, rows: int = 10_000, numbers: str = "exact",
                     rate: Any = None) -> Iterator[Any]:
        """The matching items as pyarrow RecordBatches of about `rows` rows (Arrow types as
        `to_arrow`), read as they are taken; the schema metadata holds Stats and cursor."""
        _positive("rows", rows)
        numbers_option(numbers)
        query = self._rated(rate)
        batches: Iterator[Any] = query._connection().iter_batches(query, rows=rows,
                                                                  numbers=numbers)
        return batches

    def to_parquet(self, path: Any, *, rows: int = 10_000, numbers: str = "exact",
                   rate: Any = None, resume: bool = False) -> Any:
        """Write the matching items to a Parquet file at constant memory (a batch at a
        time), or, with ``.segments(n)``, to a directory of part files, one per segment.
        ``resume=True`` continues an export that was interrupted, from the cursor saved
        beside it. Returns an `ExportReport`."""
        _positive("rows", rows)
        numbers_option(numbers)
        query = self._rated(rate)
        return query._connection().to_parquet(query, path, rows=rows, numbers=numbers,
                                              resume=resume)
