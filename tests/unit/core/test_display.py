"""What a person reads: numbers with separators, blanks for nothing, markup kept as text.

`dynamorm_lab._core.display` is the one place every result kind turns into text and HTML;
these tests hold it to what a reader relies on, with expected text written out by hand.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest

from dynamorm_lab._core import display


class Cells(HTMLParser):
    """The text of each table cell, row by row, and the style of each cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.styles: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
            self.styles.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self.styles[-1].append(dict(attrs).get("style") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def cells(markup: str) -> Cells:
    parser = Cells()
    parser.feed(markup)
    return parser


@pytest.mark.parametrize(("value", "shown"), [
    (4609, "4,609"),
    (0, "0"),
    (-1234567, "-1,234,567"),
    (12.0, "12"),
    (1234.5, "1,234.5"),
    (0.5, "0.5"),
    (0.00123, "0.00123"),
    (0.0000417, "0.000042"),
    (1e-9, "<0.000001"),
    (Decimal("1234.50"), "1,234.50"),
    (Decimal("7"), "7"),
])
def test_numbers_have_thousands_separators_and_whole_floats_no_point_zero(
        value: Any, shown: str) -> None:
    assert display.plain(value) == shown


@pytest.mark.parametrize("value", [None, float("nan"), Decimal("NaN")])
def test_nothing_is_blank_never_none_or_nan(value: Any) -> None:
    assert display.plain(value) == ""
    assert display.is_blank(value)


def test_pandas_missing_markers_are_blank() -> None:
    pd = pytest.importorskip("pandas")
    assert display.plain(pd.NA) == "" and display.plain(pd.NaT) == ""


def test_yes_and_no_are_a_check_and_a_cross() -> None:
    assert display.plain(True) == "\u2713"
    assert display.plain(False) == "\u2717"


def test_counts_and_sizes_read_as_words() -> None:
    assert display.count(1, "item") == "1 item"
    assert display.count(4609, "item") == "4,609 items"
    assert display.count(2, "index", "indexes") == "2 indexes"
    assert display.size(512) == "512 bytes"
    assert display.size(1536) == "1.5 KB"
    assert display.size(3 * 1024 * 1024) == "3.0 MB"


def test_a_table_shows_blanks_checks_and_formatted_numbers() -> None:
    rows = [{"name": "a", "items": 4609, "rcu": None, "usable": True},
            {"name": "b", "items": None, "rcu": float("nan"), "usable": False}]
    markup = display.table(rows, keep_blank=True)
    assert "None" not in markup and "NaN" not in markup and "nan" not in markup
    assert cells(markup).rows == [["name", "items", "rcu", "usable"],
                                  ["a", "4,609", "", "\u2713"],
                                  ["b", "", "", "\u2717"]]


def test_a_column_blank_in_every_row_is_left_out_unless_kept() -> None:
    rows = [{"name": "a", "filter": None}, {"name": "b", "filter": ""}]
    assert cells(display.table(rows)).rows[0] == ["name"]
    assert cells(display.table(rows, keep_blank=True)).rows[0] == ["name", "filter"]


def test_text_is_left_aligned_and_wraps_numbers_are_right_aligned() -> None:
    markup = display.table([{"why": "a long reason " * 20, "items": 12}])
    why, items = cells(markup).styles[1]
    assert "text-align:left" in why and "white-space:normal" in why
    assert "text-align:right" in items


def test_markup_in_values_stays_text() -> None:
    evil = "<script>alert('x')</script><b>bold</b>"
    for markup in (display.table([{"value": evil}]), display.card(evil, [("label", evil)]),
                   display.note(evil)):
        assert "<script>" not in markup and "<b>bold</b>" not in markup
        assert html.escape(evil) in markup


def test_the_marked_row_is_bold_and_marked_and_only_it() -> None:
    rows = [{"name": "a", "chosen": False}, {"name": "b", "chosen": True}]
    parsed = cells(display.table(rows, ["name"], marked=lambda row: row["chosen"]))
    assert parsed.rows == [["", "name"], ["", "a"], ["\u25b6", "b"]]
    assert all("font-weight:600" in style for style in parsed.styles[2])
    assert not any("font-weight:600" in style for style in parsed.styles[1])


def test_a_card_leaves_out_blank_facts_and_formats_numbers() -> None:
    parsed = cells(display.card("Title", [("written", 4609), ("failed", None),
                                          ("note", "")]))
    assert parsed.rows == [["written", "4,609"]]


def test_a_long_table_shows_its_first_rows_and_says_how_many_there_are() -> None:
    markup = display.table([{"n": n} for n in range(30)], limit=5)
    assert len(cells(markup).rows) == 6
    assert "showing 5 of 30 rows" in markup


def test_a_text_table_aligns_its_columns() -> None:
    text = display.text_table([{"table": "Movies", "written": 4609},
                               {"table": "Reply", "written": 12}])
    assert text.splitlines() == ["table   written",
                                 "Movies    4,609",
                                 "Reply        12"]


def test_an_item_in_one_line_is_cut_and_shows_decimals_plainly() -> None:
    assert display.item_text({"year": Decimal("2013"), "title": "Rush"}) == (
        "year=2013, title='Rush'")
    long = display.item_text({"text": "x" * 500}, limit=40)
    assert len(long) == 40 and long.endswith("\u2026")


def test_the_note_is_calm() -> None:
    markup = display.note("Connected to the embedded local DynamoDB")
    colours = re.findall(r"color:\s*([^;\"]+)", markup)
    assert not any("red" in c or c.strip().startswith(("#f", "#e", "#d")) for c in colours)
    assert "Connected to the embedded local DynamoDB" in markup
