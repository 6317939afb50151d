"""What a read returns: items, the plan that served them, and what it cost.

Every result carries `Stats`: pages, items read (ScannedCount) versus returned, consumed
capacity (in total and per table/index) and elapsed time.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

__all__ = ["Page", "Result", "Stats"]


@dataclass
class Stats:
    """What a read did and cost."""

    operation: str
    table: str
    index: str | None = None
    pages: int = 0
    scanned: int = 0
    returned: int = 0
    capacity: float | None = None
    capacity_by: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    segments: int = 1

    def add(self, response: dict[str, Any], *, returned: int, scanned: int | None = None) -> None:
        """Account for one response page."""
        self.pages += 1
        self.returned += returned
        self.scanned += response.get("ScannedCount", returned) if scanned is None else scanned
        consumed = response.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.capacity = (self.capacity or 0.0) + float(entry.get("CapacityUnits", 0.0))
            if "Table" in entry:
                self._by("table", entry["Table"])
            for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                for name, part in entry.get(kind, {}).items():
                    self._by(name, part)

    def _by(self, name: str, part: dict[str, Any]) -> None:
        self.capacity_by[name] = self.capacity_by.get(name, 0.0) + float(
            part.get("CapacityUnits", 0.0))

    def merge(self, other: Stats) -> None:
        """Add another segment's figures to these."""
        self.pages += other.pages
        self.scanned += other.scanned
        self.returned += other.returned
        if other.capacity is not None:
            self.capacity = (self.capacity or 0.0) + other.capacity
        for name, units in other.capacity_by.items():
            self.capacity_by[name] = self.capacity_by.get(name, 0.0) + units

    @property
    def where(self) -> str:
        return f"index {self.index}" if self.index else f"table {self.table}"

    def summary(self) -> str:
        """One line: operation, where, pages, read vs returned, capacity, time."""
        capacity = ("capacity not reported" if self.capacity is None
                    else f"{self.capacity:g} RCU")
        unit = "queries, one per partition value" if self.operation == "Query" else "segments"
        segments = f" in {self.segments} {unit}" if self.segments > 1 else ""
        return (f"{self.operation} on {self.where}{segments}: {self.pages} page(s), read "
                f"{self.scanned:,} item(s), returned {self.returned:,}, {capacity}, "
                f"{self.elapsed * 1000:.0f} ms")

    __str__ = summary


@dataclass
class Page:
    """One DynamoDB response page: its items and the cursor that resumes after it."""

    items: list[Any]
    raw: list[dict[str, Any]]
    cursor: str | None
    count: int
    scanned: int
    segment: int = 0
    resume_after: Callable[[int], str] | None = None

    def cursor_after(self, index: int) -> str:
        """A cursor that resumes right after item `index` of this page (for work stopped
        halfway through a page; needs the items' key attributes, i.e. no projection)."""
        if self.resume_after is None or not 0 <= index < len(self.raw):
            raise IndexError(f"no item {index} on this page")
        return self.resume_after(index)


class Result(Sequence[Any]):
    """The items of a read, with its plan, stats and a cursor (None when exhausted)."""

    def __init__(self, items: list[Any], raw: list[dict[str, Any]], *, plan: Any, stats: Stats,
                 cursor: str | None, frame: Callable[..., Any],
                 table: Callable[..., Any] | None = None) -> None:
        self.items = items
        self.raw = raw
        self.plan = plan
        self.stats = stats
        self.cursor = cursor
        self._frame = frame
        self._table = table

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
        frame = self._frame(self.raw, flatten=flatten, numbers=numbers)
        frame.attrs.update(plan=getattr(self.plan, "sentence", None), stats=self.stats)
        return frame

    def to_arrow(self, *, numbers: str = "exact") -> Any:
        """A pyarrow Table of the wire items (the type rule of `dynamorm_lab.frames._arrow`)."""
        if self._table is not None:
            return self._table(self.raw, numbers=numbers)
        from ..frames._arrow import arrow_from_items

        return arrow_from_items(self.raw, numbers=numbers)

    def to_items(self) -> list[dict[str, Any]]:
        """The wire items as DynamoDB returned them."""
        return list(self.raw)

    def _repr_html_(self, limit: int = 50) -> str:
        frame = self.to_pandas()
        shown = frame.head(limit).to_html(index=False, escape=True, na_rep="")
        more = (f"<p>showing {limit} of {len(frame):,} rows</p>" if len(frame) > limit else "")
        return (f"<p><code>{html.escape(self.stats.summary())}</code></p>{shown}{more}")
