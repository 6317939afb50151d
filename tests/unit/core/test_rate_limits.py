"""Rate limits on a fake clock: the bucket, the share of capacity, the adaptive mode."""

from __future__ import annotations

from typing import Any

import pytest

import dynamorm_lab as dl
from dynamorm_lab._core.rate import (
    DEFAULT_TABLE_LIMIT,
    Limiter,
    RateSpec,
    capacity_of,
    limiter_for,
    rate_spec,
)


class Clock:
    """A clock that moves only when the limiter sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds
        self.slept += seconds


def limiter(rate: float, clock: Clock, **options: Any) -> Limiter:
    return Limiter(rate, clock=clock, sleep=clock.sleep, **options)


def test_a_fixed_limit_holds_the_average_over_a_long_run() -> None:
    clock = Clock()
    bucket = limiter(50, clock)
    for _ in range(600):  # 600 requests of 8 units: 4,800 units
        bucket.wait()
        bucket.spend(8)
    # one second's worth goes at once, then 50 a second: 4,800 units need >= 94.84 s
    assert clock.now >= (4_800 - 50 - 8) / 50
    assert bucket.achieved() == pytest.approx(50, rel=0.05)


def test_a_request_waits_only_while_the_bucket_is_in_debt() -> None:
    clock = Clock()
    bucket = limiter(10, clock)
    bucket.wait()
    bucket.spend(30)  # a 30-unit page: 20 units of debt
    assert clock.slept == 0
    bucket.wait()
    assert clock.slept == pytest.approx(2.0, abs=0.01)


def test_adaptive_halves_on_throttling_and_grows_back_while_clear() -> None:
    clock = Clock()
    bucket = limiter(100, clock, adaptive=True, ceiling=400)
    bucket.throttled()
    bucket.throttled()
    assert bucket.rate == 25 and bucket.throttles == 2
    for _ in range(4_000):
        bucket.wait()
        bucket.spend(5)
    assert bucket.rate == 400, "it never grew back to the table's capacity"
    rates = [rate for _t, rate in bucket.history]
    assert rates[:3] == [100, 50, 25] and rates[2:] == sorted(rates[2:]) and rates[-1] == 400


def test_a_fixed_limit_keeps_its_rate_when_throttled() -> None:
    bucket = limiter(40, Clock())
    bucket.throttled()
    assert bucket.rate == 40 and bucket.throttles == 1


@pytest.mark.parametrize("given, expected", [
    (None, None), (25, RateSpec(units=25.0)), (0.5, RateSpec(units=0.5)),
    ("25%", RateSpec(share=0.25)), (" 100% ", RateSpec(share=1.0)),
    ("adaptive", RateSpec(adaptive=True)),
])
def test_rate_specs(given: Any, expected: Any) -> None:
    assert rate_spec(given) == expected


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "0%", "101%",
                                 "x%", "fast", [5]])
def test_a_bad_rate_is_refused_with_the_forms_it_takes(bad: Any) -> None:
    with pytest.raises(dl.ValidationError, match=r"rate"):
        rate_spec(bad)


def test_capacity_comes_from_provisioned_or_on_demand_settings() -> None:
    provisioned = {"ProvisionedThroughput": {"ReadCapacityUnits": 200, "WriteCapacityUnits": 50}}
    assert capacity_of(provisioned, "read") == 200 and capacity_of(provisioned, "write") == 50
    capped = {"BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
              "ProvisionedThroughput": {"ReadCapacityUnits": 0},
              "OnDemandThroughput": {"MaxReadRequestUnits": 800}}
    assert capacity_of(capped, "read") == 800
    assert capacity_of(capped, "write") == DEFAULT_TABLE_LIMIT


def test_a_share_or_adaptive_limit_reads_the_table_only_when_needed() -> None:
    described: list[str] = []

    def table() -> dict[str, Any]:
        described.append("DescribeTable")
        return {"ProvisionedThroughput": {"ReadCapacityUnits": 400}}

    assert limiter_for(None, table, "read") is None
    assert limiter_for(RateSpec(units=7), table, "read").rate == 7  # type: ignore[union-attr]
    assert described == []
    assert limiter_for(RateSpec(share=0.25), table, "read").rate == 100  # type: ignore[union-attr]
    adaptive = limiter_for(RateSpec(adaptive=True), table, "read")
    assert adaptive is not None and (adaptive.rate, adaptive.ceiling) == (40, 400)
    assert described == ["DescribeTable", "DescribeTable"]


def test_the_spending_per_second_adds_up_to_what_was_spent() -> None:
    clock = Clock()
    bucket = limiter(20, clock)
    for _ in range(50):
        bucket.wait()
        bucket.spend(4)
    seconds = bucket.per_second()
    assert sum(units for _s, units in seconds) == bucket.spent == 200
    assert all(units <= 20 + 4 for second, units in seconds if second > 0)


def test_a_limit_divided_between_processes_adds_up_to_the_whole() -> None:
    from dynamorm_lab._core.rate import divided

    def table() -> dict[str, Any]:
        return {"ProvisionedThroughput": {"ReadCapacityUnits": 800, "WriteCapacityUnits": 80}}

    assert divided(None, table, "read", 4) is None
    assert divided(RateSpec(units=100), table, "read", 4) == RateSpec(units=25)
    assert divided(RateSpec(share=0.5), table, "read", 4) == RateSpec(units=100)
    assert divided(RateSpec(share=0.5), table, "write", 4) == RateSpec(units=10)
    adaptive = divided(RateSpec(adaptive=True), table, "read", 4)
    assert adaptive == RateSpec(adaptive=True, ceiling=200)
    each = limiter_for(adaptive, table, "read")
    assert each is not None and (each.rate, each.ceiling) == (20, 200)
