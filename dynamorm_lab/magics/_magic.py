"""``%dynamo`` / ``%%dynamo`` (and ``%ddb`` / ``%%ddb``): a face over the public API only.

Every cell runs `dynamorm_lab.execute`, so it gets the planner, the scan guard and the
library's typed errors. Errors of the library are shown as one short line (IPython's
UsageError hides the traceback; ``%config DynamoMagic.short_errors = False`` shows it).
"""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display
from traitlets import Bool, Int
from traitlets.config import Configurable

from dynamorm_lab import api as dl

from ._args import (
    SUBCOMMANDS,
    ArgsError,
    BulkArgs,
    parse_bulk,
    parse_cell_args,
    parse_connect,
)

__all__ = ["DynamoMagic"]


@magics_class
class DynamoMagic(Magics, Configurable):
    """Run DynamoDB PartiQL (plus EXPLAIN, ADVISE, LIMIT, :variables, transactions) in cells."""

    displaylimit = Int(50, config=True, help="Rows shown for a result (all rows are kept).")
    autopandas = Bool(False, config=True, help="Return pandas DataFrames instead of results.")
    progress = Bool(True, config=True, help="Show progress bars for long reads and loads.")
    allow_scan = Bool(False, config=True, help="Let queries that need a full Scan run on tables "
                      "over the scan guard without --allow-scan.")
    read_only = Bool(False, config=True, help="Refuse every write from cells, subcommands and "
                     "the widgets they open, on every connection (nothing is sent).")
    short_errors = Bool(True, config=True, help="Show library errors as one line, not a "
                        "traceback (%tb shows it).")

    def __init__(self, shell: Any, **kwargs: Any) -> None:
        Configurable.__init__(self, config=shell.config)
        Magics.__init__(self, shell=shell, **kwargs)
        self.connections: dict[str, dl.Connection] = {}
        self.current: str | None = None
        self._load_pyproject()

    def _load_pyproject(self) -> None:
        """Defaults from ``[tool.dynamorm_lab]`` in the working folder's pyproject.toml."""
        candidate = Path.cwd() / "pyproject.toml"
        if not candidate.is_file():
            return
        try:
            settings = tomllib.loads(candidate.read_text()).get("tool", {}).get(
                "dynamorm_lab", {})
        except (OSError, tomllib.TOMLDecodeError):
            return
        for name, value in settings.items():
            if self.has_trait(name):
                setattr(self, name, value)

    def _namespace(self) -> dict[str, Any]:
        shell = self.shell
        if shell is None:
            raise UsageError("the dynamo magic needs an IPython shell")
        namespace: dict[str, Any] = shell.user_ns
        return namespace

    # --- connections ---
    def connection(self, alias: str | None = None) -> dl.Connection:
        """The connection a cell runs on: `alias`, else the current one (connecting to the
        default target first when there is none); read-only when ``read_only`` is set."""
        if alias is not None:
            if alias not in self.connections:
                known = ", ".join(self.connections) or "none yet"
                raise UsageError(f"no connection called {alias!r} (known: {known})")
            conn = self.connections[alias]
        else:
            if self.current is None:
                self._connect(parse_connect([]))
            assert self.current is not None
            conn = self.connections[self.current]
        return conn.as_read_only() if self.read_only else conn

    def _connect(self, options: Any) -> dl.Connection:
        """``%dynamo connect``: a new connection, or a switch to an existing alias. Every
        option is honoured or refused: an alias that exists cannot take new options."""
        target, alias = options.target, options.alias
        asked = [flag for flag, given in (("--read-only", options.read_only),
                                          ("--profile", options.profile),
                                          ("--region", options.region),
                                          ("--endpoint", options.endpoint)) if given]
        if alias is None and target in self.connections:
            existing = self.connections[target]
            if asked and not (asked == ["--read-only"] and existing.read_only):
                raise UsageError(
                    f"%dynamo connect {target}: {target!r} is an existing connection "
                    f"({existing!r}), which cannot take {' '.join(asked)}; to open another "
                    f"one, name it: %dynamo connect ... {' '.join(asked)} --alias NAME")
            self.current = target
            return existing
        if alias is not None and alias in self.connections:
            raise UsageError(f"a connection called {alias!r} already exists "
                             f"({self.connections[alias]!r}); switch to it with %dynamo use "
                             f"{alias}, or choose another --alias")
        conn = dl.connect(target, profile=options.profile, region=options.region,
                          endpoint_url=options.endpoint, read_only=options.read_only)
        if alias is None:
            alias = conn.target if conn.target != "endpoint" else conn.endpoint_url or "endpoint"
            if alias in self.connections:  # the same place again, under its usual name
                if asked:
                    conn.close()
                    raise UsageError(f"%dynamo connect: {alias!r} is an existing connection, "
                                     f"which cannot take {' '.join(asked)}; add --alias NAME")
                conn.close()
                self.current = alias
                return self.connections[alias]
        self.connections[alias] = conn
        self.current = alias
        return conn

    def _use(self, alias: str) -> dl.Connection:
        """``%dynamo use ALIAS``: cells run on ALIAS, and so do model methods given no
        connection (`dl.use`), both said once."""
        conn = self.connection(alias)
        self.current = alias
        dl.use(self.connections[alias])
        return conn

    def connections_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([
            {"alias": alias, "current": alias == self.current, "target": c.target,
             "endpoint": c.endpoint_url or "", "region": c.region, "profile": c.profile or "",
             "read_only": c.read_only or self.read_only}
            for alias, c in self.connections.items()],
            columns=["alias", "current", "target", "endpoint", "region", "profile",
                     "read_only"])

    # --- the magic ---
    @line_cell_magic
    def dynamo(self, line: str, cell: str | None = None) -> Any:
        """``%dynamo SUBCOMMAND ...``, ``%dynamo STATEMENT`` or ``%%dynamo [options]``."""
        try:
            return self._dispatch(line, cell)
        except ArgsError as exc:
            raise UsageError(str(exc)) from None
        except dl.DynamormError as exc:
            if self.short_errors:
                raise UsageError(f"{type(exc).__name__}: {exc}") from None
            raise

    def _dispatch(self, line: str, cell: str | None) -> Any:
        words = line.split(maxsplit=1)
        if cell is None and words and words[0].lower() in SUBCOMMANDS:
            rest = words[1] if len(words) > 1 else ""
            return self._subcommand(words[0].lower(), rest)
        args = parse_cell_args(line, self._namespace())
        if cell is not None and args.statement:
            raise UsageError(f"unexpected text after the options: {args.statement!r} (the "
                             "statement goes in the cell body)")
        text = cell if cell is not None else args.statement
        if not text.strip():
            raise UsageError("nothing to run: write a statement, e.g. "
                             '%dynamo SELECT * FROM "Movies" WHERE "year" = 1985')
        results = dl.execute(text, self.connection(args.alias), params=args.params,
                             variables=self._namespace(),
                             allow_scan=args.allow_scan or self.allow_scan, yes=args.yes,
                             dry_run=args.dry_run)
        if not results:
            return None
        for earlier in results[:-1]:
            display(self._shown(earlier))  # type: ignore[no-untyped-call]
        if args.target:  # the result itself, as jupysql's ``<<`` gives it: a DataFrame
            self._namespace()[args.target] = _frame_of(results[-1])
            return None
        return self._shown(results[-1])

    def _shown(self, result: Any) -> Any:
        if self.autopandas:
            return result.to_pandas()
        return _Display(result, self.displaylimit)

    def _subcommand(self, name: str, rest: str) -> Any:
        try:
            words = shlex.split(rest)
        except ValueError as exc:
            raise UsageError(f"%dynamo {name}: {exc} in {rest!r}") from None
        if name == "connect":
            return self._connect(parse_connect(words))
        if name == "use":
            return self._use(self._one(words, "use ALIAS"))
        if name == "connections":
            return self.connections_frame()
        if name == "tables":
            return self._shown(dl.execute("SHOW TABLES", self.connection())[0])
        if name == "describe":
            table = self._one(words, "describe TABLE")
            return self._shown(dl.execute(f'DESCRIBE "{_quoted(table)}"',
                                          self.connection())[0])
        if name == "model":
            table = self._one(words, "model TABLE")
            print(self.connection().model_source(table))
            return None
        if name == "refresh":  # what the connection holds of a table, read again on next use
            if len(words) > 1:
                raise UsageError("usage: %dynamo refresh [TABLE]")
            self.connection().forget(words[0] if words else None)
            return None
        if name == "load":
            return self._load(parse_bulk(name, rest))
        if name == "export":
            return self._export(parse_bulk(name, rest))
        if name == "sample":
            sample = self._one(words, "sample NAME")
            reports = dl.load_sample(sample, self.connection(),
                                     progress=None if self.progress else False)
            return {table: report for table, report in reports.items()}
        return self._widget(name, words)

    def _load(self, args: BulkArgs) -> Any:
        """``%dynamo load TABLE PATH``: a file into a table, checked whole first."""
        return self.connection().load(args.first, args.path, format=args.format,
                                      on_error=args.on_error, workers=args.workers,
                                      rate=args.rate,
                                      progress=None if self.progress else False)

    def _export(self, args: BulkArgs) -> Any:
        """``%dynamo export SELECT ... TO PATH``: the statement's items to Parquet at
        constant memory."""
        query = dl.query_of(args.first, self.connection(), variables=self._namespace(),
                            allow_scan=args.allow_scan or self.allow_scan)
        if args.segments > 1:
            query = query.segments(args.segments)
        if self.progress:
            query = query.progress()
        return query.to_parquet(args.path, rows=args.rows, rate=args.rate)

    def _widget(self, name: str, words: list[str]) -> Any:
        table = words[0] if words else None
        try:
            from dynamorm_lab import widgets
        except ImportError:
            raise UsageError(f"%dynamo {name} needs the widgets, which are not available in "
                             "this version yet; use dynamorm_lab's Python API meanwhile") from None
        return getattr(widgets, "explore" if name == "explore" else "build")(
            self.connection(), table=table)

    @staticmethod
    def _one(words: list[str], usage: str) -> str:
        if len(words) != 1:
            raise UsageError(f"usage: %dynamo {usage}")
        return words[0]


def _frame_of(result: Any) -> Any:
    """A statement's result as a DataFrame, its summary in ``.attrs``."""
    frame = result.to_pandas()
    frame.attrs.setdefault("summary", result.summary)
    return frame


def _quoted(name: str) -> str:
    return name.replace('"', '""')


class _Display:
    """A result shown with the display limit; the full result is `.result`."""

    def __init__(self, result: Any, limit: int) -> None:
        self.result = result
        self.limit = limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)

    def __len__(self) -> int:
        return len(self.result)

    def __repr__(self) -> str:
        return repr(self.result)

    def _repr_html_(self) -> str:
        return str(self.result._repr_html_(limit=self.limit))
