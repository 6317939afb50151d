"""What a query asks for, as plain data: the one frozen spec the builder, the planner's
request, the code generators and the executor all read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ValidationError
from .expr import Condition, Path

__all__ = ["NUMBERS", "QuerySpec", "Shape", "numbers_option"]

Shape = Literal["model", "dict", "wire"]

# The number rule a frame or table follows: exact values (the default), or floats by request.
NUMBERS = ("exact", "float")


def numbers_option(numbers: object) -> str:
    """`numbers` checked against `NUMBERS` (every frame and table entry point takes it)."""
    if not isinstance(numbers, str) or numbers not in NUMBERS:
        raise ValidationError(f"numbers must be one of {', '.join(map(repr, NUMBERS))}, "
                              f"got {numbers!r}")
    return numbers


@dataclass(frozen=True)
class QuerySpec:
    """A query's conditions and options (`Query` builds one, immutably)."""

    source: Any
    conditions: tuple[Condition, ...] = ()
    scan: bool = False
    index: str | None = None
    projection: tuple[Path, ...] | None = None
    limit: int | None = None
    descending: bool | None = None
    consistent: bool = False
    page_size: int | None = None
    segments: int = 1
    allow_scan: bool = False
    cursor: str | None = None
    shape: Shape = "model"
    connection: Any = None
    progress: bool | None = None
    rate: Any = None  # a checked `rate.RateSpec`: read units per second the read may take
    part: tuple[int, int] | None = None  # (segment, of segments): read that segment only
