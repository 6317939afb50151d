"""Planned reads against the embedded server, checked against answers computed from raw files.

The sample data sets are loaded once per module (``dl.load_sample`` is idempotent); expected
answers are always computed here from the raw files in /work/shared/datasets (plain JSON or
typed AttributeValues), never from what the library returns. Sample tables are shared with
other modules and never deleted; the one table this module creates gets a unique name and is
deleted at the end.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from typing import Any

import pandas as pd
import pytest

import dynamorm_lab as dl
from dynamorm_lab.errors import ItemNotFound, ValidationError
from dynamorm_lab.local import LocalServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("samples")]

from backends import DATASETS  # noqa: E402 - shared/ beside the checkout

A = dl.attr
P = dl.path


def S(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "S")


def N(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "N")


# --- the sample tables, as /work/shared/datasets/README.md describes them --------------------

BATTLE = dl.TableSchema("battle-royale", S("PK"), S("SK"), (
    dl.Index("InvertedIndex", "GSI", S("SK"), S("PK")),
    dl.Index("OpenGamesIndex", "GSI", S("map"), S("open_timestamp")),
))
SHOP = dl.TableSchema("OnlineShop", S("PK"), S("SK"), (
    dl.Index("GSI1", "GSI", S("GSI1-PK"), S("GSI1-SK")),
    dl.Index("GSI2", "GSI", S("GSI2-PK"), S("GSI2-SK")),
))
MOVIES = dl.TableSchema("Movies", N("year"), S("title"))
PRODUCTS = dl.TableSchema("ProductCatalog", N("Id"))
THREADS = dl.TableSchema("Thread", S("ForumName"), S("Subject"))


# --- models (unique names: the registry is keyed by module and class name) -----------------

class QMovie(dl.Model, table="Movies"):
    year: int = dl.field(partition_key=True)
    title: str = dl.field(sort_key=True)
    info: dict[str, Any] = dl.field(default_factory=dict)


class QUserGame(dl.Model, table="battle-royale"):
    pk: str = dl.field(partition_key=True, name="PK", gsi_sort="InvertedIndex")
    sk: str = dl.field(sort_key=True, name="SK", gsi_partition="InvertedIndex")
    game_id: str | None = None
    username: str | None = None
    place: str | None = None


class QGame(dl.Model, table="battle-royale"):
    """A game as the lab writes it: every game has a map; only open games an open_timestamp."""

    pk: str = dl.field(partition_key=True, name="PK", gsi_sort="InvertedIndex")
    sk: str = dl.field(sort_key=True, name="SK", gsi_partition="InvertedIndex")
    game_id: str
    map: str = dl.field(gsi_partition="OpenGamesIndex")
    creator: str
    create_time: str
    people: int
    open_timestamp: str | None = dl.field(None, gsi_sort="OpenGamesIndex")
    start_time: str | None = None
    end_time: str | None = None


class QShopShipment(dl.Model, table="OnlineShop"):
    """Shipments and shipment items: every one carries GSI1-SK next to GSI1-PK."""

    pk: str = dl.field(partition_key=True, name="PK")
    sk: str = dl.field(sort_key=True, name="SK")
    entity_type: str = dl.field(name="EntityType")
    gsi1_pk: str = dl.field(name="GSI1-PK", gsi_partition="GSI1")
    gsi1_sk: str = dl.field(name="GSI1-SK", gsi_sort="GSI1")
    gsi2_pk: str | None = dl.field(None, name="GSI2-PK", gsi_partition="GSI2")
    gsi2_sk: str | None = dl.field(None, name="GSI2-SK", gsi_sort="GSI2")


# --- raw data ------------------------------------------------------------------------------

@cache
def battle_raw() -> tuple[dict[str, Any], ...]:
    with (DATASETS / "battle-royale" / "items.json").open() as handle:
        return tuple(json.loads(line, parse_float=Decimal) for line in handle if line.strip())


@cache
def shop_raw() -> tuple[dict[str, Any], ...]:
    data = json.loads((DATASETS / "AnOnlineShop_14.json").read_text())
    tables = [m for m in data["DataModel"] if m["TableName"] == "OnlineShop"]
    assert len(tables) == 1
    return tuple(tables[0]["TableData"])


@cache
def movies_raw() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads((DATASETS / "moviedata.json").read_text(), parse_float=Decimal))


def sampledata(name: str) -> list[dict[str, Any]]:
    data = json.loads((DATASETS / "sampledata" / f"{name}.json").read_text())
    return [request["PutRequest"]["Item"] for request in data[name]]


def s(av: dict[str, Any]) -> Any:
    """The payload of a typed AttributeValue from the raw files (S or N text)."""
    return next(iter(av.values()))


def utf8(text: str) -> bytes:
    """DynamoDB orders string keys by their UTF-8 bytes."""
    return text.encode("utf-8")


def key_of(item: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(item[n] for n in names)


def wire_sorted(items: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(i, sort_keys=True) for i in items)


def user_games() -> dict[str, list[dict[str, Any]]]:
    games: dict[str, list[dict[str, Any]]] = {}
    for item in battle_raw():
        if item["PK"].startswith("GAME#"):
            games.setdefault(item["PK"], []).append(item)
    return games


def game_with(size_from: int, size_to: int) -> str:
    """A game partition holding between size_from and size_to items (raw file)."""
    sizes = {pk: len(items) for pk, items in user_games().items()}
    return min(pk for pk, n in sizes.items() if size_from <= n <= size_to)


def busiest_year() -> int:
    counts = Counter(m["year"] for m in movies_raw())
    return max(sorted(counts), key=lambda y: counts[y])


def rating(movie: dict[str, Any]) -> Any:
    return movie.get("info", {}).get("rating")


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def guarded(server: LocalServer, conn: dl.Connection) -> Iterator[dl.Connection]:
    connection = dl.connect(server.endpoint_url, scan_guard=100, make_default=False)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def all_movies(conn: dl.Connection) -> Any:
    """One full Scan of Movies as dicts (a large read, shared by the frame tests)."""
    return dl.Query(MOVIES, scan=True).using(conn).all()


def first_page(query: dl.Query) -> dl.Page:
    pages = query.pages()
    try:
        return next(pages)
    finally:
        pages.close()


# === B. expert choices for the documented access patterns ===================================

def plan_and_run(conn: dl.Connection, query: dl.Query, operation: str,
                 index: str | None) -> Any:
    explained = query.explain()
    assert (explained.operation, explained.index) == (operation, index), str(explained)
    result = query.using(conn).all()
    assert result.plan.operation == operation and result.plan.index == index
    assert result.stats.operation == operation and result.stats.index == index
    return result


# --- battle-royale (lab "Modeling Game Player Data") ---

def test_br_get_user_profile(conn: dl.Connection) -> None:
    users = [i for i in battle_raw() if i["PK"].startswith("USER#")]
    for user in (users[0], users[len(users) // 2], users[-1]):
        query = dl.Query(BATTLE, A("PK") == user["PK"], A("SK") == user["SK"])
        result = plan_and_run(conn, query, "GetItem", None)
        assert list(result) == [user]


@pytest.mark.parametrize("the_map", ["Green Grasslands", "Dirty Desert", "Juicy Jungle",
                                     "Open Ocean"])
def test_br_open_games_by_map(conn: dl.Connection, the_map: str) -> None:
    query = dl.Query(BATTLE, A("map") == the_map, A("open_timestamp").exists())
    result = plan_and_run(conn, query, "Query", "OpenGamesIndex")
    expected = sorted((i for i in battle_raw() if i.get("map") == the_map
                       and "open_timestamp" in i), key=lambda i: i["open_timestamp"])
    assert list(result) == expected  # in open_timestamp (the index sort key) order
    if the_map == "Green Grasslands":
        assert result.plan.sentence == (
            "Query on GSI OpenGamesIndex: partition key map = 'Green Grasslands'")


def test_br_games_on_a_map_without_exists_scan_the_table(conn: dl.Connection) -> None:
    # map = X alone also matches games that are not open: the sparse index would miss them
    query = dl.Query(BATTLE, A("map") == "Dirty Desert")
    result = plan_and_run(conn, query, "Scan", None)
    expected = [i for i in battle_raw() if i.get("map") == "Dirty Desert"]
    assert len(expected) > sum("open_timestamp" in i for i in expected)
    by_key = lambda i: (i["PK"], i["SK"])
    assert sorted(result, key=by_key) == sorted(expected, key=by_key)


def test_br_all_open_games_scan_the_sparse_index(conn: dl.Connection) -> None:
    query = QGame.query(QGame.open_timestamp.exists()).as_dicts()
    result = plan_and_run(conn, query, "Scan", "OpenGamesIndex")
    expected = [i for i in battle_raw() if "open_timestamp" in i]
    assert len(result) == len(expected)
    assert {i["PK"] for i in result} == {i["PK"] for i in expected}
    assert result.stats.scanned == len(expected)  # only the index's items were read


def test_br_users_in_a_game(conn: dl.Connection) -> None:
    game = game_with(15, 25)
    query = dl.Query(BATTLE, A("PK") == game)
    result = plan_and_run(conn, query, "Query", None)
    expected = sorted(user_games()[game], key=lambda i: utf8(i["SK"]))
    assert list(result) == expected


def test_br_games_of_a_user_table_schema(conn: dl.Connection) -> None:
    """SK = USER#x: every item has PK (the table key), so InvertedIndex serves it."""
    user, _ = Counter(i["SK"] for i in battle_raw() if i["SK"].startswith("USER#")
                      ).most_common(1)[0]
    query = dl.Query(BATTLE, A("SK") == user)
    result = plan_and_run(conn, query, "Query", "InvertedIndex")
    expected = sorted((i for i in battle_raw() if i["SK"] == user), key=lambda i: utf8(i["PK"]))
    assert list(result) == expected


def test_br_games_of_a_user_model(conn: dl.Connection) -> None:
    user, count = Counter(i["SK"] for i in battle_raw() if i["SK"].startswith("USER#")
                          ).most_common(1)[0]
    query = QUserGame.query(QUserGame.sk == user)
    result = plan_and_run(conn, query, "Query", "InvertedIndex")
    expected = sorted((i for i in battle_raw() if i["SK"] == user), key=lambda i: utf8(i["PK"]))
    assert len(result) == count == len(expected)
    assert [(g.pk, g.sk, g.game_id, g.username, g.place) for g in result] == [
        (i["PK"], i["SK"], i["game_id"], i["username"], i.get("place")) for i in expected]


# --- online shop (aws-samples design patterns, AnOnlineShop) ---

def _shop(predicate: Any) -> list[dict[str, Any]]:
    return [i for i in shop_raw() if predicate(i)]


@pytest.mark.parametrize("entity", ["c#12345", "c#54321", "p#99887", "w#12376"])
def test_shop_get_entity_by_id(conn: dl.Connection, entity: str) -> None:
    query = dl.Query(SHOP, A("PK") == entity, A("SK") == entity).as_items()
    result = plan_and_run(conn, query, "GetItem", None)
    assert list(result) == _shop(lambda i: s(i["PK"]) == entity and s(i["SK"]) == entity)


SHOP_TABLE_QUERIES = [
    ("inventory of a product in all warehouses", "p#99887", "w#"),
    ("all order details", "o#12345", None),
    ("products of an order", "o#12345", "p#"),
    ("invoice of an order", "o#12345", "i#"),
    ("shipments of an order", "o#12345", "sh#"),
]


@pytest.mark.parametrize(("pattern", "pk", "prefix"), SHOP_TABLE_QUERIES,
                         ids=[p[0] for p in SHOP_TABLE_QUERIES])
def test_shop_table_queries(conn: dl.Connection, pattern: str, pk: str,
                            prefix: str | None) -> None:
    conditions = [A("PK") == pk]
    if prefix is not None:
        conditions.append(A("SK").begins_with(prefix))
    result = plan_and_run(conn, dl.Query(SHOP, *conditions).as_items(), "Query", None)
    expected = sorted(_shop(lambda i: s(i["PK"]) == pk and (
        prefix is None or s(i["SK"]).startswith(prefix))), key=lambda i: utf8(s(i["SK"])))
    assert expected, pattern
    assert list(result) == expected


def test_shop_orders_for_a_product_in_a_date_range(conn: dl.Connection) -> None:
    low, high = "2020-06-01", "2020-06-30"
    for product in ("p#12345", "p#99887"):
        query = dl.Query(SHOP, A("GSI1-PK") == product,
                         A("GSI1-SK").between(low, high)).as_items()
        result = plan_and_run(conn, query, "Query", "GSI1")
        expected = _shop(lambda i, p=product: "GSI1-PK" in i and s(i["GSI1-PK"]) == p
                         and low <= s(i["GSI1-SK"]) <= high)
        assert expected
        assert wire_sorted(list(result)) == wire_sorted(expected)
        outside = dl.Query(SHOP, A("GSI1-PK") == product,
                           A("GSI1-SK").between("2021-01-01", "2021-12-31")).using(conn)
        assert outside.all().items == []


def test_shop_invoice_by_id(conn: dl.Connection) -> None:
    invoice = "i#55443"
    query = dl.Query(SHOP, A("GSI1-PK") == invoice, A("GSI1-SK") == invoice).as_items()
    result = plan_and_run(conn, query, "Query", "GSI1")
    assert list(result) == _shop(lambda i: "GSI1-PK" in i and s(i["GSI1-PK"]) == invoice
                                 and s(i["GSI1-SK"]) == invoice)
    assert len(result) == 1


@pytest.mark.parametrize("shipment", ["sh#98765", "sh#88899"])
def test_shop_shipment_detail_by_id_with_a_model(conn: dl.Connection, shipment: str) -> None:
    query = QShopShipment.query(QShopShipment.gsi1_pk == shipment).as_items()
    result = plan_and_run(conn, query, "Query", "GSI1")
    expected = _shop(lambda i: "GSI1-PK" in i and s(i["GSI1-PK"]) == shipment)
    assert len(expected) >= 2
    assert list(result) == sorted(expected, key=lambda i: utf8(s(i["GSI1-SK"])))


def test_shop_shipment_detail_by_id_with_copresent(conn: dl.Connection) -> None:
    class QShopLoose(dl.Model, table="OnlineShop", copresent={"GSI1-PK": ["GSI1-SK"]}):
        pk: str = dl.field(partition_key=True, name="PK")
        sk: str = dl.field(sort_key=True, name="SK")
        gsi1_pk: str | None = dl.field(None, name="GSI1-PK", gsi_partition="GSI1")
        gsi1_sk: str | None = dl.field(None, name="GSI1-SK", gsi_sort="GSI1")

    query = QShopLoose.query(QShopLoose.gsi1_pk == "sh#98765").as_items()
    result = plan_and_run(conn, query, "Query", "GSI1")
    assert any("GSI1-SK" in note for note in result.plan.chosen.notes)
    expected = _shop(lambda i: "GSI1-PK" in i and s(i["GSI1-PK"]) == "sh#98765")
    assert wire_sorted(list(result)) == wire_sorted(expected)


def test_shop_shipment_detail_without_co_presence_scans(conn: dl.Connection) -> None:
    query = dl.Query(SHOP, A("GSI1-PK") == "sh#98765").as_items()
    result = plan_and_run(conn, query, "Scan", None)
    expected = _shop(lambda i: "GSI1-PK" in i and s(i["GSI1-PK"]) == "sh#98765")
    assert wire_sorted(list(result)) == wire_sorted(expected)


@pytest.mark.parametrize(("warehouse", "prefix"), [
    ("w#12345", "sh#"), ("w#12376", "sh#"), ("w#12345", "p#"), ("w#12376", "p#")])
def test_shop_shipments_and_inventory_of_a_warehouse(conn: dl.Connection, warehouse: str,
                                                     prefix: str) -> None:
    query = dl.Query(SHOP, A("GSI2-PK") == warehouse,
                     A("GSI2-SK").begins_with(prefix)).as_items()
    result = plan_and_run(conn, query, "Query", "GSI2")
    expected = sorted(_shop(lambda i: "GSI2-PK" in i and s(i["GSI2-PK"]) == warehouse
                            and s(i["GSI2-SK"]).startswith(prefix)),
                      key=lambda i: utf8(s(i["GSI2-SK"])))
    assert list(result) == expected


@pytest.mark.parametrize("entity_type", ["invoice", "orderItem"])
def test_shop_invoices_and_products_of_a_customer_in_a_date_range(
        conn: dl.Connection, entity_type: str) -> None:
    low, high = "2020-06-01T00:00:00", "2020-06-30T23:59:59"
    query = dl.Query(SHOP, A("GSI2-PK") == "c#12345", A("GSI2-SK").between(low, high),
                     A("EntityType") == entity_type).as_items()
    result = plan_and_run(conn, query, "Query", "GSI2")
    assert "FilterExpression" in result.plan.request
    expected = _shop(lambda i: "GSI2-PK" in i and s(i["GSI2-PK"]) == "c#12345"
                     and low <= s(i["GSI2-SK"]) <= high and s(i["EntityType"]) == entity_type)
    assert expected
    assert wire_sorted(list(result)) == wire_sorted(expected)
    in_range = _shop(lambda i: "GSI2-PK" in i and s(i["GSI2-PK"]) == "c#12345"
                     and low <= s(i["GSI2-SK"]) <= high)
    assert result.stats.scanned == len(in_range) > result.stats.returned


def test_shop_hyphenated_names_through_model_fields(conn: dl.Connection) -> None:
    result = (QShopShipment.query(QShopShipment.gsi1_pk == "sh#98765",
                                  QShopShipment.gsi1_sk.begins_with("p#"))
              .using(conn).all())
    expected = _shop(lambda i: "GSI1-PK" in i and s(i["GSI1-PK"]) == "sh#98765"
                     and s(i["GSI1-SK"]).startswith("p#"))
    assert sorted((r.pk, r.sk, r.gsi1_sk, r.entity_type) for r in result) == sorted(
        (s(i["PK"]), s(i["SK"]), s(i["GSI1-SK"]), s(i["EntityType"])) for i in expected)


# === C. execution ===========================================================================

# --- pagination ---

@pytest.mark.parametrize("size", range(1, 8))
def test_query_pages_return_every_item_once_in_sort_key_order(conn: dl.Connection,
                                                              size: int) -> None:
    game = game_with(15, 25)
    expected = sorted((i["SK"] for i in user_games()[game]), key=utf8)
    query = dl.Query(BATTLE, A("PK") == game).using(conn).page_size(size)
    ascending = query.all()
    assert [i["SK"] for i in ascending] == expected
    assert ascending.stats.pages >= math.ceil(len(expected) / size)
    descending = query.descending().all()
    assert [i["SK"] for i in descending] == expected[::-1]
    for page in query.pages():
        assert len(page.items) <= size


@pytest.mark.parametrize("size", range(1, 8))
def test_gsi_query_and_scan_pages(conn: dl.Connection, size: int) -> None:
    opens = sorted((i for i in battle_raw() if i.get("map") == "Green Grasslands"
                    and "open_timestamp" in i), key=lambda i: i["open_timestamp"])
    query = dl.Query(BATTLE, A("map") == "Green Grasslands",
                     A("open_timestamp").exists()).using(conn).page_size(size)
    assert [i["PK"] for i in query.all()] == [i["PK"] for i in opens]
    assert [i["PK"] for i in query.descending().all()] == [i["PK"] for i in opens][::-1]
    scanned = dl.Query(SHOP, scan=True).as_items().using(conn).page_size(size).all()
    keys = [(s(i["PK"]), s(i["SK"])) for i in scanned]
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted((s(i["PK"]), s(i["SK"])) for i in shop_raw())


# --- limits ---

def test_limit_with_a_filter_that_discards_many(conn: dl.Connection) -> None:
    year = busiest_year()
    matching = sorted((m["title"] for m in movies_raw() if m["year"] == year
                       and rating(m) is not None and rating(m) >= 8), key=utf8)
    assert len(matching) > 5
    for page_size in (None, 20):
        query = dl.Query(MOVIES, A("year") == year, P("info.rating") >= 8).using(conn)
        result = query.page_size(page_size).limit(5).all()
        assert [m["title"] for m in result] == matching[:5]
        assert result.stats.returned == 5
        assert result.stats.scanned > result.stats.returned


def test_limit_without_a_filter_reads_no_more_than_needed(conn: dl.Connection) -> None:
    game = game_with(15, 25)
    expected = sorted((i["SK"] for i in user_games()[game]), key=utf8)
    result = dl.Query(BATTLE, A("PK") == game).using(conn).limit(4).all()
    assert [i["SK"] for i in result] == expected[:4]
    assert result.stats.scanned == 4


# --- cursors ---

def _resume_by_pages(query: dl.Query, bound: int) -> list[Any]:
    collected: list[Any] = []
    cursor = None
    for _ in range(bound):
        page = first_page(query.after(cursor))
        collected.extend(page.items)
        cursor = page.cursor
        if cursor is None:
            return collected
    raise AssertionError(f"no end after {bound} pages")


def _resume_by_results(query: dl.Query, bound: int) -> list[Any]:
    collected: list[Any] = []
    cursor = None
    for _ in range(bound):
        result = query.after(cursor).all()
        collected.extend(result)
        cursor = result.cursor
        if cursor is None:
            return collected
    raise AssertionError(f"no end after {bound} calls")


@pytest.mark.parametrize("size", [1, 3, 7])
def test_cursor_resumes_a_query_after_every_page(conn: dl.Connection, size: int) -> None:
    game = game_with(15, 25)
    expected = sorted((i["SK"] for i in user_games()[game]), key=utf8)
    query = dl.Query(BATTLE, A("PK") == game).using(conn).page_size(size)
    assert [i["SK"] for i in _resume_by_pages(query, 100)] == expected
    descending = _resume_by_pages(query.descending(), 100)
    assert [i["SK"] for i in descending] == expected[::-1]


def test_cursor_resumes_a_scan_after_every_page(conn: dl.Connection) -> None:
    query = dl.Query(SHOP, scan=True).as_items().using(conn).page_size(4)
    items = _resume_by_pages(query, 50)
    keys = [(s(i["PK"]), s(i["SK"])) for i in items]
    assert len(keys) == len(set(keys)) == len(shop_raw())
    assert set(keys) == {(s(i["PK"]), s(i["SK"])) for i in shop_raw()}


def test_cursor_resumes_a_filtered_scan_with_empty_pages(conn: dl.Connection) -> None:
    query = dl.Query(BATTLE, A("SK").begins_with("#METADATA#"),
                     A("birthdate") < "1950").using(conn).page_size(60)
    items = _resume_by_pages(query, 100)
    expected = {i["PK"] for i in battle_raw() if i["SK"].startswith("#METADATA#")
                and i.get("birthdate", "9") < "1950"}
    assert len(items) == len(expected)
    assert {i["PK"] for i in items} == expected


@pytest.mark.parametrize(("page_size", "limit"), [(5, 3), (4, 4), (2, 3), (None, 2)])
def test_cursor_after_a_limit_cut_inside_a_page(conn: dl.Connection, page_size: int | None,
                                                limit: int) -> None:
    game = game_with(15, 25)
    expected = sorted((i["SK"] for i in user_games()[game]), key=utf8)
    query = dl.Query(BATTLE, A("PK") == game).using(conn).page_size(page_size).limit(limit)
    items = _resume_by_results(query, 100)
    assert [i["SK"] for i in items] == expected
    back = _resume_by_results(query.descending(), 100)
    assert [i["SK"] for i in back] == expected[::-1]


def test_cursor_after_a_limit_cut_with_a_filter(conn: dl.Connection) -> None:
    year = busiest_year()
    matching = sorted((m["title"] for m in movies_raw() if m["year"] == year
                       and rating(m) is not None and rating(m) >= 8), key=utf8)
    query = (dl.Query(MOVIES, A("year") == year, P("info.rating") >= 8).using(conn)
             .page_size(50).limit(4))
    assert [m["title"] for m in _resume_by_results(query, 200)] == matching


def test_cursor_after_a_limit_cut_on_a_gsi(conn: dl.Connection) -> None:
    opens = sorted((i for i in battle_raw() if "open_timestamp" in i
                    and i["map"] == "Green Grasslands"), key=lambda i: i["open_timestamp"])
    query = (dl.Query(BATTLE, A("map") == "Green Grasslands", A("open_timestamp").exists())
             .using(conn).page_size(3).limit(1))
    assert [i["PK"] for i in _resume_by_results(query, 20)] == [i["PK"] for i in opens]


def test_cursor_after_a_limit_cut_on_a_batch_get(conn: dl.Connection) -> None:
    ids = [int(s(i["Id"])) for i in sampledata("ProductCatalog")][::-1]
    query = dl.Query(PRODUCTS, A("Id").is_in(ids)).using(conn).limit(3)
    assert query.explain().operation == "BatchGetItem"
    items = _resume_by_results(query, 20)
    assert [i["Id"] for i in items] == ids


def test_cursor_resumes_a_parallel_scan_after_every_page(conn: dl.Connection) -> None:
    query = dl.Query(BATTLE, scan=True).using(conn).segments(3).page_size(150)
    items = _resume_by_pages(query, 200)
    keys = [(i["PK"], i["SK"]) for i in items]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(i["PK"], i["SK"]) for i in battle_raw()}


def test_a_cursor_from_another_query_is_refused(conn: dl.Connection) -> None:
    games = sorted(user_games())
    first = dl.Query(BATTLE, A("PK") == games[0]).using(conn).page_size(2)
    cursor = first_page(first).cursor
    assert cursor is not None
    assert len(first.after(cursor).all()) > 0  # the cursor works where it came from
    others = [
        dl.Query(BATTLE, A("PK") == games[1]).using(conn).page_size(2),
        dl.Query(BATTLE, A("PK") == games[0], A("SK").begins_with("USER#")).using(conn),
        dl.Query(BATTLE, scan=True).using(conn),
        dl.Query(BATTLE, A("PK") == games[0]).select("SK").using(conn),
    ]
    for other in others:
        with pytest.raises(ValidationError):
            other.after(cursor).all()
    scan_cursor = first_page(dl.Query(SHOP, scan=True).using(conn).segments(2)
                             .page_size(3)).cursor
    assert scan_cursor is not None
    with pytest.raises(ValidationError):
        dl.Query(SHOP, scan=True).using(conn).segments(3).after(scan_cursor).all()
    with pytest.raises(ValidationError):
        dl.Query(SHOP, scan=True).using(conn).after(scan_cursor).all()


def test_a_tampered_cursor_is_refused(conn: dl.Connection) -> None:
    game = game_with(15, 25)
    query = dl.Query(BATTLE, A("PK") == game).using(conn).page_size(3)
    cursor = first_page(query).cursor
    assert cursor is not None
    for position, char in enumerate(cursor):
        flipped = "A" if char != "A" else "B"
        tampered = cursor[:position] + flipped + cursor[position + 1:]
        with pytest.raises(ValidationError):
            query.after(tampered).all()
    for broken in ("", "not-a-cursor", cursor + "x", cursor[:-1], cursor.replace(".", "")):
        with pytest.raises(ValidationError):
            query.after(broken).all()


# --- parallel scan ---

def test_parallel_scan_covers_every_item_exactly_once(conn: dl.Connection) -> None:
    result = dl.Query(BATTLE, scan=True).using(conn).segments(4).all()
    keys = Counter((i["PK"], i["SK"]) for i in result)
    assert all(n == 1 for n in keys.values())
    assert set(keys) == {(i["PK"], i["SK"]) for i in battle_raw()}
    assert result.stats.segments == 4 and result.stats.pages >= 4
    filtered = (dl.Query(BATTLE, A("PK").begins_with("GAME#"), A("SK").begins_with("USER#"))
                .using(conn).segments(4).all())
    expected = Counter((i["PK"], i["SK"]) for i in battle_raw()
                       if i["PK"].startswith("GAME#") and i["SK"].startswith("USER#"))
    assert Counter((i["PK"], i["SK"]) for i in filtered) == expected


# --- count / exists / first / one ---

def test_count_matches_the_raw_files(conn: dl.Connection) -> None:
    year = busiest_year()
    in_year = [m for m in movies_raw() if m["year"] == year]
    assert dl.Query(MOVIES, A("year") == year).using(conn).count() == len(in_year)
    rated = sum(1 for m in in_year if rating(m) is not None and rating(m) >= 8)
    assert dl.Query(MOVIES, A("year") == year, P("info.rating") >= 8).using(conn).count() == rated
    unrated = sum(1 for m in movies_raw() if rating(m) is None)
    assert dl.Query(MOVIES, P("info.rating").not_exists(), scan=True).using(
        conn).count() == unrated
    opens = sum(1 for i in battle_raw() if "open_timestamp" in i)
    assert dl.Query(BATTLE, A("open_timestamp").exists()).using(conn).count() == opens
    assert dl.Query(BATTLE, scan=True).using(conn).segments(3).count() == len(battle_raw())
    assert dl.Query(BATTLE, scan=True).using(conn).count() == len(battle_raw())
    selected = dl.Query(MOVIES, A("year") == year).select("title").using(conn)
    assert selected.count() == len(in_year)


def test_count_on_key_reads(conn: dl.Connection) -> None:
    ids = [int(s(i["Id"])) for i in sampledata("ProductCatalog")]
    assert dl.Query(PRODUCTS, A("Id") == ids[0]).using(conn).count() == 1
    assert dl.Query(PRODUCTS, A("Id") == 999_999).using(conn).count() == 0
    assert dl.Query(PRODUCTS, A("Id").is_in([*ids[:3], 999_999])).using(conn).count() == 3


def test_exists_first_and_one(conn: dl.Connection) -> None:
    game = game_with(15, 25)
    ordered = sorted(user_games()[game], key=lambda i: utf8(i["SK"]))
    by_game = dl.Query(BATTLE, A("PK") == game).using(conn)
    assert by_game.exists() is True
    assert by_game.first() == ordered[0]
    assert by_game.descending().first() == ordered[-1]
    missing = dl.Query(BATTLE, A("PK") == "GAME#no-such-game").using(conn)
    assert missing.exists() is False
    assert missing.first() is None
    with pytest.raises(ItemNotFound):
        missing.one()
    with pytest.raises(ValidationError):
        by_game.one()
    only = ordered[1]
    assert dl.Query(BATTLE, A("PK") == game, A("SK") == only["SK"]).using(conn).one() == only
    assert dl.Query(BATTLE, A("PK") == game, A("SK") == only["SK"],
                    A("username") == "nobody-has-this").using(conn).exists() is False
    with pytest.raises(ItemNotFound):
        dl.Query(BATTLE, A("PK") == game, A("SK") == "USER#nobody").using(conn).one()


# --- stats ---

@pytest.mark.parametrize(("query", "operation", "index"), [
    (dl.Query(BATTLE, A("map") == "Dirty Desert", A("open_timestamp").exists()), "Query",
     "OpenGamesIndex"),
    (dl.Query(BATTLE, A("map") == "Dirty Desert"), "Scan", None),
    (dl.Query(PRODUCTS, A("Id") == 101), "GetItem", None),
    (dl.Query(PRODUCTS, A("Id").is_in([101, 102, 103])), "BatchGetItem", None),
    (dl.Query(SHOP, A("PK") == "o#12345"), "Query", None),
])
def test_results_carry_stats(conn: dl.Connection, query: dl.Query, operation: str,
                             index: str | None) -> None:
    result = query.using(conn).all()
    stats = result.stats
    assert (stats.operation, stats.index) == (operation, index)
    assert stats.pages >= 1
    assert stats.returned == len(result) > 0
    assert stats.scanned >= stats.returned
    assert stats.capacity is not None and stats.capacity > 0
    assert stats.elapsed > 0
    assert operation in stats.summary()


@pytest.mark.needs("item_count")
# --- the scan guard ---

def test_scan_guard_refuses_a_large_implicit_scan(guarded: dl.Connection) -> None:
    title = "Rush"
    with pytest.raises(dl.ScanRefused) as caught:
        dl.Query(MOVIES, A("title") == title).using(guarded).all()
    message = str(caught.value)
    assert "Movies" in message and "4,609" in message
    refused_plan = caught.value.plan
    assert refused_plan is not None and refused_plan.operation == "Scan"
    assert refused_plan.suggestion and refused_plan.suggestion in message
    assert "title" in refused_plan.suggestion
    with pytest.raises(dl.ScanRefused):
        QMovie.query(QMovie.title == title).using(guarded).count()


def test_scan_guard_allows_explicit_scans(guarded: dl.Connection) -> None:
    title = "Rush"
    expected = sorted(m["year"] for m in movies_raw() if m["title"] == title)
    allowed = dl.Query(MOVIES, A("title") == title).using(guarded).allow_scan().all()
    assert sorted(m["year"] for m in allowed) == expected
    explicit = QMovie.scan(QMovie.title == title).using(guarded).all()
    assert sorted(m.year for m in explicit) == expected
    # a Query is never refused, and a small table is not guarded
    year = busiest_year()
    assert dl.Query(MOVIES, A("year") == year).using(guarded).count() == sum(
        1 for m in movies_raw() if m["year"] == year)
    assert len(dl.Query(SHOP, A("EntityType") == "customer").using(guarded).all()) == len(
        _shop(lambda i: s(i["EntityType"]) == "customer"))


# --- DataFrames ---

def test_movies_frame_dtypes_and_missing_ratings(all_movies: Any) -> None:
    raw = movies_raw()
    assert len(all_movies) == len(raw)
    frame = all_movies.to_pandas(flatten=True)
    assert frame["year"].dtype == "int64"
    assert frame["info.rating"].dtype == object  # exact: Decimal('8.3'), int 8
    assert {type(r) for r in frame["info.rating"].dropna()} == {int, Decimal}
    floats = all_movies.to_pandas(flatten=True, numbers="float")
    assert floats["info.rating"].dtype == "float64"
    assert floats["info.rating"].isna().tolist() == frame["info.rating"].isna().tolist()
    unrated = {(m["year"], m["title"]) for m in raw if rating(m) is None}
    assert len(unrated) == 204
    assert int(frame["info.rating"].isna().sum()) == len(unrated)
    keys = {(int(y), t) for y, t in zip(frame["year"], frame["title"], strict=True)}
    assert keys == {(m["year"], m["title"]) for m in raw}
    na_rows = frame[frame["info.rating"].isna()]
    assert {(int(y), t) for y, t in zip(na_rows["year"], na_rows["title"], strict=True)} == unrated
    by_key = {(m["year"], m["title"]): rating(m) for m in raw}
    for y, t, r in zip(frame["year"], frame["title"], frame["info.rating"], strict=True):
        expected = by_key[(int(y), t)]
        if expected is not None:
            assert r == expected and not isinstance(r, float)
    plain = all_movies.to_pandas()
    assert plain["year"].dtype == "int64"
    assert plain["info"].dtype == object


def test_projection_frame_has_exactly_the_selected_columns(conn: dl.Connection) -> None:
    year = busiest_year()
    titles = sorted((m["title"] for m in movies_raw() if m["year"] == year), key=utf8)
    frame = dl.Query(MOVIES, A("year") == year).select("title", "year").using(conn).to_pandas()
    assert list(frame.columns) == ["title", "year"]
    assert frame["year"].dtype == "int64"
    assert list(frame["title"]) == titles
    modelled = QMovie.query(QMovie.year == year).select("title", "year").using(conn).to_pandas()
    assert list(modelled.columns) == ["title", "year"]


def test_projection_of_a_nested_path_flattens_to_that_column(conn: dl.Connection) -> None:
    year = busiest_year()
    ratings = {m["title"]: rating(m) for m in movies_raw() if m["year"] == year}
    nested = (dl.Query(MOVIES, A("year") == year).select("title", "info.rating").using(conn)
              .to_pandas(flatten=True))
    assert len(nested) == len(ratings)
    assert int(nested["info.rating"].isna().sum()) == sum(r is None for r in ratings.values())
    assert set(nested.columns) == {"title", "info.rating"}


def test_model_frame_flatten_spreads_maps_like_dict_frames(conn: dl.Connection) -> None:
    year = busiest_year()
    as_dicts = dl.Query(MOVIES, A("year") == year).using(conn).to_pandas(flatten=True)
    as_models = QMovie.query(QMovie.year == year).using(conn).to_pandas(flatten=True)
    assert "info" not in as_dicts.columns
    assert set(as_models.columns) == set(as_dicts.columns)


@pytest.fixture(scope="module")
def numbers_table(conn: dl.Connection) -> Iterator[str]:
    name = f"q_numbers_{uuid.uuid4().hex[:12]}"
    conn.create_table(dl.TableSchema(name, S("pk"), N("i")))
    try:
        rows = [
            {"mixed": "0.1", "ints": "1", "gappy": "10", "halves": "0.5", "huge": str(2**70),
             "tenths": "0.1", "exact": "0.1000000000000000000001"},
            {"mixed": "12345678901234567890123", "ints": "-2", "halves": "1.25",
             "huge": "-5", "tenths": "0.2", "exact": "3"},
            {"mixed": "7", "ints": "9223372036854775807", "gappy": "30", "halves": "2",
             "huge": "1", "tenths": "0.3", "exact": "0.5"},
        ]
        for i, row in enumerate(rows):
            item = {"pk": {"S": "numbers"}, "i": {"N": str(i)}}
            item.update({k: {"N": v} for k, v in row.items()})
            conn.client.put_item(TableName=name, Item=item)
        yield name
    finally:
        conn.delete_table(name)


def test_number_rule_in_frames(conn: dl.Connection, numbers_table: str) -> None:
    schema = dl.TableSchema(numbers_table, S("pk"), N("i"))
    frame = dl.Query(schema, A("pk") == "numbers").using(conn).to_pandas()
    assert list(frame["i"]) == [0, 1, 2]
    # all integral and within 64 bits
    assert frame["ints"].dtype == "int64"
    assert list(frame["ints"]) == [1, -2, 2**63 - 1]
    # integral with a missing value
    assert frame["gappy"].dtype == "Int64"
    assert frame["gappy"][0] == 10 and frame["gappy"][2] == 30
    assert frame["gappy"].isna().tolist() == [False, True, False]
    # no float unless asked: exact values, as the API gives them
    assert frame["halves"].dtype == object
    assert [(type(v), v) for v in frame["halves"]] == [
        (Decimal, Decimal("0.5")), (Decimal, Decimal("1.25")), (int, 2)]
    assert frame["tenths"].dtype == object
    assert list(frame["tenths"]) == [Decimal("0.1"), Decimal("0.2"), Decimal("0.3")]
    floats = dl.Query(schema, A("pk") == "numbers").using(conn).to_pandas(numbers="float")
    assert floats["halves"].dtype == floats["tenths"].dtype == floats["mixed"].dtype == "float64"
    assert list(floats["tenths"]) == [0.1, 0.2, 0.3] and floats["ints"].dtype == "int64"
    # a value float cannot hold exactly keeps the whole column exact
    assert frame["mixed"].dtype == object
    assert isinstance(frame["mixed"][0], Decimal) and frame["mixed"][0] == Decimal("0.1")
    assert frame["mixed"][1] == 12345678901234567890123
    assert Decimal(frame["mixed"][1]) == Decimal("12345678901234567890123")
    assert frame["mixed"][2] == 7
    assert frame["huge"].dtype == object
    assert frame["huge"][0] == 2**70
    assert frame["exact"].dtype == object
    assert frame["exact"][0] == Decimal("0.1000000000000000000001")
    assert all(not isinstance(v, float) for v in frame["mixed"])


# --- result shapes ---

def test_dict_and_model_results(conn: dl.Connection) -> None:
    game = game_with(15, 25)
    expected = sorted(user_games()[game], key=lambda i: utf8(i["SK"]))
    as_dicts = dl.Query(BATTLE, A("PK") == game).using(conn).all()
    assert all(type(i) is dict for i in as_dicts)
    assert list(as_dicts) == expected
    models = QUserGame.query(QUserGame.pk == game,
                             QUserGame.sk.begins_with("USER#")).using(conn).all()
    mappings = [i for i in expected if i["SK"].startswith("USER#")]
    assert all(isinstance(m, QUserGame) for m in models)
    assert [(m.pk, m.sk, m.game_id, m.username, m.place) for m in models] == [
        (i["PK"], i["SK"], i["game_id"], i["username"], i.get("place")) for i in mappings]
    dicts = QUserGame.query(QUserGame.pk == game,
                            QUserGame.sk.begins_with("USER#")).as_dicts().using(conn).all()
    assert list(dicts) == mappings
    wire = dl.Query(BATTLE, A("PK") == game).as_items().using(conn).all()
    assert [i["SK"] for i in wire] == [{"S": i["SK"]} for i in expected]
    movie = next(m for m in movies_raw() if m["title"] == "Rush")
    got = QMovie.query(QMovie.year == movie["year"], QMovie.title == "Rush").using(conn).one()
    assert (got.year, got.title, got.info) == (movie["year"], "Rush", movie["info"])


# --- key order of GetItem and BatchGetItem ---

def test_batch_get_returns_items_in_the_callers_key_order(conn: dl.Connection) -> None:
    products = {int(s(i["Id"])): i for i in sampledata("ProductCatalog")}
    ids = [205, 101, 999_999, 203, 102, 204]
    result = dl.Query(PRODUCTS, A("Id").is_in(ids)).using(conn).as_items().all()
    assert result.plan.operation == "BatchGetItem"
    assert list(result) == [products[i] for i in ids if i in products]
    threads = {(s(i["ForumName"]), s(i["Subject"])): i for i in sampledata("Thread")}
    forums = ["Amazon S3", "Amazon DynamoDB"]
    subjects = ["S3 Thread 1", "DynamoDB Thread 2", "nope", "DynamoDB Thread 1"]
    got = dl.Query(THREADS, A("ForumName").is_in(forums),
                   A("Subject").is_in(subjects)).as_items().using(conn).all()
    assert got.plan.operation == "BatchGetItem"
    assert list(got) == [threads[(f, t)] for f in forums for t in subjects if (f, t) in threads]


def test_batch_get_over_one_hundred_keys_keeps_key_order(conn: dl.Connection) -> None:
    counts = Counter(m["year"] for m in movies_raw())
    years = sorted(counts, key=lambda y: (-counts[y], y))[:10][::-1]
    titles = sorted({m["title"] for m in movies_raw() if m["year"] in years}, key=utf8)[:15]
    titles = titles[::2] + titles[1::2]
    existing = {(m["year"], m["title"]) for m in movies_raw()}
    expected = [(y, t) for y in years for t in titles if (y, t) in existing]
    assert len(years) * len(titles) > 100 and expected
    result = dl.Query(MOVIES, A("title").is_in(titles), A("year").is_in(years)).using(conn).all()
    assert result.plan.operation == "BatchGetItem"
    assert [(m["year"], m["title"]) for m in result] == expected


def test_getitem_result(conn: dl.Connection) -> None:
    products = {int(s(i["Id"])): i for i in sampledata("ProductCatalog")}
    result = dl.Query(PRODUCTS, A("Id") == 202).as_items().using(conn).all()
    assert result.plan.operation == "GetItem"
    assert list(result) == [products[202]]
    assert result.cursor is None
    empty = dl.Query(PRODUCTS, A("Id") == 999_999).using(conn).all()
    assert list(empty) == [] and empty.cursor is None
    frame = dl.Query(PRODUCTS, A("Id") == 202).using(conn).to_pandas()
    assert len(frame) == 1 and frame["Id"].dtype == "int64"
    assert isinstance(frame, pd.DataFrame)
