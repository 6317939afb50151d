"""The ipywidgets faces, driven from Python: set traits, click buttons, read what they show.

Every widget is used the way the front end uses it: trait values are set (as a browser sync
would set them) and buttons are clicked with ``Button.click()``. Expected answers come from the
raw files in /work/shared/datasets, never from what the library returns. Requests are counted
with a botocore ``before-send`` hook that only records (it never returns a response, so it
never alters a request). The sample tables are shared with other modules and never deleted;
the tables this module creates get unique names and are deleted at the end.
"""

from __future__ import annotations

import ast
import html
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import dynamorm_lab as dl
from dynamorm_lab.widgets import Builder, Explorer, build, explore, write_runner

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("samples")]

from backends import DATASETS  # noqa: E402 - shared/ beside the checkout

GREEN = "Green Grasslands"
OPEN_GAMES_SENTENCE = "Query on GSI OpenGamesIndex: partition key map = 'Green Grasslands'"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"


# --- raw data ------------------------------------------------------------------------------

@cache
def battle_raw() -> tuple[dict[str, Any], ...]:
    with (DATASETS / "battle-royale" / "items.json").open() as handle:
        return tuple(json.loads(line, parse_float=Decimal) for line in handle if line.strip())


@cache
def movies_raw() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads((DATASETS / "moviedata.json").read_text(), parse_float=Decimal))


def open_games(map_name: str) -> list[dict[str, Any]]:
    """Games on `map_name` that are open (they carry open_timestamp), from the raw file."""
    return [i for i in battle_raw() if i.get("map") == map_name and "open_timestamp" in i]


def typed(value: Any) -> dict[str, Any]:
    """A plain battle-royale value as a DynamoDB AttributeValue (the file has only S and N)."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return {"N": str(value)}
    raise AssertionError(f"unexpected value in the raw file: {value!r}")


# --- HTML helpers ----------------------------------------------------------------------------

class _Tables(HTMLParser):
    """Every <table> of an HTML fragment as header + rows of cell text (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, list[Any]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"header": [], "rows": []})
        elif tag == "thead":
            self._head = True
        elif tag == "tbody":
            self._head = False
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["header" if self._head else "rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_rows(fragment: str) -> list[dict[str, str]]:
    """The rows of the first table in `fragment` as dicts keyed by column name."""
    parser = _Tables()
    parser.feed(fragment)
    parser.close()
    assert parser.tables, f"no table in {fragment[:200]!r}"
    table = parser.tables[0]
    header = table["header"][-1]
    return [dict(zip(header, row, strict=True)) for row in table["rows"]]


def text_of(fragment: str) -> str:
    """The visible text of an HTML fragment (tags dropped, entities decoded)."""
    out: list[str] = []

    class _Text(HTMLParser):
        def handle_data(self, data: str) -> None:
            out.append(data)

    parser = _Text(convert_charrefs=True)
    parser.feed(fragment)
    parser.close()
    return "".join(out)


def pres(fragment: str) -> list[str]:
    """The decoded contents of every <pre> block."""
    found: list[str] = []

    class _Pre(HTMLParser):
        inside = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "pre":
                self.inside = True
                found.append("")

        def handle_endtag(self, tag: str) -> None:
            if tag == "pre":
                self.inside = False

        def handle_data(self, data: str) -> None:
            if self.inside:
                found[-1] += data

    parser = _Pre(convert_charrefs=True)
    parser.feed(fragment)
    parser.close()
    return found


def plan_text(builder: Builder) -> str:
    """Everything the plan panel says, as text (tags dropped, HTML-unescaped)."""
    return html.unescape(re.sub(r"<[^>]+>", "", builder.plan_sentence.value))


def sentence(builder: Builder) -> str:
    """The plan sentence as a person reads it (the bold first paragraph, unescaped)."""
    value = builder.plan_sentence.value
    first = value.split("</p>")[0]
    return html.unescape(first.replace("<p>", "").replace("<b>", "").replace("</b>", ""))


# --- request recording -----------------------------------------------------------------------

class Recorder:
    """Records every request a connection sends (operation, JSON body); alters nothing.

    The hook is registered with `Connection.on`, which reaches every client the connection
    sends with (the data-plane read client included). Tests that assert "nothing was sent"
    also assert that the run afterwards was seen, so a hook that saw nothing cannot pass.
    """

    def __init__(self, conn: dl.Connection) -> None:
        self.conn = conn
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._id = f"widget-tests-{uuid.uuid4().hex}"

    def _record(self, request: Any, **_kwargs: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        body = request.body
        body = body.decode() if isinstance(body, bytes) else (body or "")
        self.sent.append((target.rsplit(".", 1)[-1], json.loads(body) if body else {}))
        # returning None: botocore sends the request unchanged

    def __enter__(self) -> Recorder:
        self.conn.on("before-send.dynamodb", self._record, unique_id=self._id)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.conn.off("before-send.dynamodb", unique_id=self._id)

    def operations(self) -> list[str]:
        return [operation for operation, _body in self.sent]


# --- fixtures --------------------------------------------------------------------------------

def open_games_builder(conn: dl.Connection) -> Builder:
    """A builder on battle-royale with partition attribute map = 'Green Grasslands'."""
    builder = build(conn, "battle-royale")
    builder.partition_attr.value = "map"
    builder.partition.value = GREEN
    return builder


def add_exists_filter(builder: Builder) -> Any:
    before = len(builder.filters)
    builder.add_filter.click()
    assert len(builder.filters) == before + 1
    row = builder.filters[-1]
    row.attribute.value = "open_timestamp"
    row.op.value = "exists"
    return row


# --- builder ---------------------------------------------------------------------------------

def test_builder_offers_the_table_and_every_partition_attribute(conn: dl.Connection) -> None:
    builder = build(conn, "battle-royale")
    assert builder.table.value == "battle-royale"
    assert list(builder.index.options) == ["Auto", "InvertedIndex", "OpenGamesIndex"]
    assert set(builder.partition_attr.options) == {"PK", "SK", "map"}
    assert "dynamorm-builder" in builder.widget._dom_classes


def test_builder_map_alone_is_a_scan_explained_by_the_sparse_index(
        conn: dl.Connection) -> None:
    builder = open_games_builder(conn)
    text = html.unescape(text_of(builder.plan_sentence.value))
    assert sentence(builder).startswith("Scan of table battle-royale")
    assert "OpenGamesIndex" in text
    assert "open_timestamp" in text
    # the candidates table lists the sparse index as unusable, with the reason
    candidates = html_rows(builder.plan_table.value)
    sparse = [c for c in candidates if c["index"] == "OpenGamesIndex"]
    assert sparse and all(c["usable"] == "False" for c in sparse)
    assert "open_timestamp" in sparse[0]["why"]


def test_builder_exists_filter_switches_to_the_gsi_before_anything_is_sent(
        conn: dl.Connection) -> None:
    builder = build(conn, "battle-royale")  # building reads a sample: not counted
    with Recorder(conn) as recorder:
        builder.partition_attr.value = "map"
        builder.partition.value = GREEN
        assert sentence(builder).startswith("Scan of table battle-royale")
        add_exists_filter(builder)
        assert plan_text(builder) == OPEN_GAMES_SENTENCE
        assert recorder.sent == [], "planning must not send requests"
        builder.run_button.click()
    assert recorder.operations() == ["Query"]
    body = recorder.sent[0][1]
    assert body["IndexName"] == "OpenGamesIndex"
    assert body["ExpressionAttributeValues"] == {":v0": {"S": GREEN}}


def test_a_hook_registered_with_on_sees_the_builders_query(conn: dl.Connection) -> None:
    """Reads go through a second, data-plane client; `Connection.on` is the documented way to
    hook every request (logging, metrics, counting), so it must see the builder's Query."""
    builder = open_games_builder(conn)
    add_exists_filter(builder)
    seen: list[str] = []

    def record(request: Any, **_kwargs: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        seen.append(target.decode() if isinstance(target, bytes) else str(target))

    conn.on("before-send.dynamodb", record, unique_id="widget-tests-contract")
    try:
        builder.run_button.click()
    finally:
        conn.off("before-send.dynamodb", unique_id="widget-tests-contract")
    assert len(builder.frame) == len(open_games(GREEN))
    assert seen == ["DynamoDB_20120810.Query"]


def test_builder_run_shows_the_open_games_and_read_versus_returned(
        conn: dl.Connection) -> None:
    builder = open_games_builder(conn)
    add_exists_filter(builder)
    builder.run_button.click()
    expected = open_games(GREEN)
    assert len(expected) == 4  # the raw file: four open games on Green Grasslands
    assert len(builder.frame) == len(expected)
    shown = html_rows(builder.results.value)
    assert len(shown) == len(expected)
    assert sorted((r["PK"], r["SK"]) for r in shown) == sorted(
        (i["PK"], i["SK"]) for i in expected)
    assert all(r["map"] == GREEN for r in shown)
    stats = html.unescape(text_of(builder.stats.value))
    assert "OpenGamesIndex" in stats
    assert f"read {len(expected)} item(s), returned {len(expected)}" in stats


def test_builder_code_panel_runs_to_the_same_rows(conn: dl.Connection) -> None:
    builder = open_games_builder(conn)
    add_exists_filter(builder)
    builder.run_button.click()
    expected = sorted((i["PK"], i["SK"]) for i in open_games(GREEN))

    statement = builder.code["partiql"].value
    results = dl.execute(statement, conn)
    assert len(results) == 1
    frame = results[0].to_pandas()
    assert sorted(zip(frame["PK"], frame["SK"], strict=True)) == expected

    namespace: dict[str, Any] = {"db": conn}
    exec(builder.code["python"].value, namespace)
    rows = namespace["rows"]
    assert sorted(zip(rows["PK"], rows["SK"], strict=True)) == expected

    boto3_text = builder.code["boto3"].value
    assert "'IndexName': 'OpenGamesIndex'" in boto3_text
    # the request in the boto3 text, sent as written, reads the same items
    call = next(node for node in ast.walk(ast.parse(boto3_text))
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "query")
    request = ast.literal_eval(call.keywords[0].value)
    response = conn.client.query(**request)
    assert sorted((i["PK"]["S"], i["SK"]["S"]) for i in response["Items"]) == expected


def test_builder_removing_the_filter_returns_to_the_scan(conn: dl.Connection) -> None:
    builder = open_games_builder(conn)
    scan_sentence = sentence(builder)
    row = add_exists_filter(builder)
    assert sentence(builder) == OPEN_GAMES_SENTENCE
    row.remove.click()
    assert builder.filters == []
    assert builder.filter_box.children == ()
    assert sentence(builder) == scan_sentence
    assert scan_sentence.startswith("Scan of table battle-royale")
    builder.run_button.click()
    on_map = [i for i in battle_raw() if i.get("map") == GREEN]
    assert len(builder.frame) == len(on_map)
    stats = html.unescape(text_of(builder.stats.value))
    assert f"read {len(battle_raw())} item(s), returned {len(on_map)}" in stats


def test_builder_types_a_number_partition_key(conn: dl.Connection) -> None:
    builder = build(conn, "Movies")
    assert list(builder.partition_attr.options) == ["year"]
    builder.partition_attr.value = "year"
    with Recorder(conn) as recorder:
        builder.partition.value = "1985"
        assert sentence(builder) == "Query on table Movies: partition key year = 1985"
        assert recorder.sent == []
        builder.run_button.click()
    assert recorder.operations() == ["Query"]
    values = recorder.sent[0][1]["ExpressionAttributeValues"]
    assert list(values.values()) == [{"N": "1985"}]
    expected = sorted(m["title"] for m in movies_raw() if m["year"] == 1985)
    assert sorted(builder.frame["title"]) == expected
    assert "year = 1985" in builder.code["partiql"].value
    assert "== 1985)" in builder.code["python"].value


def test_builder_types_a_number_filter_value(conn: dl.Connection) -> None:
    builder = open_games_builder(conn)
    builder.add_filter.click()
    row = builder.filters[-1]
    row.attribute.value = "people"
    row.op.value = ">="
    with Recorder(conn) as recorder:
        row.value.value = "30"
        assert recorder.sent == []
        builder.run_button.click()
    bodies = [body for _operation, body in recorder.sent]
    assert bodies and all({"N": "30"} in b["ExpressionAttributeValues"].values()
                          for b in bodies)
    expected = sorted(i["PK"] for i in battle_raw()
                      if i.get("map") == GREEN and i.get("people", -1) >= 30)
    assert expected  # the raw file has such games
    assert sorted(builder.frame["PK"]) == expected


def test_builder_a_non_number_in_a_number_key_is_an_error_not_a_crash(
        conn: dl.Connection) -> None:
    builder = build(conn, "Movies")
    builder.partition_attr.value = "year"
    builder.partition.value = "1985"
    good_code = builder.code["partiql"].value
    with Recorder(conn) as recorder:
        builder.partition.value = "nineteen"
        assert "dynamorm-error" in builder.plan_sentence.value
        assert "'nineteen' is not a number" in html.unescape(builder.plan_sentence.value)
        assert builder.plan_table.value == ""
        builder.run_button.click()  # must not raise
    assert recorder.sent == []
    assert "dynamorm-error" in builder.stats.value
    assert "is not a number" in html.unescape(builder.stats.value)
    assert builder.code["partiql"].value == good_code  # the last good code stays
    builder.partition.value = "1985"  # and the builder recovers
    assert sentence(builder) == "Query on table Movies: partition key year = 1985"


def test_builder_a_typed_partition_value_is_never_silently_ignored(
        conn: dl.Connection) -> None:
    """Typing a key value before choosing its attribute must not plan a full Scan silently.

    The partition-attribute dropdown starts empty (no option selected, even when the table
    has a single partition attribute), and a value typed next to it is then dropped from
    the query without a word. Either the table's own partition key is preselected, or the
    plan panel says that an attribute must be chosen.
    """
    builder = build(conn, "Movies")
    builder.partition.value = "1985"
    text = html.unescape(builder.plan_sentence.value)
    assert (sentence(builder) == "Query on table Movies: partition key year = 1985"
            or ("dynamorm-error" in text and "1985" in text)), text


def test_builder_save_puts_the_frame_in_the_notebook_namespace(conn: dl.Connection,
                                                                shell: Any) -> None:
    builder = open_games_builder(conn)
    builder.save_button.click()  # nothing run yet
    assert "run the query first" in builder.stats.value
    assert "df" not in shell.user_ns
    add_exists_filter(builder)
    builder.run_button.click()
    builder.save_name.value = "not a name"
    builder.save_button.click()
    assert "type a valid variable name" in builder.stats.value
    builder.save_name.value = "open_games"
    builder.save_button.click()
    assert "saved as open_games" in builder.stats.value
    saved = shell.user_ns["open_games"]
    assert isinstance(saved, pd.DataFrame)
    assert saved is builder.frame
    assert sorted(saved["PK"]) == sorted(i["PK"] for i in open_games(GREEN))


# --- explorer --------------------------------------------------------------------------------

def test_explorer_schema_mentions_both_gsis(conn: dl.Connection) -> None:
    explorer = explore(conn, "battle-royale", page_size=50)
    assert isinstance(explorer, Explorer)
    assert "dynamorm-explorer" in explorer.widget._dom_classes
    schema = html_rows(explorer.schema.value)
    by_name = {row["name"]: row for row in schema}
    assert by_name["InvertedIndex"]["partition_key"].startswith("SK")
    assert by_name["OpenGamesIndex"]["partition_key"].startswith("map")
    assert by_name["OpenGamesIndex"]["sort_key"].startswith("open_timestamp")
    assert "PK (S) + SK (S)" in html.unescape(explorer.schema.value)


def _page_keys(explorer: Explorer) -> list[tuple[str, str]]:
    rows = html_rows(explorer.items.value)
    assert len(rows) == len(explorer.frame)
    return [(r["PK"], r["SK"]) for r in rows]


def test_explorer_pages_through_every_item_exactly_once(conn: dl.Connection) -> None:
    explorer = explore(conn, "battle-royale", page_size=50)
    assert explorer.previous.disabled and not explorer.next.disabled
    assert explorer.page_label.value == "page 1"
    first = _page_keys(explorer)
    explorer.next.click()
    second = _page_keys(explorer)
    explorer.next.click()
    third = _page_keys(explorer)
    assert explorer.page_label.value == "page 3"
    explorer.previous.click()
    assert explorer.page_label.value == "page 2"
    assert _page_keys(explorer) == second  # read again exactly as it was
    assert len(first) == len(second) == len(third) == 50
    assert not (set(first) & set(second)) and not (set(second) & set(third))
    assert not set(first) & set(third)

    explorer.previous.click()
    assert _page_keys(explorer) == first
    assert explorer.previous.disabled
    explorer.previous.click()  # on page 1: nothing happens
    assert explorer.page_label.value == "page 1"

    seen = list(first)
    pages = 1
    while not explorer.next.disabled:
        explorer.next.click()
        seen += _page_keys(explorer)
        pages += 1
        assert pages < 100
    assert "(last page)" in explorer.page_label.value
    raw = [(i["PK"], i["SK"]) for i in battle_raw()]
    assert len(raw) == 835
    assert len(seen) == len(raw)
    assert Counter(seen) == Counter(raw)
    assert pages == -(-835 // 50)


def test_explorer_partition_filter_shows_only_that_partition(conn: dl.Connection) -> None:
    sizes = Counter(i["PK"] for i in battle_raw())
    partition = min(pk for pk, n in sizes.items() if pk.startswith("GAME#") and n > 5)
    explorer = explore(conn, "battle-royale", page_size=50)
    explorer.next.click()
    explorer.partition.value = partition  # back to page 1 of that partition
    assert explorer.page_label.value.startswith("page 1")
    keys = _page_keys(explorer)
    assert {pk for pk, _sk in keys} == {partition}
    assert sorted(keys) == sorted((i["PK"], i["SK"]) for i in battle_raw()
                                  if i["PK"] == partition)
    assert "Query" in explorer.stats.value
    explorer.partition.value = ""
    assert len(_page_keys(explorer)) == 50


def test_explorer_detail_shows_the_selected_item_typed(conn: dl.Connection) -> None:
    explorer = explore(conn, "battle-royale", page_size=50)
    raw = {(i["PK"], i["SK"]): i for i in battle_raw()}
    keys = _page_keys(explorer)
    assert explorer.row.max == len(keys) - 1
    for position in (0, 7, len(keys) - 1):
        explorer.row.value = position
        blocks = pres(explorer.detail.value)
        assert len(blocks) == 2
        shown = json.loads(blocks[0])
        item = raw[keys[position]]
        assert shown == {name: typed(value) for name, value in item.items()}


def test_explorer_exports_what_it_shows(conn: dl.Connection, shell: Any,
                                        tmp_path: Path) -> None:
    explorer = explore(conn, "battle-royale", page_size=50)
    explorer.all_columns.value = True  # every attribute in a column of its own, as exported
    explorer.next.click()
    shown = _page_keys(explorer)

    explorer.export_name.value = "page_two"
    explorer.export_button.click()
    assert "saved 50 rows as page_two" in explorer.notice.value
    frame = shell.user_ns["page_two"]
    assert list(zip(frame["PK"], frame["SK"], strict=True)) == shown

    target = tmp_path / "page.csv"
    explorer.csv_path.value = str(target)
    explorer.csv_button.click()
    assert "wrote 50 rows" in html.unescape(explorer.notice.value)
    written = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(zip(written["PK"], written["SK"], strict=True)) == shown
    assert list(written.columns) == list(explorer.frame.columns)
    # The page's text is the CSV's, cell for cell: a missing attribute blank in both, a
    # number's digits, and a newline (every user's address has one) as the newline itself.
    assert written.to_dict("records") == html_rows(explorer.items.value)


def test_explorer_shows_missing_attributes_blank_whatever_their_type(
        conn: dl.Connection) -> None:
    """A missing string (map) and a missing number (people, an Int64 column whose NA pandas
    would print as "<NA>") are both blank."""
    explorer = explore(conn, "battle-royale", page_size=50)
    explorer.all_columns.value = True
    rows = html_rows(explorer.items.value)
    missing_map = {r["map"] for r in rows if r["SK"].startswith("USER#")}
    assert missing_map == {""}
    missing_people = {r["people"] for r in rows if r["SK"].startswith("USER#")}
    assert missing_people == {""}


def test_explorer_column_choice_limits_the_shown_columns(conn: dl.Connection) -> None:
    explorer = explore(conn, "battle-royale", page_size=50)
    explorer.columns.value = ("PK", "SK")
    rows = html_rows(explorer.items.value)
    assert rows and all(set(r) == {"PK", "SK"} for r in rows)
    explorer.next.click()  # a page whose columns differ must still render
    assert html_rows(explorer.items.value)


class _Cells(HTMLParser):
    """The first table's cells: their title attribute, their text and the style of the box
    that holds the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None
        self._tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._tables += 1
        elif tag in ("td", "th") and self._tables == 1:
            self._open = {"tag": tag, "title": named.get("title", ""), "text": "",
                          "style": ""}
            self.cells.append(self._open)
        elif tag == "div" and self._open is not None:
            self._open["style"] = named.get("style", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data


def shown_text(value: Any) -> str:
    """A raw file's value as a cell must read it: its digits or text; blank when missing."""
    return "" if value is None else str(value)


def test_explorer_page_is_one_screen_of_one_line_rows_whole_on_hover(
        conn: dl.Connection) -> None:
    explorer = explore(conn, "battle-royale")
    raw = {(i["PK"], i["SK"]): i for i in battle_raw()}
    keys = _page_keys(explorer)
    assert len(keys) == 20  # the default page: about one screen
    parser = _Cells()
    parser.feed(explorer.items.value)
    cells = parser.cells
    assert cells and {c["tag"] for c in cells} == {"td", "th"}
    for cell in cells:
        style = cell["style"].replace(" ", "")
        assert "white-space:nowrap" in style and "text-overflow:ellipsis" in style
        assert "overflow:hidden" in style and "max-width:" in style
        assert cell["title"] == cell["text"]  # the whole value, on hover
    width = len(html_rows(explorer.items.value)[0])
    body = [cells[n:n + width] for n in range(width, len(cells), width)]
    header = [c["text"] for c in cells[:width]]
    for key, row in zip(keys, body, strict=True):
        by_name = dict(zip(header, row, strict=True))
        assert by_name["PK"]["title"] == raw[key]["PK"]  # keys too: whole on hover
        if "address" in by_name and "address" in raw[key]:  # long, and holds a newline
            assert by_name["address"]["title"] == raw[key]["address"]


def test_explorer_groups_attributes_few_rows_hold_and_spreads_them_on_request(
        conn: dl.Connection) -> None:
    """On every page, the attributes fewer than a tenth of its rows hold are one column of
    ``name: value`` texts; "show all columns" gives each its own column. Cell for cell, what
    is shown is the raw file's value, blank where an item lacks the attribute (never NaN)."""
    from dynamorm_lab.widgets._explorer import OTHER_ATTRIBUTES

    raw = {(i["PK"], i["SK"]): i for i in battle_raw()}
    explorer = explore(conn, "battle-royale")
    grouped_pages = 0
    while True:
        page = [raw[key] for key in _page_keys(explorer)]
        held = Counter(name for item in page for name in item)
        sparse = {name for name, n in held.items()
                  if name not in ("PK", "SK") and n < 0.1 * len(page)}
        rows = html_rows(explorer.items.value)
        assert set(rows[0]) == set(held) - sparse | ({OTHER_ATTRIBUTES} if sparse else set())
        for row, item in zip(rows, page, strict=True):
            assert {name: row[name] for name in set(held) - sparse} == {
                name: shown_text(item.get(name)) for name in set(held) - sparse}
            if sparse:
                parts = [p.split(": ", 1) for p in row[OTHER_ATTRIBUTES].split(" · ") if p]
                assert dict(parts) == {name: str(item[name]) for name in sparse if name in item}
        if sparse:
            grouped_pages += 1
            assert all(name in explorer.items.value for name in sparse)  # the note names them

        explorer.all_columns.value = True
        assert html_rows(explorer.items.value) == [
            {name: shown_text(item.get(name)) for name in held} for item in page]
        explorer.all_columns.value = False
        if explorer.next.disabled:
            break
        explorer.next.click()
    assert grouped_pages > 0


# --- write runner ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ledger(conn: dl.Connection) -> Iterator[Any]:
    """A small versioned model on its own table, deleted at the end."""

    class WidgetLedger(dl.Model, table=f"widget_ledger_{uuid.uuid4().hex[:8]}"):
        pk: str = dl.field(partition_key=True)
        amount: int = 0
        note: str = ""
        version: int = dl.field(version=True)

    conn.create_table(WidgetLedger)
    yield WidgetLedger
    conn.delete_table(WidgetLedger)


def raw_item(conn: dl.Connection, table: str, pk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = conn.client.get_item(
        TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")
    return found


def test_write_runner_previews_then_writes_everything(conn: dl.Connection,
                                                      ledger: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    doomed = ledger(pk=f"{tag}-doomed", amount=1)
    gone = ledger(pk=f"{tag}-gone", amount=2)
    conn.create(doomed)
    conn.create(gone)
    puts = [ledger(pk=f"{tag}-{n}", amount=n, note=f"n{n}") for n in range(5)]
    runner = write_runner(conn, puts=puts, deletes=[doomed, (ledger, f"{tag}-gone")])

    preview = html_rows(runner.preview.value)
    assert len(preview) == 7
    assert [r["operation"] for r in preview] == ["put"] * 5 + ["delete"] * 2
    assert {r["table"] for r in preview} == {ledger.__table__}
    for put, row in zip(puts, preview, strict=False):
        assert row["item"] == repr(put)
    assert runner.run_button.description == "Run 7 write(s)"
    assert raw_item(conn, ledger.__table__, f"{tag}-0") is None  # nothing sent yet

    runner.run_button.click()
    assert runner.run_button.disabled
    for n in range(5):
        stored = raw_item(conn, ledger.__table__, f"{tag}-{n}")
        assert stored is not None
        assert stored["amount"] == {"N": str(n)} and stored["note"] == {"S": f"n{n}"}
    assert raw_item(conn, ledger.__table__, f"{tag}-doomed") is None
    assert raw_item(conn, ledger.__table__, f"{tag}-gone") is None
    outcome = html_rows(runner.result.value)
    assert [r["outcome"] for r in outcome] == ["written"] * 5 + ["deleted"] * 2
    summary = text_of(runner.result.value)
    assert summary.startswith("7 written"), summary  # puts and deletes alike
    assert ", 0 failed" in summary, summary
    assert runner.progress.value == runner.progress.max == 7


def test_write_runner_writes_a_frame_and_lists_the_rows_it_refused(
        conn: dl.Connection, ledger: Any) -> None:
    import pandas as pd

    tag = uuid.uuid4().hex[:6]
    frame = pd.DataFrame({"pk": [f"{tag}-a", None, f"{tag}-c"], "amount": [1, 2, 3]})
    runner = write_runner(conn, frame=frame, table=ledger.__table__)
    assert len(html_rows(runner.preview.value)) == 3
    assert runner.run_button.description == "Run 3 write(s)"
    assert raw_item(conn, ledger.__table__, f"{tag}-a") is None  # nothing sent yet
    runner.run_button.click()
    assert raw_item(conn, ledger.__table__, f"{tag}-a")["amount"] == {"N": "1"}
    assert raw_item(conn, ledger.__table__, f"{tag}-c")["amount"] == {"N": "3"}
    summary = text_of(runner.result.value)
    assert summary.startswith("2 row(s) written, 1 refused"), summary
    assert [r["row"] for r in html_rows(runner.result.value)] == ["2"]
    with pytest.raises(dl.ValidationError, match="frame= and table="):
        write_runner(conn, frame=frame)


@pytest.mark.needs("transactions")
def test_write_runner_transaction_with_a_stale_version_writes_nothing(
        conn: dl.Connection, ledger: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    current = ledger(pk=f"{tag}-acct", amount=10)
    conn.create(current)
    stale = conn.get(ledger, f"{tag}-acct", consistent=True)
    conn.update(current, ledger.amount.set(20))  # someone else moves it on
    assert (current.version, stale.version) == (2, 1)
    before = raw_item(conn, ledger.__table__, f"{tag}-acct")

    stale.amount = 99
    fresh = ledger(pk=f"{tag}-new", amount=5)
    runner = write_runner(conn, puts=[fresh, stale], transaction=True)
    preview = html_rows(runner.preview.value)
    assert [r["condition"] for r in preview] == ["version checked"] * 2
    runner.run_button.click()

    assert isinstance(runner.outcome, dl.TransactionCancelled)
    assert "dynamorm-error" in runner.result.value
    reasons = html_rows(runner.result.value)
    assert [r["reason"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert [r["#"] for r in reasons] == ["0", "1"]
    assert raw_item(conn, ledger.__table__, f"{tag}-new") is None
    assert raw_item(conn, ledger.__table__, f"{tag}-acct") == before


@pytest.mark.needs("transactions")
def test_write_runner_transaction_commits(conn: dl.Connection, ledger: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    old = ledger(pk=f"{tag}-old")
    conn.create(old)
    runner = write_runner(conn, puts=[ledger(pk=f"{tag}-a", amount=1)], deletes=[old],
                          transaction=True)
    assert runner.run() is True
    assert "transaction committed: 2 action(s)" in runner.result.value
    assert raw_item(conn, ledger.__table__, f"{tag}-a") is not None
    assert raw_item(conn, ledger.__table__, f"{tag}-old") is None


@pytest.mark.needs("transactions")
def test_write_runner_transaction_deletes_a_model_key_pair(conn: dl.Connection,
                                                           ledger: Any) -> None:
    """The preview accepts (Model, key) deletes; a transaction must run them too."""
    tag = uuid.uuid4().hex[:6]
    conn.create(ledger(pk=f"{tag}-old"))
    runner = write_runner(conn, deletes=[(ledger, f"{tag}-old")], transaction=True)
    assert html_rows(runner.preview.value)[0]["table"] == ledger.__table__
    runner.run()
    assert runner.outcome is True, text_of(runner.result.value)
    assert raw_item(conn, ledger.__table__, f"{tag}-old") is None


# --- escaping --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile(conn: dl.Connection) -> Iterator[str]:
    """A table holding one item whose values are markup; deleted at the end."""

    class WidgetHostile(dl.Model, table=f"widget_hostile_{uuid.uuid4().hex[:8]}"):
        pk: str = dl.field(partition_key=True)
        img: str = ""
        script: str = ""

    conn.create_table(WidgetHostile)
    conn.create(WidgetHostile(pk="h1", img=IMG, script=SCRIPT))
    yield WidgetHostile.__table__
    conn.delete_table(WidgetHostile)


def assert_escaped(fragment: str) -> None:
    assert "&lt;img" in fragment
    assert "&lt;script&gt;" in fragment
    assert "<img" not in fragment
    assert "<script" not in fragment
    assert IMG in html.unescape(fragment)


def test_builder_results_escape_markup(conn: dl.Connection, hostile: str) -> None:
    builder = build(conn, hostile)
    builder.partition_attr.value = "pk"
    builder.partition.value = "h1"
    builder.run_button.click()
    assert len(builder.frame) == 1
    assert_escaped(builder.results.value)
    row = html_rows(builder.results.value)[0]
    assert (row["img"], row["script"]) == (IMG, SCRIPT)


def test_builder_plan_and_code_escape_typed_markup(conn: dl.Connection, hostile: str) -> None:
    builder = build(conn, hostile)
    builder.partition_attr.value = "pk"
    builder.partition.value = IMG
    assert "<img" not in builder.plan_sentence.value
    assert "&lt;img" in builder.plan_sentence.value
    assert "<img" not in builder.plan_table.value
    builder.run_button.click()
    assert "<img" not in builder.stats.value + builder.results.value


def test_explorer_items_and_detail_escape_markup(conn: dl.Connection, hostile: str) -> None:
    explorer = explore(conn, hostile)
    assert_escaped(explorer.items.value)
    assert_escaped(explorer.detail.value)
    typed_detail = json.loads(pres(explorer.detail.value)[0])
    assert typed_detail == {"pk": {"S": "h1"}, "img": {"S": IMG}, "script": {"S": SCRIPT}}
