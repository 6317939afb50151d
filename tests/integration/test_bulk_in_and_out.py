"""Bulk in and out: dicts, frames and files into tables; streamed reads, Parquet exports and
resumes; rate limits under throttling. What was written is always read back with a raw
botocore Scan (`backends.raw_scan`), independent of the library's own read path."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from backends import raw_scan
from faults import FaultProxy

import dynamorm_lab as dl

pytestmark = pytest.mark.integration


@pytest.fixture
def table(conn: dl.Connection, make_table: Callable[..., Any], table_name: str) -> str:
    """An empty table keyed (pk: S, sk: N)."""
    make_table(dl.TableSchema(table_name, dl.KeyAttribute("pk", "S"),
                              dl.KeyAttribute("sk", "N")))
    return table_name


def stored(conn: dl.Connection, table: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The table's items by (pk, sk), as the server holds them."""
    return {(i["pk"]["S"], i["sk"]["N"]): i for i in raw_scan(conn, table)}


def rows(n: int, pk: str = "p") -> list[dict[str, Any]]:
    return [{"pk": pk, "sk": i, "price": Decimal("19.99") + i, "tags": {"a", "b"},
             "blob": bytes([i % 256, 0]), "info": {"n": i, "deep": [1, "x"]}}
            for i in range(n)]


# --- writes from data -----------------------------------------------------------------------

def test_put_items_writes_every_row_exactly_as_given(conn: dl.Connection, table: str) -> None:
    report = conn.put_items(table, rows(60))
    assert (report.written, report.rejected, report.failed) == (60, [], [])
    items = stored(conn, table)
    assert len(items) == 60
    assert items[("p", "7")]["price"] == {"N": "26.99"}
    assert items[("p", "7")]["blob"] == {"B": b"\x07\x00"}
    assert sorted(items[("p", "7")]["tags"]["SS"]) == ["a", "b"]
    assert items[("p", "7")]["info"] == {"M": {"n": {"N": "7"}, "deep": {"L": [
        {"N": "1"}, {"S": "x"}]}}}


def test_a_generator_is_streamed_and_still_checked_whole_before_any_write(
        conn: dl.Connection, table: str) -> None:
    def generated() -> Iterator[dict[str, Any]]:
        yield from rows(40)
        yield {"pk": "p", "sk": "not a number"}

    with pytest.raises(dl.RowsRejected, match=r"row 41: key attribute 'sk'") as caught:
        conn.put_items(table, generated())
    assert [r.row for r in caught.value.report.rejected] == [41]
    assert stored(conn, table) == {}, "a rejected load wrote something"
    report = conn.put_items(table, (r for r in rows(40)))
    assert report.written == 40 and len(stored(conn, table)) == 40


@pytest.mark.parametrize("bad, reason", [
    ({"sk": 1}, r"lacks key attribute\(s\) pk"),
    ({"pk": "", "sk": 1}, r"cannot be empty"),
    ({"pk": "p", "sk": 1, "big": "x" * 410_000}, r"400 KB"),
    ({"pk": "p", "sk": 1, "f": 0.1}, r"float 0.1 has no exact decimal form"),
    ("not a dict", r"must be a dict"),
    ({"pk": "p", "sk": 0}, r"the same key as row 1"),
])
def test_every_bad_row_is_named_and_nothing_is_written(
        conn: dl.Connection, table: str, bad: Any, reason: str) -> None:
    with pytest.raises(dl.RowsRejected, match=reason) as caught:
        conn.put_items(table, [*rows(3), bad])
    assert caught.value.report.rejected[0].row == 4
    assert stored(conn, table) == {}


def test_on_error_skip_writes_the_good_rows_and_reports_the_others(
        conn: dl.Connection, table: str) -> None:
    report = conn.put_items(table, [*rows(5), {"pk": 1, "sk": 9}, {"pk": "q", "sk": 1}],
                            on_error="skip")
    assert report.written == 6
    assert [(r.row, "type S" in r.reason) for r in report.rejected] == [(6, True)]
    assert not report.ok
    assert set(report.to_pandas()["row"].dropna()) == {6}
    assert len(stored(conn, table)) == 6


def test_options_are_checked_before_anything_is_read(conn: dl.Connection, table: str) -> None:
    for options in ({"on_error": "ignore"}, {"workers": 0}, {"rate": "fast"},
                    {"rate": "0%"}, {"rate": -5}):
        with pytest.raises(dl.ValidationError):
            conn.put_items(table, rows(2), **options)
    with pytest.raises(dl.ValidationError, match="iterable of dicts"):
        conn.put_items(table, {"pk": "p", "sk": 1})
    with pytest.raises(dl.TableNotFound):
        conn.put_items("no_such_table_here", rows(2))
    assert stored(conn, table) == {}


def test_a_read_only_connection_refuses_a_bulk_write_unsent(
        conn: dl.Connection, table: str) -> None:
    with pytest.raises(dl.ReadOnlyError):
        conn.as_read_only().put_items(table, rows(30))
    assert stored(conn, table) == {}


def test_workers_write_every_item_once(conn: dl.Connection, table: str) -> None:
    report = conn.put_items(table, rows(1_000), workers=4)
    assert report.written == 1_000 and report.requests >= 40
    assert sorted(int(k[1]) for k in stored(conn, table)) == list(range(1_000))


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "pk": ["f"] * 4, "sk": [0, 1, 2, 3],
        "price": [19.99, None, 0.1, 1e20],
        "count": pd.array([1, None, 3, 4], dtype="Int64"),
        "when": pd.to_datetime(["2026-01-02T03:04:05Z"] * 4, utc=True),
        "name": ["a", None, "c", "d"],
    })


def test_put_frame_leaves_missing_cells_out_and_keeps_floats_as_written(
        conn: dl.Connection, table: str) -> None:
    assert conn.put_frame(table, frame()).written == 4
    items = stored(conn, table)
    assert items[("f", "0")]["price"] == {"N": "19.99"}
    assert items[("f", "2")]["price"] == {"N": "0.1"}
    assert Decimal(items[("f", "3")]["price"]["N"]) == Decimal("1e20")
    assert "price" not in items[("f", "1")] and "count" not in items[("f", "1")]
    assert "name" not in items[("f", "1")]
    assert items[("f", "0")]["count"] == {"N": "1"}
    assert items[("f", "0")]["when"]["S"].startswith("2026-01-02T03:04:05")


def test_keep_na_writes_null_and_arrow_tables_write_the_same(
        conn: dl.Connection, table: str) -> None:
    conn.put_frame(table, frame(), keep_na=True)
    assert stored(conn, table)[("f", "1")]["price"] == {"NULL": True}
    conn.put_frame(table, pa.Table.from_pandas(frame().assign(pk="g")))
    items = stored(conn, table)
    assert items[("g", "0")]["price"] == {"N": "19.99"}
    assert "price" not in items[("g", "1")]


def test_a_frame_with_a_bad_row_writes_nothing(conn: dl.Connection, table: str) -> None:
    bad = frame()
    bad.loc[2, "pk"] = None
    with pytest.raises(dl.RowsRejected, match=r"row 3: the item lacks key attribute"):
        conn.put_frame(table, bad)
    assert stored(conn, table) == {}
    with pytest.raises(dl.ValidationError, match="pandas DataFrame or a pyarrow Table"):
        conn.put_frame(table, [{"pk": "x", "sk": 1}])


def test_a_model_writes_a_frame_through_its_fields(
        conn: dl.Connection, make_table: Callable[..., Any], table_name: str) -> None:
    class Reading(dl.Model, table=table_name):
        station: str = dl.field(partition_key=True)
        at: int = dl.field(sort_key=True)
        value: float = 0.0
        note: str = "none"
        written: dt.datetime | None = dl.field(default=None, created_at=True)

    make_table(Reading)
    source = pd.DataFrame({"station": ["s1", "s1"], "at": [1, 2], "value": [0.1, 2.5]})
    assert Reading.put_frame(source, connection=conn).written == 2
    back = Reading.scan().using(conn).all()
    assert [(r.at, r.value, r.note) for r in sorted(back, key=lambda r: r.at)] == [
        (1, 0.1, "none"), (2, 2.5, "none")]
    assert all(r.written is not None for r in back)
    again = Reading.scan().using(conn).to_pandas()
    assert Reading.put_frame(again, connection=conn).written == 2
    with pytest.raises(dl.RowsRejected, match="unknown field"):
        Reading.put_items([{"station": "s", "at": 3, "colour": "red"}], connection=conn)


# --- files ----------------------------------------------------------------------------------

def test_load_reads_parquet_csv_and_json_lines(conn: dl.Connection, table: str,
                                              tmp_path: Path) -> None:
    source = frame().drop(columns=["when"])
    pq.write_table(pa.Table.from_pandas(source.assign(pk="parquet"), preserve_index=False),
                   tmp_path / "a.parquet")
    source.assign(pk="007").to_csv(tmp_path / "b.csv", index=False)
    lines = ['{"pk": "json", "sk": 1, "v": 0.1}',
             '', '{"Item": {"pk": {"S": "json"}, "sk": {"N": "2"}, "b": {"B": "AAE="}}}']
    (tmp_path / "c.jsonl").write_text("\n".join(lines) + "\n")
    with gzip.open(tmp_path / "d.jsonl.gz", "wt") as handle:
        handle.write('{"pk": "gz", "sk": 1}\n')
    for name in ("a.parquet", "b.csv", "c.jsonl", "d.jsonl.gz"):
        assert conn.load(table, tmp_path / name).ok
    items = stored(conn, table)
    assert items[("parquet", "0")]["price"] == {"N": "19.99"}
    assert items[("007", "2")]["price"] == {"N": "0.1"}, "a CSV's S key stays text"
    assert items[("json", "1")]["v"] == {"N": "0.1"}
    assert items[("json", "2")]["b"] == {"B": b"\x00\x01"}
    assert ("gz", "1") in items
    assert len(items) == 4 + 4 + 2 + 1


def test_a_file_with_a_bad_line_is_refused_by_line_number(
        conn: dl.Connection, table: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"pk": "a", "sk": 1}\n{"pk": "a", "sk": 2\n{"pk": "a", "sk": 3}\n')
    with pytest.raises(dl.RowsRejected, match=r"row 2: not JSON"):
        conn.load(table, path)
    assert stored(conn, table) == {}
    assert conn.load(table, path, on_error="skip").written == 2
    with pytest.raises(dl.ValidationError, match="cannot tell the format"):
        conn.load(table, _touch(tmp_path / "x.txt"))
    with pytest.raises(dl.ValidationError, match="format must be one of"):
        conn.load(table, path, format="xml")
    with pytest.raises(dl.ValidationError, match="no file"):
        conn.load(table, tmp_path / "missing.parquet")


def _touch(path: Path) -> Path:
    path.write_text("")
    return path


# --- streamed reads and exports -------------------------------------------------------------

@pytest.fixture
def filled(conn: dl.Connection, table: str) -> str:
    conn.put_items(table, [{"pk": f"p{i % 7}", "sk": i, "n": i, "price": Decimal(i) / 4}
                           for i in range(700)])
    return table


def scan(conn: dl.Connection, table: str) -> dl.Query:
    return dl.Query(conn.describe(table), scan=True).using(conn)


def keyset(frame_: pd.DataFrame) -> list[tuple[str, int]]:
    return sorted(zip(frame_["pk"], map(int, frame_["sk"]), strict=True))


def test_iter_frames_and_batches_give_the_whole_read_in_parts(
        conn: dl.Connection, filled: str) -> None:
    whole = scan(conn, filled).to_pandas()
    parts = list(scan(conn, filled).page_size(90).iter_frames(rows=250))
    assert [len(p) for p in parts] == [250, 250, 200]
    assert keyset(pd.concat(parts)) == keyset(whole)
    assert parts[-1].attrs["stats"].returned == 700
    batches = list(scan(conn, filled).page_size(90).iter_batches(rows=250))
    assert sum(b.num_rows for b in batches) == 700
    table = pa.Table.from_batches(batches).to_pandas()
    assert keyset(table) == keyset(whole)


def test_a_frame_cursor_resumes_right_after_that_frame(conn: dl.Connection,
                                                       filled: str) -> None:
    first = next(iter(scan(conn, filled).page_size(90).iter_frames(rows=250)))
    rest = scan(conn, filled).page_size(90).after(first.attrs["cursor"]).to_pandas()
    assert len(first) + len(rest) == 700
    assert not set(keyset(first)) & set(keyset(rest))


def test_to_parquet_writes_what_to_pandas_reads(conn: dl.Connection, filled: str,
                                                tmp_path: Path) -> None:
    whole = scan(conn, filled).to_pandas()
    one = scan(conn, filled).page_size(100).to_parquet(tmp_path / "all.parquet", rows=300)
    assert one.rows == 700 and one.files == [tmp_path / "all.parquet"]
    back = pd.read_parquet(tmp_path / "all.parquet")
    assert keyset(back) == keyset(whole)
    assert sorted(map(Decimal, back["price"].astype(str))) == sorted(whole["price"])
    parts = scan(conn, filled).segments(3).to_parquet(tmp_path / "parts", rows=200)
    assert parts.rows == 700  # one series of files per segment that found items
    assert {p.name.split("-")[1] for p in parts.files} <= {"000", "001", "002"}
    assert keyset(pq.read_table(tmp_path / "parts").to_pandas()) == keyset(whole)
    assert json.loads((tmp_path / "parts" / "_cursor.json").read_text())["done"] is True
    with pytest.raises(dl.ValidationError, match="not empty"):
        scan(conn, filled).to_parquet(tmp_path / "parts")


def test_an_interrupted_export_resumes_without_a_gap_or_a_duplicate(
        conn: dl.Connection, filled: str, tmp_path: Path,
        via_proxy: Callable[..., dl.Connection]) -> None:
    flaky = via_proxy(max_attempts=1)  # its own connection: the hook below stays on it
    pages = 0

    class Stop(Exception):
        pass

    def count_pages(**_: Any) -> None:
        nonlocal pages
        pages += 1
        if pages == 4:
            raise Stop

    flaky.on("before-send.dynamodb.Scan", count_pages)
    query = scan(flaky, filled).page_size(60)
    with pytest.raises(Stop):
        query.to_parquet(tmp_path / "out", rows=100)
    done_before = pq.read_table(tmp_path / "out").num_rows if list(
        (tmp_path / "out").glob("part-*.parquet")) else 0
    assert 0 < done_before < 700
    resumed = scan(conn, filled).page_size(60).to_parquet(tmp_path / "out", rows=100,
                                                           resume=True)
    assert resumed.resumed and resumed.rows == 700 - done_before
    back = pq.read_table(tmp_path / "out").to_pandas()
    assert keyset(back) == keyset(scan(conn, filled).to_pandas())
    assert not list((tmp_path / "out").glob(".*partial"))


# --- rate limits ----------------------------------------------------------------------------

def test_a_rate_limited_read_never_takes_more_than_its_rate(
        conn: dl.Connection, filled: str) -> None:
    limited = scan(conn, filled).page_size(40).rate(3)
    got = limited.to_pandas()
    stats = got.attrs["stats"]
    assert len(got) == 700
    assert stats.capacity is not None and stats.capacity > 6, "too little read to measure"
    # a second's worth may go at once, and one page past the limit; never more (a busy
    # machine only makes the read slower, so this bound cannot flake)
    assert stats.capacity <= 3 * (stats.elapsed + 1) + 1


def test_an_adaptive_write_backs_off_when_throttled_and_loses_nothing(
        conn: dl.Connection, table: str, proxy: FaultProxy,
        via_proxy: Callable[..., dl.Connection]) -> None:
    throttled = via_proxy(max_attempts=2)
    proxy.unprocess("BatchWriteItem", 0.5, times=6)
    report = throttled.put_items(table, rows(300), rate="adaptive")
    limiter = report.limiter
    assert limiter is not None and limiter.throttles > 0
    rates = [rate for _t, rate in limiter.history]
    assert min(rates) < rates[0], "the adaptive limit never came down"
    assert report.written == 300 and not report.failed
    assert len(stored(conn, table)) == 300


def test_a_rate_limited_backfill_keeps_to_its_write_rate(conn: dl.Connection,
                                                         filled: str) -> None:
    def double(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "n": item["n"] * 2}

    report = conn.backfill(filled, double, rate=200, page_size=100)
    assert report.finished and (report.changed, report.skipped) == (699, 1)  # 0 * 2 == 0
    assert not report.failed
    limiter = report.limiter
    assert limiter is not None and limiter.spent > 0  # as each server reports it
    assert limiter.spent <= 200 * (report.elapsed + 1) + 2  # a second's worth, then 200/s
    assert sorted(int(i["n"]["N"]) for i in raw_scan(conn, filled)) == [
        2 * n for n in range(700)]
