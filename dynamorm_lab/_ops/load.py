"""Writes from data: dicts, DataFrames, Arrow tables and files into a table.

    rows (numbered) -> encode + check against the table -> WriteRequest -> batches of 25

Every row is encoded (the codec's rules) and checked against the live table's key schema
(key attributes present, of their types, not empty; index keys' types; 400 KB; nesting)
and against the rows before it (a key written twice in one load is a mistake: which one
wins would depend on batch order). A bad row is reported with its number and the reason.

``on_error="raise"`` (the default) checks every row before the first write and writes
nothing when any is bad: rows held in memory (a list, a frame) are kept as encoded
requests; a stream (a generator, a file) is spooled encoded to a temporary file and sent
from it, so memory stays flat. ``on_error="skip"`` writes the good rows as they come and
lists the bad ones in ``report.rejected``. The keys of a load are held to find duplicates
(about 100 bytes a row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from .._core.bulk import encode_row
from .._core.codec import AttributeValue
from .._core.gcpause import paused_gc
from .._core.limits import surely_fits
from .._core.rate import divided, limiter_for, rate_spec
from .._core.requests import check_table_item
from .._core.schema import TableSchema
from ..errors import CodecError, RowsRejected, ValidationError
from .batch import RejectedRow, WriteReport, WriteRequest, write_requests
from .progress import Progress
from .tables import describe, described
from .wire import binary_items, dumps, parse_body

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["ON_ERROR", "LoadOptions", "put_rows"]

ON_ERROR = ("raise", "skip")
SPOOL_IN_MEMORY = 32 * 1024 * 1024  # a spool past this goes to a temporary file
Numbered = tuple[int, Any]  # (row number, the row: a dict of values, or a wire item)


@dataclass(frozen=True)
class LoadOptions:
    """How a bulk write runs (checked once by `options`)."""

    on_error: str = "raise"
    workers: int = 1
    rate: Any = None
    progress: bool | None = None
    check_only: bool = False  # check every row, send nothing (`written`: the good rows)

    def __post_init__(self) -> None:
        if self.on_error not in ON_ERROR:
            raise ValidationError(f"on_error must be 'raise' (check every row first, write "
                                  f"nothing if one is bad) or 'skip' (write the good rows), "
                                  f"got {self.on_error!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) \
                or not 1 <= self.workers <= 64:
            raise ValidationError(f"workers must be an int from 1 to 64, got {self.workers!r}")
        rate_spec(self.rate)


def _requests(schema: TableSchema, rows: Iterable[Numbered],
              encode: Callable[[Any], dict[str, AttributeValue]], report: WriteReport,
              ) -> Iterator[WriteRequest]:
    """Each good row as a put request; each bad one into ``report.rejected``."""
    seen: dict[tuple[Any, ...], int] = {}
    names = schema.key_names
    typed = [(k.name, k.type) for k in (schema.partition, schema.sort) if k is not None]

    def identity(item: dict[str, AttributeValue]) -> tuple[Any, ...]:
        """The key as DynamoDB compares keys (`key_identity`), for a checked item."""
        return tuple(Decimal(item[name]["N"]) if kind == "N" else item[name][kind]
                     for name, kind in typed)

    for number, row in rows:
        try:
            item = encode(row)
            wire = dumps({"PutRequest": {"Item": item}})
            check_table_item(schema, item, limits=not surely_fits(wire))
        except (CodecError, ValidationError) as exc:
            report.rejected.append(RejectedRow(number, str(exc)))
            continue
        key = {k: item[k] for k in names}
        first = seen.setdefault(identity(item), number)
        if first != number:
            report.rejected.append(RejectedRow(
                number, f"the same key as row {first} ({_key_text(key)}); a load writes each "
                "key once"))
            continue
        yield WriteRequest(schema.name, {"PutRequest": {"Item": item}}, key, wire=wire)


def _key_text(key: Mapping[str, AttributeValue]) -> str:
    return ", ".join(f"{k}={next(iter(v.values()))!r}" for k, v in key.items())


def put_rows(transport: Transport, schema: TableSchema, rows: Iterable[Numbered], *,
             options: LoadOptions, in_memory: bool, total: int | None = None,
             encode: Callable[[Any], dict[str, AttributeValue]] = encode_row,
             what: str = "put") -> WriteReport:
    """Write numbered rows into `schema`'s table under `options` (see the module)."""
    report = WriteReport()
    limiter = limiter_for(rate_spec(options.rate), lambda: described(transport, schema.name),
                          "write")
    requests = _requests(schema, rows, encode, report)
    if options.check_only:  # every row checked, nothing sent (a Dask write's first pass):
        report.written = sum(1 for _ in requests)  # `written` counts the rows that would be
        return report
    if options.on_error == "raise":
        if in_memory:  # rows already in memory: encoded all at once, the collector paused
            with paused_gc():
                ready: Iterable[WriteRequest] = list(requests)
        else:
            ready = _spooled(requests, schema)
        if report.rejected:
            raise RowsRejected(rejected_message(report, schema.name), report=report,
                               table=schema.name)
    else:
        ready = requests
    with Progress(total=total, desc=f"{what} {schema.name}", enabled=options.progress) as bar:
        sent = write_requests(transport, ready, on_progress=bar.update, workers=options.workers,
                              limiter=limiter, checked=True)
    sent.rejected = report.rejected
    sent.limiter = limiter
    return sent


def rejected_message(report: WriteReport, table: str) -> str:
    shown = "; ".join(f"row {r.row}: {r.reason}" for r in report.rejected[:5])
    more = f" (and {len(report.rejected) - 5} more)" if len(report.rejected) > 5 else ""
    return (f"{len(report.rejected)} row(s) cannot be written to {table}, so nothing was "
            f"written: {shown}{more}. Fix them, or pass on_error='skip' to write the others "
            "(.report.rejected lists every one)")


def _spooled(requests: Iterable[WriteRequest], schema: TableSchema) -> Iterator[WriteRequest]:
    """Every request encoded into a spool (memory, then a temporary file) first, then read
    back one by one: the whole load is checked before anything is sent, in flat memory.
    Returned as a generator that is already filled (the check runs now, not when sent)."""
    import tempfile

    spool: IO[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by read_back
        max_size=SPOOL_IN_MEMORY)
    for request in requests:
        spool.write(request.encoded())
        spool.write(b"\n")
    spool.seek(0)

    def read_back() -> Iterator[WriteRequest]:
        with spool:
            for line in spool:
                item = binary_items([parse_body(line)["PutRequest"]["Item"]])[0]
                yield WriteRequest(schema.name, {"PutRequest": {"Item": item}},
                                   {k: item[k] for k in schema.key_names},
                                   wire=line.rstrip(b"\n"))

    return read_back()


# --- the calls: what to write, where --------------------------------------------------------

def _target(transport: Transport, target: Any) -> tuple[TableSchema, Any]:
    """The live table's schema, and the model when `target` is one (rows then go through
    it: its fields' types, defaults, aliases and timestamps)."""
    from .._core.model import Model

    if isinstance(target, type) and issubclass(target, Model):
        if target.__table__ is None:
            raise ValidationError(f"{target.__name__} has no table to write to")
        return describe(transport, target.__table__), target
    if isinstance(target, str) and target:
        return describe(transport, target), None
    raise ValidationError(f"write to a table name or a model class, got {target!r:.60}")


def _model_encoder(model: Any) -> Callable[[Any], dict[str, AttributeValue]]:
    """Rows (by Python field name or attribute name) through the model's own codec."""
    from .._core.fields import now_utc

    attrs = model.__dynamorm_attrs__
    roles = model.__dynamorm_roles__

    def encode(row: Any) -> dict[str, AttributeValue]:
        if not isinstance(row, Mapping):
            raise ValidationError(f"a row must be a dict of field values, got "
                                  f"{type(row).__name__}")
        values = {attrs[k].py_name if k in attrs else k: v for k, v in row.items()}
        now = now_utc()
        for role in ("created_at", "updated_at"):
            if role in roles and values.get(roles[role].py_name) is None:
                values[roles[role].py_name] = now
        item: dict[str, AttributeValue] = model(**values).to_item()
        return item

    return encode


def put_items(transport: Transport, target: Any, items: Iterable[Any], *,
              options: LoadOptions) -> WriteReport:
    """Any iterable of dicts (a generator streams) into a table or through a model."""
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise ValidationError(f"put_items takes an iterable of dicts, got "
                              f"{type(items).__name__}")
    schema, model = _target(transport, target)
    in_memory = isinstance(items, list | tuple)
    total = len(items) if isinstance(items, list | tuple) else None
    return put_rows(transport, schema, enumerate(items, start=1), options=options,
                    in_memory=in_memory, total=total,
                    encode=encode_row if model is None else _model_encoder(model))


def put_frame(transport: Transport, target: Any, frame: Any, *, options: LoadOptions,
              keep_na: bool = False) -> WriteReport:
    """A pandas DataFrame or a pyarrow Table, a chunk of rows at a time (see `frames`)."""
    from ..frames import arrow_batch_rows, frame_chunks, is_frame

    kind = is_frame(frame)
    if kind not in ("pandas", "arrow"):
        raise ValidationError(f"put_frame takes a pandas DataFrame or a pyarrow Table, got "
                              f"{type(frame).__name__}")
    schema, model = _target(transport, target)
    float_text = model is None  # a model's own fields decide how its floats are stored

    def rows() -> Iterator[Numbered]:
        number = 0
        if kind == "pandas":
            chunks: Iterable[list[dict[str, Any]]] = frame_chunks(
                frame, keep_na=keep_na, float_text=float_text)
        else:
            chunks = (arrow_batch_rows(batch, keep_na=keep_na, float_text=float_text)
                      for batch in frame.to_batches(max_chunksize=5_000))
        for chunk in chunks:
            for row in chunk:
                number += 1
                yield number, row

    return put_rows(transport, schema, rows(), options=options, in_memory=True,
                    total=len(frame), encode=encode_row if model is None
                    else _model_encoder(model), what="put_frame")


def load(transport: Transport, target: Any, path: Any, *, options: LoadOptions,
         format: str | None = None, keep_na: bool = False) -> WriteReport:
    """A Parquet, CSV or JSON Lines file (plain or DynamoDB JSON), read in batches."""
    from ..frames import file_rows

    schema, model = _target(transport, target)
    source = file_rows(path, format=format, keep_na=keep_na, key_types={
        k.name: k.type for k in (schema.partition, schema.sort) if k is not None},
        float_text=model is None)
    encode = source.encode if model is None else _model_encoder(model)
    return put_rows(transport, schema, source.rows, options=options, in_memory=False,
                    total=source.total, encode=encode, what=f"load {source.name} into")


def shared_rate(transport: Transport, target: Any, rate: Any, parts: int) -> Any:
    """`rate` split into `parts` equal limits of their own, for writers in other processes
    (Dask workers) that together must keep to it."""
    schema, _model = _target(transport, target)
    return divided(rate_spec(rate), lambda: described(transport, schema.name), "write", parts)


def renumbered(reports: list[WriteReport], lengths: list[int]) -> WriteReport:
    """Reports of consecutive parts (of the given row counts) as one, rows numbered from
    the first row of the first part."""
    merged, offset = WriteReport(), 0
    for report, length in zip(reports, lengths, strict=True):
        report.rejected = [RejectedRow(r.row + offset, r.reason) for r in report.rejected]
        merged.merge(report)
        offset += length
    return merged
