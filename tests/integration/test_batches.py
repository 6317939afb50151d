"""Batch reads and writes of thousands of items, with and without injected faults.

What a batch did is always checked by reading the server directly (a paginated raw Scan or a
raw GetItem on a connection that does not go through the fault proxy). Faults are injected
by `tests/faults.py`, an HTTP proxy between the client and the server: the client really
receives UnprocessedItems/UnprocessedKeys and error responses over HTTP.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from backends import raw_scan
from faults import FaultProxy

import dynamorm_lab as dl
from dynamorm_lab.local import LocalServer

pytestmark = pytest.mark.integration

FAST = dl.RetryPolicy(attempts=10, base_delay=0.001, max_delay=0.01)


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture
def proxy(server: LocalServer) -> Iterator[FaultProxy]:
    with FaultProxy(server.endpoint_url, seed=7) as running:
        yield running


@pytest.fixture
def via_proxy(proxy: FaultProxy) -> Iterator[Callable[..., dl.Connection]]:
    """Connections whose requests go through the proxy (closed at the end)."""
    made: list[dl.Connection] = []

    def connect(max_attempts: int = 5, **options: Any) -> dl.Connection:
        conn = dl.connect(proxy.url, max_attempts=max_attempts, make_default=False, **options)
        made.append(conn)
        return conn

    yield connect
    for conn in made:
        conn.close()




def normalized(item: dict[str, Any]) -> dict[str, Any]:
    """A wire item with set members sorted, so that two reads compare equal."""
    return {name: _norm(av) for name, av in item.items()}


def _norm(av: dict[str, Any]) -> dict[str, Any]:
    tag, payload = next(iter(av.items()))
    if tag in ("SS", "NS", "BS"):
        return {tag: sorted(payload)}
    if tag == "M":
        return {"M": {k: _norm(v) for k, v in payload.items()}}
    if tag == "L":
        return {"L": [_norm(v) for v in payload]}
    return {tag: payload}


def by_key(items: list[dict[str, Any]], *names: str) -> dict[tuple[str, ...], dict[str, Any]]:
    keyed = {tuple(repr(item[n]) for n in names): normalized(item) for item in items}
    assert len(keyed) == len(items), "the server returned the same key twice"
    return keyed


def make_record(table: str) -> Any:
    class Record(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        sk: int = dl.field(sort_key=True)
        title: str = ""
        score: Decimal = Decimal(0)
        tags: set[str] = dl.field(default_factory=set)
        blob: bytes | None = None
        info: dict[str, Any] = dl.field(default_factory=dict)
        flags: list[bool] = dl.field(default_factory=list)
        version: int = dl.field(version=True)
        updated_at: dt.datetime = dl.field(updated_at=True)

    return Record


def make_tag(table: str) -> Any:
    class Tag(dl.Model, table=table):
        name: str = dl.field(partition_key=True)
        weight: int = 0

    return Tag


def make_plain(table: str) -> Any:
    class Plain(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        text: str = ""

    return Plain


def records(Record: Any, count: int, *, prefix: str = "p") -> list[Any]:
    """Varied objects: 40 partitions, every attribute type the model has."""
    rng = random.Random(count)
    out = []
    for n in range(count):
        out.append(Record(
            pk=f"{prefix}{n % 40:02d}", sk=n, title=f"title {n} ünïcode",
            score=Decimal(rng.randint(-10**6, 10**6)) / 100,
            tags={f"t{n % 3}", f"t{n % 5 + 3}"} if n % 4 else set(),
            blob=bytes([n % 256, 0, 255]) if n % 3 == 0 else None,
            info={"n": n, "nested": {"even": n % 2 == 0, "list": [n, str(n)]}},
            flags=[n % 2 == 0, n % 3 == 0]))
    return out


def record_key(obj: Any) -> tuple[str, ...]:
    return (repr({"S": obj.pk}), repr({"N": str(obj.sk)}))


def assert_server_holds_exactly(db: dl.Connection, table: str, objects: list[Any]) -> None:
    stored = by_key(raw_scan(db, table), "pk", "sk")
    expected = {record_key(obj): normalized(obj.to_item()) for obj in objects}
    assert len(stored) == len(expected)
    assert stored.keys() == expected.keys()
    wrong = [k for k in expected if stored[k] != expected[k]]
    assert not wrong, f"{len(wrong)} item(s) differ, e.g. {wrong[0]}: {stored[wrong[0]]} != " \
        f"{expected[wrong[0]]}"


# --- plain batches of thousands --------------------------------------------------------------

def test_batch_write_3000_items_are_stored_exactly(db: dl.Connection, make_table: Any,
                                                   table_name: str) -> None:
    Record = make_table(make_record(table_name))
    objects = records(Record, 3000)

    report = db.batch_write(objects)

    assert report.ok and report.failed == []
    assert report.written == 3000
    assert report.requests == 120  # 25 a request, no retries needed
    assert all(obj.version == 1 and obj.updated_at is not None for obj in objects)
    assert_server_holds_exactly(db, table_name, objects)

    # Deletes in the same call as puts: every fifth item goes, 100 new ones arrive.
    gone = objects[::5]
    fresh = records(Record, 3100)[3000:]
    report = db.batch_write(fresh, deletes=[(Record, (o.pk, o.sk)) for o in gone])
    assert report.written == len(gone) + 100 and report.ok
    kept = [o for n, o in enumerate(objects) if n % 5] + fresh
    assert_server_holds_exactly(db, table_name, kept)


def test_batch_writer_streams_3000_puts_then_deletes(db: dl.Connection, make_table: Any,
                                                     table_name: str) -> None:
    Record = make_table(make_record(table_name))
    objects = records(Record, 3000, prefix="w")

    with db.batch_writer() as writer:
        for obj in objects:
            writer.put(obj)
    assert writer.report.written == 3000 and writer.report.ok
    assert writer.report.requests == 120
    assert all(obj.version == 1 for obj in objects)
    assert_server_holds_exactly(db, table_name, objects)

    with db.batch_writer() as writer:
        for obj in objects[::3]:
            writer.delete(obj)
        for obj in objects[1::3]:
            writer.delete(Record, (obj.pk, obj.sk))
    assert writer.report.written == 2000
    assert_server_holds_exactly(db, table_name, objects[2::3])


def test_a_batch_writer_whose_block_raises_sends_nothing_more_and_lists_the_unsent(
        db: dl.Connection, make_table: Any, table_name: str) -> None:
    """What was sent before the error stays written; what was still queued is not sent, and
    the report lists it; the caller's exception is not replaced."""
    Record = make_table(make_record(table_name))
    objects = records(Record, 60, prefix="x")

    class Stop(Exception):
        pass

    with pytest.raises(Stop), db.batch_writer() as writer:
        for obj in objects[:40]:  # one request of 25 goes out; 15 stay queued
            writer.put(obj)
        raise Stop("the caller's own failure")
    report = writer.report
    assert (report.written, report.requests) == (25, 1)
    assert [f.source for f in report.unsent] == objects[25:40]
    assert all("not sent: the with block raised Stop" in f.reason for f in report.unsent)
    assert not report.ok and not report.failed
    assert len(report.to_pandas()) == 15
    assert_server_holds_exactly(db, table_name, objects[:25])


def test_batch_writer_same_key_twice_keeps_the_last_put(db: dl.Connection, make_table: Any,
                                                        table_name: str) -> None:
    Plain = make_table(make_plain(table_name))
    with db.batch_writer() as writer:
        for n in range(30):
            writer.put(Plain(pk=f"k{n}", text="first"))
        writer.put(Plain(pk="k29", text="second"))  # same key in the same pending chunk
        writer.put(Plain(pk="k0", text="second"))
    stored = {i["pk"]["S"]: i["text"]["S"] for i in raw_scan(db, table_name)}
    assert len(stored) == 30
    assert stored["k29"] == "second" and stored["k0"] == "second"
    assert all(stored[f"k{n}"] == "first" for n in range(1, 29))


def test_batch_get_over_two_models_keeps_the_callers_order(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    Record = make_table(make_record(table_name))
    Tag = make_table(make_tag(f"{table_name}_tags"))
    stored_records = records(Record, 700)
    stored_tags = [Tag(name=f"tag-{n}", weight=n) for n in range(500)]
    db.batch_write([*stored_records, *stored_tags])

    rng = random.Random(3)
    pairs: list[tuple[Any, Any]] = [(Record, (o.pk, o.sk)) for o in stored_records]
    pairs += [(Tag, t.name) for t in stored_tags]
    pairs += [(Record, ("nobody", n)) for n in range(25)] + [(Tag, f"none-{n}")
                                                              for n in range(25)]
    rng.shuffle(pairs)
    duplicates = rng.sample(pairs, 60)
    pairs += duplicates
    rng.shuffle(pairs)
    assert len(pairs) == 1310

    conn = via_proxy()
    result = conn.batch_get(pairs)

    expected_records = {(o.pk, o.sk): o for o in stored_records}
    expected_tags = {t.name: t for t in stored_tags}
    expected = []
    missing = []
    for model, key in pairs:
        found = (expected_records.get(key) if model is Record else expected_tags.get(key))
        if found is None:
            missing.append((model, key))
        else:
            expected.append(found)
    assert len(missing) == 50 + sum(1 for m, k in duplicates
                                    if (m is Record and k[0] == "nobody")
                                    or (m is Tag and k.startswith("none-")))
    assert len(result) == len(expected) == 1310 - len(missing)
    assert [type(o) for o in result.items] == [type(o) for o in expected]
    assert result.items == expected
    assert result.missing == missing
    assert [o is None for o in result.aligned] == [
        (m, k) in missing for m, k in pairs]
    # Each distinct key was asked for once: duplicates are read once, never twice.
    assert proxy.op("BatchGetItem").items == 1250
    assert all(sum(len(t["Keys"]) for t in b["RequestItems"].values()) <= 100
               for b in proxy.bodies("BatchGetItem"))


@pytest.mark.parametrize("second", [10, 60], ids=["same-chunk", "later-chunk"])
def test_same_key_twice_in_one_batch_write_is_refused_and_nothing_is_written(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection], second: int) -> None:
    Plain = make_table(make_plain(table_name))
    objects = [Plain(pk=f"k{n}", text="x") for n in range(80)]
    objects[second] = Plain(pk="k3", text="again")

    with pytest.raises(dl.ValidationError, match=r"k3|twice"):
        via_proxy().batch_write(objects)

    assert proxy.op("BatchWriteItem").requests == 0
    assert raw_scan(db, table_name) == []


def test_an_item_over_400_kb_is_refused_before_sending(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    Plain = make_table(make_plain(table_name))
    conn = via_proxy()
    # DynamoDB's size: attribute names plus values; pk "bN" + "text" + the text.
    limit = 400 * 1024
    over = Plain(pk="b2", text="x" * (limit - len("pk") - 2 - len("text") + 1))
    # moto itself refuses items over 405,000 bytes (below AWS's 409,600), so the item that
    # must get through is a little smaller than the limit.
    near = Plain(pk="b1", text="x" * (400_000 - len("pk") - 2 - len("text")))
    small = [Plain(pk=f"s{n}", text="small") for n in range(60)]

    with pytest.raises(dl.ValidationError, match=r"400|bytes"):
        conn.batch_write([*small, over])
    assert proxy.op("BatchWriteItem").requests == 0
    assert raw_scan(db, table_name) == []

    with pytest.raises(dl.ValidationError, match=r"400|bytes"), conn.batch_writer() as writer:
        writer.put(over)
    assert proxy.op("BatchWriteItem").requests == 0

    report = conn.batch_write([near])
    assert report.written == 1
    stored = raw_scan(db, table_name)
    assert [i["pk"]["S"] for i in stored] == ["b1"]
    assert stored[0]["text"]["S"] == near.text


# --- injected faults -------------------------------------------------------------------------

def test_half_of_every_batch_unprocessed_still_writes_all_2000_once(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    Record = make_table(make_record(table_name))
    objects = records(Record, 2000)
    proxy.unprocess("BatchWriteItem", 0.5)

    report = via_proxy(retry_policy=FAST).batch_write(objects)

    seen = proxy.op("BatchWriteItem")
    assert seen.unprocessed > 0
    assert report.retried == seen.unprocessed > 0
    assert report.written == 2000 and report.ok
    # Every item crossed to the server exactly once: none lost, none sent twice.
    assert seen.items == 2000
    assert report.requests == seen.requests
    assert_server_holds_exactly(db, table_name, objects)


@pytest.mark.parametrize("raise_on_failure", [False, True])
def test_unprocessed_forever_reports_exactly_what_is_missing(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection], raise_on_failure: bool) -> None:
    Record = make_table(make_record(table_name))
    objects = records(Record, 500)
    proxy.unprocess("BatchWriteItem", 0.5)
    conn = via_proxy()
    policy = dl.RetryPolicy(attempts=2, base_delay=0)

    if raise_on_failure:
        with pytest.raises(dl.BatchIncomplete) as caught:
            conn.batch_write(objects, policy=policy)
        report = caught.value.report
        assert isinstance(report, dl.WriteReport)
        assert str(len(report.failed)) in str(caught.value)
    else:
        report = conn.batch_write(objects, policy=policy, raise_on_failure=False)

    stored = {(i["pk"]["S"], int(i["sk"]["N"])) for i in raw_scan(db, table_name)}
    everything = {(o.pk, o.sk) for o in objects}
    failed = {(f.key_or_item["pk"]["S"], int(f.key_or_item["sk"]["N"])) for f in report.failed}
    assert failed, "with two attempts and half held back every time, some writes must fail"
    assert len(failed) == len(report.failed)
    assert failed == everything - stored
    assert report.written == len(stored) == 500 - len(failed)
    assert not report.ok
    assert all(f.table == table_name and f.source is not None for f in report.failed)
    assert {(f.source.pk, f.source.sk) for f in report.failed} == failed
    # Objects that were written moved their version on; the others did not.
    assert all(o.version == (None if (o.pk, o.sk) in failed else 1) for o in objects)
    assert len(report.to_pandas()) == len(failed)


def test_unprocessed_keys_are_retried_until_every_item_is_read(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    Record = make_table(make_record(table_name))
    objects = records(Record, 1000)
    db.batch_write(objects)
    proxy.unprocess("BatchGetItem", 0.5)
    keys = [(o.pk, o.sk) for o in reversed(objects)]

    result = via_proxy(retry_policy=FAST).batch_get(Record, keys)

    assert proxy.op("BatchGetItem").unprocessed > 0
    assert result.missing == []
    assert [(o.pk, o.sk) for o in result.items] == keys
    assert result.items == list(reversed(objects))


def test_keys_unprocessed_after_every_attempt_raise_instead_of_vanishing(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    Plain = make_table(make_plain(table_name))
    db.batch_write([Plain(pk=f"k{n}") for n in range(10)])
    proxy.unprocess("BatchGetItem", 1.0)

    with pytest.raises(dl.Throttled, match="unprocessed"):
        via_proxy().batch_get(Plain, [f"k{n}" for n in range(10)],
                              policy=dl.RetryPolicy(attempts=3, base_delay=0))
    assert proxy.op("BatchGetItem").requests == 3
    assert proxy.op("BatchGetItem").forwarded == 0


@pytest.mark.parametrize(("status", "type_name"), [
    (400, "ProvisionedThroughputExceededException"),
    (400, "ThrottlingException"),
    (500, "InternalServerError"),
    (503, "ServiceUnavailable"),
])
def test_injected_errors_are_retried_and_the_batch_completes(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection], status: int, type_name: str) -> None:
    Record = make_table(make_record(table_name))
    objects = records(Record, 300)
    proxy.error("BatchWriteItem", status, type_name, times=2)

    report = via_proxy(max_attempts=4).batch_write(objects)

    seen = proxy.op("BatchWriteItem")
    assert seen.errors == 2
    assert seen.forwarded == 12 and seen.requests == 14  # botocore sent two retries
    assert report.written == 300 and report.ok
    assert_server_holds_exactly(db, table_name, objects)


def test_a_throttled_request_after_botocore_gives_up_is_retried_by_the_batch(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    Record = make_table(make_record(table_name))
    objects = records(Record, 100)
    # botocore's max_attempts counts retries, not attempts: max_attempts=1 sends a request
    # at most twice, so two injected errors exhaust botocore and reach the library.
    proxy.error("BatchWriteItem", 400, "ProvisionedThroughputExceededException", times=2)

    report = via_proxy(max_attempts=1, retry_policy=FAST).batch_write(objects)

    assert proxy.op("BatchWriteItem").errors == 2
    assert report.written == 100 and report.ok
    assert report.requests == 5
    assert_server_holds_exactly(db, table_name, objects)


def test_a_server_error_after_botocore_gives_up_is_reported_not_dropped(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    Record = make_table(make_record(table_name))
    objects = records(Record, 100)
    proxy.error("BatchWriteItem", 500, "InternalServerError", times=2)  # see above

    report = via_proxy(max_attempts=1).batch_write(objects, raise_on_failure=False)

    failed = {(f.source.pk, f.source.sk) for f in report.failed}
    assert failed == {(o.pk, o.sk) for o in objects[:25]}  # the first request's items
    assert report.written == 75
    assert all("InternalServerError" in f.reason or "internal" in f.reason.lower()
               for f in report.failed)
    stored = {(i["pk"]["S"], int(i["sk"]["N"])) for i in raw_scan(db, table_name)}
    assert stored == {(o.pk, o.sk) for o in objects[25:]}


def test_binary_keys_read_by_batch_get_and_query_come_back_as_bytes_in_order(
        db: dl.Connection, make_table: Any, table_name: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    """The batch read path parses responses itself (binary arrives as base64 text): keys
    must still match, unprocessed binary keys must be resent as bytes, and every value the
    caller sees is bytes again."""

    class Blob(dl.Model, table=table_name):
        key: bytes = dl.field(partition_key=True)
        body: bytes = b""
        n: int = 0

    make_table(Blob)
    stored = [Blob(key=bytes([n, 0, 255 - n]) + b"\x00+/=", body=bytes([n]) * 3, n=n)
              for n in range(150)]
    db.batch_write(stored)
    proxy.unprocess("BatchGetItem", 0.5)
    wanted = [o.key for o in reversed(stored)]

    result = via_proxy(retry_policy=FAST).batch_get(Blob, wanted)

    assert proxy.op("BatchGetItem").unprocessed > 0
    assert result.missing == []
    assert result.items == list(reversed(stored))
    keys = [stored[7].key, stored[3].key, b"\x01absent"]
    found = Blob.query(Blob.key.is_in(keys)).using(db).all()
    assert [o.key for o in found] == [stored[7].key, stored[3].key]
    assert found.plan.operation == "BatchGetItem"
    first = Blob.query(Blob.key.is_in(keys)).using(db).limit(1).all()
    rest = Blob.query(Blob.key.is_in(keys)).using(db).after(first.cursor).all()
    assert [o.n for o in [*first, *rest]] == [7, 3]
