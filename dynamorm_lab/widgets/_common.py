"""Pieces every widget uses: escaped HTML tables, typed text inputs, the notebook namespace.

Item values are text, never markup: everything shown in HTML goes through `html.escape`
(tables through `dynamorm_lab.frames.html_table`, which also keeps numbers exact and shows a
missing attribute blank).
"""

from __future__ import annotations

import html
from decimal import Decimal, InvalidOperation
from typing import Any

import ipywidgets as w

from dynamorm_lab.frames import html_table

__all__ = ["escaped", "frame_html", "labelled", "message", "namespace", "styled", "typed_value"]


def styled(widget: Any, *classes: str) -> Any:
    """Give a widget stable CSS classes (tests and users can target them)."""
    for name in classes:
        widget.add_class(name)
    return widget


def escaped(text: object) -> str:
    return html.escape(str(text))


def frame_html(frame: Any, *, limit: int = 50, compact: bool = False) -> str:
    """A DataFrame as an escaped HTML table (with a row count when cut); `compact`: one line
    per row, the full value of a long cell on hover. Plain HTML: a widget's HTML runs no
    script, so the browsable table of results has no place here."""
    table = html_table(frame, limit=limit, compact=compact)
    cut = frame is not None and len(frame) > limit
    return table + (f"<p>showing {limit:,} of {len(frame):,} rows</p>" if cut else "")


def typed_value(text: str, type_letter: str) -> Any:
    """The value typed into a text box, as the attribute's DynamoDB type wants it.

    N: an exact number (int or Decimal); BOOL: true/false; NULL: None; B: UTF-8 bytes;
    anything else: the text itself.
    """
    text = text.strip() if type_letter != "S" else text
    if type_letter == "N":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{text!r} is not a number") from None
        return int(number) if number == number.to_integral_value() and "." not in text \
            and "e" not in text.lower() else number
    if type_letter == "BOOL":
        if text.lower() not in ("true", "false"):
            raise ValueError("type true or false")
        return text.lower() == "true"
    if type_letter == "NULL":
        return None
    if type_letter == "B":
        return text.encode()
    return text


def namespace() -> dict[str, Any] | None:
    """The notebook's variables, when running in IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    names: dict[str, Any] = shell.user_ns
    return names


def message(kind: str, text: str) -> str:
    """A short escaped notice (kind: info or error)."""
    color = "#b00020" if kind == "error" else "#333"
    return f'<p class="dynamorm-{kind}" style="color:{color}">{escaped(text)}</p>'


def labelled(label: str, widget: Any) -> w.HBox:
    return w.HBox([w.Label(label, layout=w.Layout(width="120px")), widget])
