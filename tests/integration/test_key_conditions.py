"""Key conditions against a plain-Python oracle: the planner's Query returns exactly the items
the conditions admit, or knows before sending that none can match; no request it builds is one
DynamoDB refuses. Runs on moto and on dynalite (which refuses what DynamoDB refuses).

- a sort-key range written as two conditions (``>=`` and ``<=``) whose low end is above its
  high end is empty: no item, nothing sent (a merged ``BETWEEN 'w' AND 'p'`` is refused);
- keys are compared by value: ``year IN [1990, 1990.0]`` is one year (one Query, each movie
  once) and with a full key one BatchGetItem key (DynamoDB refuses duplicate keys).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from backends import raw_scan
from helpers import sent_operations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("samples")]

A = dl.attr
MOVIES = dl.TableSchema("Movies", dl.KeyAttribute("year", "N"), dl.KeyAttribute("title", "S"))
YEAR = 1990
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def titles(conn: dl.Connection) -> list[str]:
    """Every title of YEAR, read raw (the oracle's data)."""
    return sorted(i["title"]["S"] for i in raw_scan(conn, "Movies")
                  if i["year"]["N"] == str(YEAR))


BOUNDS = st.one_of(st.sampled_from(["", "A", "M", "P", "T", "W", "Z", "a", "The ", "Z~"]),
                   st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ abc", max_size=4))
OPS: dict[str, Callable[[str, str], bool]] = {
    ">=": lambda t, v: t >= v, "<=": lambda t, v: t <= v,
    ">": lambda t, v: t > v, "<": lambda t, v: t < v,
}


def utf8(text: str) -> bytes:
    return text.encode("utf-8")  # DynamoDB orders text by its UTF-8 bytes


@SETTINGS
@given(low=BOUNDS, high=BOUNDS)
def test_a_range_in_two_conditions_returns_what_the_oracle_admits(
        conn: dl.Connection, titles: list[str], low: str, high: str) -> None:
    sent = sent_operations(conn)
    query = dl.Query(MOVIES, A("year") == YEAR, A("title") >= low,
                     A("title") <= high).using(conn)
    plan = query.explain()  # a Query, but for an empty bound (keys are never empty: a Scan)
    assert plan.operation == ("Scan" if "" in (low, high) else "Query"), plan.sentence
    got = sorted(r["title"] for r in query.as_dicts())
    want = [t for t in titles if utf8(low) <= utf8(t) <= utf8(high)]
    assert got == want
    if utf8(low) > utf8(high) and "" not in (low, high):
        assert plan.extra["empty"] and "nothing is read" in plan.sentence
        assert sent == [] and query.count() == 0 and len(query.to_pandas()) == 0
    else:
        assert {"Query", "Scan"} & set(sent)


@SETTINGS
@given(op=st.sampled_from(sorted(OPS)), value=BOUNDS)
def test_a_one_sided_sort_condition_returns_what_the_oracle_admits(
        conn: dl.Connection, titles: list[str], op: str, value: str) -> None:
    condition = {">=": A("title") >= value, "<=": A("title") <= value,
                 ">": A("title") > value, "<": A("title") < value}[op]
    query = dl.Query(MOVIES, A("year") == YEAR, condition).using(conn)
    got = sorted(r["title"] for r in query.as_dicts())
    assert got == [t for t in titles if OPS[op](t, value)]


def test_an_empty_range_through_a_statement_reads_nothing(conn: dl.Connection) -> None:
    """(After the table's sample, which the connection reads once and keeps.)"""
    dl.execute(f"EXPLAIN SELECT * FROM \"Movies\" WHERE \"year\" = {YEAR}", conn)
    sent = sent_operations(conn)
    (result,) = dl.execute(f"SELECT * FROM \"Movies\" WHERE \"year\" = {YEAR} AND "
                           "title >= 'W' AND title <= 'P'", conn)
    assert len(result) == 0 and "nothing is read" in result.plan.sentence
    assert [op for op in sent if op in ("Query", "Scan")] == []


def test_keys_are_compared_by_value(conn: dl.Connection, titles: list[str]) -> None:
    sent = sent_operations(conn)
    years = dl.Query(MOVIES, A("year").is_in([YEAR, Decimal(f"{YEAR}.0")])).using(conn)
    assert len(years.explain().chosen.partitions) == 1
    got = [r["title"] for r in years.as_dicts()]
    assert sorted(got) == titles  # each movie once
    assert sent.count("Query") == 1
    first = titles[0]
    one = dl.Query(MOVIES, A("year").is_in([YEAR, Decimal(f"{YEAR}.0"), YEAR]),
                   A("title") == first).using(conn)
    plan = one.explain()
    assert plan.operation in ("GetItem", "BatchGetItem")
    if plan.operation == "BatchGetItem":
        assert len(plan.request["Keys"]) == 1
    assert [r["title"] for r in one.as_dicts()] == [first]


def test_a_batch_get_of_equal_keys_reads_the_item_once(conn: dl.Connection,
                                                       titles: list[str]) -> None:
    """One key sent (DynamoDB refuses a request with the same key twice); the item is
    answered for each key asked, in the caller's order."""
    class MovieByValue(dl.Model, table="Movies"):
        year: Decimal = dl.field(partition_key=True)
        title: str = dl.field(sort_key=True)
        info: dict[str, Any] = dl.field(default_factory=dict)

    requests = []
    conn.on("provide-client-params.dynamodb.BatchGetItem",
            lambda params, **_: requests.append(params))
    found = conn.batch_get(MovieByValue, [(Decimal(YEAR), titles[0]),
                                          (Decimal(f"{YEAR}.0"), titles[0])])
    assert [m.title for m in found] == [titles[0], titles[0]] and not found.missing
    assert [len(r["RequestItems"]["Movies"]["Keys"]) for r in requests] == [1]
