"""The visual query builder: state, a call of the public API, and a rendering.

Every edit re-plans the query (`Query.explain()`, no request sent) and shows the plan as a
sentence and a table of candidates. Run executes it; the Code panel shows the same query as a
``%%dynamo`` statement, as ORM Python code and as the boto3 request.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from dynamorm_lab import api as dl
from dynamorm_lab.frames import table_frame

from ._common import escaped, frame_html, message, namespace, styled, typed_value

__all__ = ["Builder", "FilterRow"]

SORT_OPS = ["(none)", "=", "<", "<=", ">", ">=", "between", "begins_with"]
FILTER_OPS = ["=", "<>", "<", "<=", ">", ">=", "between", "begins_with", "contains",
              "exists", "not exists"]


def _condition(path: Any, op: str, first: Any, second: Any = None) -> Any:
    """A condition from an operator chosen in a dropdown (the public expression API)."""
    compare = {"=": path.__eq__, "<>": path.__ne__, "<": path.__lt__, "<=": path.__le__,
               ">": path.__gt__, ">=": path.__ge__}
    if op in compare:
        return compare[op](first)
    if op == "between":
        return path.between(first, second)
    if op == "begins_with":
        return path.begins_with(first)
    if op == "contains":
        return path.contains(first)
    if op == "exists":
        return path.exists()
    if op == "not exists":
        return path.not_exists()
    raise ValueError(f"unknown operator {op}")


class FilterRow:
    """One filter: attribute, operator, one or two values, NOT, and a remove button."""

    def __init__(self, attributes: list[str], on_change: Any, on_remove: Any) -> None:
        self.negate = styled(w.Checkbox(False, description="NOT", indent=False,
                                        layout=w.Layout(width="60px")), "dynamorm-filter-not")
        self.attribute = styled(w.Dropdown(options=attributes, layout=w.Layout(width="180px")),
                                "dynamorm-filter-attr")
        self.op = styled(w.Dropdown(options=FILTER_OPS, layout=w.Layout(width="120px")),
                         "dynamorm-filter-op")
        self.value = styled(w.Text(placeholder="value", layout=w.Layout(width="180px")),
                            "dynamorm-filter-value")
        self.value2 = styled(w.Text(placeholder="and", layout=w.Layout(width="120px")),
                             "dynamorm-filter-value2")
        self.remove = styled(w.Button(description="remove", layout=w.Layout(width="80px")),
                             "dynamorm-filter-remove")
        self.box = styled(w.HBox([self.negate, self.attribute, self.op, self.value,
                                  self.value2, self.remove]), "dynamorm-filter-row")
        for widget in (self.negate, self.attribute, self.op, self.value, self.value2):
            widget.observe(on_change, names="value")
        self.remove.on_click(lambda _button: on_remove(self))

    def condition(self, types: dict[str, str]) -> Any:
        name = self.attribute.value
        if not name:
            return None
        letter = types.get(name, "S")
        needs_value = self.op.value not in ("exists", "not exists")
        first = typed_value(self.value.value, letter) if needs_value else None
        second = typed_value(self.value2.value, letter) if self.op.value == "between" else None
        condition = _condition(dl.attr(name), self.op.value, first, second)
        return ~condition if self.negate.value else condition


class Builder:
    """Build a query by choosing and typing; see its plan live; run it; copy its code."""

    def __init__(self, connection: Any = None, table: str | None = None) -> None:
        self.conn = connection if connection is not None else dl.default_connection()
        self._model: Any = None
        self._schema: Any = None
        self._types: dict[str, str] = {}
        self.result: Any = None
        self.frame: Any = None
        self.filters: list[FilterRow] = []
        self._key_rows: list[FilterRow] = []  # rows added for a multi-attribute partition key
        tables = self.conn.tables()
        self.table = styled(w.Dropdown(options=tables, value=table if table in tables else None,
                                       description="Table"), "dynamorm-table")
        self.index = styled(w.Dropdown(options=["Auto"], description="Index"), "dynamorm-index")
        self.partition_attr = styled(w.Dropdown(description="Partition"), "dynamorm-pk-attr")
        self.partition = styled(w.Text(placeholder="partition key value"), "dynamorm-pk")
        self.sort_attr = styled(w.Dropdown(description="Sort"), "dynamorm-sk-attr")
        self.sort_op = styled(w.Dropdown(options=SORT_OPS, layout=w.Layout(width="120px")),
                              "dynamorm-sk-op")
        self.sort_value = styled(w.Text(placeholder="value"), "dynamorm-sk-value")
        self.sort_value2 = styled(w.Text(placeholder="and (between)"), "dynamorm-sk-value2")
        self.mode = styled(w.Dropdown(options=["all (AND)", "any (OR)"], description="Filters"),
                           "dynamorm-filter-mode")
        self.add_filter = styled(w.Button(description="add filter", icon="plus"),
                                 "dynamorm-add-filter")
        self.filter_box = styled(w.VBox([]), "dynamorm-filters")
        self.projection = styled(w.Text(placeholder="all attributes, or: a, b.c",
                                        description="Select"), "dynamorm-projection")
        self.limit = styled(w.BoundedIntText(0, min=0, max=1_000_000, description="Limit"),
                            "dynamorm-limit")
        self.order = styled(w.Dropdown(options=["(any)", "ascending", "descending"],
                                       description="Order"), "dynamorm-order")
        self.consistent = styled(w.Checkbox(False, description="Consistent read"),
                                 "dynamorm-consistent")
        self.run_button = styled(w.Button(description="Run", button_style="primary"),
                                 "dynamorm-run")
        self.save_name = styled(w.Text("df", description="Variable"), "dynamorm-save-name")
        self.save_button = styled(w.Button(description="Save"), "dynamorm-save")
        self.plan_sentence = styled(w.HTML(), "dynamorm-plan-sentence")
        self.plan_table = styled(w.HTML(), "dynamorm-plan")
        self.stats = styled(w.HTML(), "dynamorm-stats")
        self.results = styled(w.HTML(), "dynamorm-results")
        self.code = {kind: styled(w.Textarea(layout=w.Layout(width="100%", height="140px")),
                                  f"dynamorm-code-{kind}") for kind in ("partiql", "python",
                                                                         "boto3")}
        tabs = w.Tab(children=list(self.code.values()))
        for position, title in enumerate(("%%dynamo", "Python", "boto3")):
            tabs.set_title(position, title)
        self.widget = styled(w.VBox([
            w.HBox([self.table, self.index]),
            w.HBox([self.partition_attr, self.partition]),
            w.HBox([self.sort_attr, self.sort_op, self.sort_value, self.sort_value2]),
            w.HBox([self.mode, self.add_filter]), self.filter_box,
            w.HBox([self.projection, self.limit]), w.HBox([self.order, self.consistent]),
            w.HTML("<b>Plan</b> (re-explained as you edit; nothing is sent)"),
            self.plan_sentence, self.plan_table,
            w.HBox([self.run_button, self.save_name, self.save_button]),
            self.stats, self.results, w.HTML("<b>Code</b>"), styled(tabs, "dynamorm-code"),
        ]), "dynamorm-builder")
        self.table.observe(self._on_table, names="value")
        self.index.observe(self._on_index, names="value")
        self.partition_attr.observe(self._on_partition_attr, names="value")
        for widget in (self.partition, self.sort_attr, self.sort_op, self.sort_value,
                       self.sort_value2, self.mode, self.projection, self.limit, self.order,
                       self.consistent):
            widget.observe(self.refresh, names="value")
        self.add_filter.on_click(lambda _button: self.add_filter_row())
        self.run_button.on_click(lambda _button: self.run())
        self.save_button.on_click(lambda _button: self.save())
        if self.table.value:
            self._on_table()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]

    # --- choices depend on the table ---
    def _on_table(self, *_change: Any) -> None:
        name = self.table.value
        if not name:
            return
        self._model = self.conn.model(name, sample=200)
        profile = self.conn.inspect(name, sample=200)
        self._types = {a.name: (a.tags.most_common(1)[0][0] if a.tags else "S")
                       for a in profile.attributes.values()}
        schema = self._model.__dynamorm_schema__
        self._schema = schema
        self.index.options = ["Auto", *[i.name for i in schema.indexes]]
        self.index.value = "Auto"
        for row in self.filters:
            row.attribute.options = sorted(self._types)
        self._on_index()

    def _on_index(self, *_change: Any) -> None:
        schema = self._schema
        if schema is None:
            return
        if self.index.value == "Auto":
            partitions = [schema.partition.name] + [i.partition.name for i in schema.indexes]
        else:
            partitions = [schema.index(self.index.value).partition.name]
        self.partition_attr.options = list(dict.fromkeys(partitions))
        self.partition_attr.value = self.partition_attr.options[0]  # ipywidgets keeps None
        self._on_partition_attr()

    def _on_partition_attr(self, *_change: Any) -> None:
        schema = self._schema
        if schema is None:
            return
        chosen = self.partition_attr.value
        sorts = []
        others: list[str] = []  # the rest of a multi-attribute partition key
        if schema.sort and chosen == schema.partition.name and self.index.value == "Auto":
            sorts.append(schema.sort.name)
        for index in schema.indexes:
            if index.partition.name == chosen and self.index.value in ("Auto", index.name):
                sorts += [k.name for k in index.sort_keys[:1]]
                others += [k.name for k in index.partition_keys[1:]]
        self.sort_attr.options = ["(none)", *dict.fromkeys(sorts)]
        self.sort_attr.value = "(none)"
        for row in self._key_rows:
            self.filters.remove(row)
        self._key_rows = []
        for name in dict.fromkeys(others):  # a row each, to give them with =
            row = FilterRow(sorted(self._types), self.refresh, self.remove_filter_row)
            row.attribute.value = name
            self._key_rows.append(row)
            self.filters.append(row)
        self.filter_box.children = [r.box for r in self.filters]
        self.refresh()

    def add_filter_row(self) -> FilterRow:
        row = FilterRow(sorted(self._types), self.refresh, self.remove_filter_row)
        self.filters.append(row)
        self.filter_box.children = [r.box for r in self.filters]
        self.refresh()
        return row

    def remove_filter_row(self, row: FilterRow) -> None:
        self.filters.remove(row)
        if row in self._key_rows:
            self._key_rows.remove(row)
        self.filter_box.children = [r.box for r in self.filters]
        self.refresh()

    # --- the query these choices describe ---
    def conditions(self) -> list[Any]:
        out = []
        types = self._types
        if self.partition.value.strip() and not self.partition_attr.value:
            raise ValueError("choose the partition attribute the value is for")
        if self.partition.value.strip() and self.partition_attr.value:
            name = self.partition_attr.value
            out.append(dl.attr(name) == typed_value(self.partition.value, types.get(name, "S")))
        sort_name = self.sort_attr.value
        if sort_name and sort_name != "(none)" and self.sort_op.value != "(none)":
            letter = types.get(sort_name, "S")
            second = (typed_value(self.sort_value2.value, letter)
                      if self.sort_op.value == "between" else None)
            out.append(_condition(dl.attr(sort_name), self.sort_op.value,
                                  typed_value(self.sort_value.value, letter), second))
        filters = [c for c in (r.condition(types) for r in self.filters) if c is not None]
        if filters:
            combined = filters[0]
            for part in filters[1:]:
                combined = (combined & part) if self.mode.value.startswith("all") else (
                    combined | part)
            out.append(combined)
        return out

    def query(self) -> Any:
        if self._model is None:
            raise ValueError("choose a table")
        query = self._model.query(*self.conditions()).as_dicts().using(self.conn)
        if self.index.value != "Auto":
            query = query.index(self.index.value)
        names = [n.strip() for n in self.projection.value.split(",") if n.strip()]
        if names:
            query = query.select(*(dl.path(n) for n in names))
        if self.limit.value:
            query = query.limit(self.limit.value)
        if self.order.value != "(any)":
            query = query.descending(self.order.value == "descending")
        if self.consistent.value:
            query = query.consistent()
        return query

    def refresh(self, *_change: Any) -> None:
        """Re-plan and show the plan and the code (no request is sent)."""
        try:
            query = self.query()
            plan = query.explain()
        except (dl.DynamormError, ValueError) as exc:
            self.plan_sentence.value = message("error", str(exc))
            self.plan_table.value = ""
            return
        self.plan_sentence.value = f"<p><b>{escaped(plan.sentence)}</b></p>" + (
            f"<p>Suggestion: {escaped(plan.suggestion)}</p>" if plan.suggestion else "")
        self.plan_table.value = frame_html(table_frame(plan.rows()))
        self.code["partiql"].value = query.to_partiql()
        self.code["python"].value = query.to_python()
        self.code["boto3"].value = query.to_boto3()

    def run(self) -> Any:
        """Run the query and show its rows, counts and capacity."""
        try:
            self.result = self.query().allow_scan().all()
        except (dl.DynamormError, ValueError) as exc:
            self.stats.value = message("error", str(exc))
            return None
        self.frame = self.result.to_pandas()
        self.stats.value = f"<p><code>{html.escape(self.result.stats.summary())}</code></p>"
        self.results.value = frame_html(self.frame)
        return self.result

    def save(self) -> None:
        """Put the last result's DataFrame in a notebook variable."""
        names = namespace()
        if self.frame is None:
            self.stats.value = message("error", "run the query first")
        elif names is None or not self.save_name.value.isidentifier():
            self.stats.value = message("error", "type a valid variable name")
        else:
            names[self.save_name.value] = self.frame
            self.stats.value += message("info", f"saved as {self.save_name.value}")


def build(connection: Any = None, table: str | None = None) -> Builder:
    """A visual query builder on `connection` (the default one unless given)."""
    return Builder(connection, table)

