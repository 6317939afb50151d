"""The magic's arguments, described once: a parser for a cell's options and one per subcommand.

``%%dynamo [VAR <<] [options]`` then statements; ``%dynamo SUBCOMMAND ...``; otherwise the rest
of a ``%dynamo`` line is a statement. The same argparse parsers parse every line and give every
help: ``%dynamo --help`` (`full_usage`, also the magic's docstring for ``%dynamo?``),
``%dynamo SUBCOMMAND --help`` (`subcommand_help`) and the README's table (`usage_markdown`).
Nothing here runs anything.
"""

from __future__ import annotations

import argparse
import ast
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from dynamorm_lab import api as dl
from dynamorm_lab.frames import FORMATS

__all__ = ["CELL_PARSER", "SUBCOMMANDS", "SUBCOMMAND_PARSERS", "ArgsError", "CellArgs",
           "full_usage", "option_choices", "option_strings", "parse_cell_args", "parse_param",
           "parse_subcommand", "positional_names", "subcommand_help", "takes_value",
           "usage_markdown"]

_WIDTH = 88  # help is laid out the same wherever it is shown, whatever the terminal
_HELP = ("-h", "--help")
_NO_QUESTION = "send without asking on a connection made with confirm_writes=True"


class ArgsError(ValueError):
    """The magic's arguments are wrong; the message says how to write them."""


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=_WIDTH)


class _Parser(argparse.ArgumentParser):
    """A parser that raises instead of exiting the kernel, with a one-line summary; -h and
    --help are an option like any other, which the magic answers by printing the help."""

    def __init__(self, prog: str, summary: str, description: str | None = None) -> None:
        super().__init__(prog=prog, description=description or summary, add_help=False,
                         formatter_class=_Formatter)
        self.summary = summary
        self.add_argument(*_HELP, action="store_true", help="show this help; run nothing")

    def error(self, message: str) -> NoReturn:
        raise ArgsError(f"{self.prog}: {message}; usage: {usage_line(self)} "
                        f"({self.prog} --help says more)")


def usage_line(parser: argparse.ArgumentParser) -> str:
    """The parser's usage on one line, without -h."""
    formatter = argparse.HelpFormatter(parser.prog, width=10_000)
    formatter.add_usage(None, [a for a in parser._actions if a.dest != "help"],
                        parser._mutually_exclusive_groups, prefix="")
    return formatter.format_help().strip()


def _cell_parser() -> _Parser:
    parser = _Parser(
        "%%dynamo", "statements in the cell body (';'-separated), with these options",
        "Statements go in the cell body, ';'-separated (or after the options on a %dynamo "
        "line): DynamoDB PartiQL plus EXPLAIN, ADVISE, LIMIT, SHOW TABLES, DESCRIBE, "
        ":variables and BEGIN ... COMMIT. Write 'VAR <<' before the options to keep the "
        "last result in VAR.")
    parser.add_argument("-o", "--out", dest="target", metavar="VAR",
                        help="keep the last result in the variable VAR, as a DataFrame")
    parser.add_argument("-c", "--connection", dest="alias", metavar="ALIAS",
                        help="run on the connection ALIAS (default: the current one)")
    parser.add_argument("-p", "--param", dest="params", action="append", default=[],
                        metavar="VALUE", help="a value for the next '?': a Python literal "
                        "(1985, 'Rush') or a variable's name; once per '?'")
    parser.add_argument("--allow-scan", action="store_true",
                        help="let a query only a full Scan serves run on a table over the "
                        "scan guard")
    parser.add_argument("--yes", action="store_true",
                        help="let an UPDATE/DELETE whose WHERE is not a full key write every "
                        f"item it matches; {_NO_QUESTION}")
    parser.add_argument("--dry-run", action="store_true",
                        help="show the items such an UPDATE/DELETE would touch; write nothing")
    return parser


def _rate(text: str) -> float | str:
    """``--rate``: capacity units a second, a share of the table's ("25%") or "adaptive"."""
    if text.endswith("%") or text == "adaptive":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"takes units a second (100), a share ('25%') or 'adaptive', got {text!r}") from None
    return int(value) if value.is_integer() else value


def _select_to_path(text: str) -> tuple[str, str]:
    """``export``'s statement as written, and the file after its final ``TO``."""
    match = re.search(r"\s+TO\s+(\S+)\s*$", text, re.IGNORECASE)
    if match is None or not text[:match.start()].strip():
        raise argparse.ArgumentTypeError(
            f"write a SELECT, then TO and the Parquet file, got {text!r:.60}")
    return text[:match.start()].strip(), match.group(1).strip("'\"")


def _subcommand_parsers() -> dict[str, _Parser]:
    made: dict[str, _Parser] = {}

    def sub(name: str, summary: str, description: str | None = None) -> _Parser:
        made[name] = _Parser(f"%dynamo {name}", summary, description)
        return made[name]

    def table(parser: _Parser, *, optional: bool = False, what: str = "a table's name") -> None:
        parser.add_argument("table", metavar="TABLE", nargs="?" if optional else None,
                            help=what)

    connect = sub("connect", "open a connection and make it current (or switch to one)",
                  "Open a connection and make it the current one; with an existing alias "
                  "and no options, switch to it.")
    connect.add_argument("target", nargs="?", metavar="TARGET",
                         help="local (the embedded server), aws, an endpoint URL, or an "
                         "alias; default: AWS when configured, else local")
    connect.add_argument("--profile", metavar="NAME", help="the AWS profile")
    connect.add_argument("--region", metavar="REGION", help="the AWS region")
    connect.add_argument("--endpoint", metavar="URL", help="a DynamoDB-compatible endpoint")
    connect.add_argument("--alias", metavar="NAME", help="the name to switch back to it by "
                         "(default: the target)")
    connect.add_argument("--read-only", action="store_true",
                         help="refuse every write before it is sent")
    connect.add_argument("--confirm-writes", action="store_true",
                         help="ask before each write a cell or load sends (--yes skips it)")
    sub("use", "make ALIAS current for cells and for model methods given no connection"
        ).add_argument("alias", metavar="ALIAS", help="a connection's alias")
    sub("connections", "list the connections: alias, target, region, read-only")
    sub("tables", "list the tables: keys, indexes, item counts")
    table(sub("describe", "a table's keys, indexes, TTL, billing and item count"))
    table(sub("model", "print a model class for a table, from a sample, to paste"))
    sample = sub("sample", "load a bundled data set (its tables are created when missing)")
    sample.add_argument("name", metavar="NAME",
                        help=f"one of {', '.join(dl.SAMPLES)}")
    sample.add_argument("--yes", action="store_true", help=_NO_QUESTION)
    table(sub("refresh", "read a table's description and sample again on next use"),
          optional=True, what="the table (default: every table)")
    table(sub("explore", "open the explorer widget"), optional=True)
    table(sub("build", "open the query builder widget"), optional=True)
    load = sub("load", "write a Parquet, CSV or JSON Lines file into a table, checked first",
               "Write a file into a table, read in batches; every row is checked first, "
               "and a bad row stops the load before anything is written (unless --skip-bad).")
    table(load, what="the table to write into")
    load.add_argument("path", metavar="PATH", help="the file (.gz too)")
    load.add_argument("--format", choices=FORMATS, help="the file's format (default: from "
                      "its name)")
    load.add_argument("--skip-bad", dest="on_error", action="store_const", const="skip",
                      default="raise", help="write the good rows, list the bad ones")
    load.add_argument("--workers", type=int, default=1, metavar="N",
                      help="threads sending batches at once")
    load.add_argument("--rate", type=_rate, metavar="RATE",
                      help="write units a second: 100, '25%%' or 'adaptive'")
    load.add_argument("--yes", action="store_true", help=_NO_QUESTION)
    export = sub("export", "write a SELECT's items to Parquet at constant memory")
    export.add_argument("statement", type=_select_to_path, metavar="SELECT ... TO PATH",
                        help="a SELECT as in a cell, then TO and the Parquet file")
    export.add_argument("--rows", type=int, default=10_000, metavar="N",
                        help="rows a row group (default 10000)")
    export.add_argument("--segments", type=int, default=1, metavar="N",
                        help="parallel Scan segments, one part file each")
    export.add_argument("--rate", type=_rate, metavar="RATE",
                        help="read units a second: 100, '25%%' or 'adaptive'")
    export.add_argument("--allow-scan", action="store_true",
                        help="let a SELECT only a full Scan serves run on a big table")
    return made


CELL_PARSER = _cell_parser()
SUBCOMMAND_PARSERS = _subcommand_parsers()
SUBCOMMANDS = tuple(SUBCOMMAND_PARSERS)

_EXAMPLES = (
    ("%dynamo connect local", "the embedded server (nothing to install)"),
    ("%dynamo sample movies", "load a data set"),
    ('%dynamo SELECT * FROM "Movies" WHERE "year" = 1985', "one statement on a line"),
    ("%%dynamo df <<\nSELECT title FROM \"Movies\" WHERE \"year\" = :year",
     "a cell; :year is the notebook's variable; the rows go into df"),
    ('%%dynamo --dry-run\nDELETE FROM "Movies" WHERE "year" = 1900',
     "what a DELETE of many items would touch"),
    ("%dynamo load --help", "one subcommand's help"),
)


def full_usage() -> str:
    """``%dynamo --help``: the cell's options, each subcommand in a line, examples."""
    width = max(len(name) for name in SUBCOMMANDS) + 2
    subcommands = "\n".join(f"  {name.ljust(width)}{parser.summary}"
                            for name, parser in SUBCOMMAND_PARSERS.items())
    examples = "\n".join(f"  {code.replace(chr(10), chr(10) + '  ')}\n      {why}"
                         for code, why in _EXAMPLES)
    return (
        "%dynamo / %%dynamo (also %ddb / %%ddb): DynamoDB PartiQL in notebook cells.\n\n"
        "  %%dynamo [VAR <<] [options]    a cell: statements in its body\n"
        "  %dynamo [options] STATEMENT    one statement on a line\n"
        "  %dynamo SUBCOMMAND ...         a subcommand (below)\n\n"
        f"{CELL_PARSER.format_help()}\n"
        "subcommands (%dynamo SUBCOMMAND --help for one):\n"
        f"{subcommands}\n\n"
        f"examples:\n{examples}\n\n"
        "settings: %config DynamoMagic (displaylimit, autopandas, progress, allow_scan,\n"
        "read_only, short_errors), or [tool.dynamorm_lab] in pyproject.toml\n")


def subcommand_help(name: str) -> str:
    """``%dynamo NAME --help``."""
    return SUBCOMMAND_PARSERS[name].format_help()


def _cell(text: str) -> str:
    """Text for a Markdown table's cell."""
    return text.replace("|", "\\|")


def _option_rows(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    rows = []
    for action in parser._actions:
        if action.dest == "help" or action.help is None:
            continue
        metavar = action.metavar or (action.dest.upper() if action.nargs != 0 else None)
        names = action.option_strings or [str(metavar)]
        shown = ", ".join(f"{name} {metavar}" if action.option_strings and action.nargs != 0
                          else name for name in names)
        rows.append((shown, action.help % {"prog": parser.prog} if "%" in action.help
                     else action.help))
    return rows


def usage_markdown() -> str:
    """The same usage as ``%dynamo --help``, as Markdown tables for the README and docs."""
    lines = ["| `%%dynamo` option | what it does |", "|---|---|"]
    lines += [f"| `{_cell(shown)}` | {_cell(what)} |" for shown, what in
              _option_rows(CELL_PARSER)]
    lines += ["", "| subcommand | what it does |", "|---|---|"]
    for parser in SUBCOMMAND_PARSERS.values():
        details = "; ".join(f"`{_cell(shown)}`: {_cell(what)}"
                            for shown, what in _option_rows(parser))
        lines.append(f"| `{_cell(usage_line(parser))}` | {_cell(parser.summary)}"
                     f"{'. ' + details if details else ''} |")
    return "\n".join(lines) + "\n"


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every option a parser takes, -h and --help included."""
    return [name for action in parser._actions for name in action.option_strings]


def takes_value(parser: argparse.ArgumentParser, option: str) -> bool:
    """Whether `option` is followed by a value."""
    return any(option in action.option_strings and action.nargs != 0
               for action in parser._actions)


def option_choices(parser: argparse.ArgumentParser, option: str) -> list[str]:
    """The values `option` may take, when they are a fixed few (else none)."""
    return [str(choice) for action in parser._actions if option in action.option_strings
            for choice in action.choices or ()]


def positional_names(parser: argparse.ArgumentParser) -> list[str]:
    """The names of the parser's positional arguments, in order."""
    return [action.dest for action in parser._actions if not action.option_strings]


@dataclass
class CellArgs:
    """What the options of one cell or line say."""

    target: str | None = None
    alias: str | None = None
    params: list[Any] = field(default_factory=list)
    allow_scan: bool = False
    yes: bool = False
    dry_run: bool = False
    help: bool = False
    statement: str = ""


def parse_param(text: str, namespace: Mapping[str, Any]) -> Any:
    """A ``-p`` value: a Python literal (1985, 'Rush', [1, 2]) or a notebook variable's name."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    if text.isidentifier() and text in namespace:
        return namespace[text]
    if text.isidentifier():
        raise ArgsError(f"-p {text}: not a literal and no variable {text!r} in the notebook")
    return text


def _word(line: str, position: int) -> tuple[str, int]:
    """The word at `position` (a quoted one may hold spaces) and where the next one starts."""
    if line[position] in "'\"":
        quote = line[position]
        end = line.find(quote, position + 1)
        if end < 0:
            raise ArgsError(f"unmatched {quote} in the magic's options: {line[position:]!r}")
        return line[position:end + 1], end + 1
    end = position
    while end < len(line) and not line[end].isspace():
        end += 1
    return line[position:end], end


def _skip_spaces(line: str, position: int) -> int:
    while position < len(line) and line[position].isspace():
        position += 1
    return position


def _is_option(line: str, position: int) -> bool:
    """An option starts with '-', but '-- ' begins a PartiQL comment."""
    return line.startswith("-", position) and not line.startswith("-- ", position)


def parse_cell_args(line: str, namespace: Mapping[str, Any]) -> CellArgs:
    """Options at the front of the magic's line; the rest is a statement, kept as written.

    Only the options are split into words, so quotes inside a statement (``don't``) are left
    to the statement parser.
    """
    result = CellArgs()
    options: list[str] = []
    position = _skip_spaces(line, 0)
    target = re.match(r"([A-Za-z_]\w*)\s*<<", line[position:])
    if target:
        result.target = target.group(1)
        position = _skip_spaces(line, position + target.end())
    while position < len(line) and _is_option(line, position):
        option, position = _word(line, position)
        options.append(option)
        position = _skip_spaces(line, position)
        if takes_value(CELL_PARSER, option):
            if position >= len(line):
                raise ArgsError(f"{option} needs a value")
            value, position = _word(line, position)
            options.append(value[1:-1] if value[:1] in "'\"" else value)  # as a shell would
            position = _skip_spaces(line, position)
    parsed, extra = CELL_PARSER.parse_known_args(options)
    if extra:
        raise ArgsError(f"unknown option(s) {' '.join(extra)}; usage: "
                        f"{usage_line(CELL_PARSER)} (%dynamo --help says more)")
    result.target = parsed.target or result.target
    if result.target is not None and not result.target.isidentifier():
        raise ArgsError(f"{result.target!r} is not a valid variable name for the result")
    result.alias = parsed.alias
    result.params = [parse_param(p, namespace) for p in parsed.params]
    result.allow_scan, result.yes, result.dry_run = parsed.allow_scan, parsed.yes, parsed.dry_run
    result.help = parsed.help
    result.statement = line[position:].strip()
    return result


def parse_subcommand(name: str, rest: str) -> argparse.Namespace:
    """The arguments of ``%dynamo NAME REST``, by NAME's parser (``export``'s statement is
    kept as written); ``.help`` is True when -h or --help was given, and nothing else is
    checked then."""
    head, options = _split_options(rest) if name == "export" else ("", rest)
    try:
        words = ([head.strip()] if head.strip() else []) + shlex.split(options)
    except ValueError as exc:
        raise ArgsError(f"%dynamo {name}: {exc} in {rest!r}") from None
    if any(word in _HELP for word in words):
        return argparse.Namespace(help=True)
    return SUBCOMMAND_PARSERS[name].parse_args(words)


def _split_options(rest: str) -> tuple[str, str]:
    """The text before the first ``--option`` (or ``-h``), and the options."""
    match = re.search(r"(^|\s)(--[a-z]|-h(?=\s|$))", rest)
    if match is None:
        return rest, ""
    return rest[:match.start()], rest[match.start():]
