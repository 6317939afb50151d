"""Frames and Arrow data back into items: rows of plain Python values, a chunk at a time.

A missing cell (None, NaN, NaT, pd.NA) is left out of the item, not written as NULL, unless
``keep_na=True``. A float column's values are written as their shortest decimal text (the
column's type says float, as a model's ``float`` field does), so 19.99 is stored as 19.99.
numpy and pandas scalars become the Python values the codec knows (``Timestamp`` is a
``datetime``; a naive one is refused by the codec, as every naive datetime is). Decimal,
int, str, bytes, lists, sets and dicts pass through unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

__all__ = ["CHUNK_ROWS", "arrow_batch_rows", "frame_chunks", "is_frame", "row_value"]

CHUNK_ROWS = 5_000


def is_frame(data: Any) -> str | None:
    """``"pandas"``, ``"arrow"`` or ``"dask"`` for a frame or table of those, else None
    (decided by the type's module, so no library is imported to ask)."""
    module = type(data).__module__
    name = type(data).__name__
    if module.startswith("dask") and name == "DataFrame":
        return "dask"
    if module.startswith("pandas") and name == "DataFrame":
        return "pandas"
    if module.startswith("pyarrow") and name in ("Table", "RecordBatch"):
        return "arrow"
    return None


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType") and type(value).__module__.startswith(
        "pandas")


def row_value(value: Any, *, as_float: bool = False) -> Any:
    """One cell as the codec takes it (see the module's rules)."""
    if isinstance(value, float) and as_float:
        return Decimal(repr(value)) if math.isfinite(value) else value
    module = type(value).__module__
    if module == "numpy" and hasattr(value, "item"):
        return row_value(value.item(), as_float=as_float or type(value).__name__.startswith(
            "float"))
    return value


def frame_chunks(frame: Any, *, keep_na: bool = False, rows: int = CHUNK_ROWS,
                 float_text: bool = True) -> Iterator[list[dict[str, Any]]]:
    """A pandas DataFrame's rows as dicts, `rows` at a time (the index is not a column);
    `float_text`: float cells as their shortest decimal text (else left floats, for a model
    whose fields decide)."""
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        from ..errors import ValidationError

        raise ValidationError(f"the frame has duplicate column names: {columns}")
    floats = {str(c) for c, dtype in frame.dtypes.items() if dtype.kind == "f" and float_text}
    objects = {str(c) for c, dtype in frame.dtypes.items() if dtype.kind == "O"}
    for start in range(0, len(frame), rows):
        part = frame.iloc[start:start + rows]
        records = part.to_dict("records")
        maybe_na = {str(c) for c in part.columns if part[c].isna().any()}
        fix = floats | objects
        for record in records:
            if maybe_na:
                for name in maybe_na:
                    if _missing(record.get(name)):
                        if keep_na:
                            record[name] = None
                        else:
                            del record[name]
            for name in fix & record.keys():
                record[name] = row_value(record[name], as_float=name in floats)
        yield [{str(k): v for k, v in r.items()} for r in records] if _named(part) else records


def _named(part: Any) -> bool:
    """True when some column name is not a str (then the items' names are made str)."""
    return any(not isinstance(c, str) for c in part.columns)


def arrow_batch_rows(batch: Any, *, keep_na: bool = False, float_text: bool = True,
                     ) -> list[dict[str, Any]]:
    """A pyarrow RecordBatch (or Table) as row dicts (Arrow decimals stay Decimal,
    timestamps are datetimes, floats their shortest decimal text if `float_text`)."""
    import pyarrow as pa

    floats = {f.name for f in batch.schema if pa.types.is_floating(f.type) and float_text}
    records: list[dict[str, Any]] = batch.to_pylist()
    for record in records:
        for name in [n for n, v in record.items() if _missing(v)]:
            if keep_na:
                record[name] = None
            else:
                del record[name]
        for name in floats & record.keys():
            record[name] = row_value(record[name], as_float=True)
    return records
