"""Hostile input in every position, read-only connections, confirmations, credentials, binding.

- Hostile text as values, as attribute names that come from user data (``dl.attr(name)``), as
  map keys and as ``%%dynamo`` ``:variables`` round-trips verbatim and never changes which
  items a condition matches (expected matches are computed here in Python from what was
  written). Hostile table names get a clear library error and create nothing.
- A read-only connection refuses every write path, and the server is unchanged after each
  (a raw snapshot of every table is compared; a botocore hook sees no write request).
- UPDATE/DELETE whose WHERE is not a full key write nothing without --yes.
- Fake AWS credentials in the environment never appear in reprs, errors, log records,
  magic outputs, widget HTML or a notebook's outputs.
- The embedded server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import builtins
import json
import logging
import socket
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from backends import backend, raw_scan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl
import dynamorm_lab.local._server as server_module
from dynamorm_lab._boundary import WRITE_OPERATIONS

pytestmark = pytest.mark.integration

SECRET = "wJalrFAKEsecretKEY/K7MDENG/bPxRfiCYEXAMPLE"
TOKEN = "FAKEsessionTOKEN0123456789"
KEY_ID = "AKIAFAKEKEYID0SECTEST"

HOSTILE_NAMES = [
    "a = :v0", "#n0", ":v0", "x) OR (y", "name.with.dots", "'; DROP TABLE t; --", '"quoted"',
    "a[0]", "[0]", " ", "tab\tand\nnewline", "size", "NULL", "AND", "attribute_exists(pk)",
    "<b>bold</b>", "émoji 🎉", "\u202eevil", "#", ":",
]
HOSTILE_VALUES = [*HOSTILE_NAMES, "", "x' OR '1'='1", "1; DELETE FROM t", "%s%n",
                  "${jndi:ldap://127.0.0.1/a}", "nul\x00byte", "a" * 2000, "<<'x'>>",
                  "{'pk': 'other'}"]


# --- fixtures and helpers --------------------------------------------------------------------

@pytest.fixture(scope="module")
def conn(server: Any) -> Iterator[dl.Connection]:
    connection = dl.connect(server.endpoint_url, make_default=False)
    yield connection
    connection.close()


@pytest.fixture
def tables(conn: dl.Connection) -> Iterator[Callable[[Any], Any]]:
    """Create a model's (or schema's) table; every table made this way is deleted after."""
    made: list[str] = []

    def create(model: Any) -> Any:
        conn.create_table(model)
        made.append(model.name if isinstance(model, dl.TableSchema) else dl.schema(model).name)
        return model

    yield create
    for name in made:
        if conn.table_exists(name):
            conn.delete_table(name)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"




def raw_get(conn: dl.Connection, table: str, pk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = conn.client.get_item(
        TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
    return item


def canonical(items: list[dict[str, Any]]) -> list[str]:
    """Items as sorted canonical JSON (set members sorted), to compare two snapshots."""
    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    return sorted(json.dumps(norm(item), sort_keys=True, default=repr) for item in items)


def sent_operations(connection: dl.Connection) -> list[str]:
    """Every operation `connection` sends from now on (both of its botocore clients)."""
    sent: list[str] = []

    def hook(**kwargs: Any) -> None:
        sent.append(kwargs["event_name"].rsplit(".", 1)[-1])

    connection.on("before-send.dynamodb", hook)
    return sent


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
    return list(statement.result.items)


def pks(result: Any) -> set[str]:
    return {item["pk"] if isinstance(item, dict) else item.pk for item in result}


# === 1. hostile strings in every position =====================================================

def test_hostile_values_round_trip_and_match_only_their_items(
        conn: dl.Connection, tables: Callable[[Any], Any]) -> None:
    Doc = tables(make_doc(unique("sec_values")))
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
                                                tables: Callable[[Any], Any]) -> None:
    """dl.attr(name) takes a name literally: it is sent as a #n placeholder, never as text."""
    Doc = tables(make_doc(unique("sec_names")))
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
                                                         tables: Callable[[Any], Any]) -> None:
    Doc = tables(make_doc(unique("sec_keys")))
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
                                          tables: Callable[[Any], Any]) -> None:
    name = f"odd.name-{uuid.uuid4().hex[:6]}_x"
    tables(dl.TableSchema(name, dl.KeyAttribute("pk", "S")))
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


# === 2. read-only connections refuse every write path ========================================

def make_thing(table: str) -> Any:
    class RoThing(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        value: int = 0
        version: int = dl.field(version=True)

    return RoThing


class ReadOnlyWorld:
    """Tables with items, a read-only connection (hooked) and an IPython shell."""

    def __init__(self, conn: dl.Connection, server: Any, shell: Any) -> None:
        self.conn = conn
        self.shell = shell
        self.Thing = make_thing(unique("sec_ro"))
        conn.create_table(self.Thing)
        for n in range(3):
            conn.create(self.Thing(pk=f"k{n}", value=n))
        # the live table lacks the GSI this model declares: migrate() would add it
        self.mig_name = unique("sec_ro_mig")
        conn.create_table(dl.TableSchema(self.mig_name, dl.KeyAttribute("pk", "S")))

        class RoMig(dl.Model, table=self.mig_name):
            pk: str = dl.field(partition_key=True)
            g: str | None = dl.field(default=None, gsi_partition="ByG")

        self.Mig = RoMig
        self.never = unique("sec_ro_never")
        self.Never = make_thing(self.never)
        self.ro = dl.connect(server.endpoint_url, read_only=True, make_default=False)
        self.sent = sent_operations(self.ro)
        self.endpoint = server.endpoint_url

    def snapshot(self) -> Any:
        names = self.conn.tables()
        mine = [self.Thing.__table__, self.mig_name]
        return (names, {n: canonical(raw_scan(self.conn, n)) for n in mine},
                self.conn.describe(self.mig_name).indexes)

    def close(self) -> None:
        self.ro.close()
        for name in (self.Thing.__table__, self.mig_name, self.never):
            if self.conn.table_exists(name):
                self.conn.delete_table(name)


@pytest.fixture(scope="module")
def shell() -> Iterator[Any]:
    """A real IPython shell with the extension loaded; left as found."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from dynamorm_lab import _session

    if InteractiveShell.initialized():  # another module's shell: use it as it is
        instance = InteractiveShell.instance()
        instance.run_line_magic("load_ext", "dynamorm_lab")
        yield instance
        return
    main_module = sys.modules.get("__main__")
    names_before = set(vars(builtins))
    default_before = _session.current()
    config = Config()
    config.HistoryManager.enabled = False
    instance = InteractiveShell.instance(config=config)
    instance.run_line_magic("load_ext", "dynamorm_lab")
    try:
        yield instance
    finally:
        for connection in instance.magics_manager.registry["DynamoMagic"].connections.values():
            connection.close()
        InteractiveShell.clear_instance()
        if main_module is not None:
            sys.modules["__main__"] = main_module
        for name in set(vars(builtins)) - names_before:
            delattr(builtins, name)
        _session.set_default(default_before)


@pytest.fixture(scope="module")
def world(conn: dl.Connection, server: Any, shell: Any) -> Iterator[ReadOnlyWorld]:
    made = ReadOnlyWorld(conn, server, shell)
    yield made
    made.close()


def _magic(world: ReadOnlyWorld, cell: str, *, alias: str = "sec_ro") -> Any:
    shell = world.shell
    magic = shell.magics_manager.registry["DynamoMagic"]
    if alias not in magic.connections:
        shell.run_line_magic("dynamo", f"connect {world.endpoint} --alias {alias} --read-only")
    sent = sent_operations(magic.connections[alias])
    try:
        return shell.run_cell_magic("dynamo", f"-c {alias} --yes", cell)
    finally:
        world.sent += sent


def _magic_read_only_setting(world: ReadOnlyWorld) -> Any:
    """%config DynamoMagic.read_only = True makes new connections read-only."""
    shell = world.shell
    magic = shell.magics_manager.registry["DynamoMagic"]
    shell.run_line_magic("config", "DynamoMagic.read_only = True")
    try:
        shell.run_line_magic("dynamo", f"connect {world.endpoint} --alias sec_cfg")
    finally:
        shell.run_line_magic("config", "DynamoMagic.read_only = False")
    assert magic.connections["sec_cfg"].read_only
    return _magic(world, f"INSERT INTO \"{world.Thing.__table__}\" VALUE {{'pk': 'cfg'}}",
                  alias="sec_cfg")


def _write_runner(world: ReadOnlyWorld, transaction: bool) -> Any:
    from dynamorm_lab.widgets import write_runner

    existing = world.ro.get(world.Thing, "k1", consistent=True)
    runner = write_runner(world.ro, puts=[world.Thing(pk="wr", value=1), existing],
                          deletes=[(world.Thing, "k2")], transaction=transaction)
    runner.run_button.click()
    assert runner.run_button.disabled
    outcome = runner.outcome
    assert "read-only" in runner.result.value, runner.result.value
    if isinstance(outcome, dl.WriteReport):
        assert "0 written" in runner.result.value
    return outcome


def _backfill(world: ReadOnlyWorld) -> Any:
    def bump(thing: Any) -> Any:
        thing.value += 100
        return thing

    report = world.ro.backfill(world.Thing, bump)
    assert report.read == 3 and report.changed == 0
    return report


def _tx(world: ReadOnlyWorld) -> None:
    Thing, ro = world.Thing, world.ro
    with ro.transaction() as tx:
        tx.create(Thing(pk="tx-new"))
        tx.update(Thing, Thing.value.set(9), key="k0")
        tx.delete(Thing, key="k1")


def _import_json(world: ReadOnlyWorld, tmp_path: Path) -> Any:
    source = tmp_path / "items.json"
    source.write_text("\n".join(json.dumps({"pk": f"imp{n}", "value": n}) for n in range(30)))
    return dl.import_json(source, world.ro, table=world.Thing.__table__)


WRITE_PATHS: dict[str, Callable[[ReadOnlyWorld, Path], Any]] = {
    "Model.create": lambda w, _p: w.Thing(pk="new", value=1).create(connection=w.ro),
    "Model.save": lambda w, _p: w.ro.get(w.Thing, "k0").save(connection=w.ro),
    "Model.update": lambda w, _p: w.ro.get(w.Thing, "k0").update(
        w.Thing.value.set(50), connection=w.ro),
    "Model.delete": lambda w, _p: w.ro.get(w.Thing, "k0").delete(connection=w.ro),
    "db.create": lambda w, _p: w.ro.create(w.Thing(pk="new2")),
    "db.save of a new object": lambda w, _p: w.ro.save(w.Thing(pk="new3")),
    "db.update by key": lambda w, _p: w.ro.update(w.Thing, w.Thing.value.set(7), key="k1",
                                                  must_exist=False),
    "db.delete by key": lambda w, _p: w.ro.delete(w.Thing, key="k1"),
    "db.batch_write": lambda w, _p: w.ro.batch_write(
        [w.Thing(pk=f"b{n}") for n in range(30)], deletes=[(w.Thing, "k0")]),
    "db.batch_write without raising": lambda w, _p: w.ro.batch_write(
        [w.Thing(pk="b")], raise_on_failure=False),
    "db.batch_writer": lambda w, _p: _batch_writer(w),
    "transaction commit": lambda w, _p: _tx(w),
    "create_table": lambda w, _p: w.ro.create_table(w.Never),
    "Model.create_table": lambda w, _p: w.Never.create_table(connection=w.ro),
    "ensure_table": lambda w, _p: w.ro.ensure_table(w.Never),
    "delete_table": lambda w, _p: w.ro.delete_table(w.Thing),
    "Model.delete_table": lambda w, _p: w.Thing.delete_table(connection=w.ro),
    "migrate": lambda w, _p: w.ro.migrate(w.Mig),
    "backfill": lambda w, _p: _backfill(w),
    "execute INSERT": lambda w, _p: dl.execute(
        f"INSERT INTO \"{w.Thing.__table__}\" VALUE {{'pk': 'ins'}}", w.ro),
    "execute UPDATE by key": lambda w, _p: dl.execute(
        f"UPDATE \"{w.Thing.__table__}\" SET value = 99 WHERE pk = 'k0'", w.ro),
    "execute DELETE by key": lambda w, _p: dl.execute(
        f"DELETE FROM \"{w.Thing.__table__}\" WHERE pk = 'k0'", w.ro),
    "execute UPDATE --yes by scan": lambda w, _p: dl.execute(
        f"UPDATE \"{w.Thing.__table__}\" SET value = 99 WHERE value >= 0", w.ro, yes=True,
        allow_scan=True),
    "execute DELETE --yes by scan": lambda w, _p: dl.execute(
        f"DELETE FROM \"{w.Thing.__table__}\" WHERE value >= 0", w.ro, yes=True,
        allow_scan=True),
    "execute transaction": lambda w, _p: dl.execute(
        f"BEGIN TRANSACTION; INSERT INTO \"{w.Thing.__table__}\" VALUE {{'pk': 't1'}}; "
        f"DELETE FROM \"{w.Thing.__table__}\" WHERE pk = 'k2'; COMMIT;", w.ro),
    "import_json": _import_json,
    "call PutItem": lambda w, _p: w.ro.call("PutItem", {
        "TableName": w.Thing.__table__, "Item": {"pk": {"S": "raw"}}}),
    "call ExecuteStatement": lambda w, _p: w.ro.call("ExecuteStatement", {
        "Statement": f"DELETE FROM \"{w.Thing.__table__}\" WHERE pk = 'k0'"}),
    "magic INSERT": lambda w, _p: _magic(
        w, f"INSERT INTO \"{w.Thing.__table__}\" VALUE {{'pk': 'mag'}}"),
    "magic UPDATE by scan": lambda w, _p: _magic(
        w, f"UPDATE \"{w.Thing.__table__}\" SET value = 1 WHERE value >= 0"),
    "magic transaction": lambda w, _p: _magic(
        w, f"BEGIN TRANSACTION;\nDELETE FROM \"{w.Thing.__table__}\" WHERE pk = 'k0';\nCOMMIT;"),
    "magic with DynamoMagic.read_only": lambda w, _p: _magic_read_only_setting(w),
    "write runner batch": lambda w, _p: _write_runner(w, transaction=False),
    "write runner transaction": lambda w, _p: _write_runner(w, transaction=True),
}


def _batch_writer(world: ReadOnlyWorld) -> Any:
    with world.ro.batch_writer() as writer:
        for n in range(30):
            writer.put(world.Thing(pk=f"bw{n}"))
        writer.delete(world.Thing, "k0")
    return writer.report


def _says_read_only(text: str) -> bool:
    return "read-only" in text


def _refused(outcome: Any) -> bool:
    """A write path refused: a ReadOnlyError, or an error/report whose every failure is one."""
    from IPython.core.error import UsageError

    if isinstance(outcome, dl.ReadOnlyError | UsageError):
        return _says_read_only(str(outcome))
    if isinstance(outcome, dl.BatchIncomplete):
        outcome = outcome.report
    if isinstance(outcome, dl.WriteReport):
        return outcome.written == 0 and bool(outcome.failed) and all(
            _says_read_only(f.reason) for f in outcome.failed)
    if isinstance(outcome, dict) and outcome and all(
            isinstance(r, dl.WriteReport) for r in outcome.values()):
        return all(_refused(r) for r in outcome.values())
    if isinstance(outcome, dl.BackfillReport):
        return bool(outcome.failed) and all(_says_read_only(why) for _k, why in outcome.failed)
    return isinstance(outcome, dl.TransactionCancelled) and _says_read_only(str(outcome))


@pytest.mark.parametrize("path", list(WRITE_PATHS))
def test_a_read_only_connection_refuses_every_write_path(world: ReadOnlyWorld, path: str,
                                                         tmp_path: Path) -> None:
    before = world.snapshot()
    world.sent.clear()
    outcome: Any
    try:
        outcome = WRITE_PATHS[path](world, tmp_path)
    except Exception as exc:
        outcome = exc
    assert _refused(outcome), f"{path}: not refused as read-only: {outcome!r}"
    writes = [op for op in world.sent if op in WRITE_OPERATIONS]
    assert writes == [], f"{path}: sent {writes}"
    assert world.snapshot() == before


def test_reads_still_work_on_a_read_only_connection(world: ReadOnlyWorld) -> None:
    ro = world.ro
    assert ro.get(world.Thing, "k0").value == 0
    assert len(world.Thing.scan().using(ro).all()) == 3
    assert dl.execute(f"SELECT * FROM \"{world.Thing.__table__}\" WHERE pk = 'k1'", ro)[0]
    assert "read-only" in repr(ro)


# === 3. destructive statements need explicit confirmation ======================================

DESTRUCTIVE_WHERES = [
    "band = 'B'",  # the partition key alone
    "plays > 5",  # no key at all
    "band = 'B' OR band = 'C'",  # keys combined with OR are not one key
    "band = 'B' AND title = 'one' OR plays > 100",  # a full key inside an OR
    "NOT (band <> 'B') AND title = 'one'",  # a negated key
    "band IN ['B', 'C'] AND title = 'one'",  # several keys
    "title = 'one'",  # the sort key alone
    "band = :band",  # a variable whose text looks like an always-true condition
]


@pytest.mark.parametrize("where", DESTRUCTIVE_WHERES)
@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
def test_a_write_whose_where_is_not_a_full_key_needs_yes(
        conn: dl.Connection, server: Any, tables: Callable[[Any], Any], verb: str,
        where: str) -> None:
    name = unique("sec_confirm")
    tables(dl.TableSchema(name, dl.KeyAttribute("band", "S"), dl.KeyAttribute("title", "S")))
    for band, title, plays in (("B", "one", 1), ("B", "two", 8), ("C", "one", 20),
                               ("D", "x", 3)):
        conn.client.put_item(TableName=name, Item={
            "band": {"S": band}, "title": {"S": title}, "plays": {"N": str(plays)}})
    before = canonical(raw_scan(conn, name))
    hooked = dl.connect(server.endpoint_url, make_default=False)
    sent = sent_operations(hooked)
    statement = (f'UPDATE "{name}" SET hit = true WHERE {where}' if verb == "UPDATE"
                 else f'DELETE FROM "{name}" WHERE {where}')
    variables = {"band": "B' OR '1'='1"}

    try:
        with pytest.raises(dl.ValidationError, match="--yes"):
            dl.execute(statement, hooked, variables=variables, allow_scan=True)
        dry = dl.execute(statement, hooked, variables=variables, allow_scan=True, dry_run=True)
    finally:
        hooked.close()
    assert dry[0].kind == "dry_run" and "nothing was written" in dry[0].summary
    assert sent, "the hook saw nothing: the check proves nothing"
    assert [op for op in sent if op in WRITE_OPERATIONS] == []
    assert canonical(raw_scan(conn, name)) == before


def test_yes_writes_exactly_the_items_the_where_matches(conn: dl.Connection,
                                                       tables: Callable[[Any], Any]) -> None:
    name = unique("sec_yes")
    tables(dl.TableSchema(name, dl.KeyAttribute("band", "S"), dl.KeyAttribute("title", "S")))
    rows = [("B", "one", 1), ("B", "two", 8), ("C", "one", 20), ("D", "x", 3)]
    for band, title, plays in rows:
        conn.client.put_item(TableName=name, Item={
            "band": {"S": band}, "title": {"S": title}, "plays": {"N": str(plays)}})
    dl.execute(f"UPDATE \"{name}\" SET hit = true WHERE band = :b OR plays > 10", conn,
               variables={"b": "B"}, yes=True, allow_scan=True)
    hit = {(i["band"]["S"], i["title"]["S"]) for i in raw_scan(conn, name) if "hit" in i}
    assert hit == {("B", "one"), ("B", "two"), ("C", "one")}
    dl.execute(f"DELETE FROM \"{name}\" WHERE band = :b", conn, variables={"b": "B' OR '1'='1"},
               yes=True, allow_scan=True)
    assert len(raw_scan(conn, name)) == 4  # no band has that text: nothing deleted


# === 4. credentials never appear anywhere ========================================================

@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)


def leaks(text: str) -> list[str]:
    """Which secrets (or a 12-character piece of one) appear in `text`."""
    found = []
    for label, secret in (("secret key", SECRET), ("session token", TOKEN)):
        pieces = {secret[i:i + 12] for i in range(0, len(secret) - 11, 6)}
        if secret in text or any(piece in text for piece in pieces):
            found.append(label)
    return found


def error_texts(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), repr(exc.args), repr(vars(exc)),
             "".join(traceback.format_exception(exc))]
    return "\n".join(parts)


@pytest.fixture
def secret_table(conn: dl.Connection) -> Iterator[Any]:
    Doc = make_doc(unique("sec_cred"))
    conn.create_table(Doc)
    conn.create(Doc(pk="a", label="first"))
    yield Doc
    conn.delete_table(Doc)


def test_no_credential_in_reprs_errors_or_library_logs(
        server: Any, fake_credentials: None, secret_table: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the library's and botocore's
    Doc = secret_table
    texts: list[str] = []
    conn = dl.connect(server.endpoint_url, make_default=False)
    ro = dl.connect(server.endpoint_url, make_default=False, read_only=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    nowhere = dl.connect(f"http://127.0.0.1:{closed_port}", make_default=False, max_attempts=1,
                         connect_timeout=1, read_timeout=1)
    try:
        credentials = conn.client._request_signer._credentials  # really in use
        assert (credentials.access_key, credentials.secret_key, credentials.token) == (
            KEY_ID, SECRET, TOKEN)
        texts += [repr(conn), str(conn), repr(ro), repr(nowhere), repr(Doc.get("a",
                                                                             connection=conn))]
        failing: dict[type, Callable[[], Any]] = {
            dl.ConditionFailed: lambda: conn.update(Doc, Doc.label.set("x"), key="a",
                                                    condition=Doc.label == "nope"),
            dl.ItemAlreadyExists: lambda: conn.create(Doc(pk="a")),
            dl.TableNotFound: lambda: conn.describe(unique("missing")),
            dl.ValidationError: lambda: conn.call("GetItem", {
                "TableName": Doc.__table__, "Key": {"wrong": {"S": "x"}}}),
            dl.ReadOnlyError: lambda: ro.create(Doc(pk="b")),
            dl.ConnectionFailed: nowhere.tables,
            dl.ItemNotFound: lambda: conn.get(Doc, "nobody"),
        }
        for error, call in failing.items():
            with pytest.raises(error) as caught:
                call()
            texts.append(error_texts(caught.value))
        records = list(caplog.records)
    finally:
        for connection in (conn, ro, nowhere):
            connection.close()
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    library = [formatter.format(r) for r in records if r.name.startswith("dynamorm_lab")]
    for text in texts + library:
        assert not leaks(text), text[:500]
        assert KEY_ID not in text, text[:500]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_no_credential_in_botocore_debug_logs(
        server: Any, fake_credentials: None, secret_table: Any,
        record_property: Callable[[str, Any], None]) -> None:
    """README: credentials never appear in a log line. botocore logs requests at DEBUG,
    signed headers included; the secret key is never sent, but the session token is a
    header (X-Amz-Security-Token) and the access key id is in the Authorization header.
    (Records are kept here, not propagated: pytest would print thousands of lines.)"""
    handler = _Records()
    loggers = [logging.getLogger(name) for name in ("botocore", "urllib3", "dynamorm_lab")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.propagate = False
        lg.addHandler(handler)
    Doc = secret_table
    conn = dl.connect(server.endpoint_url, make_default=False)
    try:
        conn.get(Doc, "a")
        Doc.scan().using(conn).all()
        with pytest.raises(dl.ConditionFailed):
            conn.create(Doc(pk="a"))
    finally:
        conn.close()
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    botocore_lines = [formatter.format(r) for r in handler.records
                      if r.name.startswith(("botocore", "urllib3"))]
    assert botocore_lines, "botocore logged nothing at DEBUG"
    everything = "\n".join(botocore_lines)
    key_id_lines = [line for line in botocore_lines if KEY_ID in line]
    record_property("access_key_id_in_botocore_debug_lines", len(key_id_lines))
    assert SECRET not in everything
    token_lines = [line.split("\n")[0][:120] for line in botocore_lines if TOKEN in line]
    assert not token_lines, (f"the session token is in {len(token_lines)} botocore DEBUG "
                             f"log record(s), e.g. {token_lines[:2]}")


def test_no_credential_in_magic_outputs(server: Any, fake_credentials: None,
                                        secret_table: Any, shell: Any) -> None:
    from IPython.core.error import UsageError
    from IPython.utils.capture import capture_output

    Doc = secret_table
    magic = shell.magics_manager.registry["DynamoMagic"]
    texts: list[str] = []
    try:
        made = shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias cred")
        assert made.client._request_signer._credentials.token == TOKEN
        shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias cred_ro "
                                       "--read-only")
        shell.run_line_magic("dynamo", "connect cred")
        frame = shell.run_line_magic("dynamo", "connections")
        texts += [frame.to_string(), frame.to_html(), repr(frame.to_dict())]
        shown = shell.run_cell_magic("dynamo", "", f"SELECT * FROM \"{Doc.__table__}\" "
                                                   "WHERE pk = 'a'")
        texts += [repr(shown), shown._repr_html_()]
        with capture_output() as captured:
            texts += [repr(shell.run_line_magic("dynamo", "tables")),
                      repr(shell.run_line_magic("dynamo", f"describe {Doc.__table__}")),
                      repr(shell.run_cell_magic("dynamo", "", f"EXPLAIN SELECT * FROM "
                                                f"\"{Doc.__table__}\" WHERE label = 'x'"))]
            shell.run_line_magic("dynamo", f"model {Doc.__table__}")
        texts += [captured.stdout, captured.stderr]
        failing = [
            ("", f"INSERT INTO \"{Doc.__table__}\" VALUE {{'pk': 'a'}}"),  # exists
            ("", 'SELECT * FROM "no_such_table_here"'),
            ("", f"UPDATE \"{Doc.__table__}\" SET label = 'x' WHERE pk = 'nobody'"),
            ("-c cred_ro", f"INSERT INTO \"{Doc.__table__}\" VALUE {{'pk': 'z'}}"),
            ("", "SELEC nonsense"),
        ]
        for options, cell in failing:
            with pytest.raises(UsageError) as caught:
                shell.run_cell_magic("dynamo", options, cell)
            texts.append(error_texts(caught.value))
        shell.run_line_magic("config", "DynamoMagic.short_errors = False")
        try:
            with pytest.raises(dl.DynamormError) as full:
                shell.run_cell_magic("dynamo", "", 'SELECT * FROM "no_such_table_here"')
            texts.append(error_texts(full.value))
        finally:
            shell.run_line_magic("config", "DynamoMagic.short_errors = True")
    finally:
        for alias in ("cred", "cred_ro"):
            if alias in magic.connections:
                magic.connections.pop(alias).close()
        magic.current = None
    assert texts
    for text in texts:
        assert not leaks(text) and KEY_ID not in text, text[:500]


def widget_texts(widget: Any) -> list[str]:
    """Every text a widget tree shows: values, descriptions, options, placeholders."""
    out: list[str] = []
    for name in ("value", "description", "placeholder", "tooltip"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            out.append(value)
    options = getattr(widget, "options", None)
    if options:
        out += [str(option) for option in options]
    for child in getattr(widget, "children", ()) or ():
        out += widget_texts(child)
    return out


def test_no_credential_in_widget_html(server: Any, fake_credentials: None,
                                      secret_table: Any) -> None:
    from dynamorm_lab.widgets import build, explore

    Doc = secret_table
    conn = dl.connect(server.endpoint_url, make_default=False)
    try:
        builder = build(conn, Doc.__table__)
        builder.partition_attr.value = "pk"
        builder.partition.value = "a"
        builder.run_button.click()
        assert len(builder.frame) == 1
        explorer = explore(conn, Doc.__table__)
        assert "first" in explorer.items.value
        builder.partition.value = "x" * 3
        builder.run_button.click()
        texts = widget_texts(builder.widget) + widget_texts(explorer.widget)
        texts += [v.value for v in builder.code.values()]
    finally:
        conn.close()
    assert any("first" in t for t in texts)
    for text in texts:
        assert not leaks(text) and KEY_ID not in text, text[:300]


def test_no_credential_in_a_notebook_run(server: Any, secret_table: Any,
                                         tmp_path: Path) -> None:
    """A real kernel runs a notebook that puts the credentials in its environment, connects,
    queries, fails in several ways and logs at DEBUG; no output holds a secret."""
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    table = secret_table.__table__
    url = server.endpoint_url
    cells = [
        f"import os\nos.environ.update({{'AWS_ACCESS_KEY_ID': {KEY_ID!r}, "
        f"'AWS_SECRET_ACCESS_KEY': {SECRET!r}, 'AWS_SESSION_TOKEN': {TOKEN!r}}})",
        "import logging, sys\nlogging.basicConfig(stream=sys.stdout)\n"
        "logging.getLogger('dynamorm_lab').setLevel(logging.DEBUG)",
        f"%load_ext dynamorm_lab\n%dynamo connect {url} --alias nb",
        "%dynamo connections",
        f"import dynamorm_lab as dl\nconn = dl.connect({url!r}, make_default=False)\n"
        "print(repr(conn))\nprint(conn.client._request_signer._credentials.token == "
        "os.environ['AWS_SESSION_TOKEN'])\nconn",
        f"%%dynamo\nSELECT * FROM \"{table}\" WHERE pk = 'a'",
        "%dynamo tables",
        f"%%dynamo\nINSERT INTO \"{table}\" VALUE {{'pk': 'a'}}",
        '%%dynamo\nSELECT * FROM "no_such_table_here"',
        "conn.describe('no_such_table_here')",
        "%config DynamoMagic.short_errors = False",
        '%%dynamo\nSELECT * FROM "no_such_table_here"',
        f"%dynamo model {table}",
    ]
    notebook = new_notebook(cells=[new_code_cell(source) for source in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    text = nbformat.writes(notebook)
    (tmp_path / "ran.ipynb").write_text(text)

    outputs = [out for c in notebook.cells for out in c.get("outputs", [])]
    joined = json.dumps(outputs)
    assert "True" in joined  # the kernel really used the credentials
    assert "first" in joined  # the query ran
    assert "TableNotFound" in joined and "ItemAlreadyExists" in joined  # the errors ran
    assert sum(out.get("output_type") == "error" for out in outputs) >= 2
    assert not leaks(joined), leaks(joined)
    assert KEY_ID not in joined


# === 5. the embedded server listens on 127.0.0.1 only ===========================================

@pytest.fixture(scope="module")
def embedded() -> Iterator[Any]:
    """The embedded server `connect("local")` starts; stopped at the end of the module."""
    conn = dl.connect("local", make_default=False)
    yield conn
    conn.close()
    shared = server_module._shared
    if shared is not None:
        shared.stop()
        server_module._shared = None


def refused(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        try:
            probe.connect((address, port))
        except ConnectionRefusedError:
            return True
        except OSError as exc:  # unreachable or filtered: not accepted either
            return exc.errno is not None
        return False


def other_ipv4_addresses() -> list[str]:
    """This machine's own IPv4 addresses outside 127.0.0.0/8."""
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    try:
        import psutil

        for addresses in psutil.net_if_addrs().values():
            found |= {a.address for a in addresses if a.family == socket.AF_INET}
    except ImportError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


@pytest.mark.needs("embedded")
def test_the_embedded_server_listens_on_loopback_only(embedded: dl.Connection) -> None:
    endpoint = urlsplit(embedded.endpoint_url or "")
    assert endpoint.hostname == "127.0.0.1"
    assert embedded.server is not None and embedded.server.host == "127.0.0.1"
    assert isinstance(embedded.tables(), list)  # it answers on 127.0.0.1
    assert endpoint.port is not None
    # Another loopback address reaches this machine too: only a wildcard bind would answer.
    assert refused("127.0.0.2", endpoint.port)


@pytest.mark.needs("embedded")
def test_the_embedded_server_is_not_reachable_on_other_addresses(
        embedded: dl.Connection) -> None:
    port = urlsplit(embedded.endpoint_url or "").port
    assert port is not None
    addresses = other_ipv4_addresses()
    if not addresses:
        pytest.skip(reason="this machine has no IPv4 address besides loopback to try")
    for address in addresses:  # this machine's own addresses: nothing leaves the host
        assert refused(address, port), f"the embedded server accepts connections on {address}"

