"""What a person reads: the one place results become short text and HTML.

Every result kind (write reports, sample loads, table descriptions, plans, migrations,
transactions, backfills, exports, advice) shows itself through these helpers, so that a
notebook reads the same everywhere: numbers with thousands separators, a blank (never
``None`` or ``NaN``) where there is no value, a check or a cross for a yes/no, every value
escaped so that markup in data stays text. Styles are inline and theme-neutral (no colour
that reads as an error, no background that fights a dark theme); text cells are
left-aligned and wrap inside their cell, numbers are right-aligned.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["NO", "YES", "card", "count", "is_blank", "item_text", "note", "number", "plain",
           "size", "table", "text_table"]

YES = "\u2713"  # check mark
NO = "\u2717"  # ballot x
CHOSEN = "\u25b6"  # a row the reader should look at first

_FONT = "font-size:13px;line-height:1.45"
_CELL = "padding:3px 10px;vertical-align:top;border-bottom:1px solid rgba(128,128,128,0.25)"
_TEXT = f"{_CELL};text-align:left;white-space:normal;overflow-wrap:anywhere;max-width:40em"
_NUMBER = f"{_CELL};text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums"
_HEAD = "font-weight:600;border-bottom:1px solid rgba(128,128,128,0.6)"
_DIM = "opacity:0.7"


def is_blank(value: Any) -> bool:
    """None, a NaN (float or Decimal) or pandas' missing markers: nothing to show."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_nan()
    return type(value).__name__ in ("NAType", "NaTType")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def number(value: float | Decimal) -> str:
    """A number with thousands separators: ``4,609``, ``1,234.5``, ``0.5``, ``0.00123``,
    ``0.000042`` (whole floats as integers, never an exponent; Decimals exactly as given)."""
    if isinstance(value, Decimal):
        return "" if value.is_nan() else f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "-\u221e" if value < 0 else "\u221e"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    text = f"{value:.3g}"
    if "e" in text:  # no exponent a reader must decode: 0.000042, or as small as shown
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        if text in ("0", "-0"):
            text = "<0.000001" if value > 0 else ">-0.000001"
    return text


def plain(value: Any) -> str:
    """A value as a person reads it: blank for nothing, a check or cross for a bool,
    numbers formatted, anything else as its text."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if _is_number(value):
        return number(value)
    return str(value)


def count(amount: float, noun: str, plural: str | None = None) -> str:
    """``1 item``, ``4,609 items`` (`plural` when adding an s is wrong)."""
    word = noun if amount == 1 else (plural or f"{noun}s")
    return f"{number(amount)} {word}"


def size(num_bytes: float) -> str:
    """Bytes as a person reads them: ``512 bytes``, ``1.5 KB``, ``2.3 MB``."""
    if num_bytes < 1024:
        return count(num_bytes, "byte")
    for unit in ("KB", "MB", "GB", "TB"):
        num_bytes /= 1024
        if num_bytes < 1024 or unit == "TB":
            break
    return f"{num_bytes:,.1f} {unit}"


def item_text(values: Mapping[str, Any], limit: int = 120) -> str:
    """An item or key in one line, ``year=2013, title='Rush'``, cut at `limit` characters."""
    text = ", ".join(f"{name}={value if isinstance(value, Decimal) else repr(value)}"
                     for name, value in values.items())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _escaped(value: Any) -> str:
    return html.escape(plain(value))


def note(text: str, *, strong: str | None = None) -> str:
    """A calm one-line note (small, dim, no warning colour): `strong` leads in bold."""
    lead = f"<b>{html.escape(strong)}</b> " if strong else ""
    return (f'<div class="dynamorm-note" style="{_FONT};opacity:0.85;margin:2px 0;'
            f'padding-left:8px;border-left:3px solid #5b8fd6">{lead}{html.escape(text)}</div>')


def _block(title: str, body: str, foot: Iterable[str]) -> str:
    lines = "".join(f'<div style="{_DIM};margin-top:4px">{html.escape(line)}</div>'
                    for line in foot if line)
    return (f'<div class="dynamorm-result" style="{_FONT};margin:4px 0">'
            f'<div style="font-weight:600;margin-bottom:4px">{html.escape(title)}</div>'
            f"{body}{lines}</div>")


def card(title: str, facts: Sequence[tuple[str, Any]] = (), *, body: str = "",
         foot: Iterable[str] = ()) -> str:
    """A titled block: `facts` as aligned label/value pairs (pairs whose value is blank are
    left out), then `body` (already HTML, e.g. a `table`), then dim `foot` lines."""
    shown = [(label, value) for label, value in facts if not is_blank(value) and value != ""]
    pairs = "".join(
        f'<tr><th style="{_TEXT};{_DIM};font-weight:normal;border:none;padding-left:0">'
        f'{html.escape(label)}</th><td style="{_NUMBER if _is_number(value) else _TEXT};'
        f'border:none">{_escaped(value)}</td></tr>'
        for label, value in shown)
    facts_html = f'<table style="border-collapse:collapse">{pairs}</table>' if pairs else ""
    return _block(title, facts_html + body, foot)


def _columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None,
             keep_blank: bool) -> list[str]:
    names = list(columns) if columns is not None else list(dict.fromkeys(
        name for row in rows for name in row))
    if keep_blank:
        return names
    return [n for n in names if any(plain(row.get(n)) for row in rows)]


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, *,
          labels: Mapping[str, str] | None = None, marked: Callable[[Mapping[str, Any]], bool]
          | None = None, keep_blank: bool = False, limit: int | None = None) -> str:
    """Rows as an HTML table: text left-aligned and wrapping in its cell, numbers
    right-aligned, blanks for missing values, a check/cross for yes/no. Columns blank in
    every row are left out unless `keep_blank`; `labels` renames headers; rows for which
    `marked` is true are bold with a marker in front; at most `limit` rows are shown (the
    rest counted below)."""
    names = _columns(rows, columns, keep_blank)
    labels = labels or {}
    shown = rows if limit is None else rows[:limit]
    mark = marked is not None
    head = (f'<th style="{_TEXT};{_HEAD}"></th>' if mark else "") + "".join(
        f'<th style="{_TEXT};{_HEAD}">{html.escape(labels.get(n, n))}</th>' for n in names)
    body = []
    for row in shown:
        chosen = mark and marked is not None and marked(row)
        weight = ";font-weight:600" if chosen else ""
        cells = (f'<td style="{_TEXT}{weight}">{CHOSEN if chosen else ""}</td>'
                 if mark else "")
        cells += "".join(
            f'<td style="{_NUMBER if _is_number(row.get(n)) else _TEXT}{weight}">'
            f"{_escaped(row.get(n))}</td>" for n in names)
        body.append(f"<tr>{cells}</tr>")
    more = (f'<div style="{_DIM}">showing {number(len(shown))} of {number(len(rows))} '
            "rows</div>" if len(shown) < len(rows) else "")
    return (f'<table class="dynamorm-table" style="border-collapse:collapse;margin:4px 0">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}")


def text_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, *,
               labels: Mapping[str, str] | None = None) -> str:
    """Rows as plain text in aligned columns (numbers right, text left), blanks for
    missing values, for `__str__` and terminals."""
    names = _columns(rows, columns, keep_blank=False)
    labels = labels or {}
    cells = [[plain(row.get(n)) for n in names] for row in rows]
    widths = [max([len(labels.get(n, n)), *(len(r[i]) for r in cells)])
              for i, n in enumerate(names)]
    right = [any(_is_number(row.get(n)) for row in rows) for n in names]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(values, widths, right, strict=True)).rstrip()

    return "\n".join([line([labels.get(n, n) for n in names]), *(line(r) for r in cells)])
