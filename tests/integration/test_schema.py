"""Schema diffs, migrations, ensure_table and backfills against the local server.

What a migration did is checked with raw DescribeTable/DescribeTimeToLive calls and raw
queries; what a backfill did with a paginated raw Scan. Models of one table are declared as
variants (subclasses that change a field's role) of a base model.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from backends import raw_scan

import dynamorm_lab as dl
from dynamorm_lab.local import LocalServer

pytestmark = pytest.mark.integration

GENRES = ("drama", "comedy", "horror", "western", "noir")


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture
def cleanup(db: dl.Connection) -> Iterator[list[str]]:
    """Names of tables to delete at the end (whether or not they were created)."""
    names: list[str] = []
    yield names
    for name in names:
        if db.table_exists(name):
            db.delete_table(name)


def raw_describe(db: dl.Connection, name: str) -> dict[str, Any]:
    """The parts of DescribeTable a migration could change, plus the TTL description."""
    table = db.client.describe_table(TableName=name)["Table"]
    ttl = db.client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]

    def index(raw: dict[str, Any]) -> tuple[Any, ...]:
        return (raw["IndexName"], repr(raw["KeySchema"]), repr(raw["Projection"]))

    return {
        "keys": table["KeySchema"],
        "definitions": sorted(repr(d) for d in table["AttributeDefinitions"]),
        "gsis": sorted(index(g) for g in table.get("GlobalSecondaryIndexes", [])),
        "lsis": sorted(index(i) for i in table.get("LocalSecondaryIndexes", [])),
        "count": _raw_count(db, name),
        "ttl": ttl,
    }


def _raw_count(db: dl.Connection, table: str) -> int:
    total, params = 0, {"TableName": table, "Select": "COUNT"}
    while True:
        page = db.client.scan(**params)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]




def films(table: str) -> dict[str, Any]:
    """Variants of one table's model, by name."""

    class Film(dl.Model, table=table):
        studio: str = dl.field(partition_key=True)
        title: str = dl.field(sort_key=True)
        genre: str = ""
        year: int = 0
        rating: int = 0
        expires: dt.datetime | None = None

    class WithGenre(Film):
        genre: str = dl.field(default="", gsi_partition="ByGenre")
        year: int = dl.field(default=0, gsi_sort="ByGenre")

    class GenreKeysOnly(WithGenre, projections={"ByGenre": "KEYS_ONLY"}):
        pass

    class YearSorted(Film):  # a different sort key, and a GSI it must not get either
        title: str = ""
        year: int = dl.field(default=0, sort_key=True)
        genre: str = dl.field(default="", gsi_partition="ByGenre")

    class WithLsi(Film):
        rating: int = dl.field(default=0, lsi_sort="ByRating")

    class Expiring(Film):
        expires: dt.datetime | None = dl.field(ttl=True)

    return {"Film": Film, "WithGenre": WithGenre, "GenreKeysOnly": GenreKeysOnly,
            "YearSorted": YearSorted, "WithLsi": WithLsi, "Expiring": Expiring}


def populate(db: dl.Connection, model: Any, count: int = 300) -> list[Any]:
    objects = [model(studio=f"s{n % 7}", title=f"film {n:04d}", genre=GENRES[n % 5],
                     year=1950 + n % 70, rating=n % 10) for n in range(count)]
    db.batch_write(objects)
    return objects


# --- diffs and migrations --------------------------------------------------------------------

@pytest.mark.needs("ttl")
def test_a_table_created_from_a_model_has_an_empty_diff(db: dl.Connection, cleanup: list[str],
                                                        table_name: str) -> None:
    models = films(table_name)
    cleanup.append(table_name)
    for name in ("WithGenre", "WithLsi", "Expiring"):
        db.create_table(models[name])
        found = db.diff(models[name])
        assert found.exists and found.empty, str(found)
        assert found.changes == [] and found.blocking == []
        assert "matches" in str(found)
        plan = db.migrate(models[name], dry_run=True)
        assert plan.steps == [] and len(plan.to_pandas()) == 0
        db.delete_table(table_name)

    found = db.diff(models["Film"])
    assert not found.exists
    assert [c.kind for c in found.changes] == ["create_table"]


@pytest.mark.needs("gsi_update")
def test_adding_a_gsi_dry_run_changes_nothing_then_migrate_builds_it(
        db: dl.Connection, cleanup: list[str], table_name: str) -> None:
    models = films(table_name)
    Film, WithGenre = models["Film"], models["WithGenre"]
    cleanup.append(table_name)
    db.create_table(Film)
    objects = populate(db, Film)

    found = db.diff(WithGenre)
    assert [(c.kind, c.target, c.in_place) for c in found.changes] == [
        ("add_index", "GSI ByGenre", True)]
    assert "genre" in found.changes[0].detail and "year" in found.changes[0].detail

    before = raw_describe(db, table_name)
    plan = db.migrate(WithGenre, dry_run=True)
    assert plan.dry_run and plan.applied == 0
    assert [s.operation for s in plan.steps] == ["UpdateTable"]
    assert plan.steps[0].params["GlobalSecondaryIndexUpdates"][0]["Create"]["IndexName"] \
        == "ByGenre"
    frame = plan.to_pandas()
    assert list(frame["done"]) == [False]
    assert raw_describe(db, table_name) == before

    plan = db.migrate(WithGenre)
    assert not plan.dry_run and plan.applied == 1
    table = db.client.describe_table(TableName=table_name)["Table"]
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "ByGenre"
    assert gsi["KeySchema"] == [{"AttributeName": "genre", "KeyType": "HASH"},
                                {"AttributeName": "year", "KeyType": "RANGE"}]
    assert gsi["Projection"]["ProjectionType"] == "ALL"
    assert gsi.get("IndexStatus", "ACTIVE") == "ACTIVE"
    definitions = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}
    assert definitions == {"studio": "S", "title": "S", "genre": "S", "year": "N"}
    assert db.diff(WithGenre).empty
    assert raw_describe(db, table_name)["count"] == 300

    # The new index serves queries over the items written before it existed.
    result = WithGenre.query(WithGenre.genre == "noir", WithGenre.year >= 2000).all()
    assert result.plan.operation == "Query" and result.plan.index == "ByGenre"
    expected = {(o.studio, o.title) for o in objects if o.genre == "noir" and o.year >= 2000}
    assert expected and {(o.studio, o.title) for o in result} == expected
    assert len(result) == len(expected)
    raw = db.client.query(TableName=table_name, IndexName="ByGenre",
                          KeyConditionExpression="genre = :g",
                          ExpressionAttributeValues={":g": {"S": "drama"}})
    assert raw["Count"] == 60


@pytest.mark.needs("gsi_update")
def test_two_gsis_added_in_one_migrate_leave_a_describable_table(
        db: dl.Connection, cleanup: list[str], table_name: str) -> None:
    models = films(table_name)
    Film = models["Film"]

    class TwoIndexes(Film):
        genre: str = dl.field(default="", gsi_partition="ByGenre")
        rating: int = dl.field(default=0, gsi_partition="ByRating")

    cleanup.append(table_name)
    db.create_table(Film)
    populate(db, Film, count=50)
    plan = db.migrate(TwoIndexes, dry_run=True)
    for step in plan.steps:  # every step sends the definitions of every key that will exist
        sent = {d["AttributeName"] for d in step.params["AttributeDefinitions"]}
        assert {"studio", "title"} <= sent
    assert db.migrate(TwoIndexes).applied == 2

    table = db.client.describe_table(TableName=table_name)["Table"]
    definitions = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}
    assert definitions == {"studio": "S", "title": "S", "genre": "S", "rating": "N"}
    assert {i.name for i in db.describe(table_name).indexes} == {"ByGenre", "ByRating"}
    assert db.diff(TwoIndexes).empty
    assert {i.name for i in dl.schema(db.model(table_name)).indexes} == {"ByGenre", "ByRating"}
    result = TwoIndexes.query(TwoIndexes.rating == 3).all()
    assert result.plan.index == "ByRating" and len(result) == 5


@pytest.mark.needs("gsi_update")
def test_removing_a_gsi_from_the_model_deletes_it(db: dl.Connection, cleanup: list[str],
                                                  table_name: str) -> None:
    models = films(table_name)
    Film, WithGenre = models["Film"], models["WithGenre"]
    cleanup.append(table_name)
    db.create_table(WithGenre)
    populate(db, WithGenre, 50)

    found = db.diff(Film)
    assert [(c.kind, c.target, c.in_place) for c in found.changes] == [
        ("remove_index", "GSI ByGenre", True)]
    plan = db.migrate(Film)
    assert [s.description for s in plan.steps] == ["delete GSI ByGenre"]
    assert plan.applied == 1
    table = db.client.describe_table(TableName=table_name)["Table"]
    assert table.get("GlobalSecondaryIndexes", []) == []
    assert db.diff(Film).empty
    assert _raw_count(db, table_name) == 50


@pytest.mark.needs("gsi_update")
def test_a_changed_projection_deletes_and_recreates_the_gsi(
        db: dl.Connection, cleanup: list[str], table_name: str) -> None:
    models = films(table_name)
    WithGenre, GenreKeysOnly = models["WithGenre"], models["GenreKeysOnly"]
    cleanup.append(table_name)
    db.create_table(WithGenre)
    populate(db, WithGenre, 100)

    found = db.diff(GenreKeysOnly)
    assert [(c.kind, c.target, c.in_place) for c in found.changes] == [
        ("change_index", "GSI ByGenre", True)]
    assert "ALL" in found.changes[0].detail and "KEYS_ONLY" in found.changes[0].detail
    dry = db.migrate(GenreKeysOnly, dry_run=True)
    updates = [s.params["GlobalSecondaryIndexUpdates"][0] for s in dry.steps]
    assert [next(iter(u)) for u in updates] == ["Delete", "Create"]
    assert raw_describe(db, table_name)["gsis"][0][2] == repr({"ProjectionType": "ALL"})

    plan = db.migrate(GenreKeysOnly)
    assert plan.applied == 2
    (gsi,) = db.client.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"]
    assert gsi["Projection"]["ProjectionType"] == "KEYS_ONLY"
    assert db.diff(GenreKeysOnly).empty
    raw = db.client.query(TableName=table_name, IndexName="ByGenre",
                          KeyConditionExpression="genre = :g",
                          ExpressionAttributeValues={":g": {"S": "comedy"}})
    assert raw["Count"] == 20
    assert all(set(item) == {"studio", "title", "genre", "year"} for item in raw["Items"])


@pytest.mark.parametrize(("live", "wanted", "kind", "target"), [
    ("Film", "YearSorted", "key", "sort key"),
    ("Film", "WithLsi", "lsi", "LSI ByRating"),
    ("WithLsi", "Film", "lsi", "LSI ByRating"),
])
def test_changes_dynamodb_cannot_make_in_place_are_refused_and_change_nothing(
        db: dl.Connection, cleanup: list[str], table_name: str, live: str, wanted: str,
        kind: str, target: str) -> None:
    models = films(table_name)
    cleanup.append(table_name)
    db.create_table(models[live])
    populate(db, models[live], 40)
    before = raw_describe(db, table_name)

    found = db.diff(models[wanted])
    refused = [c for c in found.changes if not c.in_place]
    assert [(c.kind, c.target) for c in refused] == [(kind, target)]
    assert found.blocking == refused

    with pytest.raises(dl.ValidationError, match=target) as caught:
        db.migrate(models[wanted])
    assert "nothing was changed" in str(caught.value)
    assert raw_describe(db, table_name) == before

    plan = db.migrate(models[wanted], dry_run=True)
    frame = plan.to_pandas()
    rows = frame[frame["what"].str.startswith("REFUSED")]
    assert len(rows) == 1 and target in rows.iloc[0]["what"]
    assert not rows.iloc[0]["done"]
    assert target in str(plan) and "refused" in str(plan)
    assert raw_describe(db, table_name) == before


@pytest.mark.needs("ttl")
def test_ttl_is_enabled_and_disabled_by_migrate(db: dl.Connection, cleanup: list[str],
                                                table_name: str) -> None:
    models = films(table_name)
    Film, Expiring = models["Film"], models["Expiring"]
    cleanup.append(table_name)
    db.create_table(Film)

    def ttl() -> dict[str, Any]:
        return dict(db.client.describe_time_to_live(TableName=table_name)[
            "TimeToLiveDescription"])

    assert ttl().get("TimeToLiveStatus") in (None, "DISABLED")
    found = db.diff(Expiring)
    assert [(c.kind, c.in_place) for c in found.changes] == [("ttl", True)]
    assert "expires" in found.changes[0].how
    assert ttl().get("TimeToLiveStatus") in (None, "DISABLED")  # diff changes nothing

    plan = db.migrate(Expiring)
    assert [s.operation for s in plan.steps] == ["UpdateTimeToLive"]
    assert ttl() == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert db.diff(Expiring).empty

    plan = db.migrate(Film)
    assert [s.description for s in plan.steps] == ["disable TTL on expires"]
    assert ttl().get("TimeToLiveStatus") == "DISABLED"
    assert db.diff(Film).empty


def test_ensure_table_creates_a_missing_table_and_only_diffs_an_existing_one(
        db: dl.Connection, cleanup: list[str], table_name: str) -> None:
    models = films(table_name)
    Film, WithGenre = models["Film"], models["WithGenre"]
    cleanup.append(table_name)
    assert not db.table_exists(table_name)

    found = db.ensure_table(WithGenre)
    assert found.exists and found.empty
    table = db.client.describe_table(TableName=table_name)["Table"]
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["ByGenre"]
    populate(db, WithGenre, 10)

    assert db.ensure_table(WithGenre).empty  # a second call is harmless
    before = raw_describe(db, table_name)
    found = db.ensure_table(Film)  # the table exists: report, never change
    assert [c.kind for c in found.changes] == ["remove_index"]
    assert raw_describe(db, table_name) == before


# --- backfills -------------------------------------------------------------------------------

def songs(table: str) -> tuple[Any, Any]:
    class Song(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        n: int = 0
        title: str = ""
        title_upper: str | None = None
        counter: int = 0

    class VersionedSong(dl.Model, table=f"{table}_v"):
        pk: str = dl.field(partition_key=True)
        n: int = 0
        title: str = ""
        title_upper: str | None = None
        counter: int = 0
        version: int = dl.field(version=True)

    return Song, VersionedSong


def write_songs(db: dl.Connection, model: Any, count: int) -> None:
    """Items written raw; every tenth has an attribute the model does not know."""
    items = []
    for n in range(count):
        item = {"pk": {"S": f"song{n:04d}"}, "n": {"N": str(n)}, "title": {"S": f"song {n}"},
                "counter": {"N": "0"}}
        if "version" in model.__dynamorm_roles__:
            item["version"] = {"N": "1"}
        if n % 10 == 0:
            item["legacy"] = {"S": f"keep {n}"}
        items.append(item)
    for start in range(0, count, 25):
        db.client.batch_write_item(RequestItems={model.__table__: [
            {"PutRequest": {"Item": item}} for item in items[start:start + 25]]})


@pytest.fixture
def song_tables(db: dl.Connection, cleanup: list[str], table_name: str) -> tuple[Any, Any]:
    Song, VersionedSong = songs(table_name)
    for model in (Song, VersionedSong):
        cleanup.append(model.__table__)
        db.create_table(model)
    return Song, VersionedSong


def by_pk(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["pk"]["S"]: item for item in items}


def counters(db: dl.Connection, table: str) -> dict[str, int]:
    return {i["pk"]["S"]: int(i["counter"]["N"]) for i in raw_scan(db, table)}


def bump(obj: Any) -> Any:
    obj.counter += 1
    return obj


def test_backfill_adds_a_field_to_every_item(db: dl.Connection,
                                             song_tables: tuple[Any, Any]) -> None:
    Song, _ = song_tables
    write_songs(db, Song, 500)
    seen: list[str] = []

    def upper(song: Any) -> Any:
        seen.append(song.pk)
        song.title_upper = song.title.upper()
        return song

    report = db.backfill(Song, upper, page_size=100)

    assert (report.read, report.changed, report.skipped, report.failed) == (500, 500, 0, [])
    assert report.finished and report.cursor is None and report.pages >= 5
    assert len(seen) == len(set(seen)) == 500
    stored = raw_scan(db, Song.__table__)
    assert len(stored) == 500
    for item in stored:
        n = int(item["n"]["N"])
        assert item["title_upper"] == {"S": f"SONG {n}"}
        assert item["title"] == {"S": f"song {n}"} and item["counter"] == {"N": "0"}
        assert item.get("legacy") == ({"S": f"keep {n}"} if n % 10 == 0 else None)

    again = db.backfill(Song, lambda song: song)  # nothing to change
    assert (again.read, again.changed, again.skipped) == (500, 0, 500)
    untouched = db.backfill(Song, lambda song: None)
    assert (untouched.read, untouched.changed, untouched.skipped) == (500, 0, 500)
    assert by_pk(raw_scan(db, Song.__table__)) == by_pk(stored)


@pytest.mark.parametrize("stop_at", [101, 130], ids=["at-a-page-boundary", "mid-page"])
def test_a_stopped_backfill_resumes_and_changes_every_item_once(
        db: dl.Connection, song_tables: tuple[Any, Any], stop_at: int) -> None:
    Song, _ = song_tables
    write_songs(db, Song, 500)
    calls = 0

    def stop_once(song: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == stop_at:
            raise dl.ValidationError("the transform gave up")
        return bump(song)

    with pytest.raises(dl.ValidationError, match="gave up") as caught:
        db.backfill(Song, stop_once, page_size=50)
    report = getattr(caught.value, "report", None)
    assert isinstance(report, dl.BackfillReport)
    assert report.cursor is not None and not report.finished
    # items handed to the transform before it stopped; two whole pages were finished
    assert report.read == stop_at - 1 and report.pages == 2
    assert report.changed == stop_at - 1
    assert sum(counters(db, Song.__table__).values()) == stop_at - 1

    resumed = db.backfill(Song, stop_once, page_size=50, resume=report.cursor)

    assert resumed.finished and resumed.cursor is None and resumed.failed == []
    stored = counters(db, Song.__table__)
    assert len(stored) == 500
    twice = sorted(k for k, v in stored.items() if v != 1)
    assert twice == [], f"{len(twice)} item(s) changed more than once, e.g. {twice[:3]}"
    assert report.changed + resumed.changed == 500


def test_any_exception_from_the_transform_carries_the_resumable_report(
        db: dl.Connection, song_tables: tuple[Any, Any]) -> None:
    Song, _ = song_tables
    write_songs(db, Song, 120)
    calls = 0

    def crash(song: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 101:
            raise KeyError("a bug in the caller's transform")
        return bump(song)

    with pytest.raises(KeyError) as caught:
        db.backfill(Song, crash, page_size=50)
    report = getattr(caught.value, "report", None)
    assert isinstance(report, dl.BackfillReport), "a crashed transform loses the cursor"
    assert report.cursor is not None and report.read == 100


@pytest.mark.parametrize("versioned", [False, True], ids=["unversioned", "versioned"])
def test_an_item_changed_by_a_concurrent_writer_is_reported_and_keeps_its_value(
        db: dl.Connection, server: LocalServer, song_tables: tuple[Any, Any],
        versioned: bool) -> None:
    model = song_tables[1] if versioned else song_tables[0]
    write_songs(db, model, 40)
    other = dl.connect(server.endpoint_url, make_default=False)
    victim = "song0007"

    def transform(song: Any) -> Any:
        if song.pk == victim:  # someone else writes the item between our read and write
            other.update(model, model.title.set("concurrent"), model.counter.set(50),
                         key=victim)
        return bump(song)

    try:
        report = db.backfill(model, transform)
    finally:
        other.close()

    assert [key for key, _reason in report.failed] == [{"pk": {"S": victim}}]
    assert "someone else" in report.failed[0][1]
    assert report.changed == 39 and report.read == 40
    stored = {i["pk"]["S"]: i for i in raw_scan(db, model.__table__)}
    assert stored[victim]["title"] == {"S": "concurrent"}
    assert stored[victim]["counter"] == {"N": "50"}
    assert all(int(i["counter"]["N"]) == 1 for k, i in stored.items() if k != victim)
    if versioned:  # one write each: the concurrent writer's, the backfill's
        assert {i["version"]["N"] for i in stored.values()} == {"2"}


def test_a_backfill_in_four_segments_covers_every_item_once(
        db: dl.Connection, song_tables: tuple[Any, Any]) -> None:
    Song, _ = song_tables
    write_songs(db, Song, 500)
    seen: list[str] = []
    lock = threading.Lock()

    def record(song: Any) -> Any:
        with lock:
            seen.append(song.pk)
        return bump(song)

    report = db.backfill(Song, record, segments=4, page_size=60)

    assert report.read == 500 and report.changed == 500 and report.failed == []
    assert report.finished and report.cursor is None
    assert len(seen) == len(set(seen)) == 500
    stored = counters(db, Song.__table__)
    assert len(stored) == 500 and set(stored.values()) == {1}


def test_backfill_of_a_versioned_model_moves_versions_on(
        db: dl.Connection, song_tables: tuple[Any, Any]) -> None:
    _, VersionedSong = song_tables
    write_songs(db, VersionedSong, 60)
    report = db.backfill(VersionedSong, bump)
    assert report.changed == 60 and report.failed == []
    stored = raw_scan(db, VersionedSong.__table__)
    assert {(i["counter"]["N"], i["version"]["N"]) for i in stored} == {("1", "2")}
    # The versioned path writes the whole object: attributes the model does not know survive.
    assert sum("legacy" in i for i in stored) == 6

