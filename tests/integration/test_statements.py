"""The %%dynamo statement language run with `dl.execute` against the embedded server.

Every statement form is checked for DynamoDB's semantics: reads against answers computed here
from the raw files in /work/shared/datasets (never from what the library returns), writes
against the server itself (raw ``get_item``/``scan`` on the botocore client). Statements copied
from the AWS "PartiQL ... statements for DynamoDB" pages are adapted only in table names.

The sample tables (Movies, battle-royale) are loaded once per module (idempotent), shared with
other modules and never written or deleted here; every table this module writes to gets a
unique name and is deleted afterwards.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from typing import Any

import pytest

import dynamorm_lab as dl
from dynamorm_lab._core import session as _session
from dynamorm_lab.errors import (
    ConditionFailed,
    ItemAlreadyExists,
    ItemNotFound,
    ParseError,
    ScanRefused,
    TransactionCancelled,
    ValidationError,
)
from dynamorm_lab.local import LocalServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("samples")]

from backends import DATASETS, raw_scan  # noqa: E402 - shared/ beside the checkout

YEAR = 1985  # a Movies partition of 45 items, enough for every operator below
SUMMARY = re.compile(
    r"^(GetItem|BatchGetItem|Query|Scan) on (table|index) \S+(?: in \d+ segments)?: "
    r"\d+ page\(s\), read [\d,]+ item\(s\), returned [\d,]+, "
    r"(?:[\d.]+ RCU|capacity not reported), \d+ ms"
    r"; predicted [\d,]+ item\(s\) read, [\d.]+ RCU(?:; first read a sample of .*)?$")
READS = {"GetItem", "BatchGetItem", "Query", "Scan"}


def S(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "S")


def N(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "N")


# --- raw data ------------------------------------------------------------------------------

@cache
def movies_raw() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads((DATASETS / "moviedata.json").read_text(), parse_float=Decimal))


@cache
def battle_raw() -> tuple[dict[str, Any], ...]:
    with (DATASETS / "battle-royale" / "items.json").open() as handle:
        return tuple(json.loads(line, parse_float=Decimal) for line in handle if line.strip())


def movies_of(year: int) -> list[dict[str, Any]]:
    return [m for m in movies_raw() if m["year"] == year]


def utf8(text: str) -> bytes:
    """DynamoDB compares strings by their UTF-8 bytes."""
    return text.encode("utf-8")


def info(movie: dict[str, Any], name: str) -> Any:
    return movie.get("info", {}).get(name)


def movie_keys(rows: Any) -> set[tuple[int, str]]:
    return {(int(r["year"]), r["title"]) for r in rows}


# --- talking to the server directly --------------------------------------------------------

def raw_get(conn: dl.Connection, table: str, **key: str) -> dict[str, Any] | None:
    wire = {name: {"S": value} for name, value in key.items()}
    item: dict[str, Any] | None = conn.client.get_item(
        TableName=table, Key=wire, ConsistentRead=True).get("Item")
    return item




def raw_put(conn: dl.Connection, table: str, item: dict[str, Any]) -> None:
    conn.client.put_item(TableName=table, Item=item)


def song(artist: str, title: str, **extra: dict[str, Any]) -> dict[str, Any]:
    return {"Artist": {"S": artist}, "SongTitle": {"S": title}, **extra}


def n(value: Any) -> dict[str, str]:
    return {"N": str(value)}


def s(value: str) -> dict[str, str]:
    return {"S": value}


class Recorder:
    """Wraps a botocore client and records the operation of every request sent."""

    def __init__(self, client: Any, before: Callable[[str, dict[str, Any]], None] | None = None
                 ) -> None:
        self._client = client
        self._before = before
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("_") or name in ("close", "can_paginate"):
            return attribute
        operation = "".join(part.title() for part in name.split("_"))

        def call(**params: Any) -> Any:
            self.sent.append((operation, params))
            if self._before is not None:
                self._before(operation, params)
            return attribute(**params)

        return call

    @property
    def operations(self) -> list[str]:
        return [op for op, _ in self.sent]


@pytest.fixture
def record(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Recorder]:
    """Install a Recorder on a connection (undone after the test)."""

    def install(conn: dl.Connection, before: Any = None) -> Recorder:
        recorder = Recorder(conn.client, before)
        monkeypatch.setattr(conn.transport, "client", recorder)
        return recorder

    return install


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def guarded(server: LocalServer, conn: dl.Connection) -> Iterator[dl.Connection]:
    connection = dl.connect(server.endpoint_url, scan_guard=100, make_default=False)
    yield connection
    connection.close()


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_schema_table(conn: dl.Connection) -> Iterator[Callable[..., str]]:
    """Create tables with unique names; every one is deleted after the test."""
    made: list[str] = []

    def create(prefix: str, partition: dl.KeyAttribute, sort: dl.KeyAttribute | None = None,
               indexes: tuple[dl.Index, ...] = (), ttl: str | None = None) -> str:
        name = unique(prefix)
        conn.create_table(dl.TableSchema(name, partition, sort, indexes, ttl_attribute=ttl))
        made.append(name)
        return name

    yield create
    for name in made:
        conn.delete_table(name)


@pytest.fixture
def music(make_schema_table: Callable[..., str]) -> str:
    """A table like the docs' Music: partition Artist (S), sort SongTitle (S)."""
    return make_schema_table("Music", S("Artist"), S("SongTitle"))


def run(text: str, conn: dl.Connection, **options: Any) -> list[Any]:
    return dl.execute(text, conn, **options)


def one(text: str, conn: dl.Connection, **options: Any) -> Any:
    results = run(text, conn, **options)
    assert len(results) == 1, results
    return results[0]


def rows(result: Any) -> list[dict[str, Any]]:
    assert result.kind == "rows", result
    return result.rows


# === SELECT on Movies ======================================================================

def rating(movie: dict[str, Any]) -> Any:
    return info(movie, "rating")


Keep = Callable[[dict[str, Any]], bool]
RATED = 2013  # a partition of 432 movies, 47 without a rating, one without genres

WHERE_CASES: list[tuple[int, str, Keep]] = [
    (YEAR, "title = 'A View to a Kill'", lambda m: m["title"] == "A View to a Kill"),
    (YEAR, "title <> 'A View to a Kill'", lambda m: m["title"] != "A View to a Kill"),
    (YEAR, "title < 'C'", lambda m: utf8(m["title"]) < b"C"),
    (YEAR, "title <= 'Clue'", lambda m: utf8(m["title"]) <= b"Clue"),
    (YEAR, "title > 'Teen Wolf'", lambda m: utf8(m["title"]) > b"Teen Wolf"),
    (YEAR, "title >= 'Teen Wolf'", lambda m: utf8(m["title"]) >= b"Teen Wolf"),
    (YEAR, "title BETWEEN 'B' AND 'D'", lambda m: b"B" <= utf8(m["title"]) <= b"D"),
    (YEAR, "title IN ['Witness', 'Clue', 'Not a movie of 1985']",
     lambda m: m["title"] in ("Witness", "Clue")),
    (YEAR, "title NOT IN ['Witness', 'Clue']", lambda m: m["title"] not in ("Witness", "Clue")),
    (YEAR, "begins_with(title, 'The ')", lambda m: m["title"].startswith("The ")),
    (YEAR, "contains(title, 'the')", lambda m: "the" in m["title"]),
    (YEAR, "contains(info.genres, 'Comedy')", lambda m: "Comedy" in (info(m, "genres") or [])),
    (YEAR, "size(title) > 20", lambda m: len(utf8(m["title"])) > 20),
    (YEAR, "info.rating > 7 AND info.rating <= 8",
     lambda m: rating(m) is not None and 7 < rating(m) <= 8),
    (YEAR, "info.rating >= 8 OR begins_with(title, 'B')",
     lambda m: (rating(m) is not None and rating(m) >= 8) or m["title"].startswith("B")),
    (YEAR, "NOT begins_with(title, 'A') AND NOT contains(info.genres, 'Drama')",
     lambda m: not m["title"].startswith("A") and "Drama" not in (info(m, "genres") or [])),
    (YEAR, "(begins_with(title, 'A') OR begins_with(title, 'B')) AND info.rating > 6",
     lambda m: m["title"][:1] in ("A", "B") and rating(m) is not None and rating(m) > 6),
    (YEAR, "info.rating < 5.5 OR (info.rating > 7.5 AND size(info.genres) = 1)",
     lambda m: rating(m) is not None and (
         rating(m) < Decimal("5.5")
         or (rating(m) > Decimal("7.5") and len(info(m, "genres") or []) == 1))),
    # a partition where attributes are missing: MISSING, types, size and NOT see them
    (RATED, "info.rating IS MISSING", lambda m: rating(m) is None),
    (RATED, "info.rating IS NOT MISSING", lambda m: rating(m) is not None),
    (RATED, "attribute_type(info.rating, 'N')", lambda m: rating(m) is not None),
    (RATED, "attribute_type(info.genres, 'L')", lambda m: isinstance(info(m, "genres"), list)),
    (RATED, "attribute_type(info.rating, 'S') OR title = 'Rush'", lambda m: m["title"] == "Rush"),
    (RATED, "size(info.actors) < 3", lambda m: info(m, "actors") is not None
     and len(info(m, "actors")) < 3),
    (RATED, "NOT (info.rating >= 6)", lambda m: not (rating(m) is not None and rating(m) >= 6)),
    (RATED, "info.rating NOT BETWEEN 5 AND 7",
     lambda m: not (rating(m) is not None and 5 <= rating(m) <= 7)),
    (RATED, "info.rating IS MISSING AND NOT contains(info.genres, 'Drama')",
     lambda m: rating(m) is None and "Drama" not in (info(m, "genres") or [])),
]


@pytest.mark.parametrize(("year", "where", "keep"), WHERE_CASES,
                         ids=[f"{y}: {w}" for y, w, _ in WHERE_CASES])
def test_select_where_operators_match_the_raw_file(
        conn: dl.Connection, year: int, where: str, keep: Keep) -> None:
    result = one(f'SELECT * FROM "Movies" WHERE "year" = {year} AND ({where})', conn)
    expected = [m for m in movies_of(year) if keep(m)]
    found = rows(result)
    assert movie_keys(found) == movie_keys(expected)
    by_key = {(m["year"], m["title"]): m for m in expected}
    for row in found:  # whole items, as the file has them (numbers compare as Decimal)
        assert row == by_key[(int(row["year"]), row["title"])]
    if "title" not in where:  # DynamoDB cannot filter a Query on the key it queries by
        assert result.plan.operation == "Query", result.plan.sentence
        assert result.stats.scanned == len(movies_of(year))


def test_where_cases_are_selective() -> None:
    """The cases above would prove little if any matched nothing or everything."""
    assert len(movies_of(YEAR)) == 45 and len(movies_of(RATED)) == 432
    for year, where, keep in WHERE_CASES:
        count = sum(keep(m) for m in movies_of(year))
        assert 0 < count < len(movies_of(year)), (where, count)


def test_select_projection_of_nested_paths(conn: dl.Connection) -> None:
    result = one(f'SELECT title, info.rating FROM "Movies" WHERE "year" = {YEAR}', conn)
    expected = {}
    for movie in movies_of(YEAR):  # a row per item, nested paths as the frame's columns
        row: dict[str, Any] = {"title": movie["title"]}
        if rating(movie) is not None:
            row["info.rating"] = rating(movie)
        expected[movie["title"]] = row
    found = rows(result)
    assert len(found) == len(expected)
    for row in found:  # the key attributes the planner needed are not shown
        assert row == expected[row["title"]]
    assert list(result.to_pandas().columns) == ["title", "info.rating"]


@pytest.mark.needs("list_index_projection")
def test_select_projection_of_a_list_element(conn: dl.Connection) -> None:
    """``info.actors[0]``: the first actor only (ProjectionExpression ``#n1.#n2[0]``), kept
    inside its list as DynamoDB returns it, in the column ``info.actors``."""
    result = one(f'SELECT title, info.actors[0] FROM "Movies" WHERE "year" = {YEAR}', conn)
    expected = {m["title"]: ({"title": m["title"], "info.actors": info(m, "actors")[:1]}
                             if info(m, "actors") else {"title": m["title"]})
                for m in movies_of(YEAR)}
    found = rows(result)
    assert {r["title"]: r for r in found} == expected
    assert list(result.to_pandas().columns) == ["title", "info.actors"]


@pytest.mark.parametrize("direction", ["ASC", "DESC", ""])
def test_order_by_the_sort_key(conn: dl.Connection, direction: str) -> None:
    result = one(f'SELECT title FROM "Movies" WHERE "year" = {YEAR} ORDER BY title {direction}',
                 conn)
    expected = sorted((m["title"] for m in movies_of(YEAR)), key=utf8,
                      reverse=direction == "DESC")
    assert [r["title"] for r in rows(result)] == expected


def test_order_by_with_limit_returns_the_first_rows_in_that_order(conn: dl.Connection) -> None:
    result = one(f'SELECT * FROM "Movies" WHERE "year" = {YEAR} ORDER BY title DESC LIMIT 5',
                 conn)
    expected = sorted((m["title"] for m in movies_of(YEAR)), key=utf8, reverse=True)[:5]
    assert [r["title"] for r in rows(result)] == expected
    assert result.stats.returned == 5


def test_limit_without_order(conn: dl.Connection) -> None:
    result = one(f'SELECT title FROM "Movies" WHERE "year" = {YEAR} LIMIT 7', conn)
    found = [r["title"] for r in rows(result)]
    assert len(found) == 7
    assert found == sorted((m["title"] for m in movies_of(YEAR)), key=utf8)[:7]


def test_order_by_an_attribute_that_is_not_the_sort_key_is_refused(conn: dl.Connection) -> None:
    with pytest.raises(ValidationError, match="orders only by the sort key"):
        run(f'SELECT * FROM "Movies" WHERE "year" = {YEAR} ORDER BY info.rating', conn)


def test_partition_key_in_and_or(conn: dl.Connection) -> None:
    expected = {(m["year"], m["title"]) for m in movies_raw()
                if m["year"] in (1985, 1986) and m["title"].startswith("B")}
    for where in ('"year" IN [1985, 1986]', '("year" = 1985 OR "year" = 1986)'):
        result = one(f'SELECT * FROM "Movies" WHERE {where} AND begins_with(title, \'B\')',
                     conn)
        assert movie_keys(rows(result)) == expected


def test_partition_key_in_does_not_scan(guarded: dl.Connection) -> None:
    """The AWS page: "the WHERE clause condition must specify a partition key. Use the
    equality or IN operator" to avoid a full table scan. ``year IN [...]`` on Movies is one
    Query per year; it should not be refused by the scan guard as a Scan."""
    result = one('SELECT * FROM "Movies" WHERE "year" IN [1985, 1986]', guarded)
    assert result.plan.operation != "Scan", result.plan.sentence
    assert movie_keys(rows(result)) == {(m["year"], m["title"]) for m in movies_raw()
                                        if m["year"] in (1985, 1986)}


def test_select_from_a_sparse_index(conn: dl.Connection) -> None:
    """FROM "t"."index": only items that have the index's keys, in index sort-key order."""
    result = one('SELECT * FROM "battle-royale"."OpenGamesIndex" '
                 "WHERE map = 'Green Grasslands'", conn)
    expected = sorted((i for i in battle_raw()
                       if i.get("map") == "Green Grasslands" and "open_timestamp" in i),
                      key=lambda i: utf8(i["open_timestamp"]))
    found = rows(result)
    assert [r["PK"] for r in found] == [i["PK"] for i in expected]
    assert len(found) == 4
    assert result.plan.index == "OpenGamesIndex"
    assert result.stats.index == "OpenGamesIndex"


def test_select_from_the_inverted_index(conn: dl.Connection) -> None:
    counts = Counter(i["SK"] for i in battle_raw() if i["SK"].startswith("USER#"))
    user = max(sorted(counts), key=lambda k: counts[k])
    assert counts[user] > 1
    result = one(f'SELECT PK, SK FROM "battle-royale"."InvertedIndex" WHERE SK = \'{user}\'',
                 conn)
    expected = sorted((i["PK"] for i in battle_raw() if i["SK"] == user), key=utf8)
    assert [r["PK"] for r in rows(result)] == expected
    assert all(set(r) == {"PK", "SK"} for r in rows(result))
    assert result.plan.index == "InvertedIndex"


def test_every_read_has_a_summary_line(conn: dl.Connection) -> None:
    statements = {
        "GetItem": f"SELECT * FROM \"Movies\" WHERE \"year\" = {YEAR} AND title = 'Witness'",
        "Query": f'SELECT * FROM "Movies" WHERE "year" = {YEAR}',
        "Query on index": "SELECT * FROM \"battle-royale\" WHERE map = 'Dirty Desert' "
                          "AND open_timestamp IS NOT MISSING",
        "Scan": "SELECT * FROM \"battle-royale\" WHERE map = 'Open Ocean'",
    }
    for label, text in statements.items():
        result = one(text, conn)
        assert SUMMARY.match(result.summary), (label, result.summary)
        assert result.summary.startswith(label.split()[0]), (label, result.summary)
        stats = result.stats
        assert f"read {stats.scanned:,} item(s), returned {stats.returned:,}" in result.summary
        assert stats.returned == len(result)
    scan = one(statements["Scan"], conn)
    assert scan.stats.scanned == len(battle_raw())
    assert scan.stats.returned == sum(i.get("map") == "Open Ocean" for i in battle_raw()) == 1
    on_index = one(statements["Query on index"], conn)
    assert "on index OpenGamesIndex" in on_index.summary


# === parameters and variables ==============================================================

def test_question_mark_parameters_are_bound_in_order(conn: dl.Connection) -> None:
    result = one('SELECT * FROM "Movies" WHERE "year" = ? AND title = ?', conn,
                 params=[YEAR, "A View to a Kill"])
    (expected,) = [m for m in movies_of(YEAR) if m["title"] == "A View to a Kill"]
    assert rows(result) == [expected]


def test_sdk_example_with_parameters(conn: dl.Connection) -> None:
    """The SDK code examples: ``SELECT * FROM "Movies" WHERE title=? and year=?``."""
    result = one('SELECT * FROM "Movies" WHERE title=? and year=?', conn, params=["Rush", 2013])
    assert movie_keys(rows(result)) == {(2013, "Rush")}
    assert result.plan.operation == "GetItem"


def test_a_missing_parameter_is_named(conn: dl.Connection) -> None:
    with pytest.raises(ValidationError, match=r"parameter \?2 has no value"):
        run('SELECT * FROM "Movies" WHERE "year" = ? AND title = ?', conn, params=[YEAR])


INJECTIONS = ["x' OR 1=1", "#n", ":v", '") OR 1=1 --', "' OR '' = '", "Robert'); DROP TABLE"]


def test_variables_are_bound_as_values_never_as_text(conn: dl.Connection, music: str) -> None:
    for number, text in enumerate(INJECTIONS):
        run(f"INSERT INTO \"{music}\" VALUE {{'Artist': 'inj', 'SongTitle': :title, "
            "'label': :label}", conn, variables={"title": f"t{number}", "label": text})
    for decoy in ("x", "anything", "", "1=1"):
        raw_put(conn, music, song("inj", f"decoy {decoy}", label=s(decoy)))
    for number, text in enumerate(INJECTIONS):
        stored = raw_get(conn, music, Artist="inj", SongTitle=f"t{number}")
        assert stored is not None and stored["label"] == {"S": text}  # verbatim
        query = one(f"SELECT * FROM \"{music}\" WHERE Artist = 'inj' AND label = :v", conn,
                    variables={"v": text})
        assert [r["SongTitle"] for r in rows(query)] == [f"t{number}"]
        scan = one(f'SELECT SongTitle FROM "{music}" WHERE label = :v', conn,
                   variables={"v": text})
        assert [r["SongTitle"] for r in rows(scan)] == [f"t{number}"]
    # as a key too
    for text in INJECTIONS:
        run(f"INSERT INTO \"{music}\" VALUE {{'Artist': :v, 'SongTitle': :v}}", conn,
            variables={"v": text})
        assert raw_get(conn, music, Artist=text, SongTitle=text) == song(text, text)
        got = one(f'SELECT * FROM "{music}" WHERE Artist = :v AND SongTitle = :v', conn,
                  variables={"v": text})
        assert rows(got) == [{"Artist": text, "SongTitle": text}]
    assert len(raw_scan(conn, music)) == 2 * len(INJECTIONS) + 4


def test_an_undefined_variable_is_named(conn: dl.Connection) -> None:
    with pytest.raises(ValidationError, match="variable :nope is not defined"):
        run('SELECT * FROM "Movies" WHERE "year" = :nope', conn, variables={})


# === INSERT and literals ===================================================================

def test_insert_literals_of_every_type(conn: dl.Connection, music: str) -> None:
    run(f"""INSERT INTO "{music}" VALUE {{'Artist': 'O''Brien', 'SongTitle': 'It''s ''quoted''',
        'yes': true, 'no': FALSE, 'nothing': NULL, 'count': 42, 'ratio': 0.25,
        'list': [1, 'two', [true, null], {{'k': 'v'}}],
        'map': {{'nested': {{'deep': 'x'}}, 'n': 2}},
        'strings': <<'a', 'b'>>, 'numbers': <<1, 2.5, -3>>}}""", conn)
    item = raw_get(conn, music, Artist="O'Brien", SongTitle="It's 'quoted'")
    assert item is not None
    assert {k: v for k, v in item.items() if k not in ("strings", "numbers")} == {
        "Artist": s("O'Brien"), "SongTitle": s("It's 'quoted'"),
        "yes": {"BOOL": True}, "no": {"BOOL": False}, "nothing": {"NULL": True},
        "count": n(42), "ratio": n("0.25"),
        "list": {"L": [n(1), s("two"), {"L": [{"BOOL": True}, {"NULL": True}]},
                       {"M": {"k": s("v")}}]},
        "map": {"M": {"nested": {"M": {"deep": s("x")}}, "n": n(2)}},
    }
    assert set(item["strings"]["SS"]) == {"a", "b"}
    assert {Decimal(v) for v in item["numbers"]["NS"]} == {1, Decimal("2.5"), -3}


NUMBERS_38 = [
    "12345678901234567890123456789012345678",
    "-98765432109876543210987654321098765432",
    "0.12345678901234567890123456789012345678",
    "1.2345678901234567890123456789012345678E+100",
    "-1.2345678901234567890123456789012345678",
    "-0.000012345678901234567890123456789012345678",
]


@pytest.mark.parametrize("literal", NUMBERS_38)
def test_numbers_with_38_digits_are_stored_exactly(conn: dl.Connection, music: str,
                                                    literal: str) -> None:
    run(f"INSERT INTO \"{music}\" VALUE {{'Artist': 'n', 'SongTitle': 'n', 'x': {literal}}}",
        conn)
    item = raw_get(conn, music, Artist="n", SongTitle="n")
    assert item is not None
    assert Decimal(item["x"]["N"]) == Decimal(literal), (item["x"], literal)
    got = one(f"SELECT x FROM \"{music}\" WHERE Artist = 'n' AND SongTitle = 'n'", conn)
    assert rows(got)[0]["x"] == Decimal(literal)


def test_insert_of_an_existing_key_fails_and_changes_nothing(conn: dl.Connection,
                                                             music: str) -> None:
    raw_put(conn, music, song("Acme Band", "PartiQL Rocks", AwardsWon=n(3)))
    before = raw_scan(conn, music)
    with pytest.raises(ItemAlreadyExists, match="already exists; nothing was written"):
        run(f"INSERT INTO \"{music}\" VALUE {{'Artist': 'Acme Band', "
            "'SongTitle': 'PartiQL Rocks', 'AwardsWon': 99}", conn)
    assert raw_scan(conn, music) == before


def test_insert_values_is_explained(conn: dl.Connection, music: str) -> None:
    with pytest.raises(ParseError, match="expected VALUE"):
        run(f"INSERT INTO \"{music}\" VALUES {{'Artist': 'a', 'SongTitle': 'b'}}", conn)
    assert raw_scan(conn, music) == []


# === UPDATE ================================================================================

KEY = "WHERE Artist = 'A' AND SongTitle = 'S'"


def seed(conn: dl.Connection, table: str, **attributes: dict[str, Any]) -> None:
    raw_put(conn, table, song("A", "S", **attributes))


def stored(conn: dl.Connection, table: str) -> dict[str, Any]:
    item = raw_get(conn, table, Artist="A", SongTitle="S")
    assert item is not None
    return {k: v for k, v in item.items() if k not in ("Artist", "SongTitle")}


def test_update_arithmetic_reads_the_old_values(conn: dl.Connection, music: str) -> None:
    seed(conn, music, plays=n(10), bonus=n(3))
    run(f'UPDATE "{music}" SET plays = plays + 5, skips = plays - 1, total = plays + bonus '
        + KEY, conn)
    assert stored(conn, music) == {"plays": n(15), "bonus": n(3), "skips": n(9),
                                   "total": n(13)}


def test_update_if_not_exists(conn: dl.Connection, music: str) -> None:
    seed(conn, music)
    for _ in range(2):
        run(f'UPDATE "{music}" SET views = if_not_exists(views, 0) + 1 ' + KEY, conn)
    assert stored(conn, music) == {"views": n(2)}


def test_update_list_append_at_either_end(conn: dl.Connection, music: str) -> None:
    seed(conn, music, tags={"L": [s("b")]})
    run(f"UPDATE \"{music}\" SET tags = list_append(tags, ['c', 'd']) " + KEY, conn)
    run(f"UPDATE \"{music}\" SET tags = list_append(['a'], tags) " + KEY, conn)
    assert stored(conn, music) == {"tags": {"L": [s("a"), s("b"), s("c"), s("d")]}}


def test_update_set_add_and_set_delete(conn: dl.Connection, music: str) -> None:
    seed(conn, music, members={"SS": ["ann", "bob"]}, years={"NS": ["1999", "2001"]})
    run(f"UPDATE \"{music}\" SET members = set_add(members, <<'cat', 'ann'>>), "
        "years = set_add(years, <<2005>>) " + KEY, conn)
    item = stored(conn, music)
    assert set(item["members"]["SS"]) == {"ann", "bob", "cat"}
    assert {Decimal(v) for v in item["years"]["NS"]} == {1999, 2001, 2005}
    run(f"UPDATE \"{music}\" SET members = set_delete(members, <<'bob', 'zed'>>) "
        "SET years = set_delete(years, <<1999>>) " + KEY, conn)
    item = stored(conn, music)
    assert set(item["members"]["SS"]) == {"ann", "cat"}
    assert {Decimal(v) for v in item["years"]["NS"]} == {2001, 2005}


def test_update_set_add_creates_the_set(conn: dl.Connection, music: str) -> None:
    seed(conn, music)
    run(f"UPDATE \"{music}\" SET members = set_add(members, <<'new'>>) " + KEY, conn)
    assert stored(conn, music) == {"members": {"SS": ["new"]}}


def test_update_nested_map_paths_and_list_elements(conn: dl.Connection, music: str) -> None:
    seed(conn, music, meta={"M": {"release": {"M": {"label": s("EMI")}},
                                  "charts": {"L": [s("us"), s("fr")]}}})
    run(f"UPDATE \"{music}\" SET meta.release.year = 1999, meta.charts[1] = 'uk', "
        "meta.release.\"label.name\" = 'odd' " + KEY, conn)
    assert stored(conn, music) == {"meta": {"M": {
        "release": {"M": {"label": s("EMI"), "year": n(1999), "label.name": s("odd")}},
        "charts": {"L": [s("us"), s("uk")]},
    }}}


def test_update_remove_and_several_clauses(conn: dl.Connection, music: str) -> None:
    seed(conn, music, draft={"BOOL": True}, keep=n(1), meta={"M": {"a": n(1), "b": n(2)}},
         old=s("x"))
    run(f"UPDATE \"{music}\" SET added = 'yes' REMOVE draft, meta.a SET keep = keep + 1 "
        "REMOVE old " + KEY, conn)
    assert stored(conn, music) == {"keep": n(2), "meta": {"M": {"b": n(2)}},
                                   "added": s("yes")}


@pytest.mark.needs("return_old_on_failure")  # tells a false condition from no item
def test_update_with_an_extra_condition(conn: dl.Connection, music: str) -> None:
    seed(conn, music, plays=n(10))
    with pytest.raises(ConditionFailed, match="nothing was written"):
        run(f'UPDATE "{music}" SET plays = plays + 1 ' + KEY + " AND plays = 11", conn)
    assert stored(conn, music) == {"plays": n(10)}
    run(f'UPDATE "{music}" SET plays = plays + 1 ' + KEY + " AND plays = 10", conn)
    assert stored(conn, music) == {"plays": n(11)}


def test_update_of_a_missing_item_writes_nothing(conn: dl.Connection, music: str) -> None:
    with pytest.raises(ItemNotFound, match="no item has this key; nothing was written"):
        run(f"UPDATE \"{music}\" SET plays = 1 WHERE Artist = 'nobody' AND SongTitle = 'x'",
            conn)
    assert raw_scan(conn, music) == []


# === DELETE ================================================================================

def test_delete_by_full_key(conn: dl.Connection, music: str) -> None:
    seed(conn, music)
    raw_put(conn, music, song("A", "other"))
    result = one(f'DELETE FROM "{music}" ' + KEY, conn)
    assert result.kind == "write"
    assert raw_get(conn, music, Artist="A", SongTitle="S") is None
    assert raw_scan(conn, music) == [song("A", "other")]


def test_delete_with_a_false_condition_keeps_the_item(conn: dl.Connection, music: str) -> None:
    seed(conn, music, plays=n(3))
    with pytest.raises(ConditionFailed):
        run(f'DELETE FROM "{music}" ' + KEY + " AND plays > 5", conn)
    assert stored(conn, music) == {"plays": n(3)}


# === statements copied from the AWS PartiQL pages (only table names adapted) ================

ACME = "WHERE Artist='Acme Band' AND SongTitle='PartiQL Rocks'"


def acme(conn: dl.Connection, music: str) -> dict[str, Any] | None:
    return raw_get(conn, music, Artist="Acme Band", SongTitle="PartiQL Rocks")


def test_aws_insert_example(conn: dl.Connection, music: str) -> None:
    text = f"INSERT INTO \"{music}\" value {{'Artist' : 'Acme Band','SongTitle' : 'PartiQL Rocks'}}"
    run(text, conn)
    assert acme(conn, music) == song("Acme Band", "PartiQL Rocks")
    # "If the DynamoDB table already has an item with the same primary key ... DuplicateItem"
    with pytest.raises(ItemAlreadyExists):
        run(text, conn)


def test_aws_update_examples_in_sequence(conn: dl.Connection, music: str) -> None:
    raw_put(conn, music, song("Acme Band", "PartiQL Rocks"))
    # "adds a number type attribute (AwardsWon) and a map type attribute (AwardDetail)"
    run(f"UPDATE \"{music}\" SET AwardsWon=1 SET AwardDetail={{'Grammys':[2020, 2018]}} "
        + ACME, conn)
    item = acme(conn, music)
    assert item is not None
    assert item["AwardsWon"] == n(1)
    assert item["AwardDetail"] == {"M": {"Grammys": {"L": [n(2020), n(2018)]}}}
    # "appends to an attribute of type list"
    run(f'UPDATE "{music}" SET AwardDetail.Grammys =list_append(AwardDetail.Grammys,[2016]) '
        + ACME, conn)
    assert acme(conn, music)["AwardDetail"]["M"]["Grammys"] == {  # type: ignore[index]
        "L": [n(2020), n(2018), n(2016)]}
    # "removes an attribute from a list" (the third Grammy)
    run(f'UPDATE "{music}" REMOVE AwardDetail.Grammys[2] ' + ACME, conn)
    assert acme(conn, music)["AwardDetail"]["M"]["Grammys"] == {  # type: ignore[index]
        "L": [n(2020), n(2018)]}
    # "adds a new map member"
    run(f'UPDATE "{music}" SET AwardDetail.BillBoard=[2020] ' + ACME, conn)
    assert acme(conn, music)["AwardDetail"] == {"M": {  # type: ignore[index]
        "Grammys": {"L": [n(2020), n(2018)]}, "BillBoard": {"L": [n(2020)]}}}
    # "adds a string set attribute"
    run(f"UPDATE \"{music}\" SET BandMembers =<<'member1', 'member2'>> " + ACME, conn)
    assert set(acme(conn, music)["BandMembers"]["SS"]) == {  # type: ignore[index]
        "member1", "member2"}
    # "adds newmember to the string set" / "removes newmember from the string set"
    run(f"UPDATE \"{music}\" SET BandMembers =set_add(BandMembers, <<'newmember'>>) " + ACME,
        conn)
    assert set(acme(conn, music)["BandMembers"]["SS"]) == {  # type: ignore[index]
        "member1", "member2", "newmember"}
    run(f"UPDATE \"{music}\" SET BandMembers =set_delete(BandMembers, <<'newmember'>>) "
        + ACME, conn)
    assert set(acme(conn, music)["BandMembers"]["SS"]) == {  # type: ignore[index]
        "member1", "member2"}


def test_aws_missing_example(conn: dl.Connection, music: str) -> None:
    raw_put(conn, music, song("Acme Band", "PartiQL Rocks", Awards=n(3)))
    raw_put(conn, music, song("Acme Band", "No Awards"))
    raw_put(conn, music, song("Other", "Also None"))
    result = one(f'SELECT * FROM {music} WHERE "Awards" is MISSING', conn)
    assert sorted((r["Artist"], r["SongTitle"]) for r in rows(result)) == [
        ("Acme Band", "No Awards"), ("Other", "Also None")]


def test_aws_attribute_type_example(conn: dl.Connection, music: str) -> None:
    raw_put(conn, music, song("Acme Band", "PartiQL Rocks"))
    result = one(f'SELECT * FROM "{music}" WHERE attribute_type("Artist", \'S\')', conn)
    assert len(result) == 1


def test_aws_delete_examples(conn: dl.Connection, music: str) -> None:
    raw_put(conn, music, song("Acme Band", "PartiQL Rocks", Awards=n(10)))
    # SQL-to-NoSQL page: "deletes the item only if it has more than 11 awards"
    conditional = (f"DELETE FROM {music} WHERE Artist = 'Acme Band' AND "
                   "SongTitle = 'PartiQL Rocks' AND Awards > 11")
    with pytest.raises(ConditionFailed):
        run(conditional, conn)
    assert acme(conn, music) is not None
    run(f'DELETE FROM "{music}" WHERE "Artist" = \'Acme Band\' AND "SongTitle" = '
        "'PartiQL Rocks'", conn)
    assert acme(conn, music) is None
    # "If the DynamoDB table does not have any item with the same primary key ... SUCCESS is
    # returned with 0 items deleted"
    run(f'DELETE FROM "{music}" WHERE "Artist" = \'Acme Band\' AND "SongTitle" = '
        "'PartiQL Rocks'", conn)
    assert raw_scan(conn, music) == []


DATA_TYPES_INSERT = """INSERT INTO {t} value {{'primarykey':'1',
'NumberType':1,
'MapType' : {{'entryname1': 'value', 'entryname2': 4}},
'ListType': [1,'stringval'],
'NumberSetType':<<1,34,32,4.5>>,
'StringSetType':<<'stringval','stringval2'>>
}}"""

DATA_TYPES_UPDATE_ADD = """UPDATE {t}
SET NumberType=NumberType + 100
SET MapType.NewMapEntry=[2020, 'stringvalue', 2.4]
SET ListType = LIST_APPEND(ListType, [4, <<'string1', 'string2'>>])
SET NumberSetType= SET_ADD(NumberSetType, <<345, 48.4>>)
SET StringSetType = SET_ADD(StringSetType, <<'stringsetvalue1', 'stringsetvalue2'>>)
WHERE primarykey='1'"""

DATA_TYPES_UPDATE_REMOVE = """UPDATE {t}
SET NumberType=NumberType - 1
REMOVE ListType[1]
REMOVE MapType.NewMapEntry
SET NumberSetType = SET_DELETE( NumberSetType, <<345>>)
SET StringSetType = SET_DELETE( StringSetType, <<'stringsetvalue1'>>)
WHERE primarykey='1'"""


def test_aws_data_types_examples(conn: dl.Connection,
                                 make_schema_table: Callable[..., str]) -> None:
    table = make_schema_table("TypesTable", S("primarykey"))

    def item() -> dict[str, Any]:
        got = conn.client.get_item(TableName=table, Key={"primarykey": s("1")},
                                   ConsistentRead=True)["Item"]
        numbers = {Decimal(v) for v in got.pop("NumberSetType")["NS"]}
        strings = set(got.pop("StringSetType")["SS"])
        return {"rest": got, "numbers": numbers, "strings": strings}

    run(DATA_TYPES_INSERT.format(t=table), conn)
    assert item() == {
        "rest": {"primarykey": s("1"), "NumberType": n(1),
                 "MapType": {"M": {"entryname1": s("value"), "entryname2": n(4)}},
                 "ListType": {"L": [n(1), s("stringval")]}},
        "numbers": {1, 34, 32, Decimal("4.5")}, "strings": {"stringval", "stringval2"}}
    run(DATA_TYPES_UPDATE_ADD.format(t=table), conn)
    after_add = item()
    assert after_add["rest"]["NumberType"] == n(101)
    assert after_add["rest"]["MapType"]["M"]["NewMapEntry"] == {
        "L": [n(2020), s("stringvalue"), n("2.4")]}
    listed = after_add["rest"]["ListType"]["L"]
    assert listed[:3] == [n(1), s("stringval"), n(4)]
    assert set(listed[3]["SS"]) == {"string1", "string2"}
    assert after_add["numbers"] == {1, 34, 32, Decimal("4.5"), 345, Decimal("48.4")}
    assert after_add["strings"] == {"stringval", "stringval2", "stringsetvalue1",
                                    "stringsetvalue2"}
    run(DATA_TYPES_UPDATE_REMOVE.format(t=table), conn)
    after_remove = item()
    assert after_remove["rest"]["NumberType"] == n(100)
    assert "NewMapEntry" not in after_remove["rest"]["MapType"]["M"]
    assert [v for v in after_remove["rest"]["ListType"]["L"] if "SS" not in v] == [n(1), n(4)]
    assert after_remove["numbers"] == {1, 34, 32, Decimal("4.5"), Decimal("48.4")}
    assert after_remove["strings"] == {"stringval", "stringval2", "stringsetvalue2"}


ORDERS = {1: (550, "7834 24th St, Kirkland, WA"), 2: (20, "some address"),
          3: (600, "1 Main St"), 100: (510, "some address"), 200: (700, "some address"),
          234: (5, "9 Elm St"), 300: (590, "some address")}


@pytest.fixture
def orders(conn: dl.Connection, make_schema_table: Callable[..., str]) -> str:
    """The select page's Orders: partition key OrderID (N) and non-key attributes."""
    table = make_schema_table("Orders", N("OrderID"))
    for order_id, (total, address) in ORDERS.items():
        image = {"B": b"\x89PNG" + bytes(400 if order_id == 1 else 10)}
        raw_put(conn, table, {"OrderID": n(order_id), "Total": n(total), "Address": s(address),
                              "Image": image})
    return table


SELECT_EXAMPLES: list[tuple[str, Callable[[int, int, str], bool], bool]] = [
    # (statement, which orders it returns, only OrderID and Total projected)
    ('SELECT OrderID, Total FROM "{t}" WHERE OrderID = 1', lambda i, t, a: i == 1, True),
    ('SELECT OrderID, Total FROM "{t}" WHERE Total BETWEEN 500 AND 600',
     lambda i, t, a: 500 <= t <= 600, True),
    ('SELECT * FROM "{t}" WHERE OrderID = 100', lambda i, t, a: i == 100, False),
    ("SELECT * FROM \"{t}\" WHERE OrderID = 100 and Address='some address'",
     lambda i, t, a: i == 100 and a == "some address", False),
    ('SELECT * FROM "{t}" WHERE OrderID = 100 or OrderID = 200',
     lambda i, t, a: i in (100, 200), False),
    ('SELECT * FROM "{t}" WHERE OrderID IN [100, 300, 234]',
     lambda i, t, a: i in (100, 300, 234), False),
    ('SELECT * FROM "{t}" WHERE OrderID > 1', lambda i, t, a: i > 1, False),
    ("SELECT * FROM \"{t}\" WHERE Address='some address'",
     lambda i, t, a: a == "some address", False),
    ("SELECT * FROM \"{t}\" WHERE OrderID = 100 OR Address='some address'",
     lambda i, t, a: i == 100 or a == "some address", False),
    ('SELECT * FROM "{t}" WHERE "OrderID"=1 AND begins_with("Address", \'7834 24th\')',
     lambda i, t, a: i == 1 and a.startswith("7834 24th"), False),
    ('SELECT * FROM "{t}" WHERE "OrderID"=1 AND contains("Address", \'Kirkland\')',
     lambda i, t, a: i == 1 and "Kirkland" in a, False),
    ('SELECT * FROM "{t}" WHERE "OrderID"=1 AND size("Image") >300',
     lambda i, t, a: i == 1, False),
]


@pytest.mark.parametrize(("text", "keep", "projected"), SELECT_EXAMPLES,
                         ids=[t for t, _, _ in SELECT_EXAMPLES])
def test_aws_select_examples(conn: dl.Connection, orders: str, text: str,
                             keep: Callable[[int, int, str], bool], projected: bool) -> None:
    result = one(text.format(t=orders), conn)
    expected = {i for i, (t, a) in ORDERS.items() if keep(i, t, a)}
    assert expected
    found = rows(result)
    assert {r["OrderID"] for r in found} == expected
    for row in found:
        assert row["Total"] == ORDERS[row["OrderID"]][0]
        assert set(row) == ({"OrderID", "Total"} if projected
                            else {"OrderID", "Total", "Address", "Image"})


def test_aws_select_in_ordered_by_the_partition_key(conn: dl.Connection, orders: str) -> None:
    """The select page: ``... WHERE OrderID IN [1, 2, 3] ORDER BY OrderID DESC`` returns the
    three orders, OrderID descending."""
    result = one(f'SELECT OrderID, Total FROM "{orders}" WHERE OrderID IN [1, 2, 3] '
                 "ORDER BY OrderID DESC", conn)
    assert [r["OrderID"] for r in rows(result)] == [3, 2, 1]


def test_sdk_examples_insert_update_delete_with_parameters(
        conn: dl.Connection, make_schema_table: Callable[..., str]) -> None:
    """The SDK code examples' statements, on a Movies-shaped table of our own."""
    table = make_schema_table("Movies", N("year"), S("title"))
    key = {"year": n(2013), "title": s("Rush")}

    def stored_movie() -> Any:
        return conn.client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    run(f"INSERT INTO \"{table}\" VALUE {{'title': ?, 'year': ?, 'info': ?}}", conn,
        params=["Rush", 2013, {"rating": Decimal("8.3")}])
    assert stored_movie() == {**key, "info": {"M": {"rating": n("8.3")}}}
    run(f'UPDATE "{table}" SET info.rating=? WHERE title=? and year=?', conn,
        params=[Decimal("9.1"), "Rush", 2013])
    assert stored_movie() == {**key, "info": {"M": {"rating": n("9.1")}}}
    run(f'DELETE FROM "{table}" WHERE title=? and year=?', conn, params=["Rush", 2013])
    assert stored_movie() is None


# === the planner through the language ======================================================

def test_sparse_index_is_used_where_partiql_would_scan(conn: dl.Connection) -> None:
    text = ("SELECT * FROM \"battle-royale\" WHERE map = 'Green Grasslands' "
            "AND open_timestamp IS NOT MISSING")
    result = one(text, conn)
    assert result.plan.index == "OpenGamesIndex"
    assert result.plan.operation == "Query"
    expected = {i["PK"] for i in battle_raw()
                if i.get("map") == "Green Grasslands" and "open_timestamp" in i}
    assert {r["PK"] for r in rows(result)} == expected
    assert result.stats.scanned == len(expected)  # read only the matching items
    # DynamoDB's own PartiQL names no index here, so it would Scan the table: that candidate
    # exists and is usable, and is not the one chosen
    scans = [c for c in result.plan.candidates if c.operation == "Scan" and c.index is None]
    assert len(scans) == 1 and scans[0].usable and scans[0] is not result.plan.chosen


def test_without_the_presence_condition_the_sparse_index_is_not_used(
        conn: dl.Connection) -> None:
    result = one("SELECT * FROM \"battle-royale\" WHERE map = 'Green Grasslands'", conn)
    assert result.plan.operation == "Scan" and result.plan.index is None
    assert "open_timestamp IS NOT MISSING" in result.plan.sentence
    assert {r["PK"] for r in rows(result)} == {
        i["PK"] for i in battle_raw() if i.get("map") == "Green Grasslands"}


@pytest.mark.needs("item_count")
def test_scan_guard_stops_a_non_key_select(guarded: dl.Connection) -> None:
    with pytest.raises(ScanRefused) as caught:
        run("SELECT * FROM \"Movies\" WHERE title = 'Rush'", guarded)
    message = str(caught.value)
    assert f"it holds {len(movies_raw()):,} items, over the scan guard of 100" in message
    assert "a GSI with partition key title" in message
    result = one("SELECT * FROM \"Movies\" WHERE title = 'Rush'", guarded, allow_scan=True)
    assert movie_keys(rows(result)) == {(m["year"], m["title"]) for m in movies_raw()
                                        if m["title"] == "Rush"}
    assert result.plan.operation == "Scan"


def test_scan_guard_lets_key_reads_through(guarded: dl.Connection) -> None:
    result = one(f'SELECT * FROM "Movies" WHERE "year" = {YEAR}', guarded)
    assert len(result) == len(movies_of(YEAR))


# === EXPLAIN, SHOW TABLES, DESCRIBE, several statements =====================================

def test_explain_returns_the_candidates(conn: dl.Connection) -> None:
    result = one("EXPLAIN SELECT * FROM \"battle-royale\" WHERE map = 'Juicy Jungle' "
                 "AND open_timestamp IS NOT MISSING", conn)
    assert result.kind == "plan"
    frame = result.to_pandas()
    assert list(frame.columns[:5]) == ["chosen", "operation", "index", "usable", "why"]
    chosen = frame[frame["chosen"]]
    assert len(chosen) == 1
    assert chosen.iloc[0]["operation"] == "Query"
    assert chosen.iloc[0]["index"] == "OpenGamesIndex"
    assert len(frame) == len(result.plan.candidates) >= 4
    assert set(frame["operation"]) >= {"GetItem", "Query", "Scan"}
    assert result.summary == result.plan.sentence
    assert result.summary.startswith("Query on GSI OpenGamesIndex")
    assert len(result) == 0


def test_explain_does_not_run_the_planned_read(conn: dl.Connection,
                                               record: Callable[..., Recorder]) -> None:
    recorder = record(conn)
    result = one(f'EXPLAIN SELECT * FROM "Movies" WHERE "year" = {YEAR}', conn)
    assert result.plan.operation == "Query"
    assert "Query" not in recorder.operations
    assert "GetItem" not in recorder.operations
    for operation, params in recorder.sent:  # at most a bounded sample, never a full read
        if operation == "Scan":
            assert 0 < params.get("Limit", 0) <= 200, params


def test_explain_reads_only_a_bounded_sample(conn: dl.Connection,
                                            record: Callable[..., Recorder]) -> None:
    """EXPLAIN plans exactly as the statement would run, so on first use of a table it reads
    the same bounded sample (4 segments of at most 50 items) that teaches the planner which
    attributes items have; it never sends the planned read itself."""
    recorder = record(conn)
    one(f'EXPLAIN SELECT * FROM "Movies" WHERE "year" = {YEAR}', conn)
    reads = [(op, body) for op, body in recorder.sent if op in READS]
    assert all(op == "Scan" and body.get("Limit", 10**9) <= 50
               and body.get("TotalSegments") == 4 for op, body in reads), reads
    assert len(reads) <= 4


def test_explain_of_writes_sends_nothing_that_writes(conn: dl.Connection, music: str,
                                                     record: Callable[..., Recorder]) -> None:
    seed(conn, music, plays=n(1))
    recorder = record(conn)
    update = one(f'EXPLAIN UPDATE "{music}" SET plays = 9 ' + KEY + " AND plays = 1", conn)
    assert update.summary == (f"UpdateItem on {music}: the full key is given (Artist = 'A' "
                              "AND SongTitle = 'S'); condition plays = 1")
    insert = one(f"EXPLAIN INSERT INTO \"{music}\" VALUE {{'Artist': 'B', 'SongTitle': 'x'}}",
                 conn)
    assert insert.summary == f"PutItem on {music}, only if no item has the same key"
    assert not {"PutItem", "UpdateItem", "DeleteItem"} & set(recorder.operations)
    assert stored(conn, music) == {"plays": n(1)}


def test_explain_of_a_write_by_partition_uses_the_given_connection(
        conn: dl.Connection, music: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no default connection, EXPLAIN DELETE ... WHERE <partition only> still plans on
    the connection it was given."""
    monkeypatch.setattr(_session, "_default", None)
    seed(conn, music)
    result = one(f"EXPLAIN DELETE FROM \"{music}\" WHERE Artist = 'A'", conn)
    assert result.summary.startswith("DeleteItem per item after a read: Query on table")
    assert result.plan.operation == "Query"


@pytest.mark.needs("ttl", "item_count")
def test_show_tables_and_describe(conn: dl.Connection,
                                  make_schema_table: Callable[..., str]) -> None:
    table = make_schema_table("Described", S("pk"), S("sk"), (
        dl.Index("ByOwner", "GSI", S("owner"), S("created"), "INCLUDE", ("title", "size")),
        dl.Index("ByDate", "LSI", S("pk"), S("date"), "KEYS_ONLY"),
    ), ttl="expires")
    for number in range(3):
        raw_put(conn, table, {"pk": s("p"), "sk": s(str(number)), "owner": s("o")})
    shown, described = run(f'SHOW TABLES; DESCRIBE "{table}"', conn)
    assert shown.kind == "tables"
    frame = shown.to_pandas().set_index("table")
    assert set(frame.index) >= {table, "Movies", "battle-royale"}
    assert frame.loc[table].to_dict() == {"partition_key": "pk (S)", "sort_key": "sk (S)",
                                          "indexes": "ByOwner, ByDate", "items": 3}
    assert frame.loc["Movies", "items"] == len(raw_scan(conn, "Movies"))
    assert frame.loc["battle-royale", "indexes"] in ("InvertedIndex, OpenGamesIndex",
                                                     "OpenGamesIndex, InvertedIndex")
    assert described.kind == "describe"
    assert described.summary.startswith(f"{table}: key pk (S) + sk (S); 3 items, ")
    assert "TTL expires" in described.summary
    assert "billing PAY_PER_REQUEST" in described.summary
    assert described.to_pandas().to_dict("records") == [
        {"kind": "table", "name": table, "partition_key": "pk (S)", "sort_key": "sk (S)",
         "projection": "ALL"},
        {"kind": "GSI", "name": "ByOwner", "partition_key": "owner (S)",
         "sort_key": "created (S)", "projection": "INCLUDE (title, size)"},
        {"kind": "LSI", "name": "ByDate", "partition_key": "pk (S)", "sort_key": "date (S)",
         "projection": "KEYS_ONLY"},
    ]


def test_describe_of_an_unknown_table_suggests_the_closest(conn: dl.Connection) -> None:
    with pytest.raises(ValidationError, match=r"no table 'Moveis' .*did you mean 'Movies'\?"):
        run('DESCRIBE "Moveis"', conn)


def test_several_statements_run_in_order(conn: dl.Connection, music: str) -> None:
    results = run(f"""
        INSERT INTO "{music}" VALUE {{'Artist': 'A', 'SongTitle': 'S', 'plays': 1}};
        UPDATE "{music}" SET plays = plays + 1 {KEY};;
        SELECT plays FROM "{music}" {KEY};
        DESCRIBE "{music}"
    """, conn)
    assert [r.kind for r in results] == ["write", "write", "rows", "describe"]
    assert rows(results[2]) == [{"plays": 2}]


def test_a_failing_statement_stops_the_script(conn: dl.Connection, music: str) -> None:
    with pytest.raises(ItemNotFound):
        run(f"""INSERT INTO "{music}" VALUE {{'Artist': 'A', 'SongTitle': '1'}};
                UPDATE "{music}" SET x = 1 WHERE Artist = 'A' AND SongTitle = 'missing';
                INSERT INTO "{music}" VALUE {{'Artist': 'A', 'SongTitle': '3'}}""", conn)
    assert raw_scan(conn, music) == [song("A", "1")]


# === writes whose WHERE is not a full key ==================================================

@pytest.fixture
def band(conn: dl.Connection, music: str) -> str:
    for title, plays in (("one", 1), ("two", 8), ("three", 3), ("four", 12)):
        raw_put(conn, music, song("Band", title, plays=n(plays)))
    raw_put(conn, music, song("Other", "five", plays=n(20)))
    return music


def test_update_by_partition_needs_yes_and_writes_nothing(conn: dl.Connection,
                                                          band: str) -> None:
    before = raw_scan(conn, band)
    with pytest.raises(ValidationError, match=r"touches 2 item\(s\) of .*--yes.*--dry-run"):
        run(f"UPDATE \"{band}\" SET hit = true WHERE Artist = 'Band' AND plays > 5", conn)
    assert raw_scan(conn, band) == before


def test_dry_run_shows_the_items_and_writes_nothing(conn: dl.Connection, band: str) -> None:
    before = raw_scan(conn, band)
    result = one(f"DELETE FROM \"{band}\" WHERE Artist = 'Band' AND plays > 5", conn,
                 dry_run=True)
    assert result.kind == "dry_run"
    assert "would touch 2 item(s)" in result.summary and "nothing was written" in result.summary
    assert sorted(i["SongTitle"]["S"] for i in result.to_items()) == ["four", "two"]
    assert raw_scan(conn, band) == before


def test_yes_updates_exactly_the_matching_items(conn: dl.Connection, band: str) -> None:
    result = one(f"UPDATE \"{band}\" SET hit = true WHERE Artist = 'Band' AND plays > 5", conn,
                 yes=True)
    assert "2 item(s) written, 0 skipped" in result.summary
    hits = {i["SongTitle"]["S"] for i in raw_scan(conn, band) if "hit" in i}
    assert hits == {"two", "four"}


def test_yes_deletes_exactly_the_matching_items_by_scan(conn: dl.Connection,
                                                        band: str) -> None:
    result = one(f'DELETE FROM "{band}" WHERE plays < 10', conn, yes=True)
    assert "3 item(s) written" in result.summary
    assert sorted(i["SongTitle"]["S"] for i in raw_scan(conn, band)) == ["five", "four"]


def test_each_write_rechecks_the_where(conn: dl.Connection, band: str,
                                       record: Callable[..., Recorder]) -> None:
    """Between the read and the writes someone changes 'two' so that it no longer matches:
    it is skipped, not overwritten."""
    changed: list[str] = []

    def meddle(operation: str, params: dict[str, Any]) -> None:
        if operation == "UpdateItem" and not changed:
            changed.append("two")
            other = recorder._client  # the real client: not recorded, no recursion
            other.put_item(TableName=band, Item=song("Band", "two", plays=n(0)))

    recorder = record(conn, meddle)
    result = one(f"UPDATE \"{band}\" SET hit = true WHERE Artist = 'Band' AND plays > 5", conn,
                 yes=True)
    updates = [p for op, p in recorder.sent if op == "UpdateItem"]
    assert len(updates) == 2
    assert all("ConditionExpression" in p for p in updates)
    assert "1 item(s) written, 1 skipped" in result.summary
    items = {i["SongTitle"]["S"]: i for i in raw_scan(conn, band)}
    assert "hit" in items["four"]
    assert items["two"] == song("Band", "two", plays=n(0))


# === transactions ==========================================================================

@pytest.mark.needs("transactions")
def test_transaction_applies_every_statement(conn: dl.Connection, music: str,
                                             record: Callable[..., Recorder]) -> None:
    seed(conn, music, plays=n(1))
    recorder = record(conn)
    (result,) = run(f"""BEGIN TRANSACTION;
        INSERT INTO "{music}" VALUE {{'Artist': 'T', 'SongTitle': '1'}};
        INSERT INTO "{music}" VALUE {{'Artist': 'T', 'SongTitle': '2', 'n': 2}};
        UPDATE "{music}" SET plays = plays + 1 {KEY} AND plays = 1;
        COMMIT;""", conn)
    assert result.kind == "transaction"
    assert "3 statement(s) committed together" in result.summary
    assert [op for op in recorder.operations
            if not op.startswith("Describe")] == ["TransactWriteItems"]
    assert raw_get(conn, music, Artist="T", SongTitle="1") == song("T", "1")
    assert raw_get(conn, music, Artist="T", SongTitle="2") == song("T", "2", n=n(2))
    assert stored(conn, music) == {"plays": n(2)}


@pytest.mark.needs("transactions")
def test_failed_transaction_writes_nothing(conn: dl.Connection, music: str) -> None:
    seed(conn, music, plays=n(1))
    before = raw_scan(conn, music)
    with pytest.raises(TransactionCancelled) as caught:
        run(f"""BEGIN TRANSACTION;
            INSERT INTO "{music}" VALUE {{'Artist': 'T', 'SongTitle': '1'}};
            INSERT INTO "{music}" VALUE {{'Artist': 'T', 'SongTitle': '2'}};
            UPDATE "{music}" SET plays = 5 {KEY} AND plays = 99;
            COMMIT;""", conn)
    assert "nothing was written" in str(caught.value)
    assert "action 3 (Update item): ConditionalCheckFailed" in str(caught.value)
    assert raw_scan(conn, music) == before


@pytest.mark.parametrize("ending", ["", "ROLLBACK;"])
def test_begin_without_commit_sends_nothing(conn: dl.Connection, music: str,
                                            record: Callable[..., Recorder],
                                            ending: str) -> None:
    recorder = record(conn)
    text = (f"BEGIN; INSERT INTO \"{music}\" VALUE {{'Artist': 'T', 'SongTitle': '1'}}; "
            f"DELETE FROM \"{music}\" WHERE Artist = 'T' AND SongTitle = '0'; {ending}")
    if ending:
        (result,) = run(text, conn)
        assert result.summary == "rolled back: 2 statement(s) not sent"
    else:
        with pytest.raises(ValidationError, match="BEGIN without COMMIT"):
            run(text, conn)
    assert not {"TransactWriteItems", "PutItem", "DeleteItem"} & set(recorder.operations)
    assert raw_scan(conn, music) == []


def test_only_writes_by_key_inside_a_transaction(conn: dl.Connection, music: str) -> None:
    with pytest.raises(ValidationError, match="cannot run inside a transaction"):
        run(f"BEGIN; SELECT * FROM \"{music}\" {KEY}; COMMIT;", conn)
    with pytest.raises(ValidationError, match="need the full primary key"):
        run(f"BEGIN; DELETE FROM \"{music}\" WHERE Artist = 'A'; COMMIT;", conn)


def test_read_only_connection_refuses_every_write(server: LocalServer, conn: dl.Connection,
                                                  music: str) -> None:
    seed(conn, music, plays=n(1))
    before = raw_scan(conn, music)
    reader = dl.connect(server.endpoint_url, read_only=True, make_default=False)
    try:
        for text in (f"INSERT INTO \"{music}\" VALUE {{'Artist': 'B', 'SongTitle': 'x'}}",
                     f'UPDATE "{music}" SET plays = 2 ' + KEY,
                     f'DELETE FROM "{music}" ' + KEY,
                     f"BEGIN; UPDATE \"{music}\" SET plays = 2 {KEY}; COMMIT;"):
            with pytest.raises(dl.ReadOnlyError, match="read-only"):
                run(text, reader, yes=True)
        assert len(one(f'SELECT * FROM "{music}" ' + KEY, reader)) == 1
    finally:
        reader.close()
    assert raw_scan(conn, music) == before


def test_returning_gives_the_item_as_dynamodb_returns_it(conn: dl.Connection,
                                                         music: str) -> None:
    seed(conn, music, plays=n(1))
    old = one(f'UPDATE "{music}" SET plays = 5 ' + KEY + " RETURNING ALL OLD *", conn)
    assert old.to_pandas()["plays"].tolist() == [1]
    modified = one(f'UPDATE "{music}" SET plays = 6 ' + KEY + " RETURNING MODIFIED NEW *", conn)
    assert modified.to_pandas().to_dict("records") == [{"plays": 6}]
    deleted = one(f'DELETE FROM "{music}" ' + KEY + " RETURNING ALL OLD *", conn)
    assert deleted.to_pandas()["plays"].tolist() == [6]
    assert conn.client.get_item(TableName=music, Key={"Artist": {"S": "A"},
                                                      "SongTitle": {"S": "S"}}).get("Item") is None
