"""Parse the options of ``%dynamo`` / ``%%dynamo``, apart from running anything.

``%%dynamo [VAR <<] [-o VAR] [-c ALIAS] [-p VALUE ...] [--allow-scan] [--yes] [--dry-run]``
then statements; ``%dynamo SUBCOMMAND ...`` for connect, use, connections, tables, describe,
model, sample, refresh, explore and build; otherwise the rest of a line is a statement.
"""

from __future__ import annotations

import argparse
import ast
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SUBCOMMANDS", "BulkArgs", "CellArgs", "parse_bulk", "parse_cell_args",
           "parse_connect", "parse_param"]

SUBCOMMANDS = ("connect", "use", "connections", "tables", "describe", "model", "sample",
               "refresh", "explore", "build", "load", "export")


class ArgsError(ValueError):
    """The magic's arguments are wrong; the message says how to write them."""


@dataclass
class CellArgs:
    """What the options of one cell or line say."""

    target: str | None = None
    alias: str | None = None
    params: list[Any] = field(default_factory=list)
    allow_scan: bool = False
    yes: bool = False
    dry_run: bool = False
    statement: str = ""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit the kernel
        raise ArgsError(message)


def _cell_parser() -> _Parser:
    parser = _Parser(prog="%%dynamo", add_help=False)
    parser.add_argument("-o", "--out", dest="target")
    parser.add_argument("-c", "--connection", dest="alias")
    parser.add_argument("-p", "--param", dest="params", action="append", default=[])
    parser.add_argument("--allow-scan", action="store_true")
    parser.add_argument("--yes", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    return parser


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


_TAKES_VALUE = frozenset({"-o", "--out", "-c", "--connection", "-p", "--param"})


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
        if option in _TAKES_VALUE:
            if position >= len(line):
                raise ArgsError(f"{option} needs a value")
            value, position = _word(line, position)
            options.append(value[1:-1] if value[:1] in "'\"" else value)  # as a shell would
            position = _skip_spaces(line, position)
    parsed, extra = _cell_parser().parse_known_args(options)
    if extra:
        raise ArgsError(f"unknown option(s) {' '.join(extra)}; options are -o VAR, "
                        "-c ALIAS, -p VALUE, --allow-scan, --yes, --dry-run")
    result.target = parsed.target or result.target
    if result.target is not None and not result.target.isidentifier():
        raise ArgsError(f"{result.target!r} is not a valid variable name for the result")
    result.alias = parsed.alias
    result.params = [parse_param(p, namespace) for p in parsed.params]
    result.allow_scan, result.yes, result.dry_run = parsed.allow_scan, parsed.yes, parsed.dry_run
    result.statement = line[position:].strip()
    return result


def parse_connect(words: list[str]) -> argparse.Namespace:
    """``connect [local|aws|URL|ALIAS] [--profile P] [--region R] [--endpoint URL]
    [--alias NAME] [--read-only]``."""
    parser = _Parser(prog="%dynamo connect", add_help=False)
    parser.add_argument("target", nargs="?")
    parser.add_argument("--profile")
    parser.add_argument("--region")
    parser.add_argument("--endpoint")
    parser.add_argument("--alias")
    parser.add_argument("--read-only", action="store_true")
    return parser.parse_args(words)


@dataclass
class BulkArgs:
    """``%dynamo load TABLE PATH [options]`` / ``%dynamo export SELECT ... TO PATH
    [options]``."""

    first: str  # the table (load) or the SELECT statement (export)
    path: str
    format: str | None = None
    on_error: str = "raise"
    workers: int = 1
    rate: float | str | None = None
    rows: int = 10_000
    allow_scan: bool = False
    segments: int = 1


_BULK_USAGE = {
    "load": "%dynamo load TABLE PATH [--format parquet|csv|jsonl] [--skip-bad] [--workers N] "
            "[--rate UNITS|N%|adaptive]",
    "export": '%dynamo export SELECT ... FROM "T" ... TO PATH [--rows N] [--segments N] '
              "[--rate UNITS|N%|adaptive] [--allow-scan]",
}


def parse_bulk(name: str, rest: str) -> BulkArgs:
    """The words of a load or export line (the export's statement kept as written)."""
    usage = f"usage: {_BULK_USAGE[name]}"
    head, options = _split_options(rest)
    if name == "load":
        words = shlex.split(head)
        if len(words) != 2:
            raise ArgsError(usage)
        args = BulkArgs(words[0], words[1])
    else:
        match = re.search(r"\s+TO\s+(\S+)\s*$", head, re.IGNORECASE)
        if match is None or not head[:match.start()].strip():
            raise ArgsError(usage)
        args = BulkArgs(head[:match.start()].strip(), match.group(1).strip("'\""))
    words = shlex.split(options)
    while words:
        flag = words.pop(0)
        if flag == "--skip-bad":
            args.on_error = "skip"
            continue
        if flag == "--allow-scan":
            args.allow_scan = True
            continue
        if flag not in ("--format", "--workers", "--rate", "--rows", "--segments") or not words:
            raise ArgsError(f"{flag!r} is not an option here; {usage}")
        value = words.pop(0)
        if flag == "--format":
            args.format = value
        elif flag == "--rate":
            args.rate = value if value.endswith("%") or value == "adaptive" else _number(
                value, flag, usage)
        else:
            setattr(args, flag[2:], int(_number(value, flag, usage)))
    return args


def _split_options(rest: str) -> tuple[str, str]:
    """The text before the first ``--option``, and the options."""
    match = re.search(r"(^|\s)--[a-z]", rest)
    if match is None:
        return rest, ""
    return rest[:match.start()], rest[match.start():]


def _number(text: str, flag: str, usage: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ArgsError(f"{flag} takes a number, got {text!r}; {usage}") from None
    return int(value) if value.is_integer() else value
