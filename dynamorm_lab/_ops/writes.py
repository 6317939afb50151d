"""Batch reads and writes of model objects: `batch_get`, `batch_write` and `BatchWriter`.

Batch puts are blind writes: DynamoDB's BatchWriteItem takes no conditions, so a version
field is written as it is (use `save()` or a transaction for optimistic locking).
Timestamps are still set, and items are validated (400 KB, key types) before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._core.codec import key_identity
from .._core.expr import Placeholders, compile_projection
from .._core.fields import now_utc
from .._core.limits import check_item
from .._core.model import Model
from .._core.requests import key_of, wire_key
from ..errors import BatchIncomplete, ValidationError
from .batch import (
    RetryPolicy,
    WriteFailure,
    WriteReport,
    WriteRequest,
    get_keys,
    write_requests,
)
from .progress import Progress

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["BatchGetResult", "BatchWriter", "batch_get", "batch_write"]


@dataclass
class BatchGetResult:
    """Items found, in the caller's key order; `missing` lists the keys not found."""

    items: list[Any]
    missing: list[tuple[type[Model], Any]]
    aligned: list[Any] = field(repr=False)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Any:
        return iter(self.items)


def _pairs(target: Any, keys: Iterable[Any] | None) -> list[tuple[type[Model], Any]]:
    if isinstance(target, type) and issubclass(target, Model):
        if keys is None:
            raise ValidationError(f"batch_get({target.__name__}, keys) needs the keys")
        return [(target, k) for k in keys]
    if keys is not None:
        raise ValidationError("give batch_get either (Model, keys) or a list of (Model, key)")
    pairs = list(target)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], type)
                and issubclass(pair[0], Model)):
            raise ValidationError(f"expected (Model, key) pairs, got {pair!r:.60}")
    return pairs


def batch_get(transport: Transport, target: Any, keys: Iterable[Any] | None = None, *,
              consistent: bool = False, attributes: Sequence[str] | None = None,
              policy: RetryPolicy | None = None) -> BatchGetResult:
    """Read any number of keys of one model, or (Model, key) pairs over several models."""
    pairs = _pairs(target, keys)
    tables: dict[str, type[Model]] = {}
    wire = []
    for model, key in pairs:
        table = model.__table__
        assert table is not None
        tables.setdefault(table, model)
        wire.append((table, wire_key(model, key)))
    extra: dict[str, dict[str, Any]] = {}
    for table, model in tables.items():
        options: dict[str, Any] = {"ConsistentRead": consistent}
        if attributes:
            ph = Placeholders()
            names = list(attributes) + [n for n in model.__dynamorm_schema__.key_names  # type: ignore[union-attr]
                                        if n not in attributes]
            options["ProjectionExpression"] = compile_projection(
                [model.path(a) for a in names], ph)
            ph.into(options)
        extra[table] = options
    found, _missing = get_keys(transport, wire, extra=extra, policy=policy, fast=True)
    aligned = [None if item is None else model.from_item(item)
               for (model, _key), item in zip(pairs, found, strict=True)]
    missing = [pair for pair, obj in zip(pairs, aligned, strict=True) if obj is None]
    return BatchGetResult([obj for obj in aligned if obj is not None], missing, aligned)


def _put_request(obj: Model, now: Any) -> WriteRequest:
    cls = type(obj)
    roles = cls.__dynamorm_roles__
    apply: dict[str, Any] = {}
    if "version" in roles:  # not checked (a blind write), but still moves forward
        apply[roles["version"].py_name] = (obj.__dict__.get(roles["version"].py_name) or 0) + 1
    if "updated_at" in roles:
        apply[roles["updated_at"].py_name] = now
    if "created_at" in roles and obj.__dict__.get(roles["created_at"].py_name) is None:
        apply[roles["created_at"].py_name] = now
    shell = cls.__new__(cls)
    shell.__dict__.update({**obj.__dict__, **apply})
    item = shell.to_item()
    check_item(item, cls.__table__)
    assert cls.__table__ is not None
    return WriteRequest(cls.__table__, {"PutRequest": {"Item": item}}, key_of(obj), obj, apply)


def _apply_written(requests: Sequence[WriteRequest], report: WriteReport) -> None:
    failed = {id(f.request) for f in report.failed}
    for request in requests:
        if request.apply and id(request.body) not in failed:
            request.source.__dict__.update(request.apply)


def _delete_request(target: Any) -> WriteRequest:
    if isinstance(target, Model):
        model, key = type(target), key_of(target)
    elif isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], type):
        model, key = target[0], wire_key(target[0], target[1])
    else:
        raise ValidationError(f"delete takes an object or a (Model, key) pair, got "
                              f"{target!r:.60}")
    assert model.__table__ is not None
    return WriteRequest(model.__table__, {"DeleteRequest": {"Key": key}}, key, target)


def batch_write(transport: Transport, puts: Iterable[Model] = (), deletes: Iterable[Any] = (), *,
                policy: RetryPolicy | None = None, progress: bool | None = None,
                raise_on_failure: bool = True) -> WriteReport:
    """Put and delete any number of objects with BatchWriteItem (25 a request).

    Everything is validated before the first request. Unprocessed items are retried; the
    report lists what still failed, and BatchIncomplete is raised for it unless
    ``raise_on_failure=False``.
    """
    now = now_utc()
    requests = [_put_request(obj, now) for obj in _objects(puts)]
    requests += [_delete_request(target) for target in deletes]
    with Progress(total=len(requests), desc="batch write", enabled=progress) as bar:
        report = write_requests(transport, requests, policy=policy, on_progress=bar.update)
    _apply_written(requests, report)
    _finish(report, raise_on_failure)
    return report


def _objects(puts: Iterable[Any]) -> list[Model]:
    objects = list(puts)
    for obj in objects:
        if not isinstance(obj, Model) or type(obj).__table__ is None:
            raise ValidationError(f"batch puts take model objects with a table, got {obj!r:.60}")
    return objects


def _finish(report: WriteReport, raise_on_failure: bool) -> None:
    if report.failed and raise_on_failure:
        raise BatchIncomplete(
            f"{len(report.failed)} write(s) failed after retries ({report.written} written); "
            "see .report.failed for each one", report=report)


class BatchWriter:
    """Stream puts and deletes; they are sent 25 at a time and the rest when the ``with``
    block ends. When the block raises, what is still queued is not sent: it is listed in
    ``report.unsent`` (what was sent before stays written).

    >>> with db.batch_writer() as writer:
    ...     for movie in movies:
    ...         writer.put(movie)
    >>> writer.report
    """

    def __init__(self, transport: Transport, *, policy: RetryPolicy | None = None,
                 raise_on_failure: bool = True) -> None:
        self._conn = transport
        self._policy = policy
        self._raise = raise_on_failure
        self._pending: list[WriteRequest] = []
        self._keys: set[tuple[str, tuple[Any, ...]]] = set()
        self.report = WriteReport()

    def put(self, obj: Model) -> None:
        """Queue a put of `obj` (sent when 25 are queued)."""
        self._add(_put_request(_objects([obj])[0], now_utc()))

    def delete(self, target: Any, key: Any = None) -> None:
        """Queue a delete of an object, or of ``(Model, key)``."""
        self._add(_delete_request((target, key) if key is not None else target))

    def _add(self, request: WriteRequest) -> None:
        ident = (request.table, key_identity(request.key))
        if ident in self._keys:  # the same key again: send what came before it first
            self.flush()
        self._pending.append(request)
        self._keys.add(ident)
        if len(self._pending) >= 25:
            self.flush()

    def flush(self) -> WriteReport:
        """Send everything queued now."""
        if self._pending:
            report = write_requests(self._conn, self._pending, policy=self._policy)
            _apply_written(self._pending, report)
            self.report.merge(report)
            self._pending, self._keys = [], set()
        return self.report

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, *rest: object) -> None:
        if exc_type is not None:  # the caller's work failed: send nothing more
            why = f"not sent: the with block raised {type(exc).__name__}: {exc}"
            self.report.unsent += [WriteFailure(r.table, r.body, why, r.source)
                                   for r in self._pending]
            self._pending, self._keys = [], set()
            return
        self.flush()
        _finish(self.report, self._raise)
