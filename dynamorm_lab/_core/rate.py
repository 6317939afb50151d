"""Rate limits that protect a production table from the library's own bulk work.

``rate=`` on a read (``query.rate(...)``, ``to_pandas(rate=...)``, exports), a bulk write
(``put_items``, ``put_frame``, ``load``, ``batch_write``) or a backfill takes:

- a number: capacity units per second (read units for reads, write units for writes);
- ``"25%"``: that share of the table's capacity (provisioned, or for an on-demand table its
  maximum throughput setting, else DynamoDB's default table limit);
- ``"adaptive"``: start at a tenth of that capacity, halve on every throttling answer, grow
  by half each clear second back up to it.

A `Limiter` is a token bucket over *consumed* capacity, shared by every thread of one call:
a request waits until the bucket is not in debt, and what the response says it consumed is
taken out afterwards (a 1 MB Scan page costs 128 units, known only once read). So over any
long stretch the achieved rate is the limit; a single request may overshoot it, never the
average.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ValidationError

__all__ = ["DEFAULT_TABLE_LIMIT", "Limiter", "RateSpec", "capacity_of", "divided",
           "limiter_for", "rate_spec"]

# DynamoDB's default per-table throughput quota for on-demand tables (units per second).
DEFAULT_TABLE_LIMIT = 40_000.0
Kind = Literal["read", "write"]


@dataclass(frozen=True)
class RateSpec:
    """A ``rate=`` as given: fixed units per second, a share of capacity, or adaptive."""

    units: float | None = None
    share: float | None = None
    adaptive: bool = False
    ceiling: float | None = None  # adaptive: the most it grows to (else the table's capacity)

    def __str__(self) -> str:
        if self.adaptive:
            return "adaptive"
        if self.share is not None:
            return f"{self.share * 100:g}%"
        return f"{self.units:g} units/s"


def rate_spec(value: Any) -> RateSpec | None:
    """``rate=`` checked: None, a positive number, ``"N%"`` (0 < N <= 100) or
    ``"adaptive"``."""
    if value is None or isinstance(value, RateSpec):
        return value
    if isinstance(value, bool):
        raise ValidationError(f"rate must be units per second, 'N%' or 'adaptive', "
                              f"got {value!r}")
    if isinstance(value, int | float):
        if not 0 < value < float("inf"):
            raise ValidationError(f"rate must be a positive number of capacity units per "
                                  f"second, got {value!r}")
        return RateSpec(units=float(value))
    if isinstance(value, str):
        text = value.strip()
        if text == "adaptive":
            return RateSpec(adaptive=True)
        if text.endswith("%"):
            try:
                share = float(text[:-1]) / 100
            except ValueError:
                share = -1.0
            if 0 < share <= 1:
                return RateSpec(share=share)
            raise ValidationError(f"rate {value!r}: a share of the table's capacity is "
                                  "between 0% and 100%, e.g. rate='25%'")
    raise ValidationError(f"rate must be capacity units per second (rate=100), a share of the "
                          f"table's capacity (rate='25%') or rate='adaptive', got {value!r}")


def capacity_of(table: dict[str, Any], kind: Kind) -> float:
    """The units per second a table serves (a DescribeTable ``Table``): provisioned capacity,
    or an on-demand table's maximum throughput, else DynamoDB's default table quota."""
    provisioned = table.get("ProvisionedThroughput") or {}
    units = provisioned.get("ReadCapacityUnits" if kind == "read" else "WriteCapacityUnits")
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode")
    if units and billing != "PAY_PER_REQUEST":
        return float(units)
    on_demand = table.get("OnDemandThroughput") or {}
    maximum = on_demand.get("MaxReadRequestUnits" if kind == "read" else "MaxWriteRequestUnits")
    return float(maximum) if maximum and maximum > 0 else DEFAULT_TABLE_LIMIT


class Limiter:
    """A token bucket over consumed capacity units, shared by the threads of one bulk call.

    ``wait()`` before a request; ``spend(units)`` with what it consumed; ``throttled()`` when
    DynamoDB throttled it (an adaptive limiter halves its rate). `history` holds
    ``(seconds since start, rate)`` at each change, `spending` ``(seconds since start, units
    spent so far)`` at each spend (to plot the achieved rate), and `achieved()` the units per
    second so far."""

    def __init__(self, per_second: float, *, adaptive: bool = False,
                 ceiling: float | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not per_second > 0:
            raise ValidationError(f"a rate limit must be positive, got {per_second!r}")
        self.rate = float(per_second)
        self.adaptive = adaptive
        self.ceiling = float(ceiling) if ceiling is not None else self.rate
        self.floor = min(self.rate, 1.0)
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._started = self._refilled = self._clear_since = clock()
        self._tokens = self.rate  # one second's worth to begin with
        self.spent = 0.0
        self.throttles = 0
        self.history: list[tuple[float, float]] = [(0.0, self.rate)]
        self.spending: list[tuple[float, float]] = []

    def __repr__(self) -> str:
        mode = "adaptive, now " if self.adaptive else ""
        return (f"<Limiter {mode}{self.rate:g} units/s: {self.spent:g} spent, "
                f"{self.throttles} throttled>")

    def _refill(self, now: float) -> None:
        self._tokens = min(self.rate, self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now
        if self.adaptive and now - self._clear_since >= 1.0 and self.rate < self.ceiling:
            self._set(min(self.ceiling, self.rate * 1.5), now)
            self._clear_since = now

    def _set(self, rate: float, now: float) -> None:
        self.rate = rate
        self.history.append((now - self._started, rate))

    def wait(self) -> None:
        """Block until the bucket is out of debt."""
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                if self._tokens > 0:
                    return
                pause = -self._tokens / self.rate + 1e-3
            self._sleep(pause)

    def spend(self, units: float) -> None:
        """Take what a request consumed out of the bucket."""
        with self._lock:
            self._tokens -= units
            self.spent += units
            self.spending.append((self._clock() - self._started, self.spent))

    def throttled(self) -> None:
        """DynamoDB throttled a request: an adaptive limiter halves its rate (and waits a
        clear second before growing again); a fixed one keeps its rate."""
        with self._lock:
            self.throttles += 1
            now = self._clock()
            self._clear_since = now
            if self.adaptive:
                self._set(max(self.floor, self.rate / 2), now)
                self._tokens = min(self._tokens, 0.0)

    def per_second(self) -> list[tuple[int, float]]:
        """Units spent in each whole second since the start: ``(second, units)``."""
        seconds: dict[int, float] = {}
        before = 0.0
        for at, total in self.spending:
            seconds[int(at)] = seconds.get(int(at), 0.0) + total - before
            before = total
        return sorted(seconds.items())

    def achieved(self) -> float:
        """Units consumed per second since the limiter started."""
        elapsed = self._clock() - self._started
        return self.spent / elapsed if elapsed > 0 else 0.0


def divided(spec: RateSpec | None, table: Callable[[], dict[str, Any]], kind: Kind,
            parts: int) -> RateSpec | None:
    """One of `parts` equal shares of a limit, as a limit of its own (for writers in other
    processes that cannot share one bucket): units per second each, or an adaptive limit
    growing to its share of the capacity."""
    if spec is None:
        return None
    if spec.units is not None:
        return RateSpec(units=spec.units / parts)
    capacity = capacity_of(table(), kind)
    if spec.adaptive:
        return RateSpec(adaptive=True, ceiling=max(1.0, capacity / parts))
    assert spec.share is not None
    return RateSpec(units=max(1.0, capacity * spec.share / parts))


def limiter_for(spec: RateSpec | None, table: Callable[[], dict[str, Any]],
                kind: Kind) -> Limiter | None:
    """The limiter a call runs under (`table()` reads DescribeTable only when a share or
    adaptive rate needs the table's capacity)."""
    if spec is None:
        return None
    if spec.units is not None:
        return Limiter(spec.units)
    capacity = spec.ceiling if spec.ceiling is not None else capacity_of(table(), kind)
    if spec.adaptive:
        return Limiter(max(1.0, capacity / 10), adaptive=True, ceiling=capacity)
    assert spec.share is not None
    return Limiter(max(1.0, capacity * spec.share))
