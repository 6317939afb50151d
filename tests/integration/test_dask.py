"""Past one machine: Dask reads (one partition per scan segment) and writes (each partition
by the worker holding it), on a `dask.distributed` LocalCluster of 2 worker processes on
127.0.0.1, against the suite's own server (the workers connect to it over HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from backends import raw_scan

import dynamorm_lab as dl

pytestmark = pytest.mark.integration

dd = pytest.importorskip("dask.dataframe", reason="Dask is the optional [dask] extra")
distributed = pytest.importorskip("distributed", reason="Dask is the optional [dask] extra")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker processes and a client, on 127.0.0.1 only, closed after the module."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as running, \
            distributed.Client(running) as client:
        yield client


@pytest.fixture
def table(conn: dl.Connection, make_table: Callable[..., Any], table_name: str) -> str:
    make_table(dl.TableSchema(table_name, dl.KeyAttribute("pk", "S"),
                              dl.KeyAttribute("sk", "N")))
    return table_name


def records(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Every row's values (sets as sorted lists), sorted by key: exact values compared,
    whatever dtype a partition gave a column."""
    def value(v: Any) -> Any:
        if isinstance(v, set | frozenset):
            return sorted(v)
        return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v

    rows = [tuple(value(v) for v in row) for row in frame[sorted(frame.columns)].itertuples(
        index=False)]
    return sorted(rows, key=repr)


def test_a_dask_read_equals_to_pandas_one_partition_per_segment(
        conn: dl.Connection, table: str, cluster: Any) -> None:
    conn.put_items(table, [{"pk": f"p{i % 13}", "sk": i, "price": Decimal(i) / 8,
                            "big": 10**30 + i, "tags": {"a", f"t{i % 3}"},
                            **({"note": f"n{i}"} if i % 4 else {})} for i in range(1_200)])
    query = dl.Query(conn.describe(table), scan=True).using(conn)
    frame = query.to_dask(segments=4)
    assert frame.npartitions == 4
    got = frame.compute()
    want = query.to_pandas()
    assert len(got) == 1_200
    assert records(got) == records(want)
    assert isinstance(got["price"].iloc[0], Decimal) and isinstance(got["big"].iloc[0], int)


def test_a_dask_write_loses_and_duplicates_nothing(conn: dl.Connection, table: str,
                                                   cluster: Any) -> None:
    source = pd.DataFrame({"pk": [f"p{i % 97}" for i in range(20_000)],
                           "sk": range(20_000), "v": [Decimal(i) / 4 for i in range(20_000)]})
    import dask

    with dask.config.set({"dataframe.convert-string": False}):  # Decimals stay Decimals
        frame = dd.from_pandas(source, npartitions=6)
    report = conn.put_frame(table, frame, rate=100_000)
    assert report.written == 20_000 and report.ok
    stored = raw_scan(conn, table)
    assert len(stored) == 20_000
    assert {(i["pk"]["S"], int(i["sk"]["N"])) for i in stored} == set(
        zip(source["pk"], source["sk"], strict=True))
    assert [i["v"] for i in stored if i["sk"]["N"] == "3"] == [{"N": "0.75"}]


def test_a_dask_frame_with_a_bad_row_writes_nothing(conn: dl.Connection, table: str,
                                                    cluster: Any) -> None:
    source = pd.DataFrame({"pk": ["p"] * 300, "sk": range(300)})
    source.loc[250, "sk"] = None
    with pytest.raises(dl.RowsRejected, match=r"row 251: the item lacks key") as caught:
        conn.put_frame(table, dd.from_pandas(source, npartitions=3))
    assert [r.row for r in caught.value.report.rejected] == [251]
    assert raw_scan(conn, table) == []
    report = conn.put_frame(table, dd.from_pandas(source, npartitions=3), on_error="skip")
    assert report.written == 299 and [r.row for r in report.rejected] == [251]
