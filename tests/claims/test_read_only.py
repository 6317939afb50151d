"""Claim: read-only refuses every write, on every path, before anything is sent.

A read-only connection (``connect(read_only=True)``, ``%dynamo connect ... --read-only``,
``%config DynamoMagic.read_only = True`` on an existing writable connection) refuses every
write path: models, the connection's methods, batches and the batch writer, transactions,
tables, migrations, backfills, imports, raw ``call``, ``%%dynamo`` cells and subcommands, the
widgets. The server is unchanged after each (a raw snapshot of every table is compared; a
botocore hook sees no write request). Runs on moto and dynalite.
"""


import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import raw_scan
from helpers import canonical, sent_operations, unique

import dynamorm_lab as dl
from dynamorm_lab._core import session as _session
from dynamorm_lab._ops.boundary import WRITE_OPERATIONS

pytestmark = pytest.mark.integration


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


def _writable_alias(world: ReadOnlyWorld) -> str:
    """A writable connection of the magic's, ``sec_rw`` (made once)."""
    magic = world.shell.magics_manager.registry["DynamoMagic"]
    if "sec_rw" not in magic.connections:
        world.shell.run_line_magic("dynamo", f"connect {world.endpoint} --alias sec_rw")
    assert not magic.connections["sec_rw"].read_only
    return "sec_rw"


def _with_read_only_setting(world: ReadOnlyWorld, run: Callable[[], Any]) -> Any:
    """`run()` with ``%config DynamoMagic.read_only = True``, then the setting off again."""
    world.shell.run_line_magic("config", "DynamoMagic.read_only = True")
    try:
        return run()
    finally:
        world.shell.run_line_magic("config", "DynamoMagic.read_only = False")


def _magic_read_only_setting(world: ReadOnlyWorld, cell: str) -> Any:
    """%config DynamoMagic.read_only = True refuses writes on a connection that is itself
    writable, made before the setting."""
    alias = _writable_alias(world)
    magic = world.shell.magics_manager.registry["DynamoMagic"]
    sent = sent_operations(magic.connections[alias])
    try:
        return _with_read_only_setting(world, lambda: world.shell.run_cell_magic(
            "dynamo", f"-c {alias} --yes", cell.format(table=world.Thing.__table__)))
    finally:
        world.sent += sent


def _magic_subcommand_read_only_setting(world: ReadOnlyWorld, line: str) -> Any:
    alias = _writable_alias(world)
    magic = world.shell.magics_manager.registry["DynamoMagic"]
    world.shell.run_line_magic("dynamo", f"use {alias}")
    sent = sent_operations(magic.connections[alias])
    try:
        return _with_read_only_setting(world, lambda: world.shell.run_line_magic("dynamo", line))
    finally:
        world.sent += sent
        _session.set_default(world.conn)


def _magic_connect_read_only_beside_a_writable_one(world: ReadOnlyWorld) -> Any:
    """``connect ENDPOINT --read-only --alias NEW`` while a writable connection to the same
    endpoint exists: a new, read-only connection under NEW, which ``-c NEW`` then finds."""
    alias = _writable_alias(world)
    magic = world.shell.magics_manager.registry["DynamoMagic"]
    if "sec_ro2" not in magic.connections:
        made = world.shell.run_line_magic(
            "dynamo", f"connect {world.endpoint} --read-only --alias sec_ro2")
        assert made is magic.connections["sec_ro2"] is not magic.connections[alias]
    assert magic.connections["sec_ro2"].read_only
    return _magic(world, f"INSERT INTO \"{world.Thing.__table__}\" VALUE {{'pk': 'ro2'}}",
                  alias="sec_ro2")


def _models_after_use(world: ReadOnlyWorld) -> Any:
    """``%dynamo use ALIAS`` of a read-only connection: model methods given no connection
    use it, so they are refused; the default is put back afterwards."""
    _magic(world, 'SHOW TABLES')
    magic = world.shell.magics_manager.registry["DynamoMagic"]
    world.shell.run_line_magic("dynamo", "use sec_ro")
    assert dl.default_connection() is magic.connections["sec_ro"]
    sent = sent_operations(magic.connections["sec_ro"])
    try:
        return world.Thing(pk="used").create()
    finally:
        world.sent += sent
        _session.set_default(world.conn)


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

    return world.ro.backfill(world.Thing, bump)


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
    "magic INSERT with %config read_only": lambda w, _p: _magic_read_only_setting(
        w, "INSERT INTO \"{table}\" VALUE {{'pk': 'cfg'}}"),
    "magic UPDATE with %config read_only": lambda w, _p: _magic_read_only_setting(
        w, "UPDATE \"{table}\" SET value = 5 WHERE pk = 'k0'"),
    "magic DELETE by scan with %config read_only": lambda w, _p: _magic_read_only_setting(
        w, "DELETE FROM \"{table}\" WHERE value >= 0"),
    "magic transaction with %config read_only": lambda w, _p: _magic_read_only_setting(
        w, "BEGIN TRANSACTION;\nDELETE FROM \"{table}\" WHERE pk = 'k0';\nCOMMIT;"),
    "magic sample with %config read_only": lambda w, _p: _magic_subcommand_read_only_setting(
        w, "sample movies"),
    "magic connect --read-only beside a writable one": lambda w, _p:
        _magic_connect_read_only_beside_a_writable_one(w),
    "model methods after %dynamo use": lambda w, _p: _models_after_use(w),
    "migrate (not a dry run)": lambda w, _p: w.ro.migrate(w.Mig, dry_run=False),
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
    """A write path refused as read-only: a ReadOnlyError (a UsageError saying so in the
    magics), or for the write runner widget, its shown outcome."""
    from IPython.core.error import UsageError

    if isinstance(outcome, dl.ReadOnlyError | UsageError):
        return _says_read_only(str(outcome))
    if isinstance(outcome, dl.WriteReport):  # the write runner shows its report
        return outcome.written == 0 and bool(outcome.failed) and all(
            _says_read_only(f.reason) for f in outcome.failed)
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


def test_a_dry_run_migration_and_reads_work_on_a_read_only_connection(
        world: ReadOnlyWorld) -> None:
    plan = world.ro.migrate(world.Mig, dry_run=True)
    assert plan.steps and plan.dry_run
    assert [op for op in world.sent if op in WRITE_OPERATIONS] == []


def test_a_connect_option_that_cannot_be_honoured_is_an_error_and_changes_nothing(
        world: ReadOnlyWorld) -> None:
    from IPython.core.error import UsageError

    shell = world.shell
    magic = shell.magics_manager.registry["DynamoMagic"]
    alias = _writable_alias(world)
    before = (dict(magic.connections), magic.current, dl.default_connection())
    for line, says in ((f"connect {alias} --read-only", "cannot take --read-only"),
                       (f"connect {alias} --region eu-west-1", "cannot take --region"),
                       (f"connect {world.endpoint} --alias {alias}", "already exists"),
                       ("connect local --profile someone", "no profiles")):
        with pytest.raises(UsageError, match=says):
            shell.run_line_magic("dynamo", line)
        assert (dict(magic.connections), magic.current, dl.default_connection()) == before
    assert not magic.connections[alias].read_only
    with pytest.raises(dl.ValidationError, match="no profiles"):
        dl.connect("local", profile="someone")
