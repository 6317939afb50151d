"""The write runner: preview pending puts and deletes (or a DataFrame's rows), run them, see
each item's outcome."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as w

from dynamorm_lab import api as dl

from ._common import frame_html, message, styled

__all__ = ["WriteRunner", "write_runner"]


class WriteRunner:
    """Preview a batch (or a transaction) of writes, run it with progress, show outcomes."""

    def __init__(self, connection: Any = None, *, puts: Iterable[Any] = (),
                 deletes: Iterable[Any] = (), transaction: bool = False,
                 frame: Any = None, table: Any = None) -> None:
        self.conn = connection if connection is not None else dl.default_connection()
        self.puts = list(puts)
        self.deletes = list(deletes)
        self.transaction = transaction
        if (frame is None) != (table is None):
            raise dl.ValidationError("a frame is written to a table: pass frame= and table= "
                                     "(a table name or a model) together")
        if frame is not None and (self.puts or self.deletes or transaction):
            raise dl.ValidationError("write a frame on its own (not with puts, deletes or a "
                                     "transaction)")
        self.frame, self.table = frame, table
        self.outcome: Any = None
        total = len(self.puts) + len(self.deletes) + (len(frame) if frame is not None else 0)
        self.preview = styled(w.HTML(frame_html(self.pending(), limit=200)), "dynamorm-pending")
        self.run_button = styled(w.Button(description=f"Run {total} write(s)",
                                          button_style="warning"), "dynamorm-run-writes")
        self.progress = styled(w.IntProgress(0, min=0, max=max(total, 1)), "dynamorm-progress")
        self.result = styled(w.HTML(), "dynamorm-outcome")
        self.widget = styled(w.VBox([w.HTML("<b>Pending writes</b>"), self.preview,
                                     w.HBox([self.run_button, self.progress]), self.result]),
                             "dynamorm-write-runner")
        self.run_button.on_click(lambda _button: self.run())

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]

    def pending(self) -> Any:
        import pandas as pd

        if self.frame is not None:  # the rows themselves, as they will be put
            return self.frame
        rows = [{"operation": "put", "table": type(o).__table__, "item": repr(o),
                 "condition": "version checked" if self.transaction else "none (blind write)"}
                for o in self.puts]
        rows += [{"operation": "delete", "table": _table_of(d), "item": repr(d),
                  "condition": "version checked" if self.transaction else "none"}
                 for d in self.deletes]
        return pd.DataFrame(rows, columns=["operation", "table", "item", "condition"])

    def run(self) -> Any:
        """Send the writes; returns the WriteReport (batch) or True (committed transaction)."""
        self.run_button.disabled = True
        try:
            self.outcome = (self._frame() if self.frame is not None else
                            self._transaction() if self.transaction else self._batch())
        except dl.DynamormError as exc:
            self.result.value = message("error", str(exc)) + self._cancelled(exc)
            self.outcome = exc
        return self.outcome

    def _batch(self) -> Any:
        report = self.conn.batch_write(self.puts, self.deletes, raise_on_failure=False)
        failed = {id(f.source): f.reason for f in report.failed}
        outcomes = [{"operation": "put", "item": repr(o),
                     "outcome": "failed: " + failed[id(o)] if id(o) in failed else "written"}
                    for o in self.puts]
        outcomes += [{"operation": "delete", "item": repr(d),
                      "outcome": "failed: " + failed[id(d)] if id(d) in failed else "deleted"}
                     for d in self.deletes]
        self.progress.value = report.written
        import pandas as pd

        summary = (f"{report.written} written, {report.retried} retried as unprocessed, "
                   f"{len(report.failed)} failed")
        self.result.value = message("info", summary) + frame_html(pd.DataFrame(outcomes),
                                                                   limit=500)
        return report

    def _frame(self) -> Any:
        """Every good row written, every bad one listed by row number (`put_frame` with
        on_error="skip")."""
        report = self.conn.put_frame(self.table, self.frame, on_error="skip")
        self.progress.value = report.written
        summary = (f"{report.written} row(s) written, {len(report.rejected)} refused, "
                   f"{len(report.failed)} failed")
        problems = report.to_pandas()
        self.result.value = message("info", summary) + (
            frame_html(problems, limit=500) if len(problems) else "")
        return report

    def _transaction(self) -> Any:
        with self.conn.transaction() as tx:
            for obj in self.puts:
                tx.put(obj)
            for target in self.deletes:
                if isinstance(target, tuple):
                    tx.delete(target[0], key=target[1])
                else:
                    tx.delete(target)
        self.progress.value = self.progress.max
        self.result.value = message("info", f"transaction committed: {len(tx)} action(s)")
        return True

    @staticmethod
    def _cancelled(exc: Exception) -> str:
        actions = getattr(exc, "actions", None)
        if not actions:
            return ""
        import pandas as pd

        return frame_html(pd.DataFrame([{"#": c.index, "action": c.action, "target": c.target,
                                         "reason": c.code, "message": c.message}
                                        for c in actions]))


def _table_of(target: Any) -> str:
    model = target[0] if isinstance(target, tuple) else type(target)
    return str(getattr(model, "__table__", ""))


def write_runner(connection: Any = None, **options: Any) -> WriteRunner:
    """Preview and run puts/deletes (``transaction=True`` for all-or-nothing), or a
    DataFrame's rows (``frame=df, table="Orders"``)."""
    return WriteRunner(connection, **options)
