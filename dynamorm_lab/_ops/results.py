"""A read's items held in Python, with its plan, stats and cursor: `Result`.

The frames and tables a Result gives are built from its wire items by the same sinks as a
streamed read (`frames`), with the same model decoders and number rule (`frame_spec`).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from .._core.query import Query
from .._core.results import Stats

__all__ = ["Result", "frame_spec"]


@dataclass(eq=False, repr=False)
class Result(Sequence[Any]):
    """The items of a read, with its plan, stats and a cursor (None when exhausted)."""

    items: list[Any]
    raw: list[dict[str, Any]]
    plan: Any = field(kw_only=True)
    stats: Stats = field(kw_only=True)
    cursor: str | None = field(kw_only=True)
    query: Query = field(kw_only=True)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"<Result {len(self)} item(s) · {self.stats.summary()}>"

    def to_pandas(self, *, flatten: bool = False, numbers: str = "exact") -> Any:
        """A DataFrame built column by column from the wire items (see `frames` for the
        number rule; ``numbers="float"`` asks for floats); ``.attrs`` holds the plan's
        sentence and the Stats."""
        from ..frames import frame_from_items

        frame = frame_from_items(self.raw, frame_spec(self.query, flatten, numbers))
        frame.attrs.update(plan=getattr(self.plan, "sentence", None), stats=self.stats)
        return frame

    def to_arrow(self, *, numbers: str = "exact") -> Any:
        """A pyarrow Table of the wire items (the type rule of `dynamorm_lab.frames`), the
        Stats in its schema metadata."""
        from ..frames import arrow_from_items

        table = arrow_from_items(self.raw, kinds=frame_spec(self.query, False, numbers).kinds,
                                 numbers=numbers)
        metadata = {b"dynamorm_lab.plan": str(getattr(self.plan, "sentence", "")).encode(),
                    b"dynamorm_lab.stats": self.stats.to_json().encode()}
        return table.replace_schema_metadata(metadata)

    def to_items(self) -> list[dict[str, Any]]:
        """The wire items as DynamoDB returned them."""
        return list(self.raw)

    def _repr_html_(self, limit: int = 50) -> str:
        """The summary, then the rows (browsable past `limit` rows: `frames.result_table`)."""
        from ..frames import result_table

        table = result_table(self.to_pandas(), limit=limit)
        return f"<p><code>{html.escape(self.stats.summary())}</code></p>{table}"


def _frame_kind(f: Any) -> str | None:
    """The frames kind of a model field whose decoding a whole-column conversion reproduces
    (plain scalars, not TTL or JSON fields); None for the others."""
    from ..frames import FRAME_KINDS

    kind = f.node.kind.value
    return kind if kind in FRAME_KINDS and not (f.spec.ttl or f.spec.as_json) else None


def _column(path: Any) -> str:
    """A projected path's column: its names up to the first list index (DynamoDB returns a
    projected list element inside its list, and the frame keeps it there)."""
    names: list[str] = []
    for element in path.elements:
        if isinstance(element, int):
            break
        names.append(str(element))
    return ".".join(names)


def frame_spec(query: Query, flatten: bool, numbers: str = "exact") -> Any:
    """How the query's wire items become a frame: a model's decoders, Python names and
    field kinds; a projection's columns; the number rule."""
    from ..frames import FrameSpec

    model = query.model if query.spec.shape == "model" else None
    projection = query.spec.projection
    columns = list(dict.fromkeys(_column(p) for p in projection)) if projection else None
    nested = bool(projection) and any(len(p.elements) > 1 for p in projection or ())
    if model is None:
        return FrameSpec(flatten=flatten or nested, columns=columns, only=columns,
                         numbers=numbers)
    attrs = model.__dynamorm_attrs__
    return FrameSpec(
        flatten=flatten, columns=columns or list(attrs),
        decoders={name: f.decode for name, f in attrs.items()},
        names={name: f.py_name for name, f in attrs.items()},
        kinds={name: kind for name, f in attrs.items() if (kind := _frame_kind(f)) is not None},
        numbers=numbers)
