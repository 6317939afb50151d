"""What a person sees: every result kind rendered as a notebook shows it, after real work.

Each result of a real operation on the session's server (write reports, sample loads,
describe, EXPLAIN, migration plans and diffs, transactions, backfills, exports, advice,
generated model source) is rendered through ``_repr_html_`` and ``repr``, and read the way
a person would: no "NaN" or "None" cell, no raw ``<WriteReport ...>`` or ``{'S': ...}``
repr, the important figure present and formatted. Then the notices: the connect note in a
notebook is HTML (not stderr), and on AWS the first write names the account and region,
once. Runs on moto and on dynalite.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import IPython
import pytest
from backends import raw_scan
from helpers import html_tables
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import dynamorm_lab as dl
from dynamorm_lab._core import session as _session
from dynamorm_lab.samples import sample_items

pytestmark = pytest.mark.integration

CHOSEN = "\u25b6"
OPEN_GAMES = ("EXPLAIN SELECT * FROM \"battle-royale\" WHERE map = 'Green Grasslands' "
              "AND open_timestamp IS NOT MISSING")


# --- reading HTML as a person does ---------------------------------------------------------

def table_rows(markup: str) -> list[list[str]]:
    """Every row of every table in `markup`, its cells' texts stripped."""
    return [[cell.strip() for cell in row] for table in html_tables(markup) for row in table]


def readable(markup: str) -> str:
    """`markup`, after checking a person could read it: no NaN or None anywhere a value
    shows, no raw repr of a result or of a wire value, no True/False cell."""
    assert "NaN" not in markup and "nan" not in re.sub(r"<[^>]+>", " ", markup).split()
    cells = [cell for row in table_rows(markup) for cell in row]
    assert not {"None", "nan", "NaN", "<NA>", "True", "False", "1.0"} & set(cells), cells
    text = html.unescape(re.sub(r"<[^>]+>", " ", markup))
    assert not re.search(r"<[A-Z]\w+ ", text), "a raw repr shows: " + text[:300]
    assert not re.search(r"\{'[SNB]L?'?:", text) and "{'S'" not in text, text[:300]
    return markup


def header_and_rows(markup: str, first: str) -> tuple[list[str], list[list[str]]]:
    """The table whose header starts with (or contains) `first`, as (header, rows)."""
    rows = table_rows(markup)
    start = next(n for n, row in enumerate(rows) if first in row)
    width = len(rows[start])
    body = []
    for row in rows[start + 1:]:
        if len(row) != width:
            break
        body.append(row)
    return rows[start], body


# --- sample loads and write reports ----------------------------------------------------------

def test_a_sample_load_shows_a_row_per_table_with_its_figures(conn: dl.Connection) -> None:
    expected: dict[str, int] = {}
    for table, _item in sample_items("product-catalog"):
        expected[table] = expected.get(table, 0) + 1
    loaded = dl.load_sample("product-catalog", conn, progress=False)

    assert dict(loaded) == {name: loaded[name] for name in expected}  # still the dict it was
    assert all(report.ok for report in loaded.values())
    text = repr(loaded)
    for table, count in expected.items():
        requests = -(-count // 25)
        said = f"{requests:,} request" + ("" if requests == 1 else "s")
        assert f"{table}: {count:,} items written in {said}" in text, text
    header, body = header_and_rows(readable(loaded._repr_html_()), "table")
    assert header == ["table", "items written", "requests", "retried", "failed"]
    assert {row[0]: row[1] for row in body} == {t: f"{n:,}" for t, n in expected.items()}


def test_sample_magic_shows_a_table_not_a_dict_of_reprs(server: Any,
                                                        shell: InteractiveShell) -> None:
    shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias seen")
    shown = shell.run_line_magic("dynamo", "sample movies")
    movies = sum(1 for table, _ in sample_items("movies") if table == "Movies")
    assert repr(shown).startswith(f"<SampleLoad Movies: {movies:,} items written in ")
    markup = readable(shown._repr_html_())
    assert f"{movies:,} items written" in markup and "WriteReport" not in markup


def test_a_write_report_reads_its_figures_first(conn: dl.Connection, make_table: Any,
                                                table_name: str) -> None:
    make_table(dl.TableSchema(table_name, dl.KeyAttribute("pk", "S"),
                              dl.KeyAttribute("sk", "N")))
    rows = [{"pk": "p", "sk": n, "note": f"<b>{n}</b>"} for n in range(1030)]
    report = conn.put_items(table_name, [*rows, {"pk": 7, "sk": 1}], on_error="skip")
    assert len(raw_scan(conn, table_name)) == 1030
    assert repr(report) == "<WriteReport 1,030 written, 0 failed, 42 requests, 1 rejected>"
    markup = readable(report._repr_html_())
    assert "1,030 items written in 42 requests (1 rejected)" in markup
    header, body = header_and_rows(markup, "reason")
    assert [dict(zip(header, row, strict=True))["row"] for row in body] == ["1,031"]


# --- describe ----------------------------------------------------------------------------------

@pytest.mark.usefixtures("samples")
def test_describe_never_shows_zero_bytes_beside_items(conn: dl.Connection) -> None:
    raw = conn.client.describe_table(TableName="Movies")["Table"]
    items, size = raw["ItemCount"], raw["TableSizeBytes"]
    schema = conn.describe("Movies")
    markup = readable(schema._repr_html_())
    facts = dict(row for row in table_rows(markup) if len(row) == 2)
    assert facts["items"] == f"{items:,}"
    if items and not size:
        assert facts["size"] == "not reported by the server"
    else:
        assert facts["size"].split()[0] in (f"{size:,}", f"{size / 1024:,.1f}",
                                            f"{size / 1024 ** 2:,.1f}")
    assert "0 bytes" not in markup or not items
    summary = dl.execute('DESCRIBE "Movies"', conn)[0].summary
    assert summary.startswith(f"Movies: key year (N) + title (S); {items:,} items, ")
    assert (" 0 bytes" not in summary) or not items
    assert repr(schema).startswith("<TableSchema Movies: key year (N) + title (S)")


# --- EXPLAIN -----------------------------------------------------------------------------------

@pytest.mark.usefixtures("samples")
def test_explain_says_its_sentence_once_and_marks_the_chosen_row(conn: dl.Connection) -> None:
    result = dl.execute(OPEN_GAMES, conn)[0]
    plan = result.plan
    assert plan is not None
    for markup in (result._repr_html_(), plan._repr_html_()):
        readable(markup)
        assert markup.count(html.escape(plan.sentence)) == 1, markup
        header, body = header_and_rows(markup, "operation")
        rows = [dict(zip(header, row, strict=True)) for row in body]
        marked = [row for row in rows if row[""] == CHOSEN]
        assert len(marked) == 1 and marked[0]["index"] == "OpenGamesIndex"
        assert {row["usable"] for row in rows} <= {"\u2713", "\u2717"}
        assert len(rows) == len(plan.candidates)
        predicted = [row["items read"] for row in rows if row["usable"] == "\u2713"]
        assert predicted and all(re.fullmatch(r"\d{1,3}(,\d{3})*", p) for p in predicted)
        assert all(row["items read"] == "" for row in rows if row["usable"] == "\u2717")
    why = re.search(r'<td style="([^"]*)">[^<]*open_timestamp', result._repr_html_())
    assert why and "text-align:left" in why.group(1)


# --- migrations --------------------------------------------------------------------------------

def test_a_migration_dry_run_shows_integers_and_blanks(conn: dl.Connection, make_table: Any,
                                                       table_name: str) -> None:
    class Before(dl.Model, table=table_name):
        pk: str = dl.field(partition_key=True)
        sk: str = dl.field(sort_key=True)

    class After(dl.Model, table=table_name):
        pk: str = dl.field(partition_key=True)
        other: str = dl.field(sort_key=True)
        genre: str | None = dl.field(None, gsi_partition="ByGenre")

    make_table(Before)
    plan = conn.migrate(After, dry_run=True)
    assert plan.to_pandas()["step"].tolist() == [1, ""]
    markup = readable(plan._repr_html_())
    assert "1 step, 1 refused (dry run: nothing was changed)" in markup
    header, body = header_and_rows(markup, "step")
    assert [row[0] for row in body] == ["1", ""]
    assert repr(plan) == (f"<MigrationPlan Migration of {table_name}: 1 step, 1 refused "
                          "(dry run: nothing was changed)>")
    diff = conn.diff(After)
    header, body = header_and_rows(readable(diff._repr_html_()), "in place")
    in_place = [dict(zip(header, row, strict=True))["in place"] for row in body]
    assert sorted(in_place) == ["\u2713", "\u2717"]
    assert repr(diff) == f"<SchemaDiff {table_name}: 2 difference(s)>"


# --- transactions and backfills ------------------------------------------------------------

def account_model(table: str) -> Any:
    class Account(dl.Model, table=table):
        id: str = dl.field(partition_key=True)
        balance: int = 0

    return Account


@pytest.mark.needs("transactions")
def test_transactions_show_their_actions_by_key(conn: dl.Connection, make_table: Any,
                                                table_name: str) -> None:
    Account = make_table(account_model(table_name))
    with conn.transaction() as tx:
        tx.put(Account(id="a", balance=5))
        tx.put(Account(id="b", balance=7))
    assert repr(tx) == "<Transaction committed: 2 actions>"
    _header, body = header_and_rows(readable(tx._repr_html_()), "action")
    assert [row[-1] for row in body] == ["id='a'", "id='b'"]

    tx = conn.transaction()
    tx.create(Account(id="a"))
    with pytest.raises(dl.TransactionCancelled) as cancelled:
        tx.commit()
    shown = [repr(action) for action in cancelled.value.actions]
    assert shown == ["<Put Account id='a': ConditionalCheckFailed>"]


def test_a_backfill_report_reads_as_a_sentence(conn: dl.Connection, make_table: Any,
                                               table_name: str) -> None:
    Account = make_table(account_model(table_name))
    conn.batch_write([Account(id=f"a{n:02d}", balance=n) for n in range(12)])

    def double(account: Any) -> Any:
        if account.balance % 3 == 0:
            return None
        account.balance *= 2
        return account

    report = conn.backfill(Account, double, progress=False)
    assert repr(report) == ("<BackfillReport 8 items changed of 12 read, 4 skipped, 0 failed "
                            "(finished)>")
    assert "8 items changed of 12 read" in readable(report._repr_html_())


# --- exports and advice ----------------------------------------------------------------------

@pytest.mark.usefixtures("samples")
def test_an_export_report_names_rows_files_and_cost(conn: dl.Connection,
                                                    tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    query = dl.Query(conn.describe("Movies"), dl.attr("year") == 2013).using(conn)
    count = sum(1 for _t, item in sample_items("movies") if item["year"] == {"N": "2013"})
    report = query.to_parquet(tmp_path / "movies-2013.parquet")
    assert repr(report) == (f"<ExportReport {count:,} rows exported to 1 file at "
                            f"{tmp_path / 'movies-2013.parquet'}>")
    markup = readable(report._repr_html_())
    assert f"{count:,} rows exported" in markup and "Query on table Movies" in markup


@pytest.mark.usefixtures("samples")
def test_advice_shows_numbers_and_blanks_not_nan_and_its_summary_once(
        conn: dl.Connection) -> None:
    statement = "SELECT * FROM \"battle-royale\" WHERE creator = 'u1' AND people > 2"
    (cell,) = dl.execute(f"ADVISE {statement}", conn)
    advice = cell.advice
    assert advice is not None and advice.proposals
    for markup in (advice._repr_html_(), cell._repr_html_()):
        readable(markup)
        assert markup.count(html.escape(advice.summary())) == 1
        header, body = header_and_rows(markup, "index")
        row = dict(zip(header, body[0], strict=True))
        assert row["partition key"].startswith("creator")
        assert re.fullmatch(r"\d{1,3}(,\d{3})*", row["index items"])


# --- generated model source ------------------------------------------------------------------

@pytest.mark.usefixtures("samples")
def test_model_source_has_no_private_dunders_and_still_works(conn: dl.Connection) -> None:
    source = conn.model_source("battle-royale")
    assert "__dynamorm" not in source
    assert "copresent={" in source
    namespace: dict[str, Any] = {}
    exec(compile(source, "<model source>", "exec"), namespace)
    Model = namespace["BattleRoyale"]
    built = conn.model("battle-royale")
    assert Model.__dynamorm_copresent__ == built.__dynamorm_copresent__
    assert Model.__dynamorm_assumed__ == built.__dynamorm_assumed__
    raw = raw_scan(conn, "battle-royale")
    game = next(item for item in raw if "map" in item)
    found = conn.get(Model, game["PK"]["S"], game["SK"]["S"])
    assert found.map == game["map"]["S"]
    partition = game["PK"]["S"]
    same = Model.query(Model.PK == partition).using(conn).all()  # noqa: SIM300 - a field
    assert len(same) == sum(1 for item in raw if item["PK"] == game["PK"])


def test_presence_keywords_are_checked_when_the_class_is_defined() -> None:
    class Stated(dl.Model, table="Stated", assumed_present=["gsi1_pk"],
                 copresent={"GSI1-PK": ["gsi1_sk"]}):
        pk: str = dl.field(partition_key=True)
        gsi1_pk: str | None = dl.field(None, name="GSI1-PK")
        gsi1_sk: str | None = dl.field(None, name="GSI1-SK")

    assert Stated.__dynamorm_assumed__ == {"GSI1-PK"}
    assert Stated.__dynamorm_copresent__ == {"GSI1-PK": {"GSI1-SK"}}
    with pytest.raises(dl.ModelDefinitionError, match="'nope', which the model does not"):
        class Unknown(dl.Model, table="Unknown", assumed_present=["nope"]):
            pk: str = dl.field(partition_key=True)
    with pytest.raises(dl.ModelDefinitionError, match="takes a list of attribute names"):
        class Text(dl.Model, table="Text", assumed_present="pk"):
            pk: str = dl.field(partition_key=True)


# --- notices -----------------------------------------------------------------------------------

class ZMQInteractiveShell:
    """Stands in for ipykernel's shell (the class name is what makes it a notebook): it keeps
    what is published to the cell instead of sending it to a browser."""

    def __init__(self) -> None:
        self.published: list[dict[str, str]] = []
        self.display_pub = self

    def publish(self, data: dict[str, str], metadata: Any = None, **_: Any) -> None:
        self.published.append(data)


@pytest.fixture
def keep_default() -> Iterator[None]:
    before = _session.current()
    yield
    _session.set_default(before)


def test_in_a_notebook_the_connect_notice_is_a_calm_html_note(
        server: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture, keep_default: None) -> None:
    notebook = ZMQInteractiveShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: notebook)
    caplog.set_level(logging.INFO, logger="dynamorm_lab")
    made = dl.connect(server.endpoint_url, make_default=True)
    try:
        assert len(notebook.published) == 1
        note = notebook.published[0]
        assert server.endpoint_url in note["text/plain"]
        assert "models use it by default" in note["text/plain"]
        assert "dynamorm-note" in note["text/html"]
        assert html.escape(note["text/plain"]) in note["text/html"]
        assert capsys.readouterr().err == ""
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        dl.use(made)  # already the default: nothing more is said
        assert len(notebook.published) == 1
    finally:
        made.close()


def test_outside_a_notebook_the_notice_stays_a_log_warning(
        server: Any, caplog: pytest.LogCaptureFixture, keep_default: None) -> None:
    caplog.set_level(logging.WARNING, logger="dynamorm_lab")
    made = dl.connect(server.endpoint_url, make_default=True)
    made.close()
    told = [r.getMessage() for r in caplog.records if r.name == "dynamorm_lab"]
    assert len(told) == 1 and server.endpoint_url in told[0]


@pytest.fixture
def aws_like(server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dl.Connection]:
    """A connection treated as AWS ("aws" target, region eu-west-1) whose DynamoDB and STS
    requests go to the session's local server, with fake credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", server.endpoint_url)
    made = dl.connect("aws", region="eu-west-1", endpoint_url=server.endpoint_url,
                      make_default=False, max_attempts=1)
    yield made
    made.close()


def test_connect_that_finds_aws_configured_names_the_account_and_region(
        aws_like: dl.Connection, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dynamorm_lab")
    found = dl.connect(region="eu-west-1", make_default=False)  # sends nothing to DynamoDB
    try:
        assert found.target == "aws" and found.endpoint_url is None
        told = [r.getMessage() for r in caplog.records if r.name == "dynamorm_lab"]
        account = found.account
        named = f"AWS account {account}" if account else "AWS (account unknown)"
        assert told == [f"dynamorm_lab: Connected to {named}, region eu-west-1"]
    finally:
        found.close()


def about_to_change(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "About to change" in r.getMessage()]


def test_on_aws_the_first_write_names_account_and_region_once(
        aws_like: dl.Connection, conn: dl.Connection, make_table: Any, table_name: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dynamorm_lab")
    Account = account_model(table_name)
    assert aws_like.target == "aws"
    aws_like.tables()
    assert not aws_like.table_exists(table_name)
    assert about_to_change(caplog) == []  # reads say nothing

    aws_like.create_table(Account)
    try:
        for n in range(3):
            aws_like.save(Account(id=f"a{n}", balance=n))
        aws_like.batch_write([Account(id="b", balance=1)])
        assert len(aws_like.run(Account.scan())) == 4
        told = about_to_change(caplog)
        assert len(told) == 1, told
        assert f"CreateTable on {table_name}" in told[0] and "region eu-west-1" in told[0]
        account = aws_like.account
        assert account is None or re.fullmatch(r"\d{12}", account)
        assert (f"AWS account {account}" if account else "AWS (account unknown)") in told[0]

        Other = make_table(account_model(f"{table_name}_other"))
        for n in range(3):  # a connection to another endpoint never says it
            conn.save(Other(id=f"c{n}", balance=n))
        assert len(about_to_change(caplog)) == 1
    finally:
        aws_like.delete_table(table_name)


@pytest.mark.needs("embedded")
def test_the_embedded_server_never_says_about_to_change(
        table_name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dynamorm_lab")
    local = dl.connect("local", make_default=False)
    try:
        assert local.target == "local" and local.account is None
        Account = account_model(table_name)
        local.create_table(Account)
        local.save(Account(id="a", balance=1))
        local.delete_table(table_name)
        assert about_to_change(caplog) == []
    finally:
        local.close()


def test_confirm_writes_is_stored_read_only_and_checked(server: Any) -> None:
    asking = dl.connect(server.endpoint_url, confirm_writes=True, make_default=False)
    plain = dl.connect(server.endpoint_url, make_default=False)
    try:
        assert asking.confirm_writes is True and plain.confirm_writes is False
        assert asking.account is None  # not AWS: no account, nothing asked
        with pytest.raises(AttributeError):
            asking.confirm_writes = False  # type: ignore[misc]
    finally:
        asking.close()
        plain.close()
    with pytest.raises(dl.ValidationError, match="confirm_writes takes True or False"):
        dl.connect(server.endpoint_url, confirm_writes="yes", make_default=False)  # type: ignore[arg-type]


@pytest.mark.usefixtures("samples")
def test_magic_model_prints_source_without_dunders(server: Any,
                                                   shell: InteractiveShell) -> None:
    shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias src")
    with capture_output() as captured:
        shell.run_line_magic("dynamo", "model battle-royale")
    assert "class BattleRoyale(" in captured.stdout and "__dynamorm" not in captured.stdout


# --- a connection, as `db` in a cell shows it --------------------------------------------------

def test_a_connection_says_where_it_points_and_how_it_behaves(server: Any) -> None:
    conn = dl.connect(server.endpoint_url, read_only=True, make_default=False)
    try:
        text = html.unescape(re.sub(r"<[^>]+>", " ", readable(conn._repr_html_())))
        assert f"Connected to the DynamoDB-compatible endpoint {server.endpoint_url}" in text
        facts = dict(row for row in table_rows(conn._repr_html_()) if len(row) == 2)
        assert facts["read-only"] == "yes"
        assert facts["asks before writes in cells"] == "no"
        assert facts["models use it by default"] == "no"
        assert facts["region"] == conn.region
    finally:
        conn.close()


# --- a table's sample, as db.inspect(table) shows it -------------------------------------------

def test_an_inspected_sample_shows_each_attributes_share_not_the_items(
        conn: dl.Connection) -> None:
    dl.load_sample("product-catalog", conn, progress=False)
    items = [item for table, item in sample_items("product-catalog") if table == "Forum"]
    conn.forget("Forum")
    profile = conn.inspect("Forum")

    assert repr(profile).startswith(f"<Profile Forum: {len(items):,} items sampled")
    assert len(repr(profile)) < 120  # a line, not the sampled items
    header, body = header_and_rows(readable(profile._repr_html_()), "attribute")
    assert header == ["attribute", "present in", "types"]
    shares = {row[0]: row[1] for row in body}
    for name in {name for item in items for name in item}:
        held = sum(name in item for item in items)
        assert shares[name] == f"{held / len(items):.0%}", name
