"""Claim: a cursor resumes exactly the query that made it, exactly once, and cannot be forged.

Paths: `Query.pages()` page cursors, `.limit(n).all().cursor`, `Page.cursor_after(i)`, parallel
scans (one state per segment), a backfill's resumable report and the explorer widget's paging;
cursors are HMAC-signed under the connection's key (`cursor_key=`, $DYNAMORM_CURSOR_KEY, or a
random key per process), so an edited start key is refused, a foreign key is refused, and the
same key resumes in another process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl
from dynamorm_lab.widgets import explore

pytestmark = pytest.mark.integration

ITEMS = 60
KEY_A = b"a" * 32
KEY_B = b"b" * 32
FIXTURES = [HealthCheck.function_scoped_fixture]


@pytest.fixture(scope="module")
def table(server: Any) -> Iterator[str]:
    """A table of 60 items over 6 partitions, written once for the module."""
    conn = dl.connect(server.endpoint_url, make_default=False)
    name = "claims_cursors"

    class Row(dl.Model, table=name):
        p: str = dl.field(partition_key=True)
        s: int = dl.field(sort_key=True)
        n: int = 0

    if conn.table_exists(name):
        conn.delete_table(name)
    conn.create_table(Row)
    conn.batch_write([Row(p=f"p{i % 6}", s=i, n=i) for i in range(ITEMS)])
    yield name
    conn.delete_table(name)
    conn.close()


def keyed(server: Any, key: bytes | str | None = KEY_A) -> dl.Connection:
    return dl.connect(server.endpoint_url, make_default=False, cursor_key=key)


def scan(conn: dl.Connection, table: str, *, page: int = 7, segments: int = 1) -> dl.Query:
    return dl.Query(conn.describe(table), scan=True).using(conn).page_size(page).segments(
        segments).as_items()


def key_of(item: dict[str, Any]) -> tuple[str, str]:
    return item["p"]["S"], item["s"]["N"]


def every_key(conn: dl.Connection, table: str) -> list[tuple[str, str]]:
    return sorted(key_of(i) for i in scan(conn, table, page=100).all())


def forged(cursor: str, edit: Any) -> str:
    """The cursor with its payload edited by `edit`, its signature made again the way an
    editor without the key would (the unkeyed, salted hash of earlier versions)."""
    body = cursor.split(".", maxsplit=1)[0]
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    edit(data)
    text = json.dumps(data, separators=(",", ":"), sort_keys=True)
    new_body = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    checksum = hashlib.sha256(("dynamorm_lab/cursor:" + new_body).encode()).hexdigest()[:16]
    return f"{new_body}.{checksum}"


# --- resumed exactly once ---------------------------------------------------------------------

@settings(max_examples=12, deadline=None, suppress_health_check=FIXTURES)
@given(page=st.integers(1, 25), limit=st.integers(1, 30), segments=st.sampled_from([1, 3]))
def test_limit_cursors_resume_every_item_exactly_once(server: Any, table: str, page: int,
                                                      limit: int, segments: int) -> None:
    conn = keyed(server)
    seen: list[tuple[str, str]] = []
    cursor = None
    for _ in range(ITEMS + 5):
        result = scan(conn, table, page=page, segments=segments).limit(limit).after(cursor).all()
        seen += [key_of(i) for i in result]
        cursor = result.cursor
        if cursor is None:
            break
    assert sorted(seen) == every_key(conn, table)  # nothing missing, nothing twice


@settings(max_examples=8, deadline=None, suppress_health_check=FIXTURES)
@given(page=st.integers(2, 20), stop=st.integers(0, 59))
def test_cursor_after_any_item_of_a_page_resumes_right_after_it(server: Any, table: str,
                                                                page: int, stop: int) -> None:
    conn = keyed(server)
    seen: list[tuple[str, str]] = []
    cursor = None
    for page_ in scan(conn, table, page=page).pages():
        for index, item in enumerate(page_.raw):
            seen.append(key_of(item))
            if len(seen) == stop + 1:
                cursor = page_.cursor_after(index)
                break
        if cursor is not None:
            break
    assert cursor is not None
    rest = [key_of(i) for i in scan(conn, table, page=page).after(cursor).all()]
    assert sorted(seen + rest) == every_key(conn, table)
    assert not set(seen) & set(rest)


def test_the_explorer_pages_through_every_item_once(server: Any, table: str) -> None:
    conn = keyed(server)
    explorer = explore(conn, table, page_size=11)
    seen: list[tuple[str, str]] = []
    while True:
        seen += [key_of(i) for i in explorer.result.raw]
        if explorer.next.disabled:
            break
        explorer.next.click()
    assert sorted(seen) == every_key(conn, table)
    last = len(seen) % 11 or 11
    explorer.previous.click()  # back one page: the same items as the first time
    assert [key_of(i) for i in explorer.result.raw] == seen[-last - 11:-last]


def test_a_backfill_resumed_from_its_cursor_touches_every_item_once(server: Any,
                                                                   table: str) -> None:
    conn = keyed(server)
    touched: list[tuple[str, str]] = []

    class Stop(Exception):
        pass

    def first_twenty(item: dict[str, Any]) -> None:
        if len(touched) == 20:
            raise Stop
        touched.append((item["p"], str(item["s"])))
        return None

    with pytest.raises(Stop) as stopped:
        conn.backfill(table, first_twenty, page_size=7)
    resume = stopped.value.report.cursor  # type: ignore[attr-defined]
    assert isinstance(resume, str)

    def rest(item: dict[str, Any]) -> None:
        touched.append((item["p"], str(item["s"])))
        return None

    conn.backfill(table, rest, page_size=7, resume=resume)
    assert sorted(touched) == every_key(conn, table)


# --- cannot be forged -------------------------------------------------------------------------

def test_an_edited_start_key_is_refused_even_with_the_old_checksum_recomputed(
        server: Any, table: str) -> None:
    conn = keyed(server)
    query = scan(conn, table)
    cursor = next(iter(query.pages())).cursor
    assert cursor is not None

    def jump(data: dict[str, Any]) -> None:
        data["s"][0]["key"] = {"p": {"S": "p5"}, "s": {"N": "59"}}

    with pytest.raises(dl.ValidationError, match="edited"):
        query.after(forged(cursor, jump)).all()
    with pytest.raises(dl.ValidationError):
        query.after(forged(cursor, lambda data: None)).all()


def test_a_cursor_signed_under_another_key_is_refused_and_the_same_key_resumes(
        server: Any, table: str) -> None:
    made = scan(keyed(server, KEY_A), table)
    cursor = next(iter(made.pages())).cursor
    assert cursor is not None
    for other in (keyed(server, KEY_B), keyed(server, None)):
        with pytest.raises(dl.ValidationError, match="another key"):
            scan(other, table).after(cursor).all()
    resumed = scan(keyed(server, KEY_A.decode()), table).after(cursor).all()
    assert len(resumed) == ITEMS - 7


def test_the_same_key_resumes_in_another_process_and_only_that_key(server: Any,
                                                                   table: str) -> None:
    conn = keyed(server, KEY_A)
    cursor = next(iter(scan(conn, table).pages())).cursor
    script = (
        "import sys, dynamorm_lab as dl\n"
        "conn = dl.connect(sys.argv[1], make_default=False)\n"
        "q = dl.Query(conn.describe(sys.argv[2]), scan=True).using(conn).page_size(7)\n"
        "try:\n    print(len(q.as_items().after(sys.argv[3]).all()))\n"
        "except dl.ValidationError:\n    print('refused')\n")

    def run(environment: dict[str, str]) -> str:
        env = {k: v for k, v in os.environ.items() if k != "DYNAMORM_CURSOR_KEY"}
        env.update(environment)
        done = subprocess.run([sys.executable, "-c", script, server.endpoint_url, table,
                               str(cursor)], env=env, capture_output=True, text=True,
                              timeout=120, check=True)
        return done.stdout.strip()

    assert run({"DYNAMORM_CURSOR_KEY": KEY_A.decode()}) == str(ITEMS - 7)
    assert run({"DYNAMORM_CURSOR_KEY": KEY_B.decode()}) == "refused"
    assert run({}) == "refused"  # a random key made once per process


@pytest.mark.parametrize("key", [b"", b"short", "too short", 12345])
def test_a_weak_or_wrong_cursor_key_is_refused_at_connect(server: Any, key: Any) -> None:
    with pytest.raises(dl.ValidationError, match="cursor_key"):
        keyed(server, key)


def test_a_short_key_in_the_environment_is_refused(server: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMORM_CURSOR_KEY", "abc")
    with pytest.raises(dl.ValidationError, match="DYNAMORM_CURSOR_KEY"):
        keyed(server, None)
