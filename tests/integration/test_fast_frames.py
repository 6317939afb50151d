"""Fast frames against a real server: every way to a DataFrame or Arrow table agrees.

``query.to_pandas()`` streams pages straight into a frame, ``query.to_arrow()`` parses the
response bodies with pyarrow and builds a table through the Arrow path, and
``query.all().to_pandas()``/``.to_arrow()`` build them from a Result in Python. For the
sample data sets and a table holding every DynamoDB type (written so that attributes and map
keys first appear on later pages), over scans, parallel scans, Queries on the table and on
indexes, projections, filters, model queries and limits, all of them must give the same
frame (dtypes included) and the same table. Runs on moto and on dynalite.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from backends import count_sends

import dynamorm_lab as dl
from dynamorm_lab.errors import ValidationError
from dynamorm_lab.local import LocalServer
from dynamorm_lab.samples import SAMPLES, import_items, sample_items

pytestmark = pytest.mark.integration

A = dl.attr


def S(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "S")


def N(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "N")


def sample_schema(name: str) -> dl.TableSchema:
    return next(t for s in SAMPLES.values() for t in s.tables if t.name == name)


BATTLE = sample_schema("battle-royale")
MOVIES = sample_schema("Movies")
SHOP = sample_schema("OnlineShop")
PRODUCTS = sample_schema("ProductCatalog")
THREADS = sample_schema("Thread")
REPLIES = sample_schema("Reply")

KITCHEN = f"fast_frames_kitchen_{uuid.uuid4().hex[:8]}"
KITCHEN_SCHEMA = dl.TableSchema(KITCHEN, S("pk"), N("sk"), (
    dl.Index("ByGroup", "GSI", S("group"), S("at")),))
BLOBS = f"fast_frames_blobs_{uuid.uuid4().hex[:8]}"
BLOBS_SCHEMA = dl.TableSchema(BLOBS, dl.KeyAttribute("pk", "B"), S("at"))


class FFGame(dl.Model, table="battle-royale"):
    pk: str = dl.field(partition_key=True, name="PK", gsi_sort="InvertedIndex")
    sk: str = dl.field(sort_key=True, name="SK", gsi_partition="InvertedIndex")
    game_id: str | None = None
    map: str | None = dl.field(None, gsi_partition="OpenGamesIndex")
    people: int | None = None
    open_timestamp: str | None = dl.field(None, gsi_sort="OpenGamesIndex")
    username: str | None = None


class FFKitchen(dl.Model, table=KITCHEN):
    pk: str = dl.field(partition_key=True)
    sk: int = dl.field(sort_key=True)
    text: str
    count: int
    ratio: float | None = None
    exact: Decimal | None = None
    flag: bool
    blob: bytes | None = None
    tags: set[str] = dl.field(default_factory=set)
    numbers: list[int] = dl.field(default_factory=list)
    info: dict[str, Any] = dl.field(default_factory=dict)
    group: str | None = dl.field(None, gsi_partition="ByGroup")
    at: str | None = dl.field(None, gsi_sort="ByGroup")


# --- a table with every type -----------------------------------------------------------------

def s(text: str) -> dict[str, Any]:
    return {"S": text}


def n(text: str) -> dict[str, Any]:
    return {"N": text}


def b(data: bytes) -> dict[str, Any]:
    return {"B": data}


STAMPS = ["2020-01-01T10:11:12Z", "2021-06-30", "2022-03-04 05:06:07.123456",
          "2023-12-31T23:59:59.5+05:30"]


def kitchen_items(count: int = 90) -> list[dict[str, Any]]:
    """Items of every type; some attributes and map keys appear only in later items, some
    columns mix types, and the number columns cover each branch of the number rule."""
    rng = random.Random(20240607)
    items = []
    for i in range(count):
        stamp = STAMPS[i % len(STAMPS)]
        item: dict[str, Any] = {
            "pk": s(f"p{i % 5}"), "sk": n(str(i)),
            "text": s(rng.choice(["plain", "ünïcødé", "日本語", "line\nbreak", stamp])),
            "when": s(stamp),
            "count": n(str(rng.randint(-10**6, 10**6))),
            "flag": {"BOOL": i % 3 == 0},
            "tags": {"SS": sorted({f"t{rng.randint(0, 9)}" for _ in range(3)} | {stamp})},
            "numbers": {"L": [n(str(rng.randint(-99, 99))) for _ in range(i % 4)]},
            "info": {"M": {"rating": n(rng.choice(["7.5", "8", "0.1", "9.25"])),
                           "genres": {"L": [s("drama"), s(stamp)]}}},
            "mixed": [s("x"), n("1"), {"BOOL": True}, {"NULL": True}, {"L": [n("2")]},
                      {"M": {"k": s("v")}}, b(b"\x00\xff")][i % 7],
        }
        if i % 2:
            item["ratio"] = n(rng.choice(["0.5", "1.25", "-3", "1E-130", "1E+125"]))
        if i % 3:
            item["exact"] = n(rng.choice(["0.12345678901234567890", "1", "-2.5",
                                          "12345678901234567890123456789012345678"]))
            item["big"] = n(rng.choice([str(2**63 - 1), str(-(2**63)), str(2**64), "7"]))
            item["sparse_int"] = n(str(i))
        if i % 4 == 0:
            item["blob"] = b(bytes(rng.randrange(256) for _ in range(rng.randint(0, 8))))
            item["blobs"] = {"BS": [b"\x01", b"\x02" + bytes([i])]}
            item["ns"] = {"NS": sorted({str(i), "0.5", "-1"})}
            item["maybe"] = {"NULL": True} if i % 8 else {"BOOL": False}
            item["group"] = s(f"g{i % 3}")
            item["at"] = s(stamp)
        if i % 5 == 0:
            item["empty"] = {"L": []} if i % 10 else {"M": {}}
            item["huge"] = n(rng.choice(["1E+125", "0.1234567890123456789", "-9.99E+125"]))
        if i >= count // 2:  # on later pages: a new attribute, new map keys, deeper nesting
            item["late"] = s(f"late{i}")
            item["info"]["M"]["cast"] = {"M": {"lead": s("Ann"), "extras": {"L": [
                {"M": {"name": s("Bo"), "age": n(str(i))}}]}}}
            item["info"]["M"]["plot"] = s(stamp)
        if i == count - 1:
            item["last_only"] = {"M": {"deep": {"M": {"er": {"L": [{"L": [n("1")]}]}}}}}
        items.append(item)
    return items


def blob_items() -> list[dict[str, Any]]:
    return [{"pk": b(bytes([0, 255, i % 3])), "at": s(f"2020-01-{1 + i:02d}T00:00:00Z"),
             "v": n(str(i)), "raw": b(bytes([i]) * i)} for i in range(25)]


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def conn(server: LocalServer, samples: tuple[str, ...]) -> Iterator[dl.Connection]:
    """A connection, the sample data sets loaded, and this module's two tables."""
    connection = dl.connect(server.endpoint_url, make_default=False)
    connection.create_table(KITCHEN_SCHEMA)
    connection.create_table(BLOBS_SCHEMA)
    try:
        written = import_items(connection, [(KITCHEN, i, "kitchen") for i in kitchen_items()]
                               + [(BLOBS, i, "blobs") for i in blob_items()])
        assert all(r.ok for r in written.values())
        yield connection
    finally:
        connection.delete_table(KITCHEN)
        connection.delete_table(BLOBS)
        connection.close()


@pytest.fixture(scope="module")
def movie_year() -> int:
    """A year with a few dozen movies (several pages of 15)."""
    years = Counter(int(item["year"]["N"]) for _, item in sample_items("movies"))
    return min(sorted(years), key=lambda y: abs(years[y] - 40))


# --- the comparisons ---------------------------------------------------------------------------

def canonical_type(kind: Any) -> Any:
    """An Arrow type with struct fields sorted by name (their order is first-seen order, which
    the interleaving of parallel segments changes)."""
    if pa.types.is_struct(kind):
        return pa.struct(sorted(((f.name, canonical_type(f.type)) for f in kind),
                                key=lambda f: f[0]))
    if pa.types.is_list(kind):
        return pa.list_(canonical_type(kind.value_type))
    return kind


def assert_same_table(got: Any, want: Any, keys: list[str] | None) -> None:
    if keys is None:
        assert got.equals(want), f"\n{got.schema}\n---\n{want.schema}"
        return
    assert sorted(got.column_names) == sorted(want.column_names)
    assert {f.name: canonical_type(f.type) for f in got.schema} == {
        f.name: canonical_type(f.type) for f in want.schema}
    order = [(k, "ascending") for k in keys]
    assert got.sort_by(order).to_pylist() == want.sort_by(order).to_pylist()


def normalised(frame: pd.DataFrame, keys: list[str] | None, any_column_order: bool) -> Any:
    if any_column_order:
        frame = frame[sorted(frame.columns)]
    if keys is None:
        return frame
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def assert_same_frame(got: pd.DataFrame, want: pd.DataFrame,
                      keys: list[str] | None = None) -> None:
    """Equal frames: dtypes, values and column order; with `keys` (parallel segments, whose
    pages may arrive in any order) rows sorted by those columns and columns by name."""
    unordered = keys is not None
    if unordered:
        assert sorted(got.columns) == sorted(want.columns)
    pd.testing.assert_frame_equal(normalised(got, keys, unordered),
                                  normalised(want, keys, unordered), check_exact=True)


def check_every_path(query: dl.Query, keys: list[str] | None = None) -> pd.DataFrame:
    """Every way to a frame and a table gives the same answer; returns the frame. With
    `keys` (parallel segments), rows are compared sorted by those columns."""
    result = query.all()
    frame = query.to_pandas()
    assert len(frame) == len(result)
    for carrier in (frame, result.to_pandas()):  # the plan's sentence and the read's stats
        assert carrier.attrs["plan"] == result.plan.sentence
        stats = carrier.attrs["stats"]
        assert (stats.operation, stats.index) == (result.stats.operation, result.stats.index)
        assert stats.returned == len(frame) and stats.pages >= 1
    assert_same_frame(frame, result.to_pandas(), keys)
    table = query.to_arrow()
    assert table.num_rows == (len(result) if table.num_columns else 0)
    assert_same_table(table, result.to_arrow(), keys)
    flat = query.to_pandas(flatten=True)
    assert_same_frame(flat, result.to_pandas(flatten=True), keys)
    floats = query.to_pandas(numbers="float")
    assert_same_frame(floats, result.to_pandas(numbers="float"), keys)
    assert_same_table(query.to_arrow(numbers="float"), result.to_arrow(numbers="float"), keys)
    return frame


# --- sample data sets --------------------------------------------------------------------------

def test_scans_of_the_sample_tables(conn: dl.Connection) -> None:
    for schema in (SHOP, PRODUCTS, THREADS, REPLIES):  # battle-royale: the next test
        frame = check_every_path(dl.Query(schema, scan=True).using(conn))
        assert len(frame) == sum(1 for t, _ in sample_items(_sample_of(schema)) if t == schema.name)


def _sample_of(schema: dl.TableSchema) -> str:
    return next(name for name, s in SAMPLES.items() if schema in s.tables)


def test_paged_scan_and_parallel_scan(conn: dl.Connection) -> None:
    """Pages of 97 items: attributes first appear on later pages; three segments in threads
    interleave their pages (compared after sorting by the key)."""
    paged = check_every_path(dl.Query(BATTLE, scan=True).page_size(97).using(conn))
    whole = dl.Query(BATTLE, scan=True).using(conn).to_pandas()
    assert_same_frame(paged, whole, ["PK", "SK"])
    parallel = check_every_path(dl.Query(BATTLE, scan=True).segments(3).page_size(150)
                                .using(conn), keys=["PK", "SK"])
    assert_same_frame(parallel, whole, ["PK", "SK"])


def test_queries_on_the_table_key_and_on_indexes(conn: dl.Connection, movie_year: int) -> None:
    games = Counter(item["PK"]["S"] for _, item in sample_items("battle-royale")
                    if item["PK"]["S"].startswith("GAME#"))
    game = games.most_common(1)[0][0]
    user = Counter(item["SK"]["S"] for _, item in sample_items("battle-royale")
                   if item["SK"]["S"].startswith("USER#")).most_common(1)[0][0]
    queries = [
        (dl.Query(BATTLE, A("PK") == game), "Query", None),
        (dl.Query(BATTLE, A("SK") == user), "Query", "InvertedIndex"),
        (dl.Query(BATTLE, A("map") == "Juicy Jungle", A("open_timestamp").exists()),
         "Query", "OpenGamesIndex"),
        (dl.Query(MOVIES, A("year") == movie_year).page_size(15), "Query", None),
        (dl.Query(SHOP, A("GSI1-PK") == "c#12345", A("GSI1-SK").exists()), "Query", "GSI1"),
        (dl.Query(REPLIES, A("PostedBy") == "User A", A("Message").exists()), "Query",
         "PostedBy-Message-Index"),
    ]
    for query, operation, index in queries:
        explained = query.explain()
        assert (explained.operation, explained.index) == (operation, index), str(explained)
        frame = check_every_path(query.using(conn))
        assert len(frame) == len(query.using(conn).all())
    movies = dl.Query(MOVIES, A("year") == movie_year).using(conn)
    frame = movies.to_pandas(flatten=True)
    assert frame["year"].dtype == "int64" and frame["info.rating"].dtype == object
    assert {type(r) for r in frame["info.rating"].dropna()} <= {int, Decimal}
    assert movies.to_pandas(flatten=True, numbers="float")["info.rating"].dtype == "float64"
    table = movies.to_arrow()
    assert table.schema.field("year").type == pa.int64()
    assert pa.types.is_decimal(table.schema.field("info").type.field("rating").type)


def test_projections_and_filters(conn: dl.Connection, movie_year: int) -> None:
    year = dl.Query(MOVIES, A("year") == movie_year)
    frame = check_every_path(year.select("title", "year").using(conn))
    assert list(frame.columns) == ["title", "year"]
    nested = check_every_path(year.select("title", "info.rating").using(conn))
    assert set(nested.columns) == {"title", "info.rating"}
    table = year.select("title", "info.rating").using(conn).to_arrow()
    assert table.column_names == ["title", "info"]
    # a projection on an index without the table key: the cursor's key attributes are dropped
    open_games = dl.Query(BATTLE, A("map") == "Dirty Desert",
                          A("open_timestamp").exists()).select("game_id", "people")
    games = check_every_path(open_games.using(conn))
    assert list(games.columns) == ["game_id", "people"] and len(games)
    # a filter that discards most items: many empty pages
    filtered = dl.Query(BATTLE, A("people") > 45, scan=True).page_size(60).using(conn)
    crowded = check_every_path(filtered)
    assert len(crowded) == sum(1 for _, i in sample_items("battle-royale")
                               if "people" in i and int(i["people"]["N"]) > 45)
    assert crowded["people"].dtype == "Int64" or crowded["people"].dtype == "int64"


def test_model_queries(conn: dl.Connection) -> None:
    frame = check_every_path(FFGame.scan().using(conn))
    assert list(frame.columns)[:7] == ["pk", "sk", "game_id", "map", "people",
                                       "open_timestamp", "username"]
    assert frame["people"].dtype == "Int64"
    check_every_path(FFGame.query(FFGame.map == "Open Ocean", FFGame.open_timestamp.exists())
                     .using(conn))
    kitchen = check_every_path(FFKitchen.scan().page_size(11).using(conn))
    models = FFKitchen.scan().using(conn).all()
    assert kitchen["count"].tolist() == [m.count for m in models]
    assert kitchen["count"].dtype == "int64" and kitchen["ratio"].dtype == "float64"
    assert kitchen["exact"].dtype == object and kitchen["flag"].dtype == "boolean"
    check_every_path(FFKitchen.query(FFKitchen.pk == "p3").using(conn))
    check_every_path(FFKitchen.scan().segments(3).page_size(8).using(conn), keys=["pk", "sk"])
    check_every_path(FFKitchen.scan().segments(3).select("sk", "pk", "info.rating").using(conn),
                     keys=["pk", "sk"])


# --- every type --------------------------------------------------------------------------------

def test_every_type_through_every_path(conn: dl.Connection) -> None:
    """Small pages, so that the Arrow reader meets new attributes, new map keys, a first
    empty list and a type change of a column on later pages."""
    items = kitchen_items()
    for size in (None, 7):
        query = dl.Query(KITCHEN_SCHEMA, scan=True).page_size(size).using(conn)
        frame = check_every_path(query)
        assert len(frame) == len(items)
    frame = dl.Query(KITCHEN_SCHEMA, scan=True).using(conn).to_pandas()
    assert frame["when"].tolist() == [i["when"]["S"] for i in _in_scan_order(conn, items)]
    assert frame["count"].dtype == "int64" and frame["sparse_int"].dtype == "Int64"
    assert frame["info"].map(type).eq(dict).all()
    table = dl.Query(KITCHEN_SCHEMA, scan=True).page_size(7).using(conn).to_arrow()
    kinds = {f.name: f.type for f in table.schema}
    assert kinds["when"] == pa.string() and kinds["at"] == pa.string()
    assert kinds["count"] == pa.int64() and kinds["ratio"] in (pa.string(), pa.decimal128(38, 2))
    assert kinds["huge"] == pa.string() and kinds["mixed"] == pa.string()
    assert kinds["blob"] == pa.binary() and kinds["blobs"] == pa.list_(pa.binary())
    assert kinds["tags"] == pa.list_(pa.string()) and kinds["numbers"] == pa.list_(pa.int64())
    assert pa.types.is_decimal(kinds["exact"]) or kinds["exact"] == pa.string()
    assert [f.name for f in kinds["info"]][:2] == ["rating", "genres"]
    assert {"cast", "plot"} <= {f.name for f in kinds["info"]}


def _in_scan_order(conn: dl.Connection, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = [(i["pk"]["S"], int(i["sk"]["N"]))
            for i in dl.Query(KITCHEN_SCHEMA, scan=True).as_items().using(conn).all()]
    by_key = {(i["pk"]["S"], int(i["sk"]["N"])): i for i in items}
    return [by_key[k] for k in keys]


def test_every_type_in_segments_queries_projections_and_filters(conn: dl.Connection) -> None:
    kitchen = dl.Query(KITCHEN_SCHEMA, scan=True)
    check_every_path(kitchen.segments(3).page_size(9).using(conn), keys=["pk", "sk"])
    check_every_path(dl.Query(KITCHEN_SCHEMA, A("pk") == "p2").page_size(4).using(conn))
    by_group = dl.Query(KITCHEN_SCHEMA, A("group") == "g1", A("at").exists())
    assert by_group.explain().index == "ByGroup"
    check_every_path(by_group.page_size(2).using(conn))
    projected = check_every_path(kitchen.select("sk", "info.rating", "numbers", "blob")
                                 .page_size(13).using(conn))
    assert list(projected.columns) == ["sk", "info.rating", "numbers", "blob"]
    check_every_path(dl.Query(KITCHEN_SCHEMA, A("flag") == True, scan=True)  # noqa: E712
                     .page_size(10).using(conn))
    # wire items from botocore hold binary as bytes: the Result path gives the same frame
    wire = kitchen.as_items().using(conn)
    assert_same_frame(wire.all().to_pandas(), kitchen.using(conn).to_pandas())
    assert wire.all().to_arrow().equals(kitchen.using(conn).to_arrow())


def test_binary_and_timestamp_keys_resume_across_arrow_pages(conn: dl.Connection) -> None:
    """LastEvaluatedKey with a B partition key and an ISO-looking S sort key, read by pyarrow,
    resumes exactly: every item once."""
    items = blob_items()
    for query in (dl.Query(BLOBS_SCHEMA, scan=True).page_size(3),
                  dl.Query(BLOBS_SCHEMA, A("pk") == bytes([0, 255, 1])).page_size(2)):
        frame = check_every_path(query.using(conn))
        table = query.using(conn).to_arrow()
        expected = [i for i in items if query.spec.scan or i["pk"]["B"] == bytes([0, 255, 1])]
        assert sorted(zip(table.column("pk").to_pylist(), table.column("at").to_pylist(),
                          strict=True)) == sorted((i["pk"]["B"], i["at"]["S"]) for i in expected)
        assert table.schema.field("at").type == pa.string()
        assert frame["raw"].tolist() == table.column("raw").to_pylist()


def test_an_attribute_named_last_evaluated_key_does_not_mislead_the_read_ahead(
        conn: dl.Connection) -> None:
    """Streamed reads send a page's next request as soon as its LastEvaluatedKey is found in
    the raw bytes. Items holding an attribute of that very name (a string, a key-shaped map)
    make the bytes ambiguous or misleading; the pages are still read exactly once each."""
    table = f"fast_frames_odd_{uuid.uuid4().hex[:8]}"
    schema = dl.TableSchema(table, S("pk"), N("sk"))
    conn.create_table(schema)
    try:
        lone = [{"pk": s("only"), "sk": n("1"), "LastEvaluatedKey": s("not a key")}]
        assert all(r.ok for r in import_items(conn, [(table, i, "lone") for i in lone]).values())
        sent = count_sends(conn)
        frame = check_every_path(dl.Query(schema, scan=True).using(conn))
        assert frame["LastEvaluatedKey"].tolist() == ["not a key"]
        del sent[:]
        dl.Query(schema, scan=True).using(conn).to_pandas()
        # the one page's own key is absent, so the attribute misled the read ahead: the read
        # was done again without reading ahead (the misled request was refused unsent)
        assert sum(name.endswith(".Scan") for name in sent) == 2

        many = [{"pk": s(f"p{i % 4}"), "sk": n(str(i))}
                | ({"LastEvaluatedKey": {"M": {"pk": s("p9"), "sk": n("9")}}} if i % 3 == 0
                   else {}) for i in range(40)]
        assert all(r.ok for r in import_items(conn, [(table, i, "many") for i in many]).values())
        for query in (dl.Query(schema, scan=True).page_size(7),
                      dl.Query(schema, A("pk") == "p1").page_size(3),
                      dl.Query(schema, scan=True).segments(3).page_size(5)):
            keys = ["pk", "sk"] if query.spec.segments > 1 else None
            frame = check_every_path(query.using(conn), keys)
            expected = {(i["pk"]["S"], int(i["sk"]["N"])) for i in [*lone, *many]
                        if query.spec.scan or i["pk"]["S"] == "p1"}
            got = list(zip(frame["pk"], frame["sk"], strict=True))
            assert len(got) == len(expected) and set(got) == expected
    finally:
        conn.delete_table(table)


# --- limits and refusals ------------------------------------------------------------------------

def test_a_limit_on_every_route(conn: dl.Connection) -> None:
    for query, size in ((dl.Query(KITCHEN_SCHEMA, A("pk") == "p1"), 5),
                        (dl.Query(BATTLE, scan=True).page_size(50), 120),
                        (FFKitchen.scan().page_size(4), 9)):
        bounded = query.limit(size).using(conn)
        frame = bounded.to_pandas()
        assert len(frame) == size
        assert_same_frame(bounded.all().to_pandas(), frame)
        table = bounded.to_arrow()
        assert table.num_rows == size and table.equals(bounded.all().to_arrow())
        whole = query.using(conn).to_pandas()
        first = whole.head(size)[list(frame.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame.astype(object), first.astype(object),
                                      check_exact=True)


def test_key_reads_on_every_route(conn: dl.Connection) -> None:
    """GetItem and BatchGetItem give the same frame and table from the query and the result."""
    for query, operation in ((dl.Query(PRODUCTS, A("Id") == 202), "GetItem"),
                             (dl.Query(PRODUCTS, A("Id").is_in([205, 101, 999_999, 203])),
                              "BatchGetItem"),
                             (dl.Query(KITCHEN_SCHEMA, A("pk") == "p1", A("sk") == 6), "GetItem"),
                             (dl.Query(KITCHEN_SCHEMA, A("pk") == "p0", A("sk").is_in([0, 5, 10])),
                              "BatchGetItem")):
        assert query.explain().operation == operation
        frame = check_every_path(query.using(conn))
        assert len(frame) == len(query.using(conn).all()) > 0


@pytest.mark.parametrize(("options", "message"), [
    ({"numbers": "floats"}, "numbers"), ({"numbers": "Exact"}, "numbers"),
    ({"numbers": None}, "numbers"), ({"flatten": "yes"}, "flatten"), ({"flatten": 1}, "flatten"),
    ({"flatten": None}, "flatten")])
def test_bad_options_are_refused_before_any_request(conn: dl.Connection, options: dict[str, Any],
                                                    message: str) -> None:
    sent: list[str] = []

    def hook(**kwargs: Any) -> None:
        sent.append(kwargs.get("event_name", "?"))

    conn.on("before-send.dynamodb", hook, unique_id="fast-frames-count")
    try:
        query = dl.Query(KITCHEN_SCHEMA, scan=True).using(conn)
        with pytest.raises(ValidationError, match=message):
            query.to_pandas(**options)
        with pytest.raises(ValidationError, match=message):
            FFKitchen.scan().using(conn).to_pandas(**options)
        assert sent == []
        query.page_size(50).to_pandas()
        assert sent  # the hook sees the requests a good call sends
    finally:
        conn.off("before-send.dynamodb", unique_id="fast-frames-count")


def test_importing_the_package_loads_no_heavy_libraries() -> None:
    code = ("import json, sys, dynamorm_lab\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pandas', 'pyarrow', 'IPython', 'ipywidgets'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout) == []
