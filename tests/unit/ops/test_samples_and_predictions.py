"""Samples and predicted costs, over a fake table in DynamoDB's own Scan order (each segment
holds whole partitions in hash order, a partition's items together in sort-key order), with
partition sizes as skewed as real tables': what a sample reads, when it is the whole table,
how a partial one extrapolates, how a table whose ItemCount is still 0 is counted, and the
read-unit arithmetic DynamoDB bills by.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from helpers import FakeTransport

import dynamorm_lab as dl
from dynamorm_lab._core.estimate import admits, read_cost, unit_cost
from dynamorm_lab._core.planner import plan
from dynamorm_lab._ops import reads, samples

A = dl.attr
SEGMENTS = 4


class FakeTable:
    """`partitions` partitions of skewed sizes; Scan pages served per segment in hash order."""

    def __init__(self, partitions: int, seed: int, *, item_count: bool = True,
                 padding: int = 100) -> None:
        rng = random.Random(seed)
        sizes = [max(1, int(rng.lognormvariate(2.5, 1.2))) for _ in range(partitions)]
        names = [f"p{n:05}" for n in range(partitions)]
        self.sizes = dict(zip(names, sizes, strict=True))
        by_hash = sorted(names, key=lambda _: rng.random())  # hash order: unrelated to size
        self.total = sum(sizes)
        self.item_count = item_count
        self.pad = "x" * padding
        self.streams: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.order = by_hash

    def stream(self, segment: int, total: int) -> list[dict[str, Any]]:
        if (segment, total) not in self.streams:
            self.streams[segment, total] = [
                {"pk": {"S": name}, "sk": {"N": str(n)}, "pad": {"S": self.pad}}
                for position, name in enumerate(self.order) if position % total == segment
                for n in range(self.sizes[name])]
        return self.streams[segment, total]

    def __call__(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "DescribeTable":
            return {"Table": {
                "TableName": "Fake", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"}],
                "ItemCount": self.total if self.item_count else 0,
                "TableSizeBytes": self.total * 120 if self.item_count else 0,
                "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}}
        if operation == "DescribeTimeToLive":
            return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
        assert operation == "Scan", operation
        items = self.stream(params.get("Segment", 0), params.get("TotalSegments", 1))
        start = 0
        if "ExclusiveStartKey" in params:
            start = items.index(next(i for i in items if {k: i[k] for k in ("pk", "sk")}
                                     == params["ExclusiveStartKey"])) + 1
        page = items[start:start + params.get("Limit", len(items))]
        response: dict[str, Any] = {"Count": len(page), "ScannedCount": len(page)}
        if params.get("Select") != "COUNT":
            response["Items"] = page
        if start + len(page) < len(items):
            response["LastEvaluatedKey"] = {k: page[-1][k] for k in ("pk", "sk")}
        return response


def test_a_small_table_is_sampled_whole_and_predicted_exactly() -> None:
    table = FakeTable(40, seed=1)
    transport = FakeTransport(table)
    held = samples.held_profile(transport, "Fake", sample=samples.SAMPLE)
    assert held.complete and held.sampled == table.total
    assert [c[0] for c in transport.calls].count("Scan") == SEGMENTS  # one page a segment
    basis = samples.basis(transport, "Fake")
    assert basis is not None and basis.complete
    schema = held.schema
    for name in ("p00003", "p00017"):
        request = dl.Query(schema, A("pk") == name).plan_request(basis=basis)
        chosen = plan(request).chosen
        assert chosen.predicted is not None and chosen.predicted.exact
        assert chosen.predicted.items == table.sizes[name]
    scan = plan(dl.Query(schema, scan=True).plan_request(basis=basis)).chosen
    assert scan.predicted is not None and scan.predicted.items == table.total


@pytest.mark.parametrize("seed", range(8))
def test_a_partial_sample_puts_a_partition_at_the_tables_mean_within_twice(seed: int) -> None:
    """Any one unseen partition can be far from the mean (sizes here span 1 to hundreds);
    what the sample can know is the mean, which the prediction for an unseen one uses."""
    table = FakeTable(3000, seed=seed)
    transport = FakeTransport(table)
    held = samples.held_profile(transport, "Fake", sample=2000)
    assert not held.complete and held.sampled == 2000
    mean = table.total / len(table.sizes)
    assert held.typical_partition is not None
    assert mean / 2 <= held.typical_partition <= mean * 2, (held.typical_partition, mean)
    unseen = next(n for n in table.order
                  if all(i["pk"]["S"] != n for i in held.items))
    basis = samples.basis(transport, "Fake")
    chosen = plan(dl.Query(held.schema, A("pk") == unseen).plan_request(basis=basis)).chosen
    assert chosen.predicted is not None and not chosen.predicted.exact
    assert chosen.predicted.items == pytest.approx(held.typical_partition)


@pytest.mark.parametrize("seed", range(6))
def test_a_table_whose_item_count_is_zero_is_counted_from_a_slice(seed: int) -> None:
    table = FakeTable(400, seed=seed, item_count=False)  # ~10,000 items
    transport = FakeTransport(table, scan_guard=10_000)
    held = samples.held_profile(transport, "Fake", sample=400)
    counts = [p for op, p, _ in transport.calls if p.get("Select") == "COUNT"]
    assert len(counts) == 1 and counts[0]["TotalSegments"] == 16 and counts[0]["Limit"] <= 1000
    assert held.estimated_count is not None and not held.at_least
    assert table.total / 2 <= held.estimated_count <= table.total * 2, (
        held.estimated_count, table.total)
    basis = samples.basis(transport, "Fake")
    assert basis is not None and basis.items == held.estimated_count
    assert "ItemCount is still 0" in basis.source


def test_a_slice_longer_than_its_limit_puts_the_table_at_a_lower_bound() -> None:
    table = FakeTable(3000, seed=1, item_count=False)  # ~70,000 items: a slice of ~4,400
    held = samples.held_profile(FakeTransport(table), "Fake", sample=400)
    assert held.at_least and held.estimated_count == 16 * 1000 < table.total


def test_the_scan_guard_counts_a_table_whose_item_count_is_zero() -> None:
    table = FakeTable(3000, seed=3, item_count=False)
    transport = FakeTransport(table, scan_guard=10_000)
    schema = dl.TableSchema("Fake", dl.KeyAttribute("pk", "S"), dl.KeyAttribute("sk", "N"))
    with pytest.raises(dl.ScanRefused, match="about"):
        reads.prepare(transport, dl.Query(schema, A("pad") == "y"))
    scans = [p for op, p, _ in transport.calls if op == "Scan"]
    assert all(p.get("Limit", 0) <= 1250 for p in scans)  # only the bounded sample
    small = FakeTable(30, seed=3, item_count=False)
    allowed = FakeTransport(small, scan_guard=10_000)
    read = reads.prepare(allowed, dl.Query(schema, A("pad") == "y"))
    assert read.plan.operation == "Scan"  # 30-odd items: under the guard


def test_read_units_round_each_page_up_to_4_kb_and_halve_for_eventual_reads() -> None:
    # 100 items of 1,000 bytes: 100,000 bytes -> 25 units of 4 KB; half for eventual reads
    assert read_cost(100, 1000, consistent=True) == (1, 25.0)
    assert read_cost(100, 1000, consistent=False) == (1, 12.5)
    # 3 MB: 3 pages of 1 MB, 256 units each
    assert read_cost(3 * 1024, 1024, consistent=True) == (3, 768.0)
    # nothing read still costs a unit (half) a request
    assert read_cost(0, 1000, consistent=False, requests=4) == (4, 2.0)
    assert unit_cost(10_000, consistent=False) == 1.5
    assert unit_cost(1, consistent=True) == 1.0


ITEM = {"n": {"N": "5"}, "s": {"S": "apple"}, "m": {"M": {"k": {"L": [{"N": "1"}]}}},
        "b": {"B": b"\x01\x02"}, "t": {"BOOL": True}}


@pytest.mark.parametrize(("condition", "expected"), [
    (A("n") == 5, True), (A("n") == 5.0, True), (A("n") > 4, True), (A("n") < 5, False),
    (A("n").between(5, 9), True), (A("n").is_in([1, 2]), False), (A("s") >= "a", True),
    (A("s") < "B", False),  # by code point: 'a' sorts after 'B'
    (A("s").begins_with("app"), True), (A("n") == "5", False), (A("n") > "4", False),
    (A("missing") == 1, False), (A("missing") != 1, True), (A("missing").exists(), False),
    (A("s").exists() & ~(A("n") == 6), True), ((A("n") == 1) | (A("s") == "apple"), True),
    (dl.path("m.k[0]") == 1, True), (dl.path("m.k[3]").exists(), False),
    (A("b").begins_with(b"\x01"), True), (A("t") == True, True),  # noqa: E712
])
def test_a_sample_item_is_matched_as_dynamodb_would(condition: Any, expected: bool) -> None:
    assert admits(condition, ITEM) is expected


def test_a_condition_it_cannot_evaluate_is_unknown_not_false() -> None:
    assert admits(A("s").contains("pp"), ITEM) is None
    assert admits(A("s").size() > 3, ITEM) is None


def test_predictions_need_no_request() -> None:
    transport = FakeTransport(FakeTable(10, seed=0))
    assert samples.basis(transport, "Fake") is None and transport.calls == []
    assert math.isclose(read_cost(1, 4096, consistent=True)[1], 1.0)
