"""The index advisor on a real server, through every way in: ``db.advise(queries)``,
``dl.advise(statements)``, ``%%dynamo ADVISE``, and the reads a connection has run; its
model code declares the indexes; its migration creates them (moto: dynalite cannot add a
GSI), after which the workload's queries are Queries on them and return what the Scans did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from backends import raw_scan
from helpers import unique

import dynamorm_lab as dl

pytestmark = pytest.mark.integration


def player_model(table: str) -> Any:
    class Player(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        owner: str = ""
        guild: str | None = None
        level: int = 0

    return Player


@pytest.fixture
def players(conn: dl.Connection, make_table: Callable[..., Any]) -> Any:
    Player = make_table(player_model(unique("players")))
    conn.batch_write(puts=[Player(pk=f"p{n}", owner=f"u{n % 9}", level=n % 10,
                                  guild=None if n % 4 == 0 else f"g{n % 3}")
                           for n in range(240)])
    return Player


def workload(Player: Any) -> list[Any]:
    return [Player.query(Player.owner == "u1"),
            Player.query(Player.owner == "u2", Player.level >= 5),
            Player.query(Player.guild == "g1", Player.level == 3),
            Player.query(Player.level > 8)]


def test_advice_proposes_indexes_whose_migration_serves_the_workload(
        conn: dl.Connection, players: Any) -> None:
    table = dl.schema(players).name
    advice = conn.advise([q.using(conn) for q in workload(players)])
    assert [p.operation for p in advice.before] == ["Scan"] * 4
    assert [p.operation for p in advice.after] == ["Query", "Query", "Query", "Scan"]
    assert advice.unserved == [3]  # level > 8 has no equality: no GSI serves it
    assert len(advice.proposals) == 2
    frame = advice.to_pandas()
    assert list(frame["table"]) == [table, table] and frame["read_savings_rcu"].notna().all()
    assert (frame["index_items"] > 0).all() and (frame["write_units_per_item_written"] >= 1).all()
    migration = advice.migrations[table]
    assert migration.dry_run and len(migration.steps) == 2
    assert all(s.operation == "UpdateTable" for s in migration.steps)
    assert conn.describe(table).indexes == ()  # a dry run: nothing created
    assert "dl.gsi(partition=['owner']" in advice.model_code()


@pytest.mark.needs("gsi_update")
def test_applying_the_migration_turns_the_scans_into_queries_with_the_same_items(
        conn: dl.Connection, players: Any) -> None:
    table = dl.schema(players).name
    queries = [q.using(conn) for q in workload(players)]
    before = [sorted(r["pk"] for r in q.allow_scan().as_dicts()) for q in queries]
    advice = conn.advise(queries)
    conn.migrate(advice.schemas[table])
    live = conn.describe(table)
    assert {i.name for i in live.indexes} == {p.index.name for p in advice.proposals}
    namespace: dict[str, Any] = {"dl": dl}
    exec(advice.model_code().replace(f"# {table}\n", "declared = "), namespace)
    declared = namespace["declared"]

    class Declared(dl.Model, table=table, indexes=declared):
        pk: str = dl.field(partition_key=True)
        owner: str = ""
        guild: str | None = None
        level: int = 0

    assert conn.diff(Declared).changes == []  # the model code is what was created
    for n, query in enumerate(queries[:3]):
        rerun = Declared.query(*query.spec.conditions).using(conn)
        assert rerun.explain().operation == "Query"
        assert sorted(r["pk"] for r in rerun.as_dicts()) == before[n]


def test_statements_advise_as_the_queries_do(conn: dl.Connection, players: Any) -> None:
    table = dl.schema(players).name
    statements = (f"SELECT * FROM \"{table}\" WHERE owner = 'u1';\n"
                  f"SELECT * FROM \"{table}\" WHERE owner = 'u2' AND level >= 5;\n"
                  f"SELECT * FROM \"{table}\" WHERE guild = 'g1' AND level = 3;\n"
                  f"SELECT * FROM \"{table}\" WHERE level > 8")
    by_text = dl.advise(statements, conn)
    by_queries = conn.advise([q.using(conn) for q in workload(players)])
    shape = [(p.index.key_names, p.serves) for p in by_queries.proposals]
    assert [(p.index.key_names, p.serves) for p in by_text.proposals] == shape
    (cell,) = dl.execute(f"ADVISE {statements}", conn)
    assert cell.kind == "advice" and cell.advice is not None
    assert [(p.index.key_names, p.serves) for p in cell.advice.proposals] == shape
    assert len(cell.to_pandas()) == 2 and "dl.gsi(" in cell._repr_html_()
    assert cell.summary.startswith("2 GSI(s) turn 3 of 4 request(s)")
    with pytest.raises(dl.ValidationError, match="SELECT"):
        dl.advise(f"DELETE FROM \"{table}\" WHERE pk = 'p1'", conn)
    with pytest.raises(dl.ParseError, match="SELECT to advise on"):
        dl.execute(f"ADVISE INSERT INTO \"{table}\" VALUE {{'pk': 'x'}}", conn)


def test_the_reads_a_connection_has_run_are_its_workload(server: Any, players: Any) -> None:
    fresh = dl.connect(server.endpoint_url, make_default=False)
    try:
        with pytest.raises(dl.ValidationError, match="run some first"):
            fresh.advise()
        table = dl.schema(players).name
        players.query(players.owner == "u3").using(fresh).allow_scan().all()
        dl.execute(f"SELECT * FROM \"{table}\" WHERE owner = 'u4' --allow-scan", fresh)
        assert len(fresh.history) == 2
        advice = fresh.advise()
        assert [(p.index.key_names, p.serves) for p in advice.proposals] == [(("owner",),
                                                                               (0, 1))]
    finally:
        fresh.close()


def test_what_if_predicts_the_hypothetical_query(conn: dl.Connection, players: Any) -> None:
    query = players.query(players.owner == "u5").using(conn)
    plan = query.explain(stats=True, with_indexes=[dl.gsi(partition="owner")])
    assert (plan.operation, plan.index) == ("Query", "ByOwner")
    assert plan.chosen.predicted is not None
    stored = [i for i in raw_scan(conn, dl.schema(players).name) if i["owner"]["S"] == "u5"]
    assert plan.chosen.predicted.items == len(stored)  # the small table is sampled whole
    assert conn.describe(dl.schema(players).name).indexes == ()


def test_advise_refuses_what_is_not_a_workload(conn: dl.Connection) -> None:
    with pytest.raises(dl.ValidationError, match="needs queries"):
        conn.advise([])
    with pytest.raises(dl.ValidationError, match=r"dl\.advise\(text\)"):
        conn.advise(["SELECT * FROM t"])  # type: ignore[list-item]
