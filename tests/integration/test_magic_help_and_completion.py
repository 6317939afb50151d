"""Help, Tab completion and confirm_writes of ``%dynamo`` in a real IPython shell.

The shell is IPython's own `InteractiveShell` with the extension loaded; completion goes through
its completer (`Completer.completions`, what ipykernel answers JupyterLab's Tab with) against
the suite's local server holding the sample data sets. What a completion may send is counted
on the wire: it may list the tables and describe a table once, never Scan. Writes are read
back with raw botocore calls. `input()` is replaced by a recorded answer (the kernel's prompt
box is `input()` too).
"""

from __future__ import annotations

import builtins
import re
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from backends import count_sends
from IPython.core.completer import provisionalcompleter
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import dynamorm_lab as dl
from dynamorm_lab.local import LocalServer
from dynamorm_lab.magics._magic import DynamoMagic

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("samples")]

# What the README and issue 18 promise the magic has.
SUBCOMMANDS = ["connect", "use", "connections", "tables", "describe", "model", "sample",
               "refresh", "explore", "build", "load", "export"]
CELL_OPTIONS = ["-o VAR", "-c ALIAS", "-p VALUE", "--allow-scan", "--yes", "--dry-run"]
CONNECT_OPTIONS = ["--profile", "--region", "--endpoint", "--alias", "--read-only",
                   "--confirm-writes"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def ip(server: LocalServer, shell: InteractiveShell) -> InteractiveShell:
    """The module's shell, connected (as ``t``) to the suite's server."""
    shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias t")
    return shell


@pytest.fixture(autouse=True)
def _on_t(magic: DynamoMagic) -> Iterator[None]:
    magic.current = "t"
    yield
    magic.current = "t"


@pytest.fixture
def music(conn: dl.Connection) -> Iterator[str]:
    """A table of this test's own: Artist (S) + SongTitle (S)."""
    name = f"Music_{uuid.uuid4().hex[:10]}"
    conn.create_table(dl.TableSchema(name, dl.KeyAttribute("Artist", "S"),
                                     dl.KeyAttribute("SongTitle", "S")))
    yield name
    conn.delete_table(name)


@pytest.fixture
def fresh(ip: InteractiveShell, magic: DynamoMagic, server: LocalServer
          ) -> Iterator[tuple[str, dl.Connection]]:
    """A new connection of the magic's (alias and connection), holding nothing yet."""
    alias = f"c{uuid.uuid4().hex[:6]}"
    conn = ip.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias {alias}")
    yield alias, conn
    magic.connections.pop(alias).close()


def line(ip: InteractiveShell, text: str) -> Any:
    return ip.run_line_magic("dynamo", text)


def cell(ip: InteractiveShell, options: str, body: str) -> Any:
    return ip.run_cell_magic("dynamo", options, body)


def printed(run: Callable[[], Any]) -> tuple[str, Any]:
    """What a call printed, and what it returned."""
    with capture_output() as captured:
        value = run()
    return captured.stdout, value


def usage_error(run: Callable[[], Any]) -> str:
    with pytest.raises(UsageError) as caught:
        run()
    return str(caught.value)


def song(conn: dl.Connection, table: str, artist: str, title: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = conn.client.get_item(
        TableName=table, Key={"Artist": {"S": artist}, "SongTitle": {"S": title}},
        ConsistentRead=True).get("Item")
    return item


def insert(table: str, title: str) -> str:
    return f"INSERT INTO \"{table}\" VALUE {{'Artist': 'Acme', 'SongTitle': '{title}'}}"


def assert_full_usage(text: str) -> None:
    for name in SUBCOMMANDS:
        assert re.search(rf"^  {name} +\w", text, re.MULTILINE), f"{name} is not listed"
    for option in CELL_OPTIONS:
        assert option in text
    assert "examples:" in text and '%dynamo SELECT * FROM "Movies"' in text


# === help ====================================================================================

@pytest.mark.parametrize("options", ["--help", "-h"])
def test_help_on_a_line_prints_the_full_usage(ip: InteractiveShell, options: str) -> None:
    text, value = printed(lambda: line(ip, options))
    assert value is None
    assert_full_usage(text)


def test_help_on_a_cell_prints_the_usage_and_runs_nothing(
        ip: InteractiveShell, conn: dl.Connection, music: str) -> None:
    text, value = printed(lambda: cell(ip, "--help", insert(music, "Road")))
    assert value is None
    assert_full_usage(text)
    assert song(conn, music, "Acme", "Road") is None


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_its_help(ip: InteractiveShell, name: str) -> None:
    text, value = printed(lambda: line(ip, f"{name} --help"))
    assert value is None
    assert text.startswith(f"usage: %dynamo {name}")
    assert "-h, --help" in text


def test_connect_help_lists_every_option(ip: InteractiveShell, magic: DynamoMagic) -> None:
    before = dict(magic.connections)
    text, _value = printed(lambda: line(ip, "connect -h"))
    for option in CONNECT_OPTIONS:
        assert re.search(rf"^  {option}\b", text, re.MULTILINE), option
    assert "TARGET" in text
    assert magic.connections == before  # help connects nowhere


def test_help_needs_none_of_the_required_arguments(ip: InteractiveShell) -> None:
    text, _value = printed(lambda: line(ip, "load --help"))
    for option in ("--format", "--skip-bad", "--workers", "--rate", "--yes", "TABLE", "PATH"):
        assert option in text


def test_the_question_mark_shows_the_full_usage(ip: InteractiveShell) -> None:
    with capture_output() as captured:
        ip.run_cell("%dynamo?")
    assert_full_usage(ANSI.sub("", captured.stdout))


def test_an_unknown_option_points_at_help(ip: InteractiveShell) -> None:
    assert "%dynamo --help" in usage_error(lambda: line(ip, '--fast SELECT * FROM "Movies"'))
    assert "%dynamo connect --help" in usage_error(lambda: line(ip, "connect --fast"))


# === completion ==============================================================================

def completions(ip: InteractiveShell, text: str, offset: int | None = None
                ) -> list[tuple[str, str]]:
    """(the text a completion replaces, what it puts there), as JupyterLab's Tab gets them."""
    at = len(text) if offset is None else offset
    with provisionalcompleter():
        found = list(ip.Completer.completions(text, at))
    return [(text[c.start:c.end], c.text) for c in found]


def test_table_names_complete_in_quoted_form(ip: InteractiveShell) -> None:
    assert completions(ip, '%%dynamo\nSELECT * FROM "Mo') == [('"Mo', '"Movies"')]
    assert ("Mo", '"Movies"') in completions(ip, "%%dynamo\nSELECT * FROM Mo")


def test_attributes_of_the_table_after_from(ip: InteractiveShell) -> None:
    assert completions(ip, '%%dynamo\nSELECT * FROM "Movies" WHERE ti') == [("ti", "title")]
    text = '%%dynamo\nSELECT ye FROM "Movies"'
    assert completions(ip, text, text.index("ye") + 2) == [("ye", "year")]


def test_index_names_after_the_table_and_a_dot(ip: InteractiveShell) -> None:
    assert completions(ip, '%%dynamo\nSELECT * FROM "battle-royale".') == [
        ("", '"InvertedIndex"'), ("", '"OpenGamesIndex"')]


def test_variables_of_the_notebook_after_a_colon(ip: InteractiveShell) -> None:
    ip.user_ns["wanted_year"] = 1985
    try:
        assert completions(ip, '%%dynamo\nSELECT * FROM "Movies" WHERE "year" = :wanted') == [
            (":wanted", ":wanted_year")]
    finally:
        del ip.user_ns["wanted_year"]


def test_keywords_and_subcommands_after_the_magic(ip: InteractiveShell) -> None:
    assert completions(ip, "%dynamo desc") == [("desc", "describe")]
    assert completions(ip, "%%dynamo\nEXPLAIN SEL") == [("SEL", "SELECT")]
    assert ("", "connect") in completions(ip, "%dynamo ")
    assert completions(ip, "%dynamo describe batt") == [("batt", "battle-royale")]


def test_python_completion_is_left_alone(ip: InteractiveShell) -> None:
    ip.user_ns["wanted_year"] = 1985
    try:
        assert ("wanted_", "wanted_year") in completions(ip, "x = wanted_")
    finally:
        del ip.user_ns["wanted_year"]


def test_the_legacy_completer_api_completes_a_line(ip: InteractiveShell) -> None:
    """What ipykernel answers with when Jedi is absent: the cursor's line only."""
    text = '%dynamo SELECT * FROM "Movies" WHERE ti'
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        assert ip.complete("", text, len(text)) == ("ti", ["title"])


def test_completing_sends_a_listing_and_a_description_once_and_never_scans(
        ip: InteractiveShell, fresh: tuple[str, dl.Connection]) -> None:
    alias, conn = fresh
    sent = count_sends(conn)
    cell_start = f"%%dynamo -c {alias}\nSELECT * FROM "
    assert ('"Mo', '"Movies"') in completions(ip, cell_start + '"Mo')
    assert ("ti", "title") in completions(ip, cell_start + '"Movies" WHERE ti')
    assert ("ti", "title") in completions(ip, cell_start + '"Movies" WHERE ti')
    assert ("in", "info") not in completions(ip, cell_start + '"Movies" WHERE in')  # sampled
    assert sent == ["before-send.dynamodb.ListTables", "before-send.dynamodb.DescribeTable"]
    cell(ip, f"-c {alias}", 'SELECT * FROM "Movies" WHERE "year" = 1985')  # reads a sample
    sent.clear()
    assert completions(ip, cell_start + '"Movies" WHERE in') == [("in", "info"), ("in", "in"),
                                                                  ("in", "into")]
    assert sent == []


def test_nothing_is_connected_to_complete(ip: InteractiveShell, magic: DynamoMagic) -> None:
    magic.current = None
    before = dict(magic.connections)
    assert completions(ip, '%%dynamo\nSELECT * FROM "Mo') == []
    assert magic.connections == before


# === confirm_writes ==========================================================================

@pytest.fixture
def careful(ip: InteractiveShell, magic: DynamoMagic, server: LocalServer) -> Iterator[str]:
    """A connection made with confirm_writes=True, by its alias."""
    alias = f"careful{uuid.uuid4().hex[:6]}"
    line(ip, f"connect {server.endpoint_url} --alias {alias} --confirm-writes")
    yield alias
    magic.connections.pop(alias).close()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """Answer the questions `input()` asks with these replies, in order; the questions
    asked are returned."""
    def answer(*replies: str) -> list[str]:
        asked: list[str] = []
        left = list(replies)

        def reply(prompt: str = "") -> str:
            asked.append(prompt)
            if not left:
                raise AssertionError(f"an unexpected question: {prompt}")
            return left.pop(0)

        monkeypatch.setattr(builtins, "input", reply)
        return asked

    return answer


def test_no_sends_nothing(ip: InteractiveShell, conn: dl.Connection, music: str,
                          careful: str, server: LocalServer,
                          answers: Callable[..., list[str]]) -> None:
    asked = answers("n")
    text, value = printed(lambda: cell(ip, f"-c {careful}", insert(music, "Road")))
    assert value is None and "nothing was sent" in text
    assert song(conn, music, "Acme", "Road") is None
    (question,) = asked
    assert "INSERT" in question and music in question and "'Road'" in question
    assert server.endpoint_url in question  # where it would have written


@pytest.mark.parametrize("reply", ["y", "yes", " Y "])
def test_yes_writes(ip: InteractiveShell, conn: dl.Connection, music: str, careful: str,
                    answers: Callable[..., list[str]], reply: str) -> None:
    asked = answers(reply)
    cell(ip, f"-c {careful}", insert(music, "Road"))
    assert len(asked) == 1
    assert song(conn, music, "Acme", "Road") is not None


def test_the_yes_option_asks_nothing(ip: InteractiveShell, conn: dl.Connection, music: str,
                                     careful: str, answers: Callable[..., list[str]]) -> None:
    asked = answers()
    cell(ip, f"-c {careful} --yes", insert(music, "Road"))
    assert asked == []
    assert song(conn, music, "Acme", "Road") is not None


def test_one_question_a_write_and_one_no_sends_none_of_them(
        ip: InteractiveShell, conn: dl.Connection, music: str, careful: str,
        answers: Callable[..., list[str]]) -> None:
    asked = answers("y", "n")
    body = f'{insert(music, "Road")};\nSELECT * FROM "Movies" WHERE "year" = 1985;\n' + insert(
        music, "Sky")
    cell(ip, f"-c {careful}", body)
    assert len(asked) == 2 and "'Road'" in asked[0] and "'Sky'" in asked[1]
    assert song(conn, music, "Acme", "Road") is None
    assert song(conn, music, "Acme", "Sky") is None


def test_reads_ask_nothing(ip: InteractiveShell, careful: str,
                           answers: Callable[..., list[str]]) -> None:
    asked = answers()
    shown = cell(ip, f"-c {careful}", 'SELECT title FROM "Movies" WHERE "year" = 1985')
    assert len(shown.result.rows) > 0 and asked == []


def test_a_connection_without_it_asks_nothing(ip: InteractiveShell, conn: dl.Connection,
                                              music: str,
                                              answers: Callable[..., list[str]]) -> None:
    asked = answers()
    cell(ip, "", insert(music, "Road"))
    assert asked == [] and song(conn, music, "Acme", "Road") is not None


def test_a_kernel_that_cannot_ask_sends_nothing(ip: InteractiveShell, conn: dl.Connection,
                                                music: str, careful: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def no_stdin(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(builtins, "input", no_stdin)
    assert "add --yes" in usage_error(lambda: cell(ip, f"-c {careful}", insert(music, "Road")))
    assert song(conn, music, "Acme", "Road") is None


def test_load_asks_first(ip: InteractiveShell, magic: DynamoMagic, conn: dl.Connection,
                         music: str, careful: str, tmp_path: Any,
                         answers: Callable[..., list[str]]) -> None:
    source = tmp_path / "songs.csv"
    source.write_text("Artist,SongTitle\nAcme,Road\n")
    line(ip, f"connect {careful}")  # loads run on the current connection
    asked = answers("no")
    assert line(ip, f"load {music} {source}") is None
    assert song(conn, music, "Acme", "Road") is None
    (question,) = asked
    assert music in question and str(source) in question
    assert line(ip, f"load {music} {source} --yes").written == 1
    assert song(conn, music, "Acme", "Road") is not None


def test_sample_asks_first(ip: InteractiveShell, magic: DynamoMagic, careful: str,
                           answers: Callable[..., list[str]]) -> None:
    sent = count_sends(magic.connections[careful])
    line(ip, f"connect {careful}")
    asked = answers("n")
    assert line(ip, "sample product-catalog") is None
    (question,) = asked
    for table in ("ProductCatalog", "Forum", "Thread", "Reply"):
        assert table in question
    assert sent == []


def test_connect_switches_to_a_confirming_connection_only_if_it_confirms(
        ip: InteractiveShell, magic: DynamoMagic, careful: str) -> None:
    assert line(ip, f"connect {careful} --confirm-writes").confirm_writes
    assert magic.current == careful
    assert "cannot take --confirm-writes" in usage_error(lambda: line(
        ip, "connect t --confirm-writes"))


# === what a connection gives completion (public API) =======================================

@pytest.fixture
def new_conn(server: LocalServer) -> Iterator[dl.Connection]:
    connection = dl.connect(server.endpoint_url, make_default=False)
    yield connection
    connection.close()


def test_known_tables_lists_once_then_holds_the_names(new_conn: dl.Connection) -> None:
    sent = count_sends(new_conn)
    first = new_conn.known_tables()
    assert {"Movies", "battle-royale", "OnlineShop", "ProductCatalog"} <= set(first)
    assert new_conn.known_tables() == first
    assert sent == ["before-send.dynamodb.ListTables"]


def test_known_tables_sees_a_table_it_made_and_one_made_elsewhere_when_asked_again(
        new_conn: dl.Connection, conn: dl.Connection) -> None:
    name = f"Known_{uuid.uuid4().hex[:8]}"
    other = f"Other_{uuid.uuid4().hex[:8]}"
    new_conn.known_tables()
    schema = dl.TableSchema(name, dl.KeyAttribute("id", "S"))
    new_conn.create_table(schema)
    try:
        assert name in new_conn.known_tables()
        conn.create_table(dl.TableSchema(other, dl.KeyAttribute("id", "S")))
        assert other not in new_conn.known_tables()  # held: no request
        assert other in new_conn.known_tables(max_age=0)
    finally:
        new_conn.delete_table(name)
        if conn.table_exists(other):
            conn.delete_table(other)
    assert name not in new_conn.known_tables()


def test_attribute_and_index_names_from_one_description(new_conn: dl.Connection) -> None:
    sent = count_sends(new_conn)
    assert new_conn.index_names("battle-royale") == ["InvertedIndex", "OpenGamesIndex"]
    assert new_conn.attribute_names("battle-royale") == ["PK", "SK", "map", "open_timestamp"]
    assert sent == ["before-send.dynamodb.DescribeTable"]


def test_attribute_names_add_what_a_held_sample_shows(new_conn: dl.Connection) -> None:
    assert new_conn.attribute_names("Movies") == ["title", "year"]
    new_conn.inspect("Movies")
    assert new_conn.attribute_names("Movies") == ["info", "title", "year"]


def test_names_of_a_missing_table_are_an_error(new_conn: dl.Connection) -> None:
    with pytest.raises(dl.TableNotFound):
        new_conn.attribute_names("NoSuchTable")
    with pytest.raises(dl.TableNotFound):
        new_conn.index_names("NoSuchTable")
