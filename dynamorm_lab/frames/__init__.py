"""Wire items to pandas DataFrames, column by column, never turning a number into a float
unless asked.

The number rule (the same for a Query and a Result, flattened or not, and for Arrow tables):
a frame's number cell is the value the Python API gives for it, so by default no number
becomes a float. A column whose values are all integers that fit in 64 bits becomes
``int64`` (``Int64`` when some items lack it); a field declared ``float`` becomes
``float64``; every other number column is ``object`` holding exact values: ``Decimal`` for
a ``Decimal`` field (even when the values are integral), ``int`` beyond int64, and for
untyped numbers (no model, ``dict``/``Any`` fields, flattened map keys) ``int`` when the text
is integral and ``Decimal`` otherwise. ``numbers="float"`` asks for floats by name: every
number column that is not ``int64`` becomes ``float64`` (the float nearest each value);
numbers inside lists, sets and maps stay exact Python values. Booleans become ``boolean``;
a missing attribute is NA. Sets, lists and maps stay Python objects, or with
``flatten=True`` maps spread into ``info.rating``-style columns.

Speed: each column is cut out of the items once and converted with C-level maps where its
values share one type (``int``/``Decimal``/``float`` over the N texts, ``itemgetter`` for S
and BOOL); only columns of sets, lists, maps, binary or mixed types decode value by value. A
streamed read converts page by page (`FrameBuilder`) and lets each page go as soon as it is
converted.

The other way: `frame_chunks`/`arrow_batch_rows` turn frames and Arrow tables back into rows
of Python values (missing cells left out, float columns as their shortest decimal text),
`file_rows` reads Parquet, CSV and JSON Lines files in batches, `ParquetParts` writes Parquet
under one schema, and `dask_frame`/`on_partitions` are the Dask glue.

For people: `result_table` shows a frame as HTML (exact numbers, blanks, markup as text), a
browsable itables table past the display limit; `html_table` and `cell_text` are its pieces.

Layer: frames, above the core (its only imports in the package); pandas, pyarrow and Dask
are imported in this package alone, when first needed. `ArrowReader` and
`table_from_chunks` read DynamoDB's JSON with pyarrow; `arrow_from_items` builds the same
table from wire items already in Python.
"""

from ._arrow import ArrowReader, arrow_from_items, numbers_from_texts, table_from_chunks
from ._dask import dask_frame, on_partitions, shaped
from ._files import FORMATS, FileRows, encode_line, file_rows
from ._html import BROWSABLE_ROWS, cell_text, html_table, result_table, text_frame
from ._pandas import (
    FRAME_KINDS,
    FrameBuilder,
    FrameSpec,
    fits_int64,
    frame_from_items,
    frame_records,
    frame_series,
    integers,
    number_form,
    spread_rows,
    table_frame,
)
from ._parquet import ParquetParts, conform
from ._rows import arrow_batch_rows, frame_chunks, is_frame

__all__ = [
    "BROWSABLE_ROWS",
    "FORMATS",
    "FRAME_KINDS",
    "ArrowReader",
    "FileRows",
    "FrameBuilder",
    "FrameSpec",
    "ParquetParts",
    "arrow_batch_rows",
    "arrow_from_items",
    "cell_text",
    "conform",
    "dask_frame",
    "encode_line",
    "file_rows",
    "fits_int64",
    "frame_chunks",
    "frame_from_items",
    "frame_records",
    "frame_series",
    "html_table",
    "integers",
    "is_frame",
    "number_form",
    "numbers_from_texts",
    "on_partitions",
    "result_table",
    "shaped",
    "spread_rows",
    "table_frame",
    "table_from_chunks",
    "text_frame",
]
