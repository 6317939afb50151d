"""Claim: reserved words and hostile strings never matter (no injection anywhere).

Hostile text as values, as attribute names that come from user data (``dl.attr(name)``), as
map keys and as ``%%dynamo`` ``:variables`` round-trips verbatim and never changes which items
a condition matches (expected matches are computed here in Python from what was written).
Hostile table names get a clear library error and create nothing. Runs on moto and dynalite.
"""


import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from backends import backend
from helpers import unique
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl

pytestmark = pytest.mark.integration


HOSTILE_NAMES = [
    "a = :v0", "#n0", ":v0", "x) OR (y", "name.with.dots", "'; DROP TABLE t; --", '"quoted"',
    "a[0]", "[0]", " ", "tab\tand\nnewline", "size", "NULL", "AND", "attribute_exists(pk)",
    "<b>bold</b>", "émoji 🎉", "\u202eevil", "#", ":",
]
HOSTILE_VALUES = [*HOSTILE_NAMES, "", "x' OR '1'='1", "1; DELETE FROM t", "%s%n",
                  "${jndi:ldap://127.0.0.1/a}", "nul\x00byte", "a" * 2000, "<<'x'>>",
                  "{'pk': 'other'}"]


def raw_get(conn: dl.Connection, table: str, pk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = conn.client.get_item(
        TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
    return item


def make_doc(table: str) -> Any:
    class SecDoc(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        label: str = ""
        info: dict[str, Any] = dl.field(default_factory=dict)
        tags: set[str] = dl.field(default_factory=set)
        blob: bytes = b""

    return SecDoc


def rows(statement: Any) -> list[dict[str, Any]]:
    """The decoded rows of a `dl.execute` SELECT result."""
    return statement.rows


def pks(result: Any) -> set[str]:
    return {item["pk"] if isinstance(item, dict) else item.pk for item in result}


# === 1. hostile strings in every position =====================================================

def test_hostile_values_round_trip_and_match_only_their_items(
        conn: dl.Connection, make_table: Callable[[Any], Any]) -> None:
    Doc = make_table(make_doc(unique("sec_values")))
    written = {}
    for n, value in enumerate(HOSTILE_VALUES):
        doc = Doc(pk=f"v{n}", label=value, info={"nested": value, "list": [value]},
                  tags={value} if value else set(), blob=value.encode())
        conn.create(doc)
        written[f"v{n}"] = value

    for n, value in enumerate(HOSTILE_VALUES):
        again = conn.get(Doc, f"v{n}", consistent=True)
        assert (again.label, again.info, again.blob) == (
            value, {"nested": value, "list": [value]}, value.encode())
        assert raw_get(conn, Doc.__table__, f"v{n}")["label"] == {"S": value}  # type: ignore[index]

    def matching(rule: Callable[[str], bool]) -> set[str]:
        return {pk for pk, value in written.items() if rule(value)}

    for value in HOSTILE_VALUES:
        scan = Doc.scan().using(conn)
        assert pks(scan.where(Doc.label == value).all()) == matching(lambda v, w=value: v == w)
        assert pks(scan.where(Doc.label != value).all()) == matching(lambda v, w=value: v != w)
        assert pks(scan.where(Doc.info["nested"] == value).all()) == matching(
            lambda v, w=value: v == w)
        assert pks(scan.where(Doc.info["list"][0] == value).all()) == matching(
            lambda v, w=value: v == w)
        assert pks(scan.where(Doc.blob == value.encode()).all()) == matching(
            lambda v, w=value: v == w)
        if value:
            assert pks(scan.where(Doc.tags.contains(value)).all()) == matching(
                lambda v, w=value: v == w)
            assert pks(scan.where(Doc.label.begins_with(value)).all()) == matching(
                lambda v, w=value: v.startswith(w))
            assert pks(scan.where(Doc.label.contains(value)).all()) == matching(
                lambda v, w=value: w in v)


def test_hostile_attribute_names_from_user_data(conn: dl.Connection,
                                                make_table: Callable[[Any], Any]) -> None:
    """dl.attr(name) takes a name literally: it is sent as a #n placeholder, never as text."""
    Doc = make_table(make_doc(unique("sec_names")))
    for n, name in enumerate(HOSTILE_NAMES):
        conn.update(Doc, dl.attr(name).set(f"value {n}"), key=f"n{n}", must_exist=False)
    conn.update(Doc, *[dl.attr(name).set(n) for n, name in enumerate(HOSTILE_NAMES)],
                key="all", must_exist=False)

    for n, name in enumerate(HOSTILE_NAMES):
        stored = raw_get(conn, Doc.__table__, f"n{n}")
        assert stored == {"pk": {"S": f"n{n}"}, name: {"S": f"value {n}"}}
    every = raw_get(conn, Doc.__table__, "all")
    assert every is not None
    assert every == {"pk": {"S": "all"}, **{name: {"N": str(n)}
                                            for n, name in enumerate(HOSTILE_NAMES)}}

    scan = dl.Query(conn.describe(Doc.__table__), scan=True).using(conn)
    for n, name in enumerate(HOSTILE_NAMES):
        assert pks(scan.where(dl.attr(name) == f"value {n}").all()) == {f"n{n}"}
        assert pks(scan.where(dl.attr(name).exists()).all()) == {f"n{n}", "all"}
        assert pks(scan.where(dl.attr(name).is_type("N")).all()) == {"all"}
        assert len(scan.where(dl.attr(name).not_exists()).all()) == len(HOSTILE_NAMES) - 1
        if backend() == "moto" and "[" in name:
            continue  # moto projects an attribute named like "a[0]" as nothing, even when
            # botocore asks it directly (#n0 -> "a[0]"): its bug, not the library's
        projected = scan.where(dl.attr(name).exists()).select(dl.attr(name)).all()
        assert sorted(projected.items, key=repr) == sorted(
            [{name: f"value {n}"}, {name: n}], key=repr)

    # a name with dots is one top-level attribute; dl.path reads the dots as nesting
    conn.update(Doc, dl.attr("name.with.dots").set("top"),
                dl.attr("name").set({"with": {"dots": "nested"}}), key="dots", must_exist=False)
    assert pks(scan.where(dl.attr("name.with.dots") == "top").all()) == {"dots"}
    assert pks(scan.where(dl.path("name.with.dots") == "nested").all()) == {"dots"}

    # the same names quoted in a %%dynamo statement are identifiers, never syntax
    for n, name in enumerate(HOSTILE_NAMES):
        quoted = name.replace('"', '""')
        result = dl.execute(f'SELECT pk FROM "{Doc.__table__}" WHERE "{quoted}" = :v',
                            conn, variables={"v": f"value {n}"}, allow_scan=True)
        assert pks(rows(result[0])) == {f"n{n}"}


def test_hostile_map_keys_round_trip_and_address_one_key(conn: dl.Connection,
                                                         make_table: Callable[[Any], Any]) -> None:
    Doc = make_table(make_doc(unique("sec_keys")))
    info = {name: n for n, name in enumerate(HOSTILE_NAMES)}
    conn.create(Doc(pk="m", info=dict(info)))
    conn.create(Doc(pk="other", info={"x": 1}))
    assert conn.get(Doc, "m", consistent=True).info == info

    for n, name in enumerate(HOSTILE_NAMES):
        hits = Doc.scan(Doc.info[name] == n).using(conn).all()
        assert pks(hits) == {"m"}
        assert not Doc.scan(Doc.info[name] == n + 1000).using(conn).all()
    conn.update(Doc, Doc.info["x) OR (y"].set("changed"), Doc.info["#n0"].remove(), key="m")
    after = conn.get(Doc, "m", consistent=True).info
    assert after == {**{k: v for k, v in info.items() if k != "#n0"}, "x) OR (y": "changed"}


INVALID_TABLE_NAMES = ["x'; DROP TABLE t; --", 'q"uote', "a b c", "semi;colon", "ünïcode",
                       "tab\tname", "x" * 256, "ab", "<script>"]


@pytest.mark.parametrize("name", INVALID_TABLE_NAMES, ids=lambda n: repr(n[:24]))
def test_a_hostile_table_name_gets_a_clear_library_error_and_creates_nothing(
        conn: dl.Connection, name: str) -> None:
    """DynamoDB's table names are 3 to 255 of [a-zA-Z0-9_.-]. A name outside that is refused
    with a library error (ModelDefinitionError when the model is defined, or ValidationError
    when the table is created), and no table appears: on AWS and dynalite the server refuses
    it, and the library validates what local servers let through (README: Limits)."""
    before = conn.tables()
    created = False
    with pytest.raises((dl.ModelDefinitionError, dl.ValidationError)) as refused:
        class Hostile(dl.Model, table=name):
            pk: str = dl.field(partition_key=True)

        try:
            conn.create_table(Hostile)
            created = True
        finally:
            if created:
                conn.delete_table(Hostile)
    assert not created, f"a table named {name!r} was created"
    assert type(refused.value).__module__.startswith("dynamorm_lab")
    assert conn.tables() == before
    # reading from such a name is a clear error too, never anything else
    with pytest.raises(dl.DynamormError):
        dl.execute(f'SELECT * FROM "{name.replace(chr(34), chr(34) * 2)}"', conn)
    assert conn.tables() == before


def test_a_valid_but_odd_table_name_works(conn: dl.Connection,
                                          make_table: Callable[[Any], Any]) -> None:
    name = f"odd.name-{uuid.uuid4().hex[:6]}_x"
    make_table(dl.TableSchema(name, dl.KeyAttribute("pk", "S")))
    dl.execute(f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'v': 1}}", conn)
    assert rows(dl.execute(f"SELECT * FROM \"{name}\" WHERE pk = 'a'", conn)[0]) == [
        {"pk": "a", "v": 1}]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(max_size=40), decoy=st.text(max_size=40))
def test_dynamo_variables_are_values_never_text(conn: dl.Connection, music_table: str,
                                                value: str, decoy: str) -> None:
    """A `:variable` (and a `?` parameter) is bound as a value, whatever its text: it
    round-trips verbatim and a condition on it matches exactly the items holding it."""
    pk = uuid.uuid4().hex
    dl.execute(f"INSERT INTO \"{music_table}\" VALUE {{'pk': :pk, 'label': :value}}", conn,
               variables={"pk": pk, "value": value})
    dl.execute(f"INSERT INTO \"{music_table}\" VALUE {{'pk': ?, 'label': ?}}", conn,
               params=[pk + "-decoy", decoy])
    assert raw_get(conn, music_table, pk) == {"pk": {"S": pk}, "label": {"S": value}}
    found = dl.execute(f'SELECT * FROM "{music_table}" WHERE pk IN [:a, :b] AND label = :value',
                       conn, variables={"a": pk, "b": pk + "-decoy", "value": value})
    expected = {pk} | ({pk + "-decoy"} if decoy == value else set())
    assert pks(rows(found[0])) == expected
    found = dl.execute(f'SELECT * FROM "{music_table}" WHERE pk = ? AND label <> ?', conn,
                       params=[pk, value])
    assert rows(found[0]) == []


@pytest.fixture(scope="module")
def music_table(conn: dl.Connection) -> Iterator[str]:
    name = unique("sec_vars")
    conn.create_table(dl.TableSchema(name, dl.KeyAttribute("pk", "S")))
    yield name
    conn.delete_table(name)
