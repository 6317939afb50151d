"""Claim: every read says what it did and cost: the operation, where (table or index), pages,
items read versus returned, consumed capacity and time, as the same `Stats`.

Routes: `all()` (on the Result), `pages()` and iteration, `to_pandas()` (in ``.attrs``),
`to_arrow()` (in the schema metadata), a Result's own frame and table, `count()`, `get()`
and `refresh()` (as the connection's ``last_stats``, which every route also sets), a
``%%dynamo`` SELECT (on its result and its frame). `dl.Stats.of` finds them on any of
these. Runs on moto and on dynalite (capacity as each server reports it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import dynamorm_lab as dl

pytestmark = pytest.mark.integration

ITEMS = 25


def make_card(table: str) -> Any:
    class Card(dl.Model, table=table):
        deck: str = dl.field(partition_key=True)
        n: int = dl.field(sort_key=True)
        suit: str = dl.field(default="hearts", gsi_partition="BySuit")

    return Card


@pytest.fixture
def cards(conn: dl.Connection, make_table: Callable[..., Any], table_name: str) -> Iterator[Any]:
    Card = make_table(make_card(table_name))
    conn.batch_write([Card(deck="d", n=n, suit="hearts" if n % 2 else "spades")
                      for n in range(ITEMS)])
    yield Card


def check(stats: dl.Stats, operation: str, *, returned: int, index: str | None = None,
          scanned: int | None = None) -> None:
    assert isinstance(stats, dl.Stats)
    assert (stats.operation, stats.index) == (operation, index), stats.summary()
    assert stats.returned == returned, stats.summary()
    assert stats.scanned == (returned if scanned is None else scanned), stats.summary()
    assert stats.pages >= 1 and stats.elapsed > 0
    assert stats.capacity is not None and stats.capacity > 0, stats.summary()
    summary = stats.summary()
    assert summary.startswith(f"{operation} on ") and "RCU" in summary and " ms" in summary


def test_every_route_of_a_query_returns_the_same_stats(conn: dl.Connection,
                                                       cards: Any) -> None:
    query = cards.query(cards.deck == "d").using(conn).page_size(10)
    result = query.all()
    check(result.stats, "Query", returned=ITEMS)
    assert result.stats.pages == 3 and conn.last_stats is result.stats
    routes: dict[str, Any] = {
        "to_pandas": query.to_pandas(), "to_arrow": query.to_arrow(),
        "Result.to_pandas": result.to_pandas(), "Result.to_arrow": result.to_arrow(),
    }
    for route, data in routes.items():
        stats = dl.Stats.of(data)
        check(stats, "Query", returned=ITEMS)
        assert stats.pages == 3, route
    pages = list(query.pages())
    assert sum(len(p.items) for p in pages) == ITEMS
    check(conn.last_stats, "Query", returned=ITEMS)  # type: ignore[arg-type]
    assert len(list(query)) == ITEMS
    check(conn.last_stats, "Query", returned=ITEMS)  # type: ignore[arg-type]
    assert query.count() == ITEMS
    assert conn.last_stats is not None and conn.last_stats.operation == "Query"


def test_an_index_query_and_a_scan_say_where_and_what_they_read(conn: dl.Connection,
                                                                cards: Any) -> None:
    hearts = cards.query(cards.suit == "hearts").using(conn)
    check(dl.Stats.of(hearts.to_pandas()), "Query", returned=ITEMS // 2, index="BySuit")
    filtered = cards.scan(cards.n >= 20).using(conn).allow_scan()
    check(dl.Stats.of(filtered.to_arrow()), "Scan", returned=5, scanned=ITEMS)


def test_key_reads_leave_their_stats_on_the_connection(conn: dl.Connection,
                                                       cards: Any) -> None:
    card = conn.get(cards, "d", 3)
    check(conn.last_stats, "GetItem", returned=1)  # type: ignore[arg-type]
    conn.refresh(card)
    check(conn.last_stats, "GetItem", returned=1)  # type: ignore[arg-type]
    batch = cards.query(cards.deck == "d", cards.n.is_in([1, 2, 3])).using(conn)
    check(batch.all().stats, "BatchGetItem", returned=3)
    check(dl.Stats.of(batch.to_pandas()), "BatchGetItem", returned=3)


def test_a_dynamo_select_shows_its_stats(conn: dl.Connection, cards: Any) -> None:
    (select,) = dl.execute(f"SELECT * FROM \"{cards.__table__}\" WHERE deck = 'd'", conn)
    check(select.stats, "Query", returned=ITEMS)
    assert dl.Stats.of(select.to_pandas()) is select.stats
    assert select.summary.startswith(select.stats.summary()) and len(select) == ITEMS
    assert select.rows[0]["deck"] == "d"


def test_stats_of_something_that_is_not_a_read_is_refused() -> None:
    with pytest.raises(TypeError, match="no read Stats"):
        dl.Stats.of([1, 2, 3])
