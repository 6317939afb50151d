"""``%load_ext dynamorm_lab``: the %dynamo / %%dynamo magics (and %ddb) in a real IPython shell.

The shell is IPython's own `InteractiveShell` (not a mock): magics are run with
``run_line_magic`` / ``run_cell_magic``, which re-raise what the magic raises, so errors can be
asserted on (magic errors are IPython `UsageError`s with a short message). It is created for
this module and cleared at the end, so other modules start without a shell.

Answers are checked against the server directly (raw botocore calls) and against the raw files
in /work/shared/datasets. The sample tables are loaded once (idempotent) and never written;
tables that tests write to get unique names and are deleted.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import dynamorm_lab as dl
from dynamorm_lab.local import LocalServer
from dynamorm_lab.magics._magic import DynamoMagic

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("samples")]

from backends import DATASETS, raw_scan  # noqa: E402 - shared/ beside the checkout
from helpers import datatable  # noqa: E402

YEAR = 1985
FAKE_SECRET = "fAkE/SeCrEt+KeY0123456789abcdefghijKLMNOP"
FAKE_TOKEN = "FaKeSeSsIoNtOkEn//Zm9vYmFyYmF6cXV4" * 3
TRAIT_DEFAULTS = {"displaylimit": 50, "autopandas": False, "progress": True,
                  "allow_scan": False, "read_only": False, "short_errors": True}
SUMMARY = re.compile(
    r"^(GetItem|BatchGetItem|Query|Scan) on (table|index) (\S+)(?: in \d+ segments)?: "
    r"\d+ page\(s\), read ([\d,]+) item\(s\), returned ([\d,]+), "
    r"(?:[\d.]+ RCU|capacity not reported), \d+ ms"
    r"; predicted ([\d,]+) item\(s\) read, [\d.]+ RCU(?:; first read a sample of .*)?$")


def S(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "S")


# --- raw data ------------------------------------------------------------------------------

@cache
def movies_raw() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads((DATASETS / "moviedata.json").read_text(), parse_float=Decimal))


@cache
def battle_raw() -> tuple[dict[str, Any], ...]:
    with (DATASETS / "battle-royale" / "items.json").open() as handle:
        return tuple(json.loads(line, parse_float=Decimal) for line in handle if line.strip())


def titles_of(year: int) -> set[str]:
    return {m["title"] for m in movies_raw() if m["year"] == year}


def raw_get(conn: dl.Connection, table: str, artist: str, title: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = conn.client.get_item(
        TableName=table, Key={"Artist": {"S": artist}, "SongTitle": {"S": title}},
        ConsistentRead=True).get("Item")
    return item




def song(artist: str, title: str, **extra: dict[str, Any]) -> dict[str, Any]:
    return {"Artist": {"S": artist}, "SongTitle": {"S": title}, **extra}


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ip(server: LocalServer, conn: dl.Connection, shell: InteractiveShell) -> InteractiveShell:
    """The module's IPython shell with two connections: ``t`` (current) and ``ro``
    (read-only)."""
    shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias t")
    shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias ro --read-only")
    shell.run_line_magic("dynamo", "connect t")
    return shell


@pytest.fixture(autouse=True)
def _restore(ip: InteractiveShell, magic: DynamoMagic) -> Iterator[None]:
    """Every test starts on connection ``t`` with the default settings."""
    magic.current = "t"
    yield
    for name, default in TRAIT_DEFAULTS.items():
        ip.run_line_magic("config", f"DynamoMagic.{name} = {default!r}")
    magic.current = "t"


@pytest.fixture
def music(conn: dl.Connection) -> Iterator[str]:
    """A table of our own like the AWS docs' Music: Artist (S) + SongTitle (S)."""
    name = f"Music_{uuid.uuid4().hex[:10]}"
    conn.create_table(dl.TableSchema(name, S("Artist"), S("SongTitle")))
    yield name
    conn.delete_table(name)


@pytest.fixture
def two_connections(ip: InteractiveShell, magic: DynamoMagic, server: LocalServer,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """``a`` and ``b`` (read-only), made with fake AWS credentials in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", FAKE_TOKEN)
    a = ip.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias a")
    b = ip.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias b --read-only")
    yield a, b
    for alias in ("a", "b"):
        magic.connections.pop(alias).close()


def cell(ip: InteractiveShell, options: str, body: str) -> Any:
    return ip.run_cell_magic("dynamo", options, body)


def line(ip: InteractiveShell, text: str) -> Any:
    return ip.run_line_magic("dynamo", text)


def items(shown: Any) -> list[dict[str, Any]]:
    """The rows of what a magic returned (shown with the display limit; all rows kept)."""
    return shown.result.rows


def usage_error(run: Callable[[], Any]) -> str:
    with pytest.raises(UsageError) as caught:
        run()
    return str(caught.value)


# === 1. the extension and its connections ==================================================

def test_load_ext_registers_both_names(ip: InteractiveShell) -> None:
    magics = ip.magics_manager.magics
    for kind in ("line", "cell"):
        assert "dynamo" in magics[kind] and "ddb" in magics[kind]
    statement = f'SELECT title FROM "Movies" WHERE "year" = {YEAR}'
    for found in (line(ip, statement), ip.run_line_magic("ddb", statement),
                  cell(ip, "", statement), ip.run_cell_magic("ddb", "", statement)):
        assert {r["title"] for r in items(found)} == titles_of(YEAR)


def test_loading_twice_keeps_the_connections(ip: InteractiveShell, magic: DynamoMagic) -> None:
    ip.run_line_magic("load_ext", "dynamorm_lab")
    assert ip.magics_manager.registry["DynamoMagic"] is magic
    assert {"t", "ro"} <= set(magic.connections)


def test_connections_are_listed_without_secrets(
        ip: InteractiveShell, magic: DynamoMagic, server: LocalServer,
        two_connections: tuple[Any, Any]) -> None:
    a, b = two_connections
    assert isinstance(a, dl.Connection) and not a.read_only and b.read_only
    frame = line(ip, "connections")
    assert isinstance(frame, pd.DataFrame)
    listed = frame.set_index("alias")
    assert {"a", "b", "t", "ro"} <= set(listed.index)
    assert listed.loc["b", "current"] and not listed.loc["a", "current"]
    assert frame["current"].sum() == 1
    assert not listed.loc["a", "read_only"] and listed.loc["b", "read_only"]
    assert listed.loc["a", "endpoint"] == server.endpoint_url
    assert listed.loc["a", "target"] == "endpoint"
    shown = [frame.to_string(), repr(frame), frame.to_html(), str(frame.to_dict()),
             repr(a), repr(b), repr(magic.connections)]
    for text in shown:
        assert FAKE_SECRET not in text and FAKE_TOKEN not in text
        assert FAKE_SECRET[:12] not in text and FAKE_TOKEN[:12] not in text
    # the credentials were really in use: the server answered requests signed with them
    assert len(cell(ip, "-c a", f'SELECT * FROM "Movies" WHERE "year" = {YEAR}')) == 45


def test_connect_alias_switches_the_current_connection(
        ip: InteractiveShell, magic: DynamoMagic, two_connections: tuple[Any, Any]) -> None:
    a, _ = two_connections
    assert magic.current == "b"
    assert line(ip, "connect a") is a
    assert magic.current == "a"
    listed = line(ip, "connections").set_index("alias")
    assert listed.loc["a", "current"] and not listed.loc["b", "current"]


def test_cell_connection_option_is_for_that_cell_only(
        ip: InteractiveShell, magic: DynamoMagic, conn: dl.Connection, music: str,
        two_connections: tuple[Any, Any]) -> None:
    line(ip, "connect a")
    insert = f"INSERT INTO \"{music}\" VALUE {{'Artist': 'x', 'SongTitle': 'y'}}"
    message = usage_error(lambda: cell(ip, "-c b", insert))
    assert message.startswith("ReadOnlyError: PutItem refused: this connection is read-only")
    assert raw_get(conn, music, "x", "y") is None
    assert len(cell(ip, "-c b", f'SELECT * FROM "Movies" WHERE "year" = {YEAR}')) == 45
    assert magic.current == "a"
    cell(ip, "", insert)  # the current connection again: a, which may write
    assert raw_get(conn, music, "x", "y") == song("x", "y")
    assert line(ip, "connections").set_index("alias").loc["a", "current"]


def test_unknown_connection_is_named(ip: InteractiveShell) -> None:
    message = usage_error(lambda: cell(ip, "-c nope", 'SELECT * FROM "Movies"'))
    assert message.startswith("no connection called 'nope' (known: ")
    assert "t" in message and "ro" in message


def test_read_only_connection_refuses_every_write(ip: InteractiveShell, conn: dl.Connection,
                                                  music: str) -> None:
    conn.client.put_item(TableName=music, Item=song("A", "S", plays={"N": "1"}))
    conn.client.put_item(TableName=music, Item=song("A", "T", plays={"N": "2"}))
    before = raw_scan(conn, music)
    key = "WHERE Artist = 'A' AND SongTitle = 'S'"
    writes = {
        "PutItem": f"INSERT INTO \"{music}\" VALUE {{'Artist': 'B', 'SongTitle': 'x'}}",
        "UpdateItem": f'UPDATE "{music}" SET plays = 5 {key}',
        "DeleteItem": f'DELETE FROM "{music}" {key}',
        "TransactWriteItems": f"BEGIN TRANSACTION;\nUPDATE \"{music}\" SET plays = 5 {key};\n"
                              f"INSERT INTO \"{music}\" VALUE {{'Artist': 'B', 'SongTitle': 'y'}};"
                              "\nCOMMIT;",
    }
    for operation, text in writes.items():
        message = usage_error(lambda text=text: cell(ip, "-c ro --yes", text))
        assert message == (f"ReadOnlyError: {operation} refused: this connection is read-only "
                           "(nothing was sent)"), message
    message = usage_error(lambda: cell(ip, "-c ro --yes",
                                       f"DELETE FROM \"{music}\" WHERE Artist = 'A'"))
    assert message.startswith("ReadOnlyError: DeleteItem refused")
    assert raw_scan(conn, music) == before
    assert len(cell(ip, "-c ro", f'SELECT * FROM "{music}" WHERE Artist = \'A\'')) == 2


def test_autopandas_returns_dataframes(ip: InteractiveShell) -> None:
    ip.run_line_magic("config", "DynamoMagic.autopandas = True")
    frame = line(ip, f'SELECT * FROM "Movies" WHERE "year" = {YEAR}')
    assert isinstance(frame, pd.DataFrame)
    assert set(frame["title"]) == titles_of(YEAR) and len(frame) == 45
    assert set(frame["year"]) == {YEAR}
    plan = line(ip, f'EXPLAIN SELECT * FROM "Movies" WHERE "year" = {YEAR}')
    assert isinstance(plan, pd.DataFrame) and plan["chosen"].sum() == 1
    ip.run_line_magic("config", "DynamoMagic.autopandas = False")
    assert not isinstance(line(ip, f'SELECT * FROM "Movies" WHERE "year" = {YEAR}'),
                          pd.DataFrame)


def test_displaylimit_limits_what_is_shown_not_what_is_kept(
        ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to the limit a plain table; past it every row in a browsable table, or, without
    itables, the first rows and the count."""
    statement = f'SELECT * FROM "Movies" WHERE "year" = {YEAR}'
    shown = line(ip, statement)._repr_html_()
    assert "showing" not in shown and shown.count("<tr") == 46 and "<script" not in shown
    ip.run_line_magic("config", "DynamoMagic.displaylimit = 3")
    result = line(ip, statement)
    assert len(result) == 45 and len(items(result)) == 45
    browsable = result._repr_html_()
    header, rows = datatable(browsable)
    assert sorted(row[header.index("title")] for row in rows) == sorted(
        m["title"] for m in movies_raw() if m["year"] == YEAR)
    assert result.summary in browsable and "showing" not in browsable
    monkeypatch.setitem(sys.modules, "itables", None)  # as where itables is not installed
    shown = result._repr_html_()
    assert shown.count("<tr") == 4  # the header and three rows
    assert "showing 3 of 45 rows" in shown
    assert result.summary in shown


def test_pyproject_sets_the_defaults(ip: InteractiveShell, magic: DynamoMagic, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.dynamorm_lab]\nautopandas = true\n'
        "displaylimit = 7\nshort_errors = false\nallow_scan = true\nread_only = true\n"
        'not_a_setting = "ignored"\n')
    fresh = DynamoMagic(ip)
    assert (fresh.autopandas, fresh.displaylimit, fresh.short_errors, fresh.allow_scan,
            fresh.read_only, fresh.progress) == (True, 7, False, True, True, True)
    assert not hasattr(fresh, "not_a_setting")
    assert (magic.autopandas, magic.displaylimit) == (False, 50)  # the loaded one unchanged
    # loading the extension in that folder: the new magic reads it
    try:
        dl.load_ipython_extension(ip)
        loaded = ip.magics_manager.registry["DynamoMagic"]
        assert loaded is not magic
        assert (loaded.autopandas, loaded.displaylimit, loaded.read_only) == (True, 7, True)
    finally:
        ip.register_magics(magic)
    assert ip.magics_manager.registry["DynamoMagic"] is magic
    assert {"t", "ro"} <= set(magic.connections)


@pytest.mark.parametrize("text", ["[tool.dynamorm_lab\nautopandas = true", "[tool.other]\nx = 1",
                                  "[tool.dynamorm_lab]\n"])
def test_pyproject_without_usable_settings_keeps_the_defaults(
        ip: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        text: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(text)
    fresh = DynamoMagic(ip)
    assert {name: getattr(fresh, name) for name in TRAIT_DEFAULTS} == TRAIT_DEFAULTS


# === 2. statements through the magic ========================================================

def test_parameters_from_p_options(ip: InteractiveShell) -> None:
    statement = 'SELECT * FROM "Movies" WHERE "year" = ? AND title = ?'
    found = cell(ip, "-p 1985 -p \"'A View to a Kill'\"", statement)
    assert [r["title"] for r in items(found)] == ["A View to a Kill"]
    found = line(ip, "-p 1985 -p \"'A View to a Kill'\" " + statement)
    assert [r["title"] for r in items(found)] == ["A View to a Kill"]
    ip.user_ns["wanted_year"] = 1985
    ip.user_ns["wanted_title"] = "Witness"
    found = cell(ip, "-p wanted_year -p wanted_title", statement)
    assert [(r["year"], r["title"]) for r in items(found)] == [(1985, "Witness")]
    message = usage_error(lambda: cell(ip, "-p not_defined_anywhere", statement))
    assert message == ("-p not_defined_anywhere: not a literal and no variable "
                       "'not_defined_anywhere' in the notebook")


def test_variables_that_look_like_injection_are_plain_values(
        ip: InteractiveShell, conn: dl.Connection, music: str) -> None:
    values = ["x' OR 1=1", "#n", ":v", '") OR 1=1 --', "'; DELETE FROM t --", "a\nb"]
    for number, value in enumerate(values):
        ip.user_ns["weird"] = value
        ip.user_ns["song_title"] = f"s{number}"
        cell(ip, "", f"INSERT INTO \"{music}\" VALUE {{'Artist': 'inj', 'SongTitle': "
                     ":song_title, 'label': :weird}")
    for decoy in ("x", "1=1", "", "n"):
        conn.client.put_item(TableName=music, Item=song("inj", f"decoy-{decoy}",
                                                        label={"S": decoy}))
    for number, value in enumerate(values):
        assert raw_get(conn, music, "inj", f"s{number}") == song(
            "inj", f"s{number}", label={"S": value})
        ip.user_ns["weird"] = value
        found = cell(ip, "", f"SELECT SongTitle FROM \"{music}\" WHERE Artist = 'inj' "
                             "AND label = :weird")
        assert [r["SongTitle"] for r in items(found)] == [f"s{number}"]
        found = line(ip, f'SELECT SongTitle FROM "{music}" WHERE label = :weird')
        assert [r["SongTitle"] for r in items(found)] == [f"s{number}"]
    assert len(raw_scan(conn, music)) == len(values) + 4


def test_update_and_delete_by_key_through_the_magic(ip: InteractiveShell, conn: dl.Connection,
                                                   music: str) -> None:
    key = "WHERE Artist='Acme Band' AND SongTitle='PartiQL Rocks'"
    cell(ip, "", f"INSERT INTO \"{music}\" value {{'Artist' : 'Acme Band','SongTitle' : "
                 "'PartiQL Rocks'}")
    written = cell(ip, "", f"UPDATE \"{music}\" SET AwardsWon=1 SET "
                           f"AwardDetail={{'Grammys':[2020, 2018]}} {key}")
    assert written.summary == f"UpdateItem on {music}: 1 item updated"
    assert raw_get(conn, music, "Acme Band", "PartiQL Rocks") == song(
        "Acme Band", "PartiQL Rocks", AwardsWon={"N": "1"},
        AwardDetail={"M": {"Grammys": {"L": [{"N": "2020"}, {"N": "2018"}]}}})
    cell(ip, "", f'DELETE FROM "{music}" {key}')
    assert raw_scan(conn, music) == []


# === 3. our additions =======================================================================

def test_explain_through_the_magic(ip: InteractiveShell) -> None:
    plan = line(ip, "EXPLAIN SELECT * FROM \"battle-royale\" WHERE map = 'Green Grasslands' "
                    "AND open_timestamp IS NOT MISSING")
    assert plan.kind == "plan"
    frame = plan.to_pandas()
    chosen = frame[frame["chosen"]]
    assert len(chosen) == 1 and chosen.iloc[0]["index"] == "OpenGamesIndex"
    assert plan.summary.startswith(
        "Query on GSI OpenGamesIndex: partition key map = 'Green Grasslands'")
    assert html.escape(plan.summary) in plan._repr_html_()


@pytest.mark.needs("item_count")
def test_show_tables_and_describe(ip: InteractiveShell, conn: dl.Connection) -> None:
    tables = line(ip, "SHOW TABLES").to_pandas().set_index("table")
    assert {"Movies", "battle-royale"} <= set(tables.index)
    assert tables.loc["battle-royale", "items"] == len(battle_raw())
    assert tables.loc["Movies", "partition_key"] == "year (N)"
    same = line(ip, "tables").to_pandas().set_index("table")
    assert same.loc["Movies"].to_dict() == tables.loc["Movies"].to_dict()
    described = line(ip, "describe battle-royale")
    assert described.summary.startswith(
        f"battle-royale: key PK (S) + SK (S); {len(battle_raw())} items, ")
    assert "TTL off" in described.summary and "billing PAY_PER_REQUEST" in described.summary
    rows = described.to_pandas().set_index("name")
    assert rows.loc["OpenGamesIndex"].to_dict() == {
        "kind": "GSI", "partition_key": "map (S)", "sort_key": "open_timestamp (S)",
        "projection": "ALL"}
    assert rows.loc["InvertedIndex", "partition_key"] == "SK (S)"
    statement = line(ip, 'DESCRIBE "battle-royale"')
    assert statement.summary == described.summary


def test_several_statements_display_each_and_return_the_last(ip: InteractiveShell,
                                                             music: str) -> None:
    with capture_output() as captured:
        last = cell(ip, "", f"""SHOW TABLES;
            INSERT INTO "{music}" VALUE {{'Artist': 'A', 'SongTitle': 'S', 'n': 1}};
            SELECT * FROM "Movies" WHERE "year" = {YEAR};
            DESCRIBE "{music}"
        """)
    assert last.kind == "describe" and last.summary.startswith(f"{music}: key ")
    shown = [output.data["text/plain"] for output in captured.outputs]
    assert len(shown) == 3
    assert shown[0].startswith("<StatementResult tables: ")
    assert shown[1] == f"<StatementResult write: PutItem on {music}: 1 item inserted>"
    assert shown[2].startswith("<StatementResult rows: Query on table Movies: ")
    assert all("text/html" in output.data for output in captured.outputs)


def test_results_go_into_the_namespace(ip: InteractiveShell) -> None:
    statement = f'SELECT * FROM "Movies" WHERE "year" = {YEAR}'
    for name in ("df_assigned", "df_arrow", "df_out_cell", "df_out_line"):
        ip.user_ns.pop(name, None)
    outcome = ip.run_cell(f"df_assigned = %dynamo {statement}")
    outcome.raise_error()
    assert cell(ip, "df_arrow <<", statement) is None
    assert cell(ip, "-o df_out_cell", statement) is None
    assert line(ip, f"-o df_out_line {statement}") is None
    assert {r["title"] for r in items(ip.user_ns["df_assigned"])} == titles_of(YEAR)
    for name in ("df_arrow", "df_out_cell", "df_out_line"):  # the result itself: a DataFrame
        stored = ip.user_ns[name]
        assert type(stored) is pd.DataFrame, (name, type(stored))
        assert set(stored["title"]) == titles_of(YEAR), name
        assert stored.attrs["summary"].startswith("Query on table Movies")
    ip.run_line_magic("config", "DynamoMagic.autopandas = True")
    assert cell(ip, "df_arrow <<", f"SHOW TABLES;\n{statement}") is None
    assert isinstance(ip.user_ns["df_arrow"], pd.DataFrame)
    assert set(ip.user_ns["df_arrow"]["title"]) == titles_of(YEAR)


def test_every_result_names_operation_index_reads_capacity_and_time(
        ip: InteractiveShell) -> None:
    reads = {
        ("GetItem", "table", "Movies"):
            f"SELECT * FROM \"Movies\" WHERE \"year\" = {YEAR} AND title = 'Witness'",
        ("Query", "table", "Movies"): f'SELECT * FROM "Movies" WHERE "year" = {YEAR}',
        ("Query", "index", "OpenGamesIndex"):
            "SELECT * FROM \"battle-royale\" WHERE map = 'Dirty Desert' "
            "AND open_timestamp IS NOT MISSING",
        ("Scan", "table", "battle-royale"):
            "SELECT * FROM \"battle-royale\" WHERE map = 'Dirty Desert'",
    }
    for (operation, where, name), text in reads.items():
        result = line(ip, text)
        match = SUMMARY.match(result.summary)
        assert match, result.summary
        assert match.group(1, 2, 3) == (operation, where, name)
        read, returned, predicted = (int(g.replace(",", "")) for g in match.group(4, 5, 6))
        assert returned == len(result)
        assert read >= returned
        assert predicted == read  # these tables are small enough to be sampled whole
        assert result.summary in repr(result) and result.summary in result._repr_html_()
    scan = line(ip, reads[("Scan", "table", "battle-royale")])
    assert f"read {len(battle_raw())} item(s)" in scan.summary
    assert f"returned {sum(i.get('map') == 'Dirty Desert' for i in battle_raw())}" in (
        scan.summary)


# === 4. the planner through the magic =======================================================

def test_sparse_index_is_chosen(ip: InteractiveShell) -> None:
    result = cell(ip, "", "SELECT * FROM \"battle-royale\"\nWHERE map = 'Green Grasslands'\n"
                          "  AND open_timestamp IS NOT MISSING")
    assert result.plan.index == "OpenGamesIndex"
    assert result.plan.operation == "Query"
    assert {r["PK"] for r in items(result)} == {
        i["PK"] for i in battle_raw()
        if i.get("map") == "Green Grasslands" and "open_timestamp" in i}


@pytest.mark.needs("item_count")
def test_scan_guard_through_the_magic(ip: InteractiveShell, magic: DynamoMagic,
                                      server: LocalServer) -> None:
    line(ip, f"connect {server.endpoint_url} --alias guarded")
    magic.connections["guarded"].close()
    magic.connections["guarded"] = dl.connect(server.endpoint_url, scan_guard=100,
                                              make_default=False)
    try:
        statement = "SELECT * FROM \"Movies\" WHERE title = 'Rush'"
        message = usage_error(lambda: line(ip, statement))
        assert message.startswith("ScanRefused: refusing to Scan Movies: it holds "
                                  f"{len(movies_raw()):,} items, over the scan guard of 100.")
        assert "Suggestion: a GSI with partition key title" in message
        assert "\n" not in message
        expected = {m["year"] for m in movies_raw() if m["title"] == "Rush"}
        found = line(ip, "--allow-scan " + statement)
        assert {r["year"] for r in items(found)} == expected
        ip.run_line_magic("config", "DynamoMagic.allow_scan = True")
        assert {r["year"] for r in items(line(ip, statement))} == expected
        assert len(line(ip, f'SELECT * FROM "Movies" WHERE "year" = {YEAR}')) == 45
    finally:
        magic.connections.pop("guarded").close()


# === 5. writes whose WHERE is not a full key ================================================

@pytest.fixture
def band(conn: dl.Connection, music: str) -> str:
    for title, plays in (("one", 1), ("two", 8), ("three", 3), ("four", 12)):
        conn.client.put_item(TableName=music, Item=song("Band", title, plays={"N": str(plays)}))
    conn.client.put_item(TableName=music, Item=song("Other", "five", plays={"N": "20"}))
    return music


def test_write_by_partition_without_yes_writes_nothing(ip: InteractiveShell,
                                                       conn: dl.Connection, band: str) -> None:
    before = raw_scan(conn, band)
    message = usage_error(lambda: cell(
        ip, "", f"UPDATE \"{band}\" SET hit = true WHERE Artist = 'Band' AND plays > 5"))
    assert message.startswith(f"ValidationError: UPDATE with a WHERE that is not a full primary "
                              f"key touches 2 item(s) of {band}")
    assert "--yes" in message and "--dry-run" in message and "\n" not in message
    message = usage_error(lambda: cell(ip, "", f'DELETE FROM "{band}" WHERE plays < 10'))
    assert "touches 3 item(s)" in message
    assert raw_scan(conn, band) == before


def test_dry_run_shows_the_affected_items(ip: InteractiveShell, conn: dl.Connection,
                                          band: str) -> None:
    before = raw_scan(conn, band)
    result = cell(ip, "--dry-run", f"DELETE FROM \"{band}\" WHERE Artist = 'Band' AND plays > 5")
    assert result.kind == "dry_run"
    assert result.summary == (f"dry run: DELETE would touch 2 item(s) of {band}; nothing was "
                              "written")
    assert sorted(result.to_pandas()["SongTitle"]) == ["four", "two"]
    assert "four" in result._repr_html_()
    assert raw_scan(conn, band) == before


def test_yes_writes_exactly_the_matching_items(ip: InteractiveShell, conn: dl.Connection,
                                               band: str) -> None:
    result = cell(ip, "--yes", f"UPDATE \"{band}\" SET hit = true, plays = plays + 100 "
                               "WHERE Artist = 'Band' AND plays > 5")
    assert "2 item(s) written, 0 skipped" in result.summary
    after = {i["SongTitle"]["S"]: i for i in raw_scan(conn, band)}
    assert {t for t, i in after.items() if "hit" in i} == {"two", "four"}
    assert after["two"]["plays"] == {"N": "108"} and after["one"]["plays"] == {"N": "1"}
    result = line(ip, f'--yes DELETE FROM "{band}" WHERE plays < 10')
    assert "2 item(s) written" in result.summary
    assert sorted(i["SongTitle"]["S"] for i in raw_scan(conn, band)) == ["five", "four", "two"]


# === 6. transactions ========================================================================

@pytest.mark.needs("transactions")
def test_transaction_commits_everything(ip: InteractiveShell, conn: dl.Connection,
                                        music: str) -> None:
    conn.client.put_item(TableName=music, Item=song("A", "S", plays={"N": "1"}))
    result = cell(ip, "", f"""BEGIN TRANSACTION;
        INSERT INTO "{music}" VALUE {{'Artist': 'T', 'SongTitle': '1'}};
        INSERT INTO "{music}" VALUE {{'Artist': 'T', 'SongTitle': '2'}};
        UPDATE "{music}" SET plays = plays + 1 WHERE Artist = 'A' AND SongTitle = 'S';
        COMMIT;""")
    assert result.summary == "TransactWriteItems: 3 statement(s) committed together"
    assert raw_scan(conn, music) == sorted(
        [song("A", "S", plays={"N": "2"}), song("T", "1"), song("T", "2")],
        key=lambda i: json.dumps(i, sort_keys=True))


@pytest.mark.needs("transactions")
def test_transaction_whose_last_condition_fails_writes_nothing(
        ip: InteractiveShell, conn: dl.Connection, music: str) -> None:
    conn.client.put_item(TableName=music, Item=song("A", "S", plays={"N": "1"}))
    before = raw_scan(conn, music)
    message = usage_error(lambda: cell(ip, "", f"""BEGIN TRANSACTION;
        INSERT INTO "{music}" VALUE {{'Artist': 'T', 'SongTitle': '1'}};
        INSERT INTO "{music}" VALUE {{'Artist': 'T', 'SongTitle': '2'}};
        UPDATE "{music}" SET plays = 9 WHERE Artist = 'A' AND SongTitle = 'S' AND plays = 7;
        COMMIT;"""))
    assert message.startswith("TransactionCancelled: transaction cancelled, nothing was written")
    assert "ConditionalCheckFailed" in message and "\n" not in message
    assert raw_scan(conn, music) == before


def test_begin_without_commit_is_refused(ip: InteractiveShell, conn: dl.Connection,
                                         music: str) -> None:
    message = usage_error(lambda: cell(
        ip, "", f"BEGIN;\nINSERT INTO \"{music}\" VALUE {{'Artist': 'T', 'SongTitle': '1'}};"))
    assert message == ("ValidationError: BEGIN without COMMIT: the transaction was not sent "
                       "(add COMMIT;)")
    assert raw_scan(conn, music) == []


# === 7. errors a person can act on ==========================================================

def test_syntax_error_shows_the_line_and_a_caret(ip: InteractiveShell) -> None:
    text = f'SELECT *\nFROM "Movies"\nWHERE "year" = = {YEAR}'
    message = usage_error(lambda: cell(ip, "", text))
    assert message.startswith("ParseError: expected a value after '=', found '=' "
                              "(line 3, column 16)")
    assert message.endswith(f'\n  WHERE "year" = = {YEAR}\n' + " " * 17 + "^")


def test_unknown_table_suggests_the_closest_name(ip: InteractiveShell) -> None:
    message = usage_error(lambda: line(ip, f'SELECT * FROM "Moveis" WHERE "year" = {YEAR}'))
    assert message == ("ValidationError: no table 'Moveis' (line 1, column 15); did you mean "
                       "'Movies'?")


def test_misspelled_attribute_gets_a_note(ip: InteractiveShell) -> None:
    result = line(ip, f"SELECT titel FROM \"Movies\" WHERE \"year\" = {YEAR} AND ratng > 1")
    assert len(result) == 0
    note = [n for n in result.notes if "'titel'" in n]
    assert note and note[0].endswith("did you mean 'title'?")
    assert "did you mean &#x27;title&#x27;?" in result._repr_html_()
    assert not [n for n in line(ip, f'SELECT title FROM "Movies" WHERE "year" = {YEAR}').notes]


def test_dynamodb_error_is_one_short_line(ip: InteractiveShell, conn: dl.Connection,
                                          music: str) -> None:
    conn.client.put_item(TableName=music, Item=song("A", "S", name={"S": "text"}))
    message = usage_error(lambda: cell(
        ip, "", f"UPDATE \"{music}\" SET name = name + 1 WHERE Artist = 'A' AND SongTitle = 'S'"))
    assert message.startswith("ValidationError: ")
    assert "\n" not in message and len(message) < 300
    assert "Traceback" not in message
    message = usage_error(lambda: cell(
        ip, "", f"INSERT INTO \"{music}\" VALUE {{'Artist': 'A', 'SongTitle': 'S'}}"))
    assert message == (f"ItemAlreadyExists: INSERT into {music}: an item with this key already "
                       "exists; nothing was written")


def test_short_errors_off_raises_the_library_exception(ip: InteractiveShell) -> None:
    ip.run_line_magic("config", "DynamoMagic.short_errors = False")
    with pytest.raises(dl.ParseError) as parse_error:
        line(ip, "SELECT * FROM")
    assert parse_error.value.line == 1 and parse_error.value.col == 14
    with pytest.raises(dl.ValidationError, match="did you mean 'Movies'"):
        line(ip, 'SELECT * FROM "Moveis"')
    with pytest.raises(dl.ReadOnlyError):
        cell(ip, "-c ro", "DELETE FROM \"Movies\" WHERE \"year\" = 1 AND title = 'x'")
    ip.run_line_magic("config", "DynamoMagic.short_errors = True")
    assert usage_error(lambda: line(ip, "SELECT * FROM")).startswith("ParseError: ")


def test_option_errors_say_what_is_allowed(ip: InteractiveShell) -> None:
    message = usage_error(lambda: cell(ip, "--nope", 'SELECT * FROM "Movies"'))
    assert message.startswith("unknown option(s) --nope; usage: %%dynamo ")
    for option in ("-o VAR", "-c ALIAS", "-p VALUE", "--allow-scan", "--yes", "--dry-run",
                   "%dynamo --help"):
        assert option in message
    assert usage_error(lambda: line(ip, "")).startswith("nothing to run: write a statement")
    assert usage_error(lambda: cell(ip, "-p", "SELECT 1")) == "-p needs a value"
    message = usage_error(lambda: line(ip, "describe"))
    assert "usage: %dynamo describe TABLE" in message and "%dynamo describe --help" in message
    message = usage_error(lambda: line(ip, "descibe Movies"))  # a typo of a subcommand
    assert message.startswith("ParseError:")
    assert "'descibe' is not a subcommand either: %dynamo --help lists them" in message
    message = usage_error(lambda: line(ip, 'SELEC * FROM "Movies"'))
    assert "not a subcommand" in message  # nor a statement
    message = usage_error(lambda: line(ip, 'SELECT * FRM "Movies"'))
    assert "not a subcommand" not in message  # a statement, mistyped further on


def test_a_comment_with_an_apostrophe_on_a_line(ip: InteractiveShell) -> None:
    """``--`` comments are part of the language; an apostrophe in one must not break the line
    magic's option parsing (the same text runs as a cell)."""
    text = f'SELECT title FROM "Movies" WHERE "year" = {YEAR} -- don\'t scan'
    assert {r["title"] for r in items(cell(ip, "", text))} == titles_of(YEAR)
    assert {r["title"] for r in items(line(ip, text))} == titles_of(YEAR)


@pytest.mark.parametrize("text", ['SELECT * FROM "Movies WHERE "year" = 1985',
                                  "SELECT * FROM \"Movies\" WHERE title = 'Don't'",
                                  "describe 'Movies"])
def test_unbalanced_quotes_on_a_line_are_a_usage_error(ip: InteractiveShell, text: str) -> None:
    """A line magic whose quotes do not pair up (a typo, or an apostrophe) is reported like any
    other mistake, not as a Python ValueError from the option parser."""
    with pytest.raises(UsageError):
        line(ip, text)


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def assert_only_usage_errors(run: Callable[[], Any]) -> None:
    with contextlib.suppress(UsageError):  # anything else fails the test
        run()


@FUZZ
@given(text=st.text())
def test_arbitrary_cell_text_only_ever_gives_usage_errors(ip: InteractiveShell,
                                                          text: str) -> None:
    assert_only_usage_errors(lambda: cell(ip, "-c ro", text))


@FUZZ
@given(text=st.text())
def test_arbitrary_line_text_only_ever_gives_usage_errors(ip: InteractiveShell,
                                                          text: str) -> None:
    assert_only_usage_errors(lambda: line(ip, "-c ro " + text))


@FUZZ
@given(text=st.text(st.sampled_from(list("SELECT*FROM\"Movies\"WHERE year=1985'?:()[]<>,.;-"
                                         " \n\tINSERTVALUE{}BEGINCOMMIT"))))
def test_statement_like_text_only_ever_gives_usage_errors(ip: InteractiveShell,
                                                          text: str) -> None:
    assert_only_usage_errors(lambda: cell(ip, "-c ro", text))


# --- bulk: %dynamo load / %dynamo export -----------------------------------------------------

def test_load_writes_a_file_and_export_reads_it_back(
        ip: InteractiveShell, conn: dl.Connection, music: str, tmp_path: Any) -> None:
    source = tmp_path / "songs.csv"
    source.write_text("Artist,SongTitle,Year\nAcme,Road,2001\nAcme,Sky,1999\nBand,007,2020\n")
    report = line(ip, f"load {music} {source}")
    assert report.written == 3 and report.ok
    assert raw_get(conn, music, "Band", "007") == song("Band", "007", Year={"N": "2020"})
    out = tmp_path / "acme.parquet"
    exported = line(ip, f"export SELECT * FROM \"{music}\" WHERE Artist = 'Acme' TO {out}")
    assert exported.rows == 2
    back = pd.read_parquet(out)
    assert sorted(back["SongTitle"]) == ["Road", "Sky"]


def test_load_refuses_a_bad_file_whole_and_read_only_refuses_it_unsent(
        ip: InteractiveShell, conn: dl.Connection, music: str, tmp_path: Any) -> None:
    source = tmp_path / "songs.jsonl"
    source.write_text('{"Artist": "A", "SongTitle": "x"}\n{"Artist": "A"}\n')
    message = usage_error(lambda: line(ip, f"load {music} {source}"))
    assert "RowsRejected" in message and "row 2" in message
    assert raw_get(conn, music, "A", "x") is None
    assert line(ip, f"load {music} {source} --skip-bad").written == 1
    ip.run_line_magic("config", "DynamoMagic.read_only = True")
    other = tmp_path / "more.jsonl"
    other.write_text('{"Artist": "B", "SongTitle": "y"}\n')
    assert "ReadOnlyError" in usage_error(lambda: line(ip, f"load {music} {other}"))
    assert raw_get(conn, music, "B", "y") is None


def test_bulk_subcommands_say_how_to_write_them(ip: InteractiveShell, music: str) -> None:
    message = usage_error(lambda: line(ip, f"load {music}"))
    assert "required: PATH" in message and "usage: %dynamo load " in message
    assert message.endswith("TABLE PATH (%dynamo load --help says more)")
    assert "usage: %dynamo export" in usage_error(
        lambda: line(ip, f'export SELECT * FROM "{music}"'))
    assert "unrecognized arguments: --fast" in usage_error(
        lambda: line(ip, f"load {music} x.csv --fast"))
    message = usage_error(lambda: line(ip, f"load {music} x.csv --rate lots"))
    assert "argument --rate" in message and "got 'lots'" in message
