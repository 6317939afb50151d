"""Claim: nothing lost. Under injected faults every bulk path delivers every item exactly once,
or reports exactly what it could not.

Faults are real HTTP from `tests/faults.py` (a proxy on 127.0.0.1): half of every batch held
back in UnprocessedItems/UnprocessedKeys, 500 answers, connection resets after the server
applied a request. Paths: `batch_write`, `batch_writer`, `load_sample`, `import_json`,
`batch_get`, `backfill`, and the reads `all()`, `pages()`, iteration, `to_pandas()`,
`to_arrow()` and a `%%dynamo` SELECT (`dl.execute`, what every cell runs). What the server
holds is read directly, not through the proxy.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from backends import raw_scan
from faults import FaultProxy

import dynamorm_lab as dl

pytestmark = pytest.mark.integration

FAST = dl.RetryPolicy(attempts=12, base_delay=0.001, max_delay=0.01)
COUNT = 300


def make_record(table: str) -> Any:
    class Record(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        sk: int = dl.field(sort_key=True)
        n: int = 0
        note: str = ""
    return Record


def records(Record: Any, count: int = COUNT) -> list[Any]:
    return [Record(pk=f"p{i % 5}", sk=i, n=i, note=f"item {i}") for i in range(count)]


def stored_keys(db: dl.Connection, table: str) -> Counter[tuple[str, int]]:
    return Counter((i["pk"]["S"], int(i["sk"]["N"])) for i in raw_scan(db, table))


@pytest.fixture
def table(db: dl.Connection, table_name: str) -> Any:
    Record = make_record(table_name)
    db.create_table(Record)
    yield Record
    db.delete_table(table_name)


def test_batch_write_under_unprocessed_items_and_500s_writes_every_item_once(
        db: dl.Connection, table: Any, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    objects = records(table)
    proxy.unprocess("BatchWriteItem", 0.5)
    proxy.error("BatchWriteItem", 500, "InternalServerError", times=3)
    report = via_proxy(retry_policy=FAST).batch_write(objects)
    assert proxy.op("BatchWriteItem").unprocessed > 0 and report.retried > 0
    assert report.ok and report.written == COUNT
    assert stored_keys(db, table.__table__) == Counter((o.pk, o.sk) for o in objects)


def test_batch_writer_under_faults_puts_and_deletes_every_item_once(
        db: dl.Connection, table: Any, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    objects = records(table)
    proxy.unprocess("BatchWriteItem", 0.5)
    proxy.reset("BatchWriteItem", times=2)
    conn = via_proxy(retry_policy=FAST)
    with conn.batch_writer() as writer:
        for obj in objects:
            writer.put(obj)
    assert stored_keys(db, table.__table__) == Counter((o.pk, o.sk) for o in objects)
    with conn.batch_writer() as writer:
        for obj in objects[:100]:
            writer.delete(obj)
    assert stored_keys(db, table.__table__) == Counter((o.pk, o.sk) for o in objects[100:])


def test_a_batch_that_cannot_finish_reports_exactly_the_missing_items(
        db: dl.Connection, table: Any, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    objects = records(table, 100)
    proxy.unprocess("BatchWriteItem", 0.5)
    report = via_proxy().batch_write(objects, raise_on_failure=False,
                                     policy=dl.RetryPolicy(attempts=1, base_delay=0))
    stored = set(stored_keys(db, table.__table__))
    failed = {(f.key_or_item["pk"]["S"], int(f.key_or_item["sk"]["N"])) for f in report.failed}
    assert failed and failed == {(o.pk, o.sk) for o in objects} - stored
    assert report.written == len(stored)


def test_import_json_under_faults_writes_every_line_once(
        db: dl.Connection, table: Any, proxy: FaultProxy, tmp_path: Path,
        via_proxy: Callable[..., dl.Connection]) -> None:
    objects = records(table)
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps({"Item": o.to_item()}) + "\n" for o in objects))
    proxy.unprocess("BatchWriteItem", 0.5)
    reports = dl.import_json(path, via_proxy(retry_policy=FAST), table=table.__table__)
    assert all(r.ok for r in reports.values())
    assert stored_keys(db, table.__table__) == Counter((o.pk, o.sk) for o in objects)


def test_load_sample_under_faults_writes_the_whole_sample(
        db: dl.Connection, proxy: FaultProxy, via_proxy: Callable[..., dl.Connection]) -> None:
    proxy.unprocess("BatchWriteItem", 0.5)
    reports = dl.load_sample("product-catalog", via_proxy(retry_policy=FAST), progress=False)
    assert proxy.op("BatchWriteItem").unprocessed > 0
    expected = dl.SAMPLES["product-catalog"].items()
    by_table = Counter(table for table, _item in expected)
    for name, report in reports.items():
        assert report.ok
        assert len(raw_scan(db, name)) == by_table[name]


def test_batch_get_under_unprocessed_keys_reads_every_key_once_in_order(
        db: dl.Connection, table: Any, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    objects = records(table)
    db.batch_write(objects)
    proxy.unprocess("BatchGetItem", 0.5)
    keys = [(o.pk, o.sk) for o in reversed(objects)]
    got = via_proxy(retry_policy=FAST).batch_get(table, keys)
    assert proxy.op("BatchGetItem").unprocessed > 0
    assert [(o.pk, o.sk) for o in got] == keys and not got.missing


def test_a_backfill_under_faults_changes_every_item_once(
        db: dl.Connection, table: Any, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    db.batch_write(records(table))
    proxy.error("Scan", 500, "InternalServerError", times=3)
    proxy.reset("UpdateItem", times=3)
    proxy.reset("PutItem", times=3)
    seen: Counter[tuple[str, int]] = Counter()

    def bump(obj: Any) -> Any:
        seen[(obj.pk, obj.sk)] += 1
        obj.n += 1000
        return obj

    report = via_proxy(max_attempts=6).backfill(table, bump, segments=3, page_size=40)
    assert report.finished and not report.failed and report.changed == COUNT
    assert set(seen.values()) == {1}
    assert sorted(int(i["n"]["N"]) for i in raw_scan(db, table.__table__)) == [
        i + 1000 for i in range(COUNT)]


READS: dict[str, Callable[[Any], list[tuple[str, int]]]] = {
    "all": lambda q: [(o.pk, o.sk) for o in q.all()],
    "to_pandas": lambda q: _columns(q.to_pandas(), lambda frame, c: frame[c]),
    "pages": lambda q: [(o.pk, o.sk) for page in q.pages() for o in page.items],
    "iterate": lambda q: [(o.pk, o.sk) for o in q],
    "to_arrow": lambda q: _columns(q.to_arrow(), lambda table, c: table.column(c).to_pylist()),
}


def _columns(read: Any, column: Callable[[Any, str], Any]) -> list[tuple[str, int]]:
    """The (pk, sk) rows of one frame or table (read once: segments interleave in any
    order, so two reads need not agree row by row)."""
    return list(zip(column(read, "pk"), column(read, "sk"), strict=True))


@pytest.mark.parametrize("read", list(READS))
@pytest.mark.parametrize("segments", [1, 3])
def test_every_read_route_returns_every_item_once_under_faults(
        db: dl.Connection, table: Any, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection], read: str, segments: int) -> None:
    objects = records(table)
    db.batch_write(objects)
    conn = via_proxy(max_attempts=8)
    proxy.error("Scan", 500, "InternalServerError", times=None, probability=0.3)
    proxy.reset("Scan", times=None, probability=0.2, partial=True)
    query = table.scan().using(conn).page_size(25).segments(segments)
    got = [(str(pk), int(sk)) for pk, sk in READS[read](query)]
    assert proxy.op("Scan").errors > 0
    assert Counter(got) == Counter((o.pk, o.sk) for o in objects)


def test_a_partiql_select_returns_every_item_once_under_faults(
        db: dl.Connection, table: Any, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    objects = records(table)
    db.batch_write(objects)
    conn = via_proxy(max_attempts=8)
    proxy.error("Query", 500, "InternalServerError", times=None, probability=0.3)
    proxy.reset("Query", times=None, probability=0.2)
    (result,) = dl.execute(f'SELECT * FROM "{table.__table__}" WHERE pk = \'p3\'', conn)
    frame = result.to_pandas()
    assert sorted(frame["sk"]) == [o.sk for o in objects if o.pk == "p3"]
