"""What a read did and cost (`Stats`), and one page of it (`Page`): plain data.

Every read route hands out the same `Stats`: pages, items read (ScannedCount) versus
returned, consumed capacity (in total and per table/index) and elapsed time. `Stats.of`
finds them on whatever a read returned (a Result, a DataFrame, an Arrow table).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Page", "Stats"]


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
    predicted_items: float | None = None  # what the plan predicted (see Plan's candidates)
    predicted_rcu: float | None = None

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
        """One line: operation, where, pages, read vs returned, capacity, time, and what the
        plan predicted beside it."""
        capacity = ("capacity not reported" if self.capacity is None
                    else f"{self.capacity:g} RCU")
        unit = "queries, one per partition value" if self.operation == "Query" else "segments"
        segments = f" in {self.segments} {unit}" if self.segments > 1 else ""
        text = (f"{self.operation} on {self.where}{segments}: {self.pages} page(s), read "
                f"{self.scanned:,} item(s), returned {self.returned:,}, {capacity}, "
                f"{self.elapsed * 1000:.0f} ms")
        if self.predicted_items is not None and self.predicted_rcu is not None:
            text += (f"; predicted {round(self.predicted_items):,} item(s) read, "
                     f"{self.predicted_rcu:g} RCU")
        return text

    __str__ = summary

    def to_json(self) -> str:
        """These figures as JSON (what an Arrow table's metadata carries)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Stats:
        return cls(**json.loads(text))

    @classmethod
    def of(cls, read: Any) -> Stats:
        """The Stats a read returned with its data: a Result's, a DataFrame's (in
        ``.attrs``) or an Arrow table's (in its schema metadata)."""
        stats = getattr(read, "stats", None)
        if isinstance(stats, Stats):
            return stats
        attrs = getattr(read, "attrs", None)
        if isinstance(attrs, dict) and isinstance(attrs.get("stats"), Stats):
            found: Stats = attrs["stats"]
            return found
        metadata = getattr(getattr(read, "schema", None), "metadata", None) or {}
        if b"dynamorm_lab.stats" in metadata:
            return cls.from_json(metadata[b"dynamorm_lab.stats"])
        raise TypeError(f"{type(read).__name__} carries no read Stats")


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
