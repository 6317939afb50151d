"""Single-item reads and writes against the embedded server, checked by reading back raw.

Every test creates its own table (unique name from the `table_name` fixture) through the
`make_table` fixture, which deletes it at the end. What a write did is always verified with a
separate raw GetItem on the botocore client (or a fresh read), never from the object the
library hands back.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from backends import count_sends
from helpers import Color, Priority

import dynamorm_lab as dl
from dynamorm_lab.local import LocalServer

pytestmark = pytest.mark.integration

UTC = dt.UTC


# --- fixtures and helpers --------------------------------------------------------------------

def raw_get(db: dl.Connection, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The stored item exactly as the server returns it (a consistent raw GetItem)."""
    response = db.client.get_item(TableName=table, Key=key, ConsistentRead=True)
    item: dict[str, Any] | None = response.get("Item")
    return item


def normalized(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """A raw item with set members sorted, so two reads of the same item compare equal."""
    if item is None:
        return None
    return {name: _norm_av(av) for name, av in item.items()}


def _norm_av(av: dict[str, Any]) -> dict[str, Any]:
    tag, payload = next(iter(av.items()))
    if tag in ("SS", "NS", "BS"):
        return {tag: sorted(payload)}
    if tag == "M":
        return {"M": {k: _norm_av(v) for k, v in payload.items()}}
    if tag == "L":
        return {"L": [_norm_av(v) for v in payload]}
    return {tag: payload}




# --- models (one class per test, built for that test's table) ---------------------------------

def make_movie(table: str) -> Any:
    class Movie(dl.Model, table=table):
        year: int = dl.field(partition_key=True)
        title: str = dl.field(sort_key=True)
        info: dict[str, Any] = dl.field(default_factory=dict)
        plays: int = 0
        version: int = dl.field(version=True)
        created_at: dt.datetime = dl.field(created_at=True)
        updated_at: dt.datetime = dl.field(updated_at=True)

    return Movie


def movie_key(year: int, title: str) -> dict[str, Any]:
    return {"year": {"N": str(year)}, "title": {"S": title}}


def make_note(table: str) -> Any:
    """Unversioned, with timestamps: saves are plain upserts."""

    class Note(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        text: str = ""
        created_at: dt.datetime = dl.field(created_at=True)
        updated_at: dt.datetime = dl.field(updated_at=True)

    return Note


def make_item(table: str) -> Any:
    class Item(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        plays: int = 0
        hits: int | None = None
        note: str | None = None
        actors: list[str] = dl.field(default_factory=list)
        info: dict[str, Any] = dl.field(default_factory=dict)
        tags: set[str] = dl.field(default_factory=set)
        nums: set[int] = dl.field(default_factory=set)
        version: int = dl.field(version=True)
        updated_at: dt.datetime = dl.field(updated_at=True)

    return Item


def item_key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}}


def make_counter(table: str) -> Any:
    class Counter(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        value: str = ""
        version: int = dl.field(version=True)

    return Counter


def make_record(table: str) -> Any:
    """Attribute names that are DynamoDB reserved words."""

    class Record(dl.Model, table=table):
        year: int = dl.field(partition_key=True)
        name: str = dl.field(sort_key=True)
        state: str = dl.field(name="status", default="new")
        payload: dict[str, Any] = dl.field(name="data", default_factory=dict)
        remark: str = dl.field(name="comment", default="")
        dims: int = dl.field(name="size", default=0)

    return Record


def make_scratch(table: str) -> Any:
    class Scratch(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        value: int = 0
        memo: str = dl.field(default="", stored=False)
        version: int = dl.field(version=True)

    return Scratch


def make_doc(table: str) -> Any:
    class Doc(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        state: str = ""
        info: dict[str, Any] = dl.field(default_factory=dict)

    return Doc


def make_blob(table: str) -> Any:
    class Blob(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        data: bytes = b""
        text: str = ""
        version: int = dl.field(version=True)
        updated_at: dt.datetime = dl.field(updated_at=True)

    return Blob






class Address(dl.Model):
    street: str
    zip: str
    floor: int | None = None


def make_everything(table: str) -> Any:
    class Everything(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        text: str
        big: int
        neg_big: int
        exact: Decimal
        ratio: float
        flag: bool
        blob: bytes
        items: list[Any]
        doc: dict[str, Any]
        words: set[str]
        numbers: set[int]
        blobs: set[bytes]
        when: dt.datetime
        day: dt.date
        uid: uuid.UUID
        color: Color
        priority: Priority
        address: Address
        labels: list[str] = dl.field(as_set=True)
        meta: dict[str, Any] = dl.field(as_json=True)
        expires: dt.datetime = dl.field(ttl=True)
        maybe: str | None = None
        fallback: str | None = "default"
        previous: Address | None = None

    return Everything


# --- create / get ----------------------------------------------------------------------------

def test_create_then_get_gives_an_equal_object(db: dl.Connection, make_table: Any,
                                               table_name: str) -> None:
    Movie = make_table(make_movie(table_name))
    rush = Movie(year=2013, title="Rush", info={"rating": Decimal("8.3"), "genres": ["Drama"]},
                 plays=4)
    rush.create()

    fresh = Movie.get(2013, "Rush")
    assert fresh == rush
    assert fresh.info == {"rating": Decimal("8.3"), "genres": ["Drama"]}
    assert fresh.version == 1
    assert fresh.created_at is not None and fresh.created_at == fresh.updated_at

    raw = raw_get(db, table_name, movie_key(2013, "Rush"))
    assert raw is not None
    assert raw["version"] == {"N": "1"}
    assert raw["plays"] == {"N": "4"}
    assert raw["info"] == {"M": {"rating": {"N": "8.3"}, "genres": {"L": [{"S": "Drama"}]}}}
    assert dt.datetime.fromisoformat(raw["created_at"]["S"]) == rush.created_at


def test_create_on_a_taken_key_raises_and_leaves_the_item(db: dl.Connection, make_table: Any,
                                                          table_name: str) -> None:
    Movie = make_table(make_movie(table_name))
    first = Movie(year=1985, title="Brazil", info={"who": "first"}).create()
    before = raw_get(db, table_name, movie_key(1985, "Brazil"))
    assert before is not None

    second = Movie(year=1985, title="Brazil", info={"who": "second"}, plays=99)
    with pytest.raises(dl.ItemAlreadyExists) as caught:
        second.create()

    assert raw_get(db, table_name, movie_key(1985, "Brazil")) == before
    old = caught.value.old_item
    assert isinstance(old, Movie)
    assert old == first
    assert old.info == {"who": "first"}
    # the failed object was not touched
    assert second.version is None
    assert second.created_at is None and second.updated_at is None
    assert second.info == {"who": "second"} and second.plays == 99


# --- save ------------------------------------------------------------------------------------

def test_save_upserts_and_never_overwrites_created_at(db: dl.Connection, make_table: Any,
                                                      table_name: str) -> None:
    Note = make_table(make_note(table_name))
    Note(pk="n", text="one").save()
    raw1 = raw_get(db, table_name, item_key("n"))
    assert raw1 is not None and raw1["text"] == {"S": "one"}
    created1 = dt.datetime.fromisoformat(raw1["created_at"]["S"])
    updated1 = dt.datetime.fromisoformat(raw1["updated_at"]["S"])

    time.sleep(0.01)
    other = Note(pk="n", text="two")  # a new object that never read the item
    assert other.created_at is None
    other.save()
    raw2 = raw_get(db, table_name, item_key("n"))
    assert raw2 is not None and raw2["text"] == {"S": "two"}
    assert dt.datetime.fromisoformat(raw2["created_at"]["S"]) == created1
    assert dt.datetime.fromisoformat(raw2["updated_at"]["S"]) > updated1
    assert Note.get("n").created_at == created1


def test_versioned_saves_keep_created_at_and_move_updated_at(db: dl.Connection,
                                                             make_table: Any,
                                                             table_name: str) -> None:
    Movie = make_table(make_movie(table_name))
    movie = Movie(year=2001, title="Odyssey")
    movie.save()  # an upsert of a new item
    raw1 = raw_get(db, table_name, movie_key(2001, "Odyssey"))
    assert raw1 is not None and raw1["version"] == {"N": "1"}
    created1 = raw1["created_at"]
    updated1 = dt.datetime.fromisoformat(raw1["updated_at"]["S"])

    for expected_version in (2, 3):
        time.sleep(0.01)
        movie.plays += 1
        movie.save()
        raw = raw_get(db, table_name, movie_key(2001, "Odyssey"))
        assert raw is not None
        assert raw["version"] == {"N": str(expected_version)}
        assert raw["plays"] == {"N": str(expected_version - 1)}
        assert raw["created_at"] == created1
        updated = dt.datetime.fromisoformat(raw["updated_at"]["S"])
        assert updated > updated1
        updated1 = updated


def test_save_after_a_concurrent_save_raises_version_conflict(db: dl.Connection,
                                                              make_table: Any,
                                                              table_name: str) -> None:
    Movie = make_table(make_movie(table_name))
    mine = Movie(year=1999, title="Matrix", info={"by": "creator"}).create()
    theirs = Movie.get(1999, "Matrix", consistent=True)
    theirs.info = {"by": "winner"}
    theirs.save()
    winner_raw = raw_get(db, table_name, movie_key(1999, "Matrix"))
    snapshot = copy.deepcopy(mine.to_dict())

    mine.info = {"by": "loser"}
    with pytest.raises(dl.VersionConflict) as caught:
        mine.save()

    after = raw_get(db, table_name, movie_key(1999, "Matrix"))
    assert after == winner_raw
    assert after is not None and after["info"] == {"M": {"by": {"S": "winner"}}}
    assert after["version"] == {"N": "2"}
    assert caught.value.expected == 1
    assert isinstance(caught.value.old_item, Movie) and caught.value.old_item.version == 2
    # the loser's object kept its version and timestamps (only our own edit is on it)
    assert mine.version == 1
    assert mine.updated_at == snapshot["updated_at"]
    assert mine.created_at == snapshot["created_at"]


def _race_worker(model: Any, db: dl.Connection, barrier: threading.Barrier, round_no: int,
                 worker: int) -> tuple[bool, str]:
    obj = model.get("race", consistent=True, connection=db)
    barrier.wait(timeout=60)  # everyone has read the same version before anyone writes
    obj.value = f"round{round_no}-worker{worker}"
    try:
        obj.save(connection=db)
    except dl.VersionConflict:
        return False, obj.value
    return True, obj.value


def test_thread_race_has_exactly_one_winner_per_round(db: dl.Connection, make_table: Any,
                                                      table_name: str) -> None:
    Counter = make_table(make_counter(table_name))
    Counter(pk="race", value="start").create()
    threads, rounds = 8, 5
    winners = 0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for round_no in range(rounds):
            barrier = threading.Barrier(threads)
            futures = [pool.submit(_race_worker, Counter, db, barrier, round_no, w)
                       for w in range(threads)]
            results = [f.result(timeout=120) for f in futures]
            won = [value for ok, value in results if ok]
            assert len(won) == 1, f"round {round_no}: {len(won)} winners: {won}"
            winners += 1
            raw = raw_get(db, table_name, item_key("race"))
            assert raw is not None
            assert raw["value"] == {"S": won[0]}
            assert raw["version"] == {"N": str(1 + winners)}
    final = raw_get(db, table_name, item_key("race"))
    assert final is not None and final["version"] == {"N": str(1 + rounds)}


# --- update ----------------------------------------------------------------------------------

def _seed_item(Item: Any) -> Any:
    return Item(pk="u", plays=3, note="kept", actors=["A", "B"],
                info={"draft": True, "rating": Decimal("7.5")},
                tags={"old", "keep"}, nums={1, 2, 3}).create()


UPDATE_CASES: list[tuple[str, Callable[[Any], Any], dict[str, Any]]] = [
    ("set_arithmetic_plus", lambda M: M.plays.set(M.plays + 5), {"plays": {"N": "8"}}),
    ("set_arithmetic_minus", lambda M: M.plays.set(M.plays - 4), {"plays": {"N": "-1"}}),
    ("set_nested_value", lambda M: M.info["rating"].set(Decimal("9.25")),
     {"info": {"M": {"draft": {"BOOL": True}, "rating": {"N": "9.25"}}}}),
    ("if_not_exists_absent", lambda M: M.hits.set(M.hits.if_not_exists(10) + 1),
     {"hits": {"N": "11"}}),
    ("if_not_exists_present", lambda M: M.note.set(M.note.if_not_exists("other")),
     {"note": {"S": "kept"}}),
    ("list_append", lambda M: M.actors.set(M.actors.list_append(["C"])),
     {"actors": {"L": [{"S": "A"}, {"S": "B"}, {"S": "C"}]}}),
    ("list_prepend", lambda M: M.actors.set(M.actors.list_prepend(["Z"])),
     {"actors": {"L": [{"S": "Z"}, {"S": "A"}, {"S": "B"}]}}),
    ("remove_map_key", lambda M: M.info["draft"].remove(),
     {"info": {"M": {"rating": {"N": "7.5"}}}}),
    ("remove_attribute", lambda M: M.note.remove(), {"note": None}),
    ("add_number", lambda M: M.plays.add(-2), {"plays": {"N": "1"}}),
    ("add_string_set", lambda M: M.tags.add({"new"}), {"tags": {"SS": ["keep", "new", "old"]}}),
    ("add_number_set", lambda M: M.nums.add({4, 2}), {"nums": {"NS": ["1", "2", "3", "4"]}}),
    ("delete_string_set", lambda M: M.tags.delete({"old"}), {"tags": {"SS": ["keep"]}}),
    ("delete_number_set", lambda M: M.nums.delete({1, 3}), {"nums": {"NS": ["2"]}}),
]


@pytest.mark.parametrize(("action", "expected_change"),
                         [pytest.param(build, change, id=case)
                          for case, build, change in UPDATE_CASES])
def test_update_action_changes_exactly_its_target(db: dl.Connection, make_table: Any,
                                                  table_name: str,
                                                  action: Callable[[Any], Any],
                                                  expected_change: dict[str, Any]) -> None:
    Item = make_table(make_item(table_name))
    obj = _seed_item(Item)
    before = normalized(raw_get(db, table_name, item_key("u")))
    assert before is not None

    obj.update(action(Item))

    after = normalized(raw_get(db, table_name, item_key("u")))
    assert after is not None
    expected = {k: v for k, v in before.items() if k not in ("version", "updated_at")}
    for name, av in expected_change.items():
        if av is None:
            expected.pop(name, None)
        else:
            expected[name] = _norm_av(av)
    assert {k: v for k, v in after.items() if k not in ("version", "updated_at")} == expected
    assert after["version"] == {"N": "2"}
    assert (dt.datetime.fromisoformat(after["updated_at"]["S"])
            >= dt.datetime.fromisoformat(before["updated_at"]["S"]))
    assert obj.version == 2


def test_update_with_a_false_condition_changes_nothing(db: dl.Connection, make_table: Any,
                                                       table_name: str) -> None:
    Item = make_table(make_item(table_name))
    obj = _seed_item(Item)
    before = raw_get(db, table_name, item_key("u"))
    snapshot = copy.deepcopy(obj.to_dict())

    with pytest.raises(dl.ConditionFailed) as caught:
        obj.update(Item.plays.set(100), condition=Item.plays > 50)

    assert type(caught.value) is dl.ConditionFailed
    assert raw_get(db, table_name, item_key("u")) == before
    assert obj.to_dict() == snapshot
    # the same update with a true condition does go through
    obj.update(Item.plays.set(100), condition=Item.plays < 50)
    raw = raw_get(db, table_name, item_key("u"))
    assert raw is not None and raw["plays"] == {"N": "100"}


def test_update_on_a_missing_key_raises_and_creates_nothing(db: dl.Connection,
                                                            make_table: Any,
                                                            table_name: str) -> None:
    Item = make_table(make_item(table_name))
    with pytest.raises(dl.ItemNotFound):
        db.update(Item, Item.plays.set(5), key="ghost")
    assert raw_get(db, table_name, item_key("ghost")) is None

    # an object whose item someone else deleted
    gone = Item(pk="ghost2", plays=1).create()
    db.client.delete_item(TableName=table_name, Key=item_key("ghost2"))
    with pytest.raises(dl.ItemNotFound):
        gone.update(Item.plays.set(5))
    assert raw_get(db, table_name, item_key("ghost2")) is None
    assert gone.version == 1 and gone.plays == 1

    # an object that was never written (refused before sending, or by the server)
    unsaved = Item(pk="ghost3", plays=1)
    with pytest.raises((dl.ItemNotFound, dl.ValidationError)):
        unsaved.update(Item.plays.set(5))
    assert raw_get(db, table_name, item_key("ghost3")) is None
    assert unsaved.version is None and unsaved.plays == 1

    # the same for a model without a version field
    Doc = make_table(make_doc(f"{table_name}_docs"))
    with pytest.raises(dl.ItemNotFound):
        Doc(pk="nobody").update(Doc.state.set("x"))
    assert raw_get(db, f"{table_name}_docs", item_key("nobody")) is None

    db.update(Item, Item.plays.set(5), key="ghost", must_exist=False)
    raw = raw_get(db, table_name, item_key("ghost"))
    assert raw is not None
    assert raw["plays"] == {"N": "5"}
    assert raw["version"] == {"N": "1"}


def test_writes_keep_values_that_are_not_stored(db: dl.Connection, make_table: Any,
                                               table_name: str) -> None:
    """A stored=False field lives only on the object: writes must not reset it."""
    Scratch = make_table(make_scratch(table_name))
    obj = Scratch(pk="s", value=1, memo="in memory only")
    obj.create()
    raw = raw_get(db, table_name, item_key("s"))
    assert raw is not None and "memo" not in raw
    assert obj.memo == "in memory only"

    obj.value = 2
    obj.save()
    raw = raw_get(db, table_name, item_key("s"))
    assert raw is not None and raw["value"] == {"N": "2"} and "memo" not in raw
    assert obj.memo == "in memory only", "save() reset a stored=False field"

    obj.memo = "still in memory"
    obj.update(Scratch.value.add(1))
    raw = raw_get(db, table_name, item_key("s"))
    assert raw is not None and raw["value"] == {"N": "3"}
    assert obj.memo == "still in memory", "update() reset a stored=False field"


# --- delete ----------------------------------------------------------------------------------

def test_delete_with_a_stale_version_raises_and_keeps_the_item(db: dl.Connection,
                                                               make_table: Any,
                                                               table_name: str) -> None:
    Item = make_table(make_item(table_name))
    stale = _seed_item(Item)
    current = Item.get("u", consistent=True)
    current.update(Item.plays.set(7))
    before = raw_get(db, table_name, item_key("u"))

    with pytest.raises(dl.VersionConflict):
        stale.delete()

    assert raw_get(db, table_name, item_key("u")) == before
    assert stale.version == 1
    current.delete()  # the up-to-date object may delete it
    assert raw_get(db, table_name, item_key("u")) is None


def test_conditional_delete_with_a_false_condition_keeps_the_item(db: dl.Connection,
                                                                  make_table: Any,
                                                                  table_name: str) -> None:
    Item = make_table(make_item(table_name))
    obj = _seed_item(Item)
    before = raw_get(db, table_name, item_key("u"))

    with pytest.raises(dl.ConditionFailed) as caught:
        obj.delete(condition=Item.tags.contains("absent"))
    assert type(caught.value) is dl.ConditionFailed
    assert raw_get(db, table_name, item_key("u")) == before

    with pytest.raises(dl.ConditionFailed):
        db.delete(Item, key="u", condition=Item.plays >= 4)
    assert raw_get(db, table_name, item_key("u")) == before

    db.delete(Item, key="u", condition=Item.plays == 3)
    assert raw_get(db, table_name, item_key("u")) is None


# --- reads -----------------------------------------------------------------------------------

def test_refresh_picks_up_a_change_made_through_another_connection(
        db: dl.Connection, server: LocalServer, make_table: Any, table_name: str) -> None:
    Item = make_table(make_item(table_name))
    obj = _seed_item(Item)
    other = dl.connect(server.endpoint_url, make_default=False)
    try:
        other.update(Item, Item.plays.set(42), Item.info["rating"].set(Decimal("1.5")), key="u")
        assert obj.plays == 3
        obj.refresh()
        assert obj.plays == 42
        assert obj.info == {"draft": True, "rating": Decimal("1.5")}
        assert obj.version == 2
        other.delete(Item, key="u")
        with pytest.raises(dl.ItemNotFound):
            obj.refresh()
    finally:
        other.close()


def test_get_consistent_sends_a_consistent_read(db: dl.Connection, make_table: Any,
                                                table_name: str) -> None:
    Item = make_table(make_item(table_name))
    _seed_item(Item)
    sent: list[dict[str, Any]] = []

    def hook(params: dict[str, Any], **kwargs: Any) -> None:
        sent.append(dict(params))

    db.on("provide-client-params.dynamodb.GetItem", hook)  # reads use the data-plane client
    db.update(Item, Item.plays.set(11), key="u")

    try:
        got = Item.get("u", consistent=True)
        assert got.plays == 11
        assert sent[-1]["ConsistentRead"] is True
        assert sent[-1]["Key"] == item_key("u")

        Item.get("u")
        assert sent[-1]["ConsistentRead"] is False
    finally:
        db.off("provide-client-params.dynamodb.GetItem", hook)


def test_get_and_refresh_leave_their_stats_on_the_connection(db: dl.Connection,
                                                              make_table: Any,
                                                              table_name: str) -> None:
    Item = make_table(make_item(table_name))
    _seed_item(Item)
    assert db.last_stats is None or db.last_stats.table != table_name
    got = Item.get("u")
    stats = db.last_stats
    assert stats is not None and (stats.operation, stats.table) == ("GetItem", table_name)
    assert (stats.pages, stats.scanned, stats.returned) == (1, 1, 1)
    assert stats.capacity is not None and stats.capacity > 0  # eventually consistent: 0.5 RCU
    got.refresh()
    assert db.last_stats is not stats and db.last_stats.capacity >= stats.capacity
    with pytest.raises(dl.ItemNotFound):
        Item.get("nobody")
    assert (db.last_stats.returned, db.last_stats.scanned) == (0, 0)
    seen: list[Any] = []
    worker = threading.Thread(target=lambda: seen.append(db.last_stats))
    worker.start()
    worker.join()
    assert seen == [None]  # per thread: another thread's reads are not mixed in


def test_get_with_attributes_reads_only_those(db: dl.Connection, make_table: Any,
                                              table_name: str) -> None:
    Item = make_table(make_item(table_name))
    _seed_item(Item)

    partial = db.get(Item, "u", attributes=["plays", Item.info["rating"], "note"])

    assert partial.plays == 3
    assert partial.note == "kept"
    assert partial.info == {"rating": Decimal("7.5")}
    assert partial.actors == []  # not projected, so absent: the empty default
    assert partial.tags == set()
    assert partial.version is None
    full = raw_get(db, table_name, item_key("u"))
    assert full is not None and "actors" in full and "tags" in full and "version" in full


# --- names and values that must not matter ----------------------------------------------------

def test_reserved_words_as_attribute_names(db: dl.Connection, make_table: Any,
                                           table_name: str) -> None:
    Record = make_table(make_record(table_name))
    key = {"year": {"N": "2024"}, "name": {"S": "r1"}}
    rec = Record(year=2024, name="r1", state="active", payload={"data": 1, "name": "x"},
                 remark="first", dims=3)
    rec.create()

    raw = raw_get(db, table_name, key)
    assert raw == {"year": {"N": "2024"}, "name": {"S": "r1"}, "status": {"S": "active"},
                   "data": {"M": {"data": {"N": "1"}, "name": {"S": "x"}}},
                   "comment": {"S": "first"}, "size": {"N": "3"}}
    assert Record.get(2024, "r1") == rec
    assert Record.get(year=2024, name="r1") == rec

    rec.update(Record.state.set("done"), Record.dims.add(2), Record.payload["status"].set("s"),
               Record.remark.remove(),
               condition=(Record.state == "active") & (Record.dims.between(1, 3))
               & Record.payload["name"].exists() & Record.remark.begins_with("fir"))
    raw = raw_get(db, table_name, key)
    assert raw is not None
    assert raw["status"] == {"S": "done"}
    assert raw["size"] == {"N": "5"}
    assert raw["data"] == {"M": {"data": {"N": "1"}, "name": {"S": "x"}, "status": {"S": "s"}}}
    assert "comment" not in raw

    with pytest.raises(dl.ConditionFailed):
        rec.update(Record.state.set("again"), condition=Record.state == "active")
    assert raw_get(db, table_name, key) == raw

    db.delete(Record, key=(2024, "r1"), condition=Record.dims.is_in([5, 6]))
    assert raw_get(db, table_name, key) is None


HOSTILE = ["x' OR 1=1", "#n0", ":v0", "a = :v0"]


def test_hostile_strings_round_trip_and_do_not_change_conditions(db: dl.Connection,
                                                                 make_table: Any,
                                                                 table_name: str) -> None:
    Doc = make_table(make_doc(table_name))
    for text in HOSTILE:
        Doc(pk=text, state=text, info={k: f"value of {k}" for k in HOSTILE}).create()

    for text in HOSTILE:
        raw = raw_get(db, table_name, item_key(text))
        assert raw is not None
        assert raw["pk"] == {"S": text}
        assert raw["state"] == {"S": text}
        assert raw["info"] == {"M": {k: {"S": f"value of {k}"} for k in HOSTILE}}
        got = Doc.get(text)
        assert got.pk == text and got.state == text
        assert got.info == {k: f"value of {k}" for k in HOSTILE}

    snapshot = {text: raw_get(db, table_name, item_key(text)) for text in HOSTILE}
    target = Doc.get("#n0")
    # a condition naming another hostile value must not match this item
    for wrong in ("x' OR 1=1", ":v0", "a = :v0"):
        with pytest.raises(dl.ConditionFailed):
            target.update(Doc.state.set("hit"), condition=Doc.state == wrong)
        with pytest.raises(dl.ConditionFailed):
            target.update(Doc.state.set("hit"),
                          condition=Doc.info["#n0"] == f"value of {wrong}")
    assert {text: raw_get(db, table_name, item_key(text)) for text in HOSTILE} == snapshot

    # the right values do match, and only this item changes
    target.update(Doc.state.set(":v0"), Doc.info["#n0"].set("#n0 = :v0"),
                  condition=(Doc.state == "#n0") & (Doc.info[":v0"] == "value of :v0")
                  & (Doc.info["a = :v0"] == "value of a = :v0"))
    changed = raw_get(db, table_name, item_key("#n0"))
    assert changed is not None
    assert changed["state"] == {"S": ":v0"}
    assert changed["info"]["M"]["#n0"] == {"S": "#n0 = :v0"}
    for text in HOSTILE:
        if text != "#n0":
            assert raw_get(db, table_name, item_key(text)) == snapshot[text]


@pytest.mark.needs("ttl")
# --- types -----------------------------------------------------------------------------------

def test_every_supported_type_round_trips(db: dl.Connection, make_table: Any,
                                          table_name: str) -> None:
    Everything = make_table(make_everything(table_name))
    ist = dt.timezone(dt.timedelta(hours=5, minutes=30))
    values: dict[str, Any] = {
        "pk": "all",
        "text": "héllo \u2603 \U0001f600",
        "big": 10**37 + 12345,
        "neg_big": -(10**37) - 9,
        "exact": Decimal("1.2345678901234567890123456789012345678"),
        "ratio": 0.1 + 0.2,  # 0.30000000000000004: needs all 17 digits
        "flag": False,
        "blob": bytes(range(256)),
        "items": [1, "a", Decimal("1.5"), None, True, b"\x00\xff", [2, [3]], {"k": "v"}],
        "doc": {"nested": {"deep": [Decimal("-0.000001"), 10**30]}, "empty": {}, "n": None},
        "words": {"alpha", "beta", "gamma"},
        "numbers": {-(10**20), 0, 7},
        "blobs": {b"\x00", b"\x01\x02"},
        "when": dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=ist),
        "day": dt.date(1999, 12, 31),
        "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "color": Color.GREEN,
        "priority": Priority.HIGH,
        "address": Address(street="1 Main St", zip="02134", floor=3),
        "labels": ["x", "y", "z"],
        "meta": {"price": Decimal("0.1"), "list": [1, Decimal("2.50")], "ok": True},
        "expires": dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC),
        "maybe": None,
        "fallback": None,  # None must read back as None, not as the field's default
        "previous": None,
    }
    original = Everything(**values)
    original.create()

    got = Everything.get("all", consistent=True)
    for name, value in values.items():
        if name == "labels":
            assert sorted(got.labels) == sorted(value)
        else:
            assert getattr(got, name) == value, name
    assert type(got.big) is int and type(got.neg_big) is int
    assert str(got.exact) == "1.2345678901234567890123456789012345678"
    assert type(got.ratio) is float
    assert got.color is Color.GREEN and got.priority is Priority.HIGH
    assert isinstance(got.address, Address)
    assert got.when.utcoffset() is not None
    assert str(got.meta["list"][1]) == "2.50"
    assert got.items[3] is None and got.items[4] is True

    raw = raw_get(db, table_name, item_key("all"))
    assert raw is not None
    assert raw["big"] == {"N": str(10**37 + 12345)}
    assert raw["neg_big"] == {"N": str(-(10**37) - 9)}
    assert raw["exact"] == {"N": "1.2345678901234567890123456789012345678"}
    assert raw["ratio"] == {"N": "0.30000000000000004"}
    assert raw["blob"] == {"B": bytes(range(256))}
    assert sorted(raw["words"]["SS"]) == ["alpha", "beta", "gamma"]
    assert sorted(int(n) for n in raw["numbers"]["NS"]) == [-(10**20), 0, 7]
    assert sorted(raw["blobs"]["BS"]) == [b"\x00", b"\x01\x02"]
    assert dt.datetime.fromisoformat(raw["when"]["S"]) == values["when"]
    assert raw["day"] == {"S": "1999-12-31"}
    assert raw["uid"] == {"S": "12345678-1234-5678-1234-567812345678"}
    assert raw["color"] == {"S": "green"}
    assert raw["priority"] == {"N": "9"}
    assert raw["address"] == {"M": {"street": {"S": "1 Main St"}, "zip": {"S": "02134"},
                                    "floor": {"N": "3"}}}
    assert sorted(raw["labels"]["SS"]) == ["x", "y", "z"]
    assert "S" in raw["meta"]
    assert raw["expires"] == {"N": str(int(values["expires"].timestamp()))}
    assert "maybe" not in raw
    assert raw.get("fallback", {"NULL": True}) == {"NULL": True}

    second = Everything(**{**values, "pk": "second", "address": Address(street="", zip="1"),
                           "previous": Address(street="old", zip="2", floor=None)})
    second.create()
    again = Everything.get("second")
    assert again.address == Address(street="", zip="1")
    assert again.address.floor is None
    assert again.previous == Address(street="old", zip="2")


def test_an_item_just_under_400_kb_is_stored(db: dl.Connection, make_table: Any,
                                             table_name: str) -> None:
    Blob = make_table(make_blob(table_name))
    # text, not bytes: moto counts binary by its base64 length, DynamoDB by its raw length;
    # and under 405,000 bytes, moto's own (stricter than AWS) limit
    text = "z" * 400_000
    Blob(pk="almost", text=text).create()
    raw = raw_get(db, table_name, item_key("almost"))
    assert raw is not None and raw["text"] == {"S": text}


def test_an_item_over_400_kb_is_refused_before_sending(db: dl.Connection, make_table: Any,
                                                       table_name: str) -> None:
    Blob = make_table(make_blob(table_name))
    sent = count_sends(db)
    huge = Blob(pk="big", data=b"x" * (400 * 1024 + 1))

    with pytest.raises(dl.ValidationError):
        huge.create()
    with pytest.raises(dl.ValidationError):
        huge.save()
    assert sent == []
    assert huge.version is None and huge.updated_at is None
    assert raw_get(db, table_name, item_key("big")) is None

    small = Blob(pk="small", data=b"ok").create()
    assert sent  # the hook does see requests that are sent
    before = raw_get(db, table_name, item_key("small"))
    small_version, small_updated = small.version, small.updated_at
    small.data = b"y" * (401 * 1024)
    sent.clear()
    with pytest.raises(dl.ValidationError):
        small.save()
    assert sent == []
    assert raw_get(db, table_name, item_key("small")) == before
    assert small.version == small_version and small.updated_at == small_updated


@pytest.mark.parametrize(("field", "bad"), [
    pytest.param("plays", "many", id="str-in-int-field"),
    pytest.param("info", {"r": 0.1}, id="inexact-float-in-map"),
    pytest.param("info", {"r": Decimal("NaN")}, id="nan"),
    pytest.param("info", {"r": Decimal("1" * 39)}, id="39-digits"),
    pytest.param("tags", {"a", 1}, id="mixed-set"),
    pytest.param("info", {"when": dt.datetime(2024, 1, 1)}, id="naive-datetime"),
])
def test_a_codec_error_writes_nothing(db: dl.Connection, make_table: Any, table_name: str,
                                      field: str, bad: Any) -> None:
    Item = make_table(make_item(table_name))
    sent = count_sends(db)
    fresh = Item(pk="new", **{field: bad})
    with pytest.raises(dl.CodecError):
        fresh.create()
    with pytest.raises(dl.CodecError):
        fresh.save()
    assert sent == []
    assert fresh.version is None and fresh.updated_at is None

    existing = _seed_item(Item)
    assert sent  # the hook does see requests that are sent
    before = raw_get(db, table_name, item_key("u"))
    snapshot = copy.deepcopy(existing.to_dict())
    setattr(existing, field, bad)
    sent.clear()
    with pytest.raises(dl.CodecError):
        existing.save()
    assert sent == []
    assert raw_get(db, table_name, item_key("new")) is None
    assert raw_get(db, table_name, item_key("u")) == before
    assert existing.version == snapshot["version"]
    assert existing.updated_at == snapshot["updated_at"]


def test_objects_are_unchanged_after_failed_writes(db: dl.Connection, make_table: Any,
                                                   table_name: str) -> None:
    Item = make_table(make_item(table_name))
    stale = _seed_item(Item)
    Item.get("u", consistent=True).update(Item.plays.add(1))  # someone else moves it on
    stored = raw_get(db, table_name, item_key("u"))
    snapshot = copy.deepcopy(stale.to_dict())

    stale.plays = 50
    edited = copy.deepcopy(stale.to_dict())
    with pytest.raises(dl.VersionConflict):
        stale.save()
    assert stale.to_dict() == edited
    with pytest.raises(dl.VersionConflict):
        stale.update(Item.note.set("x"))
    assert stale.to_dict() == edited
    with pytest.raises(dl.VersionConflict):
        stale.delete()
    assert stale.to_dict() == edited
    assert stale.version == snapshot["version"] == 1
    assert stale.updated_at == snapshot["updated_at"]
    assert raw_get(db, table_name, item_key("u")) == stored

    duplicate = Item(pk="u", plays=1)
    with pytest.raises(dl.ItemAlreadyExists):
        duplicate.create()
    assert duplicate.to_dict() == Item(pk="u", plays=1).to_dict()
    assert raw_get(db, table_name, item_key("u")) == stored
