"""Timing: interleaved repeats, medians, and the ratios the report is made of.

Each contender runs once (untimed) to warm up and to check its output, then every repeat runs
each live contender once, in an order rotated by one per repeat, so no tool always goes first
or last. A contender that raises is recorded as failed and left out of the later repeats.
"""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One timed run: client CPU (this process, all threads) and wall-clock seconds."""

    cpu: float | None
    wall: float


Measure = Callable[[Callable[[], Any]], tuple[Any, Sample]]


def in_process(run: Callable[[], Any]) -> tuple[Any, Sample]:
    """Time `run` in this process: `time.process_time` for CPU, `perf_counter` for wall."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = run()
    return out, Sample(time.process_time() - cpu0, time.perf_counter() - wall0)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def in_child(run: Callable[[], Any]) -> tuple[Any, Sample]:
    """Time `run` that waits for a subprocess: the finished children's CPU, and wall."""
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    out = run()
    return out, Sample(_children_cpu() - cpu0, time.perf_counter() - wall0)


@dataclass
class Contender:
    """One tool's way of doing a case's work."""

    tool: str
    run: Callable[[], Any]
    check: Callable[[Any], None] | None = None
    ours: bool = False  # a dynamorm_lab row (compared with every other row)
    reference: bool = False  # shown for scale only, left out of the comparisons
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    @property
    def wall(self) -> float | None:
        return statistics.median(s.wall for s in self.samples) if self.samples else None

    @property
    def cpu(self) -> float | None:
        values = [s.cpu for s in self.samples if s.cpu is not None]
        return statistics.median(values) if values else None


def _attempt(contender: Contender, measure: Measure, *, record: bool) -> None:
    gc.collect()
    try:
        out, sample = measure(contender.run)
        if contender.check is not None:
            contender.check(out)
    except Exception as exc:  # a tool that cannot do the work is reported, not fatal
        contender.error = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:240]
        return
    if record:
        contender.samples.append(sample)


def interleave(contenders: list[Contender], repeats: int, *, warmups: int = 1,
               measure: Measure = in_process) -> None:
    """Warm up and check each contender, then time `repeats` interleaved rounds."""
    for contender in contenders:
        for _ in range(warmups):
            if contender.error is None:
                _attempt(contender, measure, record=False)
    for round_ in range(repeats):
        shift = round_ % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            if contender.error is None:
                _attempt(contender, measure, record=True)


def per_call(contenders: list[Contender], calls: int, *, warmups: int = 20) -> None:
    """Time single calls (wall, nanosecond clock), alternating contenders call by call."""
    for contender in contenders:
        try:
            for _ in range(warmups):
                out = contender.run()
            if contender.check is not None:
                contender.check(out)
        except Exception as exc:
            contender.error = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:240]
    live = [c for c in contenders if c.error is None]
    for _ in range(calls):
        for contender in live:
            start = time.perf_counter_ns()
            contender.run()
            contender.samples.append(Sample(None, (time.perf_counter_ns() - start) / 1e9))


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator
