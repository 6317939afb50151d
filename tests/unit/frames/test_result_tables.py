"""Results as HTML a person reads (`dynamorm_lab.frames.result_table`), on frames built from
wire items the way a query builds them: up to the display limit a plain table; past it a
browsable itables table, or, without itables, the first rows and the count. In every form a
number is shown digit for digit, a missing attribute is blank and markup stays text.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from helpers import datatable, html_tables

import dynamorm_lab.frames._html as tables
from dynamorm_lab.frames import BROWSABLE_ROWS, cell_text, frame_from_items, result_table

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
PRICE = "12345678901234567890.000000001"  # no float holds it
BIG = 2**70  # past int64 and past a double's 2**53


def wire_items(count: int) -> list[dict[str, Any]]:
    """Items as DynamoDB returns them; every third lacks `rating` and `note`."""
    items = []
    for n in range(count):
        item = {"pk": {"S": f"k{n:05}"}, "price": {"N": PRICE}, "big": {"N": str(BIG + n)},
                "html": {"S": IMG}, "script": {"S": SCRIPT}}
        if n % 3:
            item |= {"rating": {"N": str(n)}, "note": {"S": f"note {n}"}}
        items.append(item)
    return items


def expected_rows(count: int) -> list[dict[str, str]]:
    """What each row must read, worked out from the items, not from the library."""
    return [{"pk": f"k{n:05}", "price": PRICE, "big": str(BIG + n), "html": IMG,
             "script": SCRIPT, "rating": str(n) if n % 3 else "",
             "note": f"note {n}" if n % 3 else ""} for n in range(count)]


def plain_rows(fragment: str) -> list[dict[str, str]]:
    header, *rows = html_tables(fragment)[0]
    return [dict(zip(header, row, strict=True)) for row in rows]


def browsable_rows(fragment: str) -> list[dict[str, str]]:
    header, rows = datatable(fragment)
    return [dict(zip(header, row, strict=True)) for row in rows]


def assert_markup_is_text(fragment: str) -> None:
    assert "<img" not in fragment and "onerror=alert(1)>" not in fragment
    assert "<script>alert" not in fragment and "</script><script>alert" not in fragment


@pytest.fixture
def fresh_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that has sent no browsable table yet."""
    monkeypatch.setattr(tables, "_bundles_sent", set())


def test_up_to_the_limit_every_row_is_a_plain_table() -> None:
    frame = frame_from_items(wire_items(12))
    shown = result_table(frame, limit=12)
    assert plain_rows(shown) == expected_rows(12)
    assert "<script" not in shown and "showing" not in shown
    assert_markup_is_text(shown)


@pytest.mark.usefixtures("fresh_page")
def test_past_the_limit_every_row_is_browsable_exact_blank_and_escaped() -> None:
    frame = frame_from_items(wire_items(45))
    shown = result_table(frame, limit=3)
    assert browsable_rows(shown) == expected_rows(45)
    assert_markup_is_text(shown)
    assert "1.2345678901234568e+19" not in shown and "<NA>" not in shown
    assert "showing" not in shown and "browsing the first" not in shown
    assert len(frame) == 45  # the frame itself is untouched


@pytest.mark.usefixtures("fresh_page")
def test_the_first_browsable_table_brings_datatables_and_later_ones_reuse_it() -> None:
    frame = frame_from_items(wire_items(5))
    first, second = result_table(frame, limit=2), result_table(frame, limit=2)
    assert "dt_src_b64" not in first and "injectModule(" in first  # the offline bundle
    assert "injectModule(" not in second
    assert len(second) < len(first) // 20
    assert "unpkg.com" not in first + second  # nothing loaded from the network


@pytest.mark.usefixtures("fresh_page")
def test_past_the_browsable_cap_a_note_gives_the_count_and_the_way_to_every_row() -> None:
    count = BROWSABLE_ROWS + 7
    frame = frame_from_items([{"pk": {"S": f"k{n:06}"}, "n": {"N": str(n)}}
                              for n in range(count)])
    shown = result_table(frame, limit=50)
    rows = browsable_rows(shown)
    assert len(rows) == BROWSABLE_ROWS
    assert rows[-1] == {"pk": f"k{BROWSABLE_ROWS - 1:06}", "n": str(BROWSABLE_ROWS - 1)}
    assert f"browsing the first {BROWSABLE_ROWS:,} of {count:,} rows" in shown
    assert ".to_pandas() gives them all" in shown


def test_without_itables_the_first_rows_show_with_the_count(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "itables", None)  # `import itables` raises ImportError
    frame = frame_from_items(wire_items(45))
    shown = result_table(frame, limit=3)
    assert plain_rows(shown) == expected_rows(3)
    assert "showing 3 of 45 rows" in shown and ".to_pandas()" in shown
    assert 'pip install "dynamorm_lab[lab]"' in shown.replace("&quot;", '"')
    assert "<script" not in shown
    assert_markup_is_text(shown)


def test_a_cell_reads_as_its_exact_value() -> None:
    assert cell_text(Decimal(PRICE)) == PRICE
    assert cell_text(BIG) == str(BIG)
    assert [cell_text(v) for v in (None, float("nan"), pd.NA, pd.NaT)] == ["", "", "", ""]
    assert cell_text({"a": [Decimal("1.10"), "x", None]}) == '{"a": [1.10, "x", None]}'
