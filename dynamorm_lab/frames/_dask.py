"""A lazy dask DataFrame from partition readers: one partition per reader (a scan segment).

Each reader is a picklable callable returning a pandas DataFrame; it runs on whichever Dask
worker holds its partition. Values stay what `to_pandas()` gives (Dask's conversion of
object columns to strings is off for these frames). Every partition is given the columns of
`meta` (an attribute a partition lacks is an all-NA column); an attribute `meta` does not
know is an error that says what to do, never silently dropped. `on_partitions` runs a
function on each partition of a dask frame where it lives, and gathers what each returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ValidationError

__all__ = ["dask_frame", "on_partitions", "shaped"]


def shaped(frame: Any, meta: Any) -> Any:
    """`frame` with exactly `meta`'s columns, in its order."""
    extra = [c for c in frame.columns if c not in meta.columns]
    if extra:
        raise ValidationError(f"a partition holds attribute(s) {', '.join(map(str, extra))} "
                              "that the sample behind the dask frame's columns did not show: "
                              "select the attributes, or pass a model that declares them")
    return frame.reindex(columns=meta.columns)


class _Partition:
    """Reads one partition and shapes it like `meta` (picklable: its reader and the
    column names)."""

    def __init__(self, meta: Any) -> None:
        self.meta = meta

    def __call__(self, reader: Callable[[], Any]) -> Any:
        return shaped(reader(), self.meta)


def dask_frame(readers: Sequence[Callable[[], Any]], meta: Any) -> Any:
    """`dask.dataframe.from_map` over the readers, `meta` (an empty frame) as the schema."""
    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise ValidationError("to_dask needs Dask: pip install 'dynamorm_lab[dask]'") from None
    # Dask turns object columns into strings by default: exact numbers (Decimal, big int)
    # and sets, lists and maps would become text, so that conversion is off for this frame
    with dask.config.set({"dataframe.convert-string": False}):
        frame: Any = dd.from_map(  # type: ignore[no-untyped-call]
            _Partition(meta), list(readers), meta=meta, enforce_metadata=False)
    return frame


def on_partitions(frame: Any, function: Callable[[Any], Any]) -> list[Any]:
    """`function(partition)` for every partition of a dask DataFrame, each run by the worker
    that holds it; the results in partition order."""
    import dask

    tasks = [dask.delayed(function)(part)  # type: ignore[attr-defined]
             for part in frame.to_delayed()]
    return list(dask.compute(*tasks))  # type: ignore[attr-defined,no-untyped-call]
