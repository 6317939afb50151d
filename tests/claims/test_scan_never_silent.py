"""Claim: a Scan is never silent. A query only a Scan can serve says why and suggests the
index that would serve it; on a table over the connection's scan guard it is refused (nothing
read) on every read path until the caller allows it, and when it runs its result says Scan.

Paths: `all`, `first`, `one`, `exists`, `count`, `pages`, iteration, `to_pandas`, `to_arrow`,
``%%dynamo`` SELECT, and UPDATE/DELETE with ``--yes`` whose WHERE is not a key (their read is
planned the same way). An explicit ``Model.scan()`` is the caller's own choice and runs. The
guard goes by the table's item count; where DescribeTable reports 0 (dynalite always, DynamoDB
for hours after writes) it counts a bounded sample first: the tests that assert nothing at
all is read run on moto only, with the reason from tests/backends.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers import sent_operations, unique

import dynamorm_lab as dl
from dynamorm_lab._ops.boundary import WRITE_OPERATIONS

pytestmark = pytest.mark.integration

ITEMS = 30


def make_note(table: str) -> Any:
    class Note(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        topic: str = ""
        n: int = 0

    return Note


@pytest.fixture(scope="module")
def guarded(server: Any) -> Iterator[tuple[dl.Connection, Any]]:
    """A connection with a scan guard of 10 items, and a table of 30 items."""
    conn = dl.connect(server.endpoint_url, scan_guard=10, make_default=False)
    Note = make_note(unique("claims_scan"))
    conn.create_table(Note)
    conn.batch_write([Note(pk=f"k{n}", topic="a" if n % 3 else "b", n=n) for n in range(ITEMS)])
    yield conn, Note
    conn.delete_table(Note)
    conn.close()


READS: dict[str, Callable[[Any], Any]] = {
    "all": lambda q: q.all(),
    "first": lambda q: q.first(),
    "one": lambda q: q.one(),
    "exists": lambda q: q.exists(),
    "count": lambda q: q.count(),
    "pages": lambda q: list(q.pages()),
    "iteration": list,
    "to_pandas": lambda q: q.to_pandas(),
    "to_arrow": lambda q: q.to_arrow(),
}
STATEMENTS = {
    "%%dynamo SELECT": "SELECT * FROM \"{t}\" WHERE topic = 'b'",
    "%%dynamo UPDATE --yes": "UPDATE \"{t}\" SET n = 0 WHERE topic = 'b'",
    "%%dynamo DELETE --yes": "DELETE FROM \"{t}\" WHERE topic = 'b'",
}


def test_the_plan_says_why_it_scans_and_what_would_serve(guarded: Any) -> None:
    _conn, Note = guarded
    plan = Note.query(Note.topic == "b").explain()
    assert plan.operation == "Scan"
    assert "Scan" in plan.sentence
    assert plan.suggestion and "GSI" in plan.suggestion and "topic" in plan.suggestion
    rejected = [c for c in plan.candidates if not c.usable]
    assert rejected and all(c.reason for c in rejected)


@pytest.mark.needs("item_count")
@pytest.mark.parametrize("path", list(READS))
def test_every_read_path_refuses_a_scan_over_the_guard_before_reading(
        guarded: Any, path: str) -> None:
    conn, Note = guarded
    sent = sent_operations(conn)
    with pytest.raises(dl.ScanRefused) as refused:
        READS[path](Note.query(Note.topic == "b").using(conn))
    message = str(refused.value)
    assert f"holds {ITEMS:,} items" in message and "allow_scan" in message
    assert "Suggestion" in message and refused.value.plan.operation == "Scan"
    assert [op for op in sent if op in ("Scan", "Query")] == []


@pytest.mark.parametrize("path", ["all", "count", "to_pandas"])
def test_the_guard_counts_a_table_whose_item_count_is_still_zero(
        guarded: Any, path: str) -> None:
    """DescribeTable's ItemCount lags writes by about six hours (dynalite always reports 0):
    the guard then counts the table from its bounded sample (read once per connection)
    and still refuses; every Scan it sent was a bounded sample page."""
    conn, Note = guarded
    scans = reads(conn)
    with pytest.raises(dl.ScanRefused) as refused:
        READS[path](Note.query(Note.topic == "b").using(conn))
    assert f"{ITEMS:,} items" in str(refused.value)
    assert all(0 < scan.get("Limit", 0) <= 1250 for scan in scans), scans


def reads(conn: dl.Connection) -> list[dict[str, Any]]:
    """The parameters of every Scan and Query `conn` sends from now on."""
    sent: list[dict[str, Any]] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    for operation in ("Scan", "Query"):
        conn.on(f"provide-client-params.dynamodb.{operation}", hook)
    return sent


@pytest.mark.parametrize("path", list(STATEMENTS))
def test_every_statement_refuses_a_scan_over_the_guard_and_writes_nothing(
        guarded: Any, path: str) -> None:
    """A statement reads a bounded sample of the table (to learn its attributes: at most
    5,000 items, in pages of at most 1,250), then the planner refuses the full Scan: nothing
    else is read."""
    conn, Note = guarded
    sent, scans = sent_operations(conn), reads(conn)
    with pytest.raises(dl.ScanRefused, match="--allow-scan"):
        dl.execute(STATEMENTS[path].format(t=Note.__table__), conn, yes=True)
    assert [op for op in sent if op in WRITE_OPERATIONS] == []
    assert all(0 < scan.get("Limit", 0) <= 1250 for scan in scans), scans


@pytest.mark.parametrize("path", list(READS))
def test_an_allowed_scan_runs_and_says_scan(guarded: Any, path: str) -> None:
    conn, Note = guarded
    query = Note.query(Note.topic == "b").using(conn).allow_scan()
    if path == "one":
        query = query.where(Note.n == 0)
    outcome = READS[path](query)
    expected = sum(1 for n in range(ITEMS) if n % 3 == 0)
    if path == "all":
        assert len(outcome) == expected and outcome.stats.operation == "Scan"
        assert outcome.stats.summary().startswith("Scan on table")
    elif path == "count":
        assert outcome == expected
    elif path in ("pages", "iteration"):
        items = [i for p in outcome for i in p.items] if path == "pages" else outcome
        assert len(items) == expected
    elif path == "to_pandas":
        assert len(outcome) == expected and outcome.attrs["stats"].operation == "Scan"
    elif path == "to_arrow":
        assert outcome.num_rows == expected
    else:
        assert outcome


def test_an_explicit_scan_is_the_callers_choice(guarded: Any) -> None:
    conn, Note = guarded
    result = Note.scan().using(conn).all()
    assert len(result) == ITEMS and result.plan.operation == "Scan"
    (statement,) = dl.execute(f"SELECT * FROM \"{Note.__table__}\" WHERE topic = 'b'", conn,
                              allow_scan=True)
    assert statement.summary.startswith("Scan on table")
