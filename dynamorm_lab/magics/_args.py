"""Parse the options of ``%dynamo`` / ``%%dynamo``, apart from running anything.

``%%dynamo [VAR <<] [-o VAR] [-c ALIAS] [-p VALUE ...] [--allow-scan] [--yes] [--dry-run]``
then statements; ``%dynamo SUBCOMMAND ...`` for connect, connections, tables, describe, model,
sample, explore and build; otherwise the rest of a line is a statement.
"""

from __future__ import annotations

import argparse
import ast
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SUBCOMMANDS", "CellArgs", "parse_cell_args", "parse_connect", "parse_param"]

SUBCOMMANDS = ("connect", "connections", "tables", "describe", "model", "sample", "explore",
               "build")


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


def parse_cell_args(line: str, namespace: Mapping[str, Any]) -> CellArgs:
    """Options from the magic's line; anything after them is a statement (line magic)."""
    words = shlex.split(line, posix=True) if line.strip() else []
    result = CellArgs()
    if len(words) >= 2 and words[1] == "<<" and words[0].isidentifier():
        result.target, words = words[0], words[2:]
    options: list[str] = []
    while words and words[0].startswith("-"):
        options.append(words.pop(0))
        if options[-1] in ("-o", "--out", "-c", "--connection", "-p", "--param") and words:
            options.append(words.pop(0))
    parsed, extra = _cell_parser().parse_known_args(options)
    if extra:
        raise ArgsError(f"unknown option(s) {' '.join(extra)}; options are -o VAR, "
                        "-c ALIAS, -p VALUE, --allow-scan, --yes, --dry-run")
    result.target = parsed.target or result.target
    result.alias = parsed.alias
    result.params = [parse_param(p, namespace) for p in parsed.params]
    result.allow_scan, result.yes, result.dry_run = parsed.allow_scan, parsed.yes, parsed.dry_run
    result.statement = _rest(line, words)
    return result


def _rest(line: str, words: list[str]) -> str:
    """The statement text as written (quotes kept), after the options."""
    if not words:
        return ""
    first = words[0]
    for quote in ("", '"', "'"):
        position = line.find(quote + first if quote else first)
        if position >= 0:
            return line[position:].strip()
    return " ".join(words)


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
