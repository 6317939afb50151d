"""Exports at constant memory: a read written to Parquet a chunk at a time.

``path`` ending in ``.parquet`` is one file, written row group by row group. Any other path
is a directory of part files, ``part-<segment>-<n>.parquet``, one series per scan segment:
each part is written under a temporary name and renamed when complete, and after each the
cursor that resumes after it is saved in ``_cursor.json``, so ``resume=True`` continues an
interrupted export where its last complete part ended (no item twice, none missed). A
directory export that finished leaves ``_cursor.json`` with ``"done": true``.

Every chunk must have the columns and types of the first (`frames.ParquetParts`): a model's
declared fields, or ``numbers="float"``, give every chunk the same types.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._core import display
from .._core.cursor import encode_cursor
from .._core.query import Query
from .._core.results import Stats
from ..errors import ValidationError
from .reads import chunks, prepare

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["CURSOR_FILE", "ExportReport", "to_parquet"]

CURSOR_FILE = "_cursor.json"


@dataclass
class ExportReport:
    """What an export wrote: the files, the rows, and the read's Stats."""

    path: Path
    rows: int = 0
    files: list[Path] = field(default_factory=list)
    stats: Stats | None = None
    resumed: bool = False

    @property
    def headline(self) -> str:
        """``12,345 rows exported to 3 files at out/``."""
        again = " (resumed)" if self.resumed else ""
        return (f"{display.count(self.rows, 'row')} exported to "
                f"{display.count(len(self.files), 'file')} at {self.path}{again}")

    def __repr__(self) -> str:
        return f"<ExportReport {self.headline}>"

    def _repr_html_(self) -> str:
        """The headline, what the read cost, and the files written."""
        files = [{"file": str(f.relative_to(self.path)) if f != self.path else f.name}
                 for f in self.files]
        return display.card(self.headline, [("read", self.stats.summary() if self.stats
                                             else None)],
                            body=display.table(files, limit=20) if len(files) > 1 else "")


def to_parquet(transport: Transport, query: Query, path: Any, *, rows: int = 10_000,
               numbers: str = "exact", resume: bool = False) -> ExportReport:
    """Write the query's items to `path` (see the module)."""
    if not isinstance(path, str | os.PathLike):
        raise ValidationError(f"to_parquet takes a path, got {type(path).__name__}")
    target = Path(path)
    if target.suffix == ".parquet":
        if resume:
            raise ValidationError("resume=True needs a directory export (a path without "
                                  ".parquet): a single Parquet file cannot be appended to")
        return _one_file(transport, query, target, rows=rows, numbers=numbers)
    return _directory(transport, query, target, rows=rows, numbers=numbers, resume=resume)


def _one_file(transport: Transport, query: Query, target: Path, *, rows: int,
              numbers: str) -> ExportReport:
    from ..frames import ParquetParts

    report = ExportReport(target)
    writer = ParquetParts()
    try:
        for chunk in chunks(transport, query, rows=rows, numbers=numbers):
            writer.append(target, chunk.data)
            report.rows += len(chunk.data)
            report.stats = chunk.stats
        writer.finish(target)
    finally:
        writer.abort()
    report.files.append(target)
    report.stats = report.stats or transport.last_stats
    return report


def _directory(transport: Transport, query: Query, target: Path, *, rows: int,
               numbers: str, resume: bool) -> ExportReport:
    saved = target / CURSOR_FILE
    report = ExportReport(target, resumed=resume)
    if resume:
        if not saved.is_file():
            raise ValidationError(f"nothing to resume: {saved} does not exist")
        record = json.loads(saved.read_text())
        if record.get("done"):
            return report
        query = query.after(record["cursor"])
    elif target.exists() and any(target.iterdir()):
        raise ValidationError(f"{target} is not empty: export into a new directory, or pass "
                              "resume=True to continue the export that is there")
    target.mkdir(parents=True, exist_ok=True)
    read = prepare(transport, query)
    committed = [dict(s) for s in read.start]
    numbers_used = {int(p.stem.split("-")[2]) for p in target.glob("part-*.parquet")}
    counter = max(numbers_used, default=-1) + 1
    from ..frames import ParquetParts

    writer = ParquetParts()
    for chunk in chunks(transport, query, rows=rows, numbers=numbers, per_segment=True):
        segment = chunk.segment or 0
        if len(chunk.data):
            name = target / f"part-{segment:03d}-{counter:06d}.parquet"
            counter += 1
            writer.part(name, chunk.data)
            report.files.append(name)
            report.rows += len(chunk.data)
        committed[segment] = chunk.states[segment]
        _save(saved, encode_cursor(read.fingerprint, committed, read.cursor_key), done=False)
        report.stats = chunk.stats
    _save(saved, None, done=True)
    return report


def _save(saved: Path, cursor: str | None, *, done: bool) -> None:
    """The cursor file, replaced whole (a crash leaves the old one or the new one)."""
    partial = saved.with_name(f".{saved.name}.partial")
    partial.write_text(json.dumps({"cursor": cursor, "done": done}))
    partial.replace(saved)
