"""The magic's usage, from its one description: the Markdown tables the docs are built with
(`dynamorm_lab.magics.usage_markdown`, put in docs/guide/dynamo.md by docs/hooks.py) and the
text ``%dynamo --help`` prints."""

from __future__ import annotations

import re

import pytest

from dynamorm_lab.magics import usage_markdown
from dynamorm_lab.magics._args import full_usage

SUBCOMMANDS = ["connect", "use", "connections", "tables", "describe", "model", "sample",
               "refresh", "explore", "build", "load", "export"]
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_every_table_row_has_two_cells() -> None:
    rows = [row for row in usage_markdown().splitlines() if row.startswith("|")]
    assert len(rows) > len(SUBCOMMANDS)
    for row in rows:
        assert len(UNESCAPED_PIPE.findall(row)) == 3, row


def test_every_subcommand_has_a_row_with_its_usage() -> None:
    text = usage_markdown()
    for name in SUBCOMMANDS:
        assert re.search(rf"^\| `%dynamo {name}\b[^`]*` \| \w", text, re.MULTILINE), name


def test_the_rows_say_every_option() -> None:
    text = usage_markdown()
    connect = next(row for row in text.splitlines() if row.startswith("| `%dynamo connect"))
    for option in ("--profile", "--region", "--endpoint", "--alias", "--read-only",
                   "--confirm-writes", "TARGET"):
        assert f"`{option}" in connect, option
    for option in ("-o VAR", "-c ALIAS", "-p VALUE", "--allow-scan", "--yes", "--dry-run"):
        assert f"| `{option}" in text, option


def test_help_is_laid_out_the_same_in_any_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = full_usage()
    monkeypatch.setenv("COLUMNS", "40")
    assert full_usage() == wide
    assert max(len(line) for line in wide.splitlines()) <= 88


def test_the_readme_lists_the_subcommands_the_magic_has() -> None:
    """The README's list of subcommands is the parsers' list, in their order."""
    from pathlib import Path

    from dynamorm_lab.magics._args import SUBCOMMANDS as PARSED

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    start = readme.index("lists the cell options and the subcommands")
    listed = re.findall(r"`(\w+)`", readme[start:readme.index("EXPLAIN", start)])
    assert listed == list(PARSED)
