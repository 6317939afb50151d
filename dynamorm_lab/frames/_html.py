"""Frames as HTML a person reads: exact numbers, blanks for missing attributes, markup as text,
and a browsable table (paginated, sortable, searchable) for results past the display limit.

Every cell is turned into its text here, before any library sees it: a ``Decimal`` or an
integer past 2**53 is shown digit for digit (a JSON number would be read as a double by the
browser), a missing attribute is blank (never NaN, None or <NA>), and text is escaped.

The browsable table is itables (DataTables), not ipydatagrid. itables writes plain HTML and
JavaScript into the output: it needs no JupyterLab extension and no live kernel, works offline
(its bundle goes out once per process, with the first browsable table), leaves a static preview
where scripts do not run (a saved notebook, nbconvert, the docs site), escapes cell markup by
default (since 2.4), and is released often. ipydatagrid is a widget: it needs its front-end
extension and a running kernel, and a saved notebook shows nothing of it. DataTables still sorts
a column of numbers as numbers: it detects number columns from their text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ._rows import _missing

__all__ = ["BROWSABLE_ROWS", "cell_text", "html_table", "result_table", "text_frame"]

BROWSABLE_ROWS = 10_000  # rows put in a browsable table; past it, a note says how to get them
_PAGE_ROWS = 20  # a browsable table's page: about one screen
# One line per cell: long values end in an ellipsis, the full text is the cell's title.
_ONE_LINE = ("max-width:24em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"
             "text-align:left")
_bundles_sent: set[str] = set()  # itables versions whose offline bundle this process sent


def cell_text(value: Any) -> str:
    """A cell as a person reads it: numbers exact, missing values blank, containers with
    their items' texts (strings inside them quoted)."""
    return "" if _missing(value) else _text(value, nested=False)


def _text(value: Any, *, nested: bool) -> str:
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()  # numpy scalars: the Python value's text
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if nested else value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_text(k, nested=True)}: {_text(v, nested=True)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v, nested=True) for v in value) + "]"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(_text(v, nested=True) for v in value)) + "}"
    if isinstance(value, Decimal):
        return str(value)  # digit for digit, whatever its size
    return str(value)


def text_frame(frame: Any) -> Any:
    """A copy of `frame` whose every cell is its `cell_text` (column names as text)."""
    shown = frame.astype(object).apply(lambda column: column.map(cell_text))
    shown.columns = [cell_text(name) for name in frame.columns]
    return shown


def html_table(frame: Any, *, limit: int | None = None, compact: bool = False,
               classes: Iterable[str] = ("dynamorm-frame",)) -> str:
    """An escaped HTML table of `frame`'s first `limit` rows (all when None).

    `compact`: one line per row; a long value ends in an ellipsis and shows in full on hover
    (each cell's title holds its whole text)."""
    if frame is None or len(frame.columns) == 0:
        return "<p><i>no rows</i></p>"
    shown = text_frame(frame if limit is None else frame.head(limit))

    def cell(tag: str, text: str) -> str:
        if not compact:
            return f"<{tag}>{html.escape(text)}</{tag}>"
        title = f' title="{html.escape(text)}"' if text else ""
        return (f'<{tag}{title}><div style="{_ONE_LINE}">{html.escape(text)}</div>'
                f"</{tag}>")

    names = ["dynamorm-compact", *classes] if compact else list(classes)
    header = "".join(cell("th", name) for name in shown.columns)
    body = "".join("<tr>" + "".join(cell("td", text) for text in row) + "</tr>"
                   for row in shown.itertuples(index=False, name=None))
    return (f'<table class="{html.escape(" ".join(names))}" style="text-align:left">'
            f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>")


def result_table(frame: Any, *, limit: int = 50) -> str:
    """A result's rows: a plain table up to `limit` rows; past it a browsable table of up to
    `BROWSABLE_ROWS` rows, or, without itables, the first `limit` rows and the count."""
    if len(frame) <= limit:
        return html_table(frame)
    try:
        import itables
    except ImportError:
        return html_table(frame, limit=limit) + _note(
            f"showing {limit:,} of {len(frame):,} rows (every row is kept: .to_pandas() gives "
            'them all; pip install "dynamorm_lab[lab]" to browse them here)')
    table = itables.to_html_datatable(
        text_frame(frame.head(BROWSABLE_ROWS)), connected=False, allow_html=False,
        showIndex=False, maxBytes=0, maxRows=0, maxColumns=0, pageLength=_PAGE_ROWS,
        lengthMenu=[_PAGE_ROWS, 50, 100, 500], display_logo_when_loading=False,
        classes="display nowrap compact dynamorm-browsable")
    more = "" if len(frame) <= BROWSABLE_ROWS else _note(
        f"browsing the first {BROWSABLE_ROWS:,} of {len(frame):,} rows (every row is kept: "
        ".to_pandas() gives them all)")
    return _offline_bundle(itables) + table + more


def _offline_bundle(itables: Any) -> str:
    """DataTables' script and style, once per process: the tables that follow load them from
    the page, so the notebook works with no network (itables' offline mode)."""
    version = str(itables.__version__)
    if version in _bundles_sent:
        return ""
    from itables.javascript import generate_init_offline_itables_html

    _bundles_sent.add(version)
    return str(generate_init_offline_itables_html(itables.options.dt_bundle))


def _note(text: str) -> str:
    return f'<p class="dynamorm-note">{html.escape(text)}</p>'
