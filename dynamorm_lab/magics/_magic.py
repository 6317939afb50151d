"""``%dynamo`` / ``%%dynamo`` (and ``%ddb`` / ``%%ddb``): a face over the public API only.

Every cell runs `dynamorm_lab.execute`, so it gets the planner, the scan guard and the
library's typed errors. Errors of the library are shown as one short line (IPython's
UsageError hides the traceback; ``%config DynamoMagic.short_errors = False`` shows it).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display
from traitlets import Bool, Int
from traitlets.config import Configurable

from dynamorm_lab import api as dl

from ._args import (
    SUBCOMMANDS,
    ArgsError,
    full_usage,
    parse_cell_args,
    parse_subcommand,
    subcommand_help,
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
        """The connection a cell runs on: `alias`, else the current one; when there is none
        yet, the one model methods use (the notebook's ``db = dl.connect(...)``, or a new
        connection to the default target); read-only when ``read_only`` is set."""
        if alias is not None:
            if alias not in self.connections:
                known = ", ".join(self.connections) or "none yet"
                raise UsageError(f"no connection called {alias!r} (known: {known})")
            conn = self.connections[alias]
        else:
            if self.current is None:
                self._adopt(dl.default_connection())
            assert self.current is not None
            conn = self.connections[self.current]
        return conn.as_read_only() if self.read_only else conn

    def _connect(self, options: Any) -> dl.Connection:
        """``%dynamo connect``: a new connection, or a switch to an existing alias. Every
        option is honoured or refused: an alias that exists cannot take new options."""
        target, alias = options.target, options.alias
        asked = [flag for flag, given in (("--read-only", options.read_only),
                                          ("--confirm-writes", options.confirm_writes),
                                          ("--profile", options.profile),
                                          ("--region", options.region),
                                          ("--endpoint", options.endpoint)) if given]
        if alias is None and target in self.connections:
            existing = self.connections[target]
            has = {"--read-only": existing.read_only,
                   "--confirm-writes": existing.confirm_writes}
            if not all(has.get(flag, False) for flag in asked):
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
                          endpoint_url=options.endpoint, read_only=options.read_only,
                          confirm_writes=options.confirm_writes)
        if alias is None:
            alias = _alias_of(conn)
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

    def _adopt(self, conn: dl.Connection) -> None:
        """Make an existing connection current under its usual alias (no new connection)."""
        alias = _alias_of(conn)
        self.connections.setdefault(alias, conn)
        self.current = alias

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
                raise UsageError(f"{type(exc).__name__}: {exc}{_hint(line, cell, exc)}"
                                 ) from None
            raise

    dynamo.__doc__ = full_usage()  # what %dynamo? shows: the whole usage, from the parsers

    def _dispatch(self, line: str, cell: str | None) -> Any:
        words = line.split(maxsplit=1)
        if cell is None and words and words[0].lower() in SUBCOMMANDS:
            rest = words[1] if len(words) > 1 else ""
            return self._subcommand(words[0].lower(), rest)
        args = parse_cell_args(line, self._namespace())
        if args.help:
            print(full_usage())
            return None
        if cell is not None and args.statement:
            raise UsageError(f"unexpected text after the options: {args.statement!r} (the "
                             "statement goes in the cell body)")
        text = cell if cell is not None else args.statement
        if not text.strip():
            raise UsageError("nothing to run: write a statement, e.g. "
                             '%dynamo SELECT * FROM "Movies" WHERE "year" = 1985')
        conn = self.connection(args.alias)
        if not self._confirmed(conn, args.yes, (
                f"{change.verb} on table {change.table}: {change.text}"
                for change in dl.statement_writes(text))):  # parsed only if it asks
            return None
        results = dl.execute(text, conn, params=args.params, variables=self._namespace(),
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
        args = parse_subcommand(name, rest)
        if args.help:
            print(subcommand_help(name))
            return None
        if name == "connect":
            return self._connect(args)
        if name == "use":
            return self._use(args.alias)
        if name == "connections":
            return self.connections_frame()
        if name == "tables":
            return self._shown(dl.execute("SHOW TABLES", self.connection())[0])
        if name == "describe":
            return self._shown(dl.execute(f'DESCRIBE "{_quoted(args.table)}"',
                                          self.connection())[0])
        if name == "model":
            print(self.connection().model_source(args.table))
            return None
        if name == "refresh":  # what the connection holds of a table, read again on next use
            self.connection().forget(args.table)
            return None
        if name == "load":
            return self._load(args)
        if name == "export":
            return self._export(args)
        if name == "sample":
            sample = args.name  # an unknown one is refused by load_sample, unasked
            if sample in dl.SAMPLES and not self._confirmed(self.connection(), args.yes,
                                                            [_sample_change(sample)]):
                return None
            return dl.load_sample(sample, self.connection(),  # shows a row per table
                                  progress=None if self.progress else False)
        return self._widget(name, args.table)

    def _load(self, args: Any) -> Any:
        """``%dynamo load TABLE PATH``: a file into a table, checked whole first."""
        conn = self.connection()
        if not self._confirmed(conn, args.yes, [f"load {args.path} into table {args.table}"]):
            return None
        return conn.load(args.table, args.path, format=args.format, on_error=args.on_error,
                         workers=args.workers, rate=args.rate,
                         progress=None if self.progress else False)

    def _export(self, args: Any) -> Any:
        """``%dynamo export SELECT ... TO PATH``: the statement's items to Parquet at
        constant memory."""
        statement, path = args.statement
        query = dl.query_of(statement, self.connection(), variables=self._namespace(),
                            allow_scan=args.allow_scan or self.allow_scan)
        if args.segments > 1:
            query = query.segments(args.segments)
        if self.progress:
            query = query.progress()
        return query.to_parquet(path, rows=args.rows, rate=args.rate)

    def _widget(self, name: str, table: str | None) -> Any:
        try:
            from dynamorm_lab import widgets
        except ImportError:
            raise UsageError(f"%dynamo {name} needs the widgets, which are not available in "
                             "this version yet; use dynamorm_lab's Python API meanwhile") from None
        return getattr(widgets, "explore" if name == "explore" else "build")(
            self.connection(), table=table)

    # --- confirm_writes: a question before each change ---
    def _confirmed(self, conn: dl.Connection, yes: bool, changes: Iterable[str]) -> bool:
        """On a connection made with ``confirm_writes=True``, ask before each change (y or
        yes sends it) unless `yes` (``--yes``); False when one is declined, and then nothing
        is sent. A read-only connection refuses writes anyway, so it asks nothing."""
        if yes or not conn.confirm_writes or conn.read_only:
            return True
        for change in changes:
            try:
                answer = input(f"{change}\n  on {conn.where}: send it? [y/N] ")
            except (EOFError, StdinNotImplementedError):
                raise UsageError(f"{change}: this connection asks before each write "
                                 "(confirm_writes=True) and this kernel cannot ask; add --yes "
                                 "to send it") from None
            if answer.strip().lower() not in ("y", "yes"):
                print(f"cancelled, nothing was sent: {change}")
                return False
        return True


def _frame_of(result: Any) -> Any:
    """A statement's result as a DataFrame, its summary in ``.attrs``."""
    frame = result.to_pandas()
    frame.attrs.setdefault("summary", result.summary)
    return frame


def _hint(line: str, cell: str | None, exc: Exception) -> str:
    """For a ``%dynamo WORD`` line that is neither a statement nor a subcommand: where the
    subcommands are listed."""
    words = line.split(maxsplit=1)
    if (cell is None and words and isinstance(exc, dl.ParseError)
            and words[0].upper() not in dl.KEYWORDS["statement"]):
        return f"\n({words[0]!r} is not a subcommand either: %dynamo --help lists them)"
    return ""


def _alias_of(conn: dl.Connection) -> str:
    """A connection's usual alias: its target ("local", "aws") or its endpoint's URL."""
    return conn.target if conn.target != "endpoint" else conn.endpoint_url or "endpoint"


def _quoted(name: str) -> str:
    return name.replace('"', '""')


def _sample_change(name: str) -> str:
    """What ``%dynamo sample NAME`` changes, as a question names it."""
    tables = ", ".join(schema.name for schema in dl.SAMPLES[name].tables)
    return f"load the sample {name} into table(s) {tables} (created when missing)"


class _Display:
    """A result shown with the display limit: a plain table up to it, a browsable one past it
    (`dynamorm_lab.frames.result_table`); the full result is `.result`, every row kept."""

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
