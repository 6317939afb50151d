"""Reads, writes, transactions and optimistic locking under injected faults.

Every fault is real HTTP between botocore and the server, injected by `tests/faults.py`:
throttling errors (ProvisionedThroughputExceededException, ThrottlingException), 500 and 503
answers (not forwarded), a connection reset after the server applied the request (a lost
response; also in the middle of the body), a response held past the client's read timeout,
and BatchGetItem answers with keys held back in UnprocessedKeys. What a read returned is
compared with the keys written, read directly from the server (a paginated consistent Scan on
a connection that does not go through the proxy): every item exactly once, no gap, no
duplicate. Batch writes under throttling, 5xx and UnprocessedItems are covered by
test_batches.py; here they meet resets and delays.

botocore's standard retry mode retries all of these faults (throttling with a 1 s backoff
base, the others with 25 ms), so throttling faults are injected sparingly to keep this file
fast.
"""

from __future__ import annotations

import random
import threading
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from backends import raw_scan
from faults import FaultProxy

import dynamorm_lab as dl
import dynamorm_lab._ops.batch as batch_module

pytestmark = pytest.mark.integration

FAST = dl.RetryPolicy(attempts=10, base_delay=0.001, max_delay=0.01)
PARTITIONS = ("p0", "p1", "p2")
PER_PARTITION = 80


# --- the faults ------------------------------------------------------------------------------

def _throughput(proxy: FaultProxy, op: str, times: int | None, probability: float) -> None:
    proxy.error(op, 400, "ProvisionedThroughputExceededException", times, probability=probability)


def _throttling(proxy: FaultProxy, op: str, times: int | None, probability: float) -> None:
    proxy.error(op, 400, "ThrottlingException", times, probability=probability)


def _internal(proxy: FaultProxy, op: str, times: int | None, probability: float) -> None:
    proxy.error(op, 500, "InternalServerError", times, probability=probability)


def _unavailable(proxy: FaultProxy, op: str, times: int | None, probability: float) -> None:
    proxy.error(op, 503, "ServiceUnavailable", times, probability=probability)


def _reset(proxy: FaultProxy, op: str, times: int | None, probability: float) -> None:
    proxy.reset(op, times, probability=probability)


def _reset_partial(proxy: FaultProxy, op: str, times: int | None, probability: float) -> None:
    proxy.reset(op, times, probability=probability, partial=True)


def _delay(proxy: FaultProxy, op: str, times: int | None, probability: float) -> None:
    proxy.delay(op, 1.0, times, probability=probability)  # the client's read timeout is 0.5 s


# name: (inject, how many faults to spread over a read, the library error once retries run out)
FAULTS: dict[str, tuple[Callable[..., None], int, type[dl.DynamormError]]] = {
    "throughput-exceeded": (_throughput, 2, dl.Throttled),
    "throttling": (_throttling, 2, dl.Throttled),
    "internal-500": (_internal, 5, dl.DynamoDBError),
    "unavailable-503": (_unavailable, 5, dl.DynamoDBError),
    "reset": (_reset, 5, dl.ConnectionFailed),
    "reset-mid-body": (_reset_partial, 5, dl.ConnectionFailed),
    "delay-past-read-timeout": (_delay, 3, dl.ConnectionFailed),
}


def fired(proxy: FaultProxy, op: str) -> int:
    seen = proxy.op(op)
    return seen.errors + seen.resets + seen.delayed


# --- fixtures and helpers --------------------------------------------------------------------

def make_item_model(table: str) -> Any:
    class FaultItem(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        sk: int = dl.field(sort_key=True)
        payload: str = ""

    return FaultItem


@pytest.fixture(scope="module")
def stored(conn: dl.Connection) -> Iterator[tuple[Any, list[tuple[str, int]]]]:
    """A table of 240 items over three partitions, and its keys read back from the server."""
    name = f"faults_{random.Random().getrandbits(32):08x}"
    Item = make_item_model(name)
    conn.create_table(Item)
    conn.batch_write([Item(pk=pk, sk=n, payload=f"{pk}/{n} " + "x" * (n % 17))
                        for pk in PARTITIONS for n in range(PER_PARTITION)])
    keys = sorted((i["pk"]["S"], int(i["sk"]["N"])) for i in raw_scan(conn, name))
    assert len(keys) == len(PARTITIONS) * PER_PARTITION
    yield Item, keys
    conn.delete_table(Item)


@pytest.fixture
def proxy_seed() -> int:
    return 11


def raw_get(conn: dl.Connection, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    item: dict[str, Any] | None = conn.client.get_item(
        TableName=table, Key=key, ConsistentRead=True).get("Item")
    return item


def keys_of(items: list[Any]) -> list[tuple[str, int]]:
    return [(item.pk, item.sk) for item in items]


def assert_exactly_once(got: list[tuple[str, int]], expected: list[tuple[str, int]]) -> None:
    counts = Counter(got)
    duplicated = sorted(k for k, n in counts.items() if n > 1)
    missing = sorted(set(expected) - set(counts))
    extra = sorted(set(counts) - set(expected))
    assert not duplicated, f"read more than once: {duplicated[:5]}"
    assert not missing, f"never read: {missing[:5]} ({len(missing)} in all)"
    assert not extra, f"not in the table: {extra[:5]}"
    assert len(got) == len(expected)


def the_read(Item: Any, conn: dl.Connection, shape: str) -> tuple[Any, str]:
    """The query of each read shape, and the operation it sends."""
    if shape == "query":
        return Item.query(Item.pk == "p1").using(conn).page_size(7), "Query"
    if shape == "scan":
        return Item.scan().using(conn).page_size(9), "Scan"
    return Item.scan().using(conn).segments(4).page_size(10), "Scan"


def expected_keys(keys: list[tuple[str, int]], shape: str) -> list[tuple[str, int]]:
    return [k for k in keys if k[0] == "p1"] if shape == "query" else keys


# --- reads complete under every fault ---------------------------------------------------------

@pytest.mark.parametrize("shape", ["query", "scan", "parallel-scan"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_paginated_read_returns_every_item_exactly_once_under_faults(
        stored: tuple[Any, list[tuple[str, int]]], proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection], fault: str, shape: str) -> None:
    Item, keys = stored
    inject, count, _error = FAULTS[fault]
    conn = via_proxy(max_attempts=6, read_timeout=0.5 if fault.startswith("delay") else 30.0)
    query, operation = the_read(Item, conn, shape)
    inject(proxy, operation, count, 0.35)

    got: list[tuple[str, int]] = []
    pages = 0
    for page in query.pages():
        got += keys_of(page.items)
        pages += 1

    assert fired(proxy, operation) > 0, "the fault never fired: the test proved nothing"
    assert pages >= 8
    assert_exactly_once(got, expected_keys(keys, shape))
    if shape == "query":  # a Query returns its partition in sort-key order, faults or not
        assert [sk for _pk, sk in got] == sorted(sk for _pk, sk in got)


@pytest.mark.parametrize(("fault", "shape"), [
    *[(fault, "query") for fault in FAULTS],
    *[(fault, "parallel-scan") for fault in ("throttling", "internal-500", "reset-mid-body",
                                             "delay-past-read-timeout")],
])
def test_a_read_that_fails_after_the_retry_budget_resumes_from_its_cursor_exactly(
        stored: tuple[Any, list[tuple[str, int]]], proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection], fault: str, shape: str) -> None:
    """botocore gives up (max_attempts=1 is two attempts): the library raises its own error,
    and the last page's cursor resumes the read without losing or repeating an item."""
    Item, keys = stored
    inject, _count, error = FAULTS[fault]
    conn = via_proxy(max_attempts=1, read_timeout=0.5 if fault.startswith("delay") else 30.0)
    query, operation = the_read(Item, conn, shape)

    got: list[tuple[str, int]] = []
    cursor: str | None = None
    failures = 0
    for _round in range(40):
        pages_this_round = 0
        try:
            for page in query.after(cursor).pages():
                got += keys_of(page.items)
                cursor = page.cursor
                pages_this_round += 1
                if failures < 2 and pages_this_round == 3:
                    inject(proxy, operation, None, 1.0)  # every request from now on fails
            break
        except dl.DynamormError as exc:
            assert isinstance(exc, error), f"{type(exc).__name__}: {exc}"
            assert "injected" in str(exc) or isinstance(exc, dl.ConnectionFailed)
            failures += 1
            proxy.clear()
    else:
        pytest.fail("the read never finished")

    assert failures == 2
    assert cursor is None  # finished
    assert_exactly_once(got, expected_keys(keys, shape))


def test_a_planned_batch_get_returns_every_item_once_and_in_order_under_unprocessed_keys(
        stored: tuple[Any, list[tuple[str, int]]], proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection], monkeypatch: pytest.MonkeyPatch) -> None:
    """`pk IN [...] AND sk IN [...]` is served by BatchGetItem (100 keys a request); the
    proxy truncates every answer, holding half of the keys back in UnprocessedKeys."""
    Item, keys = stored
    sleeps = record_batch_sleeps(monkeypatch)  # the backoff is checked elsewhere: no waiting
    conn = via_proxy()
    wanted_sks = [*range(0, PER_PARTITION, 2), 1000, 1001]  # two keys that do not exist
    query = Item.query(Item.pk.is_in(list(PARTITIONS)), Item.sk.is_in(wanted_sks)).using(conn)
    assert query.explain().operation == "BatchGetItem"
    proxy.unprocess("BatchGetItem", 0.5)

    result = query.all()

    assert proxy.op("BatchGetItem").unprocessed > 0 and sleeps
    expected = [(pk, sk) for pk in PARTITIONS for sk in wanted_sks if (pk, sk) in set(keys)]
    assert keys_of(result.items) == expected  # every key once, in the order asked for

    # The same read in pages of 25 items, each resumed from the last page's cursor.
    got: list[tuple[str, int]] = []
    cursor: str | None = None
    while True:
        page = query.limit(25).after(cursor).all()
        got += keys_of(page.items)
        cursor = page.cursor
        if cursor is None:
            break
    assert got == expected


def test_a_planned_batch_get_uses_the_connections_retry_policy(
        stored: tuple[Any, list[tuple[str, int]]], proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection], monkeypatch: pytest.MonkeyPatch) -> None:
    """README: retry_policy= sets the backoff for unprocessed batch items and keys. A query
    the planner serves with BatchGetItem should follow it as db.batch_get does."""
    Item, _keys = stored
    record_batch_sleeps(monkeypatch)  # counted, not waited for
    conn = via_proxy(retry_policy=dl.RetryPolicy(attempts=2, base_delay=0, max_delay=0))
    proxy.unprocess("BatchGetItem", 1.0)  # never answered

    with pytest.raises(dl.Throttled, match="unprocessed"):
        conn.batch_get(Item, [("p0", 1), ("p1", 2)])
    assert proxy.op("BatchGetItem").requests == 2  # batch_get: the policy's 2 attempts

    before = proxy.op("BatchGetItem").requests
    with pytest.raises(dl.Throttled, match="unprocessed"):
        Item.query(Item.pk.is_in(["p0", "p1"]), Item.sk.is_in([1, 2])).using(conn).all()
    assert proxy.op("BatchGetItem").requests - before == 2, (
        "a planned BatchGetItem ignored the connection's retry_policy "
        f"({proxy.op('BatchGetItem').requests - before} attempts instead of 2)")


# --- batch writes under resets and delays ------------------------------------------------------

@pytest.mark.parametrize("fault", ["reset", "reset-mid-body", "delay-past-read-timeout"])
def test_batch_writes_survive_lost_responses_and_store_everything_once(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection], fault: str) -> None:
    """A lost BatchWriteItem response makes botocore send the same request again: puts and
    deletes are idempotent, so the table ends exactly as asked."""
    Item = make_table(make_item_model(table_name))
    objects = [Item(pk=f"w{n % 7}", sk=n, payload=f"v{n}") for n in range(300)]
    inject = FAULTS[fault][0]
    conn = via_proxy(max_attempts=6, read_timeout=0.5 if fault.startswith("delay") else 30.0,
                     retry_policy=FAST)
    inject(proxy, "BatchWriteItem", 3, 0.5)

    report = conn.batch_write(objects)
    assert fired(proxy, "BatchWriteItem") == 3
    assert report.ok and report.written == 300 and report.requests == 12
    stored_items = {(i["pk"]["S"], int(i["sk"]["N"])): i["payload"]["S"]
                    for i in raw_scan(conn, table_name)}
    assert stored_items == {(o.pk, o.sk): o.payload for o in objects}

    # Deletes through a batch writer, under the same fault.
    inject(proxy, "BatchWriteItem", 2, 0.5)
    with conn.batch_writer() as writer:
        for obj in objects[::2]:
            writer.delete(obj)
    assert writer.report.ok and writer.report.written == 150
    left = sorted((i["pk"]["S"], int(i["sk"]["N"])) for i in raw_scan(conn, table_name))
    assert left == sorted((o.pk, o.sk) for o in objects[1::2])


@pytest.mark.parametrize(("fault", "server_got_it"), [
    ("reset-before-forwarding", False),
    ("reset", True),
    ("delay-past-read-timeout", True),
])
def test_batch_writes_report_what_failed_after_the_retry_budget(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection], fault: str,
        server_got_it: bool) -> None:
    """botocore gives up on the first request (two attempts): its 25 items are reported
    failed, item by item, the other 75 are written. When the server did receive the request
    (a lost response) the failed items may be stored all the same: a failure then means
    'not confirmed', and nothing is ever lost silently."""
    Item = make_table(make_item_model(table_name))
    objects = [Item(pk="f", sk=n) for n in range(100)]
    conn = via_proxy(max_attempts=1, read_timeout=0.5 if fault.startswith("delay") else 30.0)
    if fault == "reset-before-forwarding":
        proxy.reset("BatchWriteItem", 2, forward=False)
    else:
        FAULTS[fault][0](proxy, "BatchWriteItem", 2, 1.0)

    report = conn.batch_write(objects, raise_on_failure=False)

    failed = {f.source.sk for f in report.failed}
    assert failed == set(range(25))
    assert report.written == 75 and not report.ok
    assert all(f.table == table_name and "cannot reach the endpoint" in f.reason
               for f in report.failed)
    stored_sks = {int(i["sk"]["N"]) for i in raw_scan(conn, table_name)}
    written = set(range(25, 100))
    assert written <= stored_sks  # every write reported as done is stored
    assert stored_sks - written <= failed  # anything else stored was reported as failed
    assert stored_sks == (set(range(100)) if server_got_it else written)
    assert len(report.to_pandas()) == 25


# --- transactions whose response is lost --------------------------------------------------------

def make_account(table: str) -> Any:
    class FaultAccount(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        balance: int = 0
        version: int = dl.field(version=True)

    return FaultAccount


@pytest.mark.needs("transactions")
@pytest.mark.parametrize("fault", ["reset", "reset-mid-body", "delay-past-read-timeout"])
def test_a_lost_transaction_response_is_retried_with_the_same_token(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection], fault: str) -> None:
    Account = make_table(make_account(table_name))
    conn.create(Account(pk="a", balance=100))
    conn = via_proxy(read_timeout=0.5 if fault.startswith("delay") else 30.0)
    FAULTS[fault][0](proxy, "TransactWriteItems", 1, 1.0)

    with conn.transaction() as tx:
        tx.update(Account, Account.balance.add(-10), key="a")
    token = tx.token

    assert tx.committed
    assert fired(proxy, "TransactWriteItems") == 1
    # What the library controls: botocore resent the identical request, token included.
    assert proxy.tokens("TransactWriteItems") == [token, token]
    assert list(proxy.body_counts("TransactWriteItems").values()) == [2]
    # The server applied the first request before the response was lost, and received the
    # retry too. DynamoDB answers a retry with the same ClientRequestToken (within 10
    # minutes) without applying it again, so at-most-once rests on DynamoDB honouring the
    # token. moto ignores tokens and applies the retry as well (90 on DynamoDB, 80 here).
    stored = raw_get(conn, table_name, {"pk": {"S": "a"}})
    assert stored is not None and stored["balance"]["N"] in ("90", "80")


@pytest.mark.needs("transactions")
def test_a_transaction_that_fails_after_the_retry_budget_keeps_its_token_for_a_retry(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection]) -> None:
    Account = make_table(make_account(table_name))
    conn.create(Account(pk="a", balance=100))
    conn = via_proxy(max_attempts=1)
    proxy.reset("TransactWriteItems", None, forward=False)  # the server never sees it

    tx = conn.transaction()
    tx.update(Account, Account.balance.add(-10), key="a")
    with pytest.raises(dl.ConnectionFailed):
        tx.commit()
    assert not tx.committed
    proxy.clear()
    tx.commit()  # the caller's retry: same transaction object, same token

    assert tx.committed
    assert proxy.tokens("TransactWriteItems") == [tx.token] * 3
    assert len(proxy.body_counts("TransactWriteItems")) == 1
    stored = raw_get(conn, table_name, {"pk": {"S": "a"}})
    assert stored is not None and stored["balance"] == {"N": "90"}


# --- optimistic locking under faults --------------------------------------------------------------

def make_counter(table: str) -> Any:
    class FaultCounter(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        value: str = ""
        hits: int = 0
        version: int = dl.field(version=True)

    return FaultCounter


def test_a_conditional_write_never_overwrites_a_concurrent_change_under_500s(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection]) -> None:
    Counter_ = make_table(make_counter(table_name))
    conn.create(Counter_(pk="c", value="start"))
    first, second = via_proxy(max_attempts=6), via_proxy(max_attempts=6)
    mine = Counter_.get("c", consistent=True, connection=first)
    theirs = Counter_.get("c", consistent=True, connection=second)
    proxy.error("UpdateItem", 500, "InternalServerError", 4)  # not forwarded

    mine.value = "first"
    first.save(mine)  # gets through after four 500s
    theirs.value = "second"
    with pytest.raises(dl.VersionConflict) as lost:
        second.save(theirs)

    assert proxy.op("UpdateItem").errors == 4
    assert lost.value.expected == 1
    assert (mine.version, theirs.version) == (2, 1)
    stored = raw_get(conn, table_name, {"pk": {"S": "c"}})
    assert stored is not None
    assert stored["value"] == {"S": "first"} and stored["version"] == {"N": "2"}

    # update() with actions is checked the same way.
    proxy.error("UpdateItem", 500, "InternalServerError", 3)
    with pytest.raises(dl.VersionConflict):
        second.update(theirs, Counter_.hits.set(99))
    stored = raw_get(conn, table_name, {"pk": {"S": "c"}})
    assert stored is not None and stored["hits"] == {"N": "0"}


def test_concurrent_conditional_writes_under_500s_have_exactly_one_winner(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection]) -> None:
    Counter_ = make_table(make_counter(table_name))
    conn.create(Counter_(pk="c", value="start"))
    conns = [via_proxy(max_attempts=8), via_proxy(max_attempts=8)]
    for round_ in range(8):
        objects = [Counter_.get("c", consistent=True, connection=c) for c in conns]
        assert {o.version for o in objects} == {round_ + 1}
        proxy.error("UpdateItem", 500, "InternalServerError", 3, probability=0.6)
        barrier = threading.Barrier(2)
        outcomes: list[Any] = [None, None]
        for n, obj in enumerate(objects):
            obj.value = f"round {round_} by {n}"

        def write(n: int, objects: list[Any] = objects, outcomes: list[Any] = outcomes,
                  barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                conns[n].save(objects[n])
                outcomes[n] = "won"
            except dl.DynamormError as exc:
                outcomes[n] = exc

        threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        winners = [n for n in range(2) if outcomes[n] == "won"]
        assert len(winners) == 1, outcomes
        loser = 1 - winners[0]
        assert isinstance(outcomes[loser], dl.VersionConflict), outcomes[loser]
        stored = raw_get(conn, table_name, {"pk": {"S": "c"}})
        assert stored is not None
        assert stored["value"] == {"S": f"round {round_} by {winners[0]}"}
        assert stored["version"] == {"N": str(round_ + 2)}
        proxy.clear()


@pytest.mark.parametrize("operation", ["save", "create"])
def test_a_write_whose_response_is_lost_is_not_reported_as_not_written(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection], operation: str) -> None:
    """The server applies the write, the response is lost, botocore retries the same
    conditional request, and the retry's condition fails against the write itself. README:
    'a failed write changes neither the item nor the object'. Either the library sees that
    the stored item is its own write (and succeeds), or its error must not claim that
    nothing was written."""
    Counter_ = make_table(make_counter(table_name))
    conn = via_proxy()
    obj = Counter_(pk="c", value="start")
    if operation == "save":
        conn.create(obj)
        obj.value = "mine"
        proxy.reset("UpdateItem", 1)
    else:
        obj.value = "mine"
        proxy.reset("PutItem", 1)

    outcome: Any = None
    try:
        getattr(conn, operation)(obj)
    except dl.DynamormError as exc:
        outcome = exc

    stored = raw_get(conn, table_name, {"pk": {"S": "c"}})
    assert stored is not None and stored["value"] == {"S": "mine"}, "the write was applied"
    if outcome is not None:
        assert "nothing was written" not in str(outcome), (
            f"{type(outcome).__name__} says nothing was written, but the server holds this "
            f"very write ({stored}): {outcome}")


# --- the retry policy, as the README describes it -------------------------------------------------

def record_batch_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits of the batch retry loops (only `_batch`'s view of `time` is replaced)."""
    sleeps: list[float] = []
    monkeypatch.setattr(batch_module, "time", types.SimpleNamespace(
        sleep=sleeps.append, monotonic=time.monotonic, perf_counter=time.perf_counter))
    return sleeps


def test_max_attempts_is_botocores_number_of_retries(
        stored: tuple[Any, list[tuple[str, int]]], proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    """connect(max_attempts=n) sets botocore's standard retry mode, whose max_attempts
    counts retries: a request is sent at most n + 1 times (exponential backoff with jitter on
    throttling and 5xx), then the library raises its own error."""
    Item, _keys = stored
    for attempts in (1, 3):
        conn = via_proxy(max_attempts=attempts)
        before = proxy.op("GetItem").requests
        proxy.error("GetItem", 500, "InternalServerError", None)
        with pytest.raises(dl.DynamoDBError) as failed:
            conn.get(Item, "p0", 1)
        assert failed.value.code == "InternalServerError"
        assert proxy.op("GetItem").requests - before == attempts + 1
        proxy.clear()

    conn = via_proxy(max_attempts=1)
    before = proxy.op("GetItem").requests
    proxy.error("GetItem", 400, "ThrottlingException", None)
    with pytest.raises(dl.Throttled, match="still throttled after retries"):
        conn.get(Item, "p0", 1)
    assert proxy.op("GetItem").requests - before == 2
    proxy.clear()
    assert conn.get(Item, "p0", 1).sk == 1  # and the connection works afterwards

    for bad in ({"max_attempts": 0}, {"read_timeout": 0}, {"connect_timeout": -1}):
        with pytest.raises(dl.ValidationError):
            dl.connect(proxy.url, make_default=False, **bad)


def test_retry_policy_waits_full_jitter_within_its_bounds(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """RetryPolicy(attempts, base_delay, max_delay): attempt n (from 0) waits a random time
    in [0, min(max_delay, base_delay * 2**n)] (full jitter), for unprocessed batch items."""
    policy = dl.RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05)
    for n in range(8):
        bound = min(0.05, 0.01 * 2**n)
        samples = [policy.delay(n) for _ in range(1000)]
        assert all(0 <= s <= bound for s in samples)
        assert min(samples) < bound * 0.05 and max(samples) > bound * 0.95  # the whole range
    for bad in ({"attempts": 0}, {"base_delay": -1}, {"max_delay": -0.5}):
        with pytest.raises(dl.ValidationError):
            dl.RetryPolicy(**bad)

    sleeps = record_batch_sleeps(monkeypatch)
    Item = make_table(make_item_model(table_name))
    proxy.unprocess("BatchWriteItem", 1.0)
    report = via_proxy(retry_policy=policy).batch_write([Item(pk="r", sk=n) for n in range(3)],
                                                        raise_on_failure=False)
    assert proxy.op("BatchWriteItem").requests == 5 == report.requests
    assert len(report.failed) == 3 and report.written == 0
    assert "after 5 attempts" in report.failed[0].reason
    assert sleeps, "no backoff between attempts"
    for n, slept in enumerate(sleeps):
        assert 0 <= slept <= min(0.05, 0.01 * 2**n), (n, slept)


def test_no_backoff_is_spent_after_the_last_attempt(
        conn: dl.Connection, make_table: Callable[[Any], Any], table_name: str,
        proxy: FaultProxy, via_proxy: Callable[..., dl.Connection],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A wait is for a retry: after the last attempt there is none, so the report (or the
    error) should come at once, not after up to max_delay (5 s by default) more."""
    sleeps = record_batch_sleeps(monkeypatch)
    Item = make_table(make_item_model(table_name))
    proxy.unprocess("BatchWriteItem", 1.0)
    proxy.unprocess("BatchGetItem", 1.0)
    conn = via_proxy(retry_policy=dl.RetryPolicy(attempts=3, base_delay=0.01))

    conn.batch_write([Item(pk="r", sk=1)], raise_on_failure=False)
    assert proxy.op("BatchWriteItem").requests == 3
    writes = len(sleeps)
    with pytest.raises(dl.Throttled):
        conn.batch_get(Item, [("r", 1)])
    assert proxy.op("BatchGetItem").requests == 3
    assert (writes, len(sleeps) - writes) == (2, 2), (
        f"{writes} waits around 3 BatchWriteItem attempts and {len(sleeps) - writes} around "
        "3 BatchGetItem attempts: one wait is spent after the last attempt")


def test_a_fault_proxy_delay_is_really_past_the_read_timeout(
        stored: tuple[Any, list[tuple[str, int]]], proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    """The delay fault is what it says: the client times out and retries (not a slow pass)."""
    Item, _keys = stored
    conn = via_proxy(max_attempts=2, read_timeout=0.5)
    proxy.delay("GetItem", 2.0, 1)
    caught: list[str] = []

    def retry_reason(caught_exception: Exception | None = None, **kwargs: Any) -> None:
        if caught_exception is not None:
            caught.append(type(caught_exception).__name__)

    conn.on("needs-retry.dynamodb.GetItem", retry_reason)
    assert conn.get(Item, "p2", 5).sk == 5
    assert proxy.op("GetItem").requests == 2 and proxy.op("GetItem").delayed == 1
    assert caught == ["ReadTimeoutError"]  # the first answer timed out; the retry's arrived
