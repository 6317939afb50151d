"""Arrow tables into Parquet files, a table at a time under one schema.

A Parquet file has one schema: the first table written sets it, later ones are cast to it
(a column they lack becomes nulls); a later column, or a type the first's cannot hold, is a
`ValidationError` that says what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ValidationError

__all__ = ["ParquetParts", "conform"]


def conform(schema: Any, table: Any) -> Any:
    """`table` (its metadata dropped) cast to `schema`, or a clear error."""
    import pyarrow as pa

    table = table.replace_schema_metadata(None)
    if schema is None or table.schema.equals(schema, check_metadata=False):
        return table
    extra = [n for n in table.column_names if n not in schema.names]
    if extra:
        raise ValidationError(f"the export found attribute(s) {', '.join(extra)} after its "
                              "first chunk, and a Parquet file has one schema: select the "
                              "attributes, or read through a model that declares them")
    arrays = []
    for name in schema.names:
        target = schema.field(name).type
        if name not in table.column_names:
            arrays.append(pa.nulls(len(table), target))
            continue
        column = table.column(name)
        try:
            arrays.append(column.cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ValidationError(f"attribute {name!r} is {column.type} in a later chunk of the "
                                  f"export but {target} in the first; declare its type in a "
                                  "model, or pass numbers='float'") from None
    return pa.table(dict(zip(schema.names, arrays, strict=True)), schema=schema)


class ParquetParts:
    """Writes Parquet under one schema: `append` to one open file (row group by row group),
    or `part` for a whole file per table. Files are written under a hidden temporary name
    and renamed when complete, so a reader never sees half a file."""

    def __init__(self) -> None:
        self.schema: Any = None
        self._writer: Any = None
        self._open: tuple[Path, Path] | None = None

    def append(self, path: Path, table: Any) -> None:
        import pyarrow.parquet as pq

        table = conform(self.schema, table)
        if self._writer is None:
            self.schema = table.schema
            partial = _partial(path)
            self._writer = pq.ParquetWriter(partial, self.schema)
            self._open = (partial, path)
        self._writer.write_table(table)

    def finish(self, path: Path) -> None:
        """Complete the file `append` wrote (an empty one when nothing was appended)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:
            pq.write_table(pa.table({}), _partial(path))
            _partial(path).replace(path)
            return
        self._writer.close()
        self._writer = None
        assert self._open is not None
        partial, final = self._open
        partial.replace(final)
        self._open = None

    def abort(self) -> None:
        """Drop a file left half written (an export that failed)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._open is not None:
            self._open[0].unlink(missing_ok=True)
            self._open = None

    def part(self, path: Path, table: Any) -> None:
        import pyarrow.parquet as pq

        table = conform(self.schema, table)
        self.schema = self.schema if self.schema is not None else table.schema
        partial = _partial(path)
        pq.write_table(table, partial)
        partial.replace(path)


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")
