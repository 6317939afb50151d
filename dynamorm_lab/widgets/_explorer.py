"""The table explorer: pick a table, see its schema, page through its items, inspect one.

Pages move with cursors (next) and a stack of the cursors already used (previous), so a page
is read again exactly as it was, whatever the table's size.

A page is compact: about one screen of rows (20 by default), one line per row, a long value
(keys included) cut with an ellipsis and whole on hover. Single-table designs hold many
attributes that few items carry; the attributes held by fewer than `sparse_share` of the
page's rows (10% by default; never the keys) are grouped, not hidden: one "(other
attributes)" column shows each row's own ones as ``name: value``, so no value leaves the
page, and "show all columns" spreads them into columns of their own. Columns picked in the
Columns list are shown as picked.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import ipywidgets as w

from dynamorm_lab import api as dl
from dynamorm_lab.frames import cell_text, frame_records

from ._common import frame_html, message, namespace, styled, typed_value

__all__ = ["OTHER_ATTRIBUTES", "Explorer"]

OTHER_ATTRIBUTES = "(other attributes)"  # the column that groups a page's sparse attributes


class Explorer:
    """Browse tables: schema panel, items page by page, item detail, plan and capacity."""

    def __init__(self, connection: Any = None, table: str | None = None, *,
                 connections: dict[str, Any] | None = None, page_size: int = 20,
                 sparse_share: float = 0.1) -> None:
        self.connections = dict(connections or {})
        first = connection if connection is not None else dl.default_connection()
        self.connections.setdefault("current", first)
        self.conn = first
        self._cursors: list[str | None] = [None]
        self._page = 0
        self.result: Any = None
        self.frame: Any = None
        self.sparse_share = sparse_share
        self.connection_picker = styled(w.Dropdown(options=list(self.connections),
                                                   description="Connection"),
                                        "dynamorm-connection")
        self.table = styled(w.Dropdown(description="Table"), "dynamorm-table")
        self.partition = styled(w.Text(placeholder="(all items)", description="Partition"),
                                "dynamorm-partition")
        self.columns = styled(w.SelectMultiple(description="Columns", rows=6),
                              "dynamorm-columns")
        self.all_columns = styled(w.ToggleButton(False, description="show all columns",
                                                 tooltip="spread the grouped attributes into "
                                                 "columns of their own"),
                                  "dynamorm-all-columns")
        self.page_size = styled(w.BoundedIntText(page_size, min=1, max=1000,
                                                 description="Page size"), "dynamorm-page-size")
        self.previous = styled(w.Button(description="previous"), "dynamorm-previous")
        self.next = styled(w.Button(description="next"), "dynamorm-next")
        self.page_label = styled(w.HTML(), "dynamorm-page")
        self.schema = styled(w.HTML(), "dynamorm-schema")
        self.items = styled(w.HTML(), "dynamorm-items")
        self.stats = styled(w.HTML(), "dynamorm-stats")
        self.row = styled(w.BoundedIntText(0, min=0, max=0, description="Item #"),
                          "dynamorm-row")
        self.detail = styled(w.HTML(), "dynamorm-detail")
        self.export_name = styled(w.Text("df", description="Variable"), "dynamorm-export-name")
        self.export_button = styled(w.Button(description="to variable"), "dynamorm-export")
        self.csv_path = styled(w.Text("items.csv", description="CSV file"), "dynamorm-csv-path")
        self.csv_button = styled(w.Button(description="to CSV"), "dynamorm-csv")
        self.notice = styled(w.HTML(), "dynamorm-notice")
        self.widget = styled(w.VBox([
            w.HBox([self.connection_picker, self.table]), self.schema,
            w.HBox([self.partition, self.page_size]), w.HBox([self.columns, self.all_columns]),
            w.HBox([self.previous, self.next, self.page_label]), self.stats, self.items,
            w.HBox([self.row]), self.detail,
            w.HBox([self.export_name, self.export_button, self.csv_path, self.csv_button]),
            self.notice,
        ]), "dynamorm-explorer")
        self.connection_picker.observe(self._on_connection, names="value")
        self.table.observe(self._on_table, names="value")
        for widget in (self.partition, self.page_size):
            widget.observe(lambda _change: self.load(reset=True), names="value")
        for widget in (self.columns, self.all_columns):
            widget.observe(lambda _change: self._render(), names="value")
        self.row.observe(lambda _change: self._show_detail(), names="value")
        self.next.on_click(lambda _button: self.load(step=1))
        self.previous.on_click(lambda _button: self.load(step=-1))
        self.export_button.on_click(lambda _button: self.export_variable())
        self.csv_button.on_click(lambda _button: self.export_csv())
        self._on_connection()
        if table is not None:
            self.table.value = table

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]

    def _on_connection(self, *_change: Any) -> None:
        self.conn = self.connections[self.connection_picker.value]
        self.table.options = self.conn.tables()

    def _on_table(self, *_change: Any) -> None:
        if not self.table.value:
            return
        described = dl.execute(f'DESCRIBE "{self.table.value.replace(chr(34), chr(34) * 2)}"',
                               self.conn)[0]
        self.schema.value = (f"<p><code>{html.escape(described.summary)}</code></p>"
                             + frame_html(described.to_pandas()))
        self._schema = self.conn.describe(self.table.value)
        self.load(reset=True)

    def query(self) -> Any:
        schema = self._schema
        query = dl.Query(schema).as_items().using(self.conn).allow_scan()
        text = self.partition.value.strip()
        if text:
            letter = schema.partition.type
            query = query.where(dl.attr(schema.partition.name) == typed_value(text, letter))
        return query.limit(self.page_size.value)

    def load(self, *, reset: bool = False, step: int = 0) -> None:
        """Read the first page (reset), or the next/previous one, through cursors."""
        if not self.table.value:
            return
        if reset:
            self._cursors, self._page = [None], 0
        target = self._page + step
        if target < 0 or target >= len(self._cursors):
            return
        try:
            result = self.query().after(self._cursors[target]).all()
        except (dl.DynamormError, ValueError) as exc:
            self.notice.value = message("error", str(exc))
            return
        self._page = target
        del self._cursors[target + 1:]
        if result.cursor is not None:
            self._cursors.append(result.cursor)
        self.result = result
        self.frame = result.to_pandas()
        self.columns.options = list(self.frame.columns)
        self.row.max = max(len(result) - 1, 0)
        self._render()

    def _render(self) -> None:
        if self.frame is None:
            return
        grouped: list[str] = []
        if self.columns.value:
            shown = self.frame[list(self.columns.value)]
        elif self.all_columns.value:
            shown = self.frame
        else:
            shown, grouped = group_sparse(self.frame, self._schema.key_names, self.sparse_share)
        note = (f'<p class="dynamorm-note">held by few rows of this page, so grouped in '
                f"{html.escape(OTHER_ATTRIBUTES)}: {html.escape(', '.join(grouped))} "
                "(show all columns spreads them)</p>" if grouped else "")
        self.items.value = note + frame_html(shown, limit=len(shown), compact=True)
        more = "" if self._page + 1 < len(self._cursors) else " (last page)"
        self.page_label.value = f"page {self._page + 1}{more}"
        self.next.disabled = self._page + 1 >= len(self._cursors)
        self.previous.disabled = self._page == 0
        stats = self.result.stats
        self.stats.value = (f"<p><code>{html.escape(stats.summary())}</code></p>"
                            f"<p>{html.escape(self.result.plan.sentence)}</p>")
        self._show_detail()

    def _show_detail(self) -> None:
        if self.result is None or not len(self.result):
            self.detail.value = ""
            return
        item = self.result.raw[min(self.row.value, len(self.result) - 1)]
        plain = {k: v for k, v in self.frame.iloc[min(self.row.value, len(self.frame) - 1)]
                 .items()}
        typed = json.dumps(item, indent=1, default=str)
        shown = json.dumps(plain, indent=1, default=str)
        self.detail.value = (f"<details open><summary>item as DynamoDB holds it</summary><pre>"
                             f"{html.escape(typed)}</pre></details><details><summary>as JSON"
                             f"</summary><pre>{html.escape(shown)}</pre></details>")

    def export_variable(self) -> None:
        names = namespace()
        if self.frame is None or names is None or not self.export_name.value.isidentifier():
            self.notice.value = message("error", "load a page and type a valid variable name")
            return
        names[self.export_name.value] = self.frame
        self.notice.value = message("info", f"saved {len(self.frame)} rows as "
                                    f"{self.export_name.value}")

    def export_csv(self) -> None:
        if self.frame is None:
            self.notice.value = message("error", "load a page first")
            return
        path = Path(self.csv_path.value)
        self.frame.to_csv(path, index=False)
        self.notice.value = message("info", f"wrote {len(self.frame)} rows to {path}")


def group_sparse(frame: Any, keep: tuple[str, ...], share: float) -> tuple[Any, list[str]]:
    """`frame` with the attributes present on fewer than `share` of its rows (`keep` aside)
    folded into one OTHER_ATTRIBUTES column of ``name: value`` texts; and their names."""
    present = frame.notna().sum()
    sparse = [name for name in frame.columns
              if name not in keep and present[name] < share * len(frame)]
    if not sparse:
        return frame, []
    shown = frame.drop(columns=sparse)
    shown[OTHER_ATTRIBUTES] = [" · ".join(f"{name}: {cell_text(value)}"
                                          for name, value in held.items())
                               for held in frame_records(frame[sparse])]
    return shown, sparse


def explore(connection: Any = None, table: str | None = None, **options: Any) -> Explorer:
    """A table explorer on `connection` (the default one unless given)."""
    return Explorer(connection, table, **options)
