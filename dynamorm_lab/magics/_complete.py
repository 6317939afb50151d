"""Tab completion in ``%%dynamo`` cells and after ``%dynamo``: what to offer at the cursor.

`complete` is pure: from a cell's text and the cursor's offset it works out what is being
typed (a subcommand, an option or its value, a keyword, a table, an attribute of the table
the statement names, an index after ``FROM "T".``, a ``:variable``) and asks a `Words`
provider for the names to offer. Its scan of the text is forgiving on purpose: the text is
half typed, so it cannot go through the statement parser, which refuses what is unfinished.

`matcher` is the thin IPython glue: a matcher of IPython's Matcher API v2, which sees the
whole cell (what JupyterLab's Tab sends to the kernel, so no browser extension is needed).
Its names come from the connection the cell runs on: what that connection holds, at most one
DescribeTable per table, never a Scan, and no connection is opened to complete.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from types import ModuleType
from typing import Any, NamedTuple, Protocol

from dynamorm_lab import api as dl

from ._args import (
    CELL_PARSER,
    SUBCOMMAND_PARSERS,
    SUBCOMMANDS,
    option_choices,
    option_strings,
    positional_names,
    takes_value,
)

__all__ = ["MATCHER_ID", "Candidate", "Completions", "Words", "complete", "connection_alias",
           "matcher"]

MATCHER_ID = "dynamorm_lab.dynamo"  # how IPython names the matcher (and how it is removed)

_CELL_MAGIC = re.compile(r"\s*%%(?:dynamo|ddb)(?=\s|$)")
_LINE_MAGIC = re.compile(r"[ \t]*%(?:dynamo|ddb)[ \t]+")
_TOKEN = re.compile(r"""
    (?P<comment>--[^\n]*)
  | (?P<string>'(?:[^']|'')*'?)
  | (?P<quoted>"(?:[^"]|"")*"?)
  | (?P<variable>:\w*)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<other>\S)
""", re.VERBOSE)
_BARE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TABLE_AFTER = frozenset({"FROM", "INTO", "UPDATE", "DESCRIBE"})
_STATEMENT_AFTER = frozenset({"EXPLAIN", "ADVISE"})
_ALL_KEYWORDS = frozenset(word.upper() for words in dl.KEYWORDS.values() for word in words)


class Words(Protocol):
    """Where the names offered come from."""

    def tables(self) -> Iterable[str]: ...

    def attributes(self, table: str) -> Iterable[str]: ...

    def indexes(self, table: str) -> Iterable[str]: ...

    def variables(self) -> Iterable[str]: ...

    def connections(self) -> Iterable[str]: ...


class Candidate(NamedTuple):
    """A completion: the text that replaces the fragment, and what it is (keyword,
    function, table, attribute, index, variable, subcommand, option, connection, value)."""

    text: str
    kind: str


@dataclass(frozen=True)
class Completions:
    """What to offer: `fragment` is the text just before the cursor each candidate replaces."""

    fragment: str
    candidates: tuple[Candidate, ...]


class _Token(NamedTuple):
    kind: str
    text: str
    end: int

    def name(self) -> str | None:
        """The name a word or a closed quoted name stands for."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted" and _closed(self.text):
            return self.text[1:-1].replace('""', '"')
        return None

    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def complete(text: str, offset: int, words: Words) -> Completions | None:
    """What to offer at `offset` in a cell's `text`; None when the cursor is not in the
    magic's text (other completers then answer) or nothing fits."""
    where = _locate(text, offset)
    if where is None:
        return None
    part, typed, cursor = where
    if part == "header":
        return _options(CELL_PARSER, typed[:cursor], words)
    if part == "body":
        return _statement(typed, cursor, words)
    return _line(typed, cursor, words)


def connection_alias(text: str, offset: int) -> str | None:
    """The connection the magic at the cursor names with ``-c``/``--connection``, if any."""
    where = _locate(text, offset)
    if where is None:
        return None
    part, typed, _cursor = where
    cell = _CELL_MAGIC.match(text)
    header = typed if part == "line" or cell is None else text[cell.end():].split("\n", 1)[0]
    found = re.search(r"(?:^|\s)(?:-c|--connection)\s+(\S+)", header)
    return found.group(1).strip("'\"") if found else None


def _locate(text: str, offset: int) -> tuple[str, str, int] | None:
    """Which part of the magic the cursor is in: ("header", the ``%%dynamo`` line after the
    name, ...), ("body", the cell's statements, ...) or ("line", a ``%dynamo`` line after the
    name, ...), with the cursor's offset in that text; None outside the magic."""
    cell = _CELL_MAGIC.match(text)
    if cell is not None:
        header_end = text.find("\n", cell.end())
        header_end = len(text) if header_end < 0 else header_end
        if offset <= cell.end():  # on the magic's name: IPython's own completer answers
            return None
        if offset <= header_end:
            return "header", text[cell.end():header_end], offset - cell.end()
        return "body", text[header_end + 1:], offset - header_end - 1
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line = text[line_start:len(text) if line_end < 0 else line_end]
    magic = _LINE_MAGIC.match(line)
    if magic is None or offset - line_start < magic.end():
        return None
    return "line", line[magic.end():], offset - line_start - magic.end()


# --- a %dynamo line: a subcommand, or options and a statement -------------------------------

def _line(rest: str, cursor: int, words: Words) -> Completions | None:
    typed = rest[:cursor]
    first = re.match(r"\s*(\S*)(\s?)", typed)
    assert first is not None
    if not first.group(2):  # typing the first word
        fragment = first.group(1)
        if fragment.startswith("-"):
            return _options(CELL_PARSER, typed, words)
        return _offer(fragment, [*_named(SUBCOMMANDS, fragment, "subcommand"),
                                 *_keywords("statement", fragment)])
    name = first.group(1).lower()
    if name in SUBCOMMAND_PARSERS:
        return _subcommand(name, typed[first.end():], words)
    start = _statement_start(rest)
    if cursor <= start:  # among the options: one, its value, or (after a space) a statement
        fragment, previous = _last_words(typed)
        found = _options(CELL_PARSER, typed, words)
        if fragment or (previous is not None and takes_value(CELL_PARSER, previous)):
            return found
        return _merge(found, _offer("", list(_keywords("statement", ""))))
    return _statement(rest[start:], cursor - start, words)


def _statement_start(rest: str) -> int:
    """Where the statement of a ``%dynamo`` line starts: after ``VAR <<`` and the options
    (and their values); the line's length when it has none yet."""
    expect_value = False
    for match in re.finditer(r"\S+", rest):
        word = match.group()
        if expect_value:
            expect_value = False
        elif word.startswith("-") and word != "--":  # "-- " starts a comment
            expect_value = takes_value(CELL_PARSER, word)
        elif word != "<<" and not re.match(r"[A-Za-z_]\w*\s*<<", rest[match.start():]):
            return match.start()
    return len(rest)


def _subcommand(name: str, typed: str, words: Words) -> Completions | None:
    """After ``%dynamo NAME ``: its options, an option's choices, or the positional due."""
    parser = SUBCOMMAND_PARSERS[name]
    fragment, previous = _last_words(typed)
    if fragment.startswith("-"):
        return _offer(fragment, list(_named(option_strings(parser), fragment, "option")))
    if name == "export":  # a statement, then TO and a file (IPython's own completer's)
        if re.search(r"\sTO\s+\S*\Z", typed, re.IGNORECASE):
            return None
        return _statement(typed, len(typed), words)
    if previous is not None and takes_value(parser, previous):
        return _offer(fragment, list(_named(option_choices(parser, previous), fragment,
                                            "value")))
    positionals = positional_names(parser)
    before = typed[:len(typed) - len(fragment)].split()
    count = sum(1 for i, word in enumerate(before) if not word.startswith("-") and not (
        i and takes_value(parser, before[i - 1])))
    if count >= len(positionals):
        return None
    due = positionals[count]
    names: list[Candidate] = []
    if due == "table":
        names = list(_named(_quietly(words.tables), fragment, "table"))
    elif due in ("alias", "target"):
        extra = ["local", "aws"] if due == "target" else []
        names = list(_named([*_quietly(words.connections), *extra], fragment, "connection"))
    elif due == "name":
        names = list(_named(dl.SAMPLES, fragment, "value"))
    return _offer(fragment, names)


def _options(parser: argparse.ArgumentParser, typed: str, words: Words) -> Completions | None:
    """The options of a cell's first line (or a line before its statement), or the value
    the option before the cursor takes."""
    fragment, previous = _last_words(typed)
    if previous in ("-c", "--connection"):
        return _offer(fragment, list(_named(_quietly(words.connections), fragment,
                                            "connection")))
    if previous in ("-p", "--param"):
        return _offer(fragment, list(_named(_quietly(words.variables), fragment, "variable")))
    if previous is not None and takes_value(parser, previous):
        return None  # a new name (-o VAR): nothing to offer
    if fragment and not fragment.startswith("-"):
        return None
    return _offer(fragment, list(_named(option_strings(parser), fragment, "option")))


def _last_words(typed: str) -> tuple[str, str | None]:
    """The word being typed (empty after a space) and the one before it."""
    parts = typed.split()
    if not typed or typed[-1].isspace():
        return "", parts[-1] if parts else None
    return parts[-1], parts[-2] if len(parts) > 1 else None


# --- a statement ----------------------------------------------------------------------------

def _statement(body: str, cursor: int, words: Words) -> Completions | None:
    """In statements: a keyword, a table after FROM/INTO/UPDATE/DESCRIBE, an index after
    ``FROM "T".``, an attribute of the statement's table, or a ``:variable``."""
    before = list(_tokens(body[:cursor]))
    last = before[-1] if before else None
    at_cursor = last is not None and last.end == cursor and last.kind != "other"
    if at_cursor and last is not None:
        if last.kind in ("comment", "string") or (last.kind == "quoted" and _closed(last.text)):
            return None  # inside a comment or a string, or just after a quoted name
        before.pop()
    fragment = last.text if at_cursor and last is not None else ""
    since = [i for i, token in enumerate(before) if token.text == ";"]
    earlier = before[since[-1] + 1:] if since else before
    later = list(_tokens(body[cursor:]))
    later = later[:next((i for i, t in enumerate(later) if t.text == ";"), len(later))]
    if fragment.startswith(":"):
        return _offer(fragment, [Candidate(f":{name}", "variable") for name in sorted(
            _quietly(words.variables)) if _starts(name, fragment[1:])])
    quoted = fragment.startswith('"')
    prefix = fragment[1:].replace('""', '"') if quoted else fragment
    previous = earlier[-1] if earlier else None
    if previous is not None and previous.keyword() in _TABLE_AFTER:
        return _offer(fragment, [Candidate(_quote(name), "table") for name in sorted(
            _quietly(words.tables)) if _starts(name, prefix)])
    after_table_dot = (len(earlier) >= 3 and earlier[-1].text == "."
                       and earlier[-3].keyword() == "FROM")
    indexed = earlier[-2].name() if after_table_dot else None
    if indexed is not None:
        return _offer(fragment, [Candidate(_quote(name), "index") for name in sorted(
            _quietly(lambda: words.indexes(indexed))) if _starts(name, prefix)])
    if previous is None or previous.keyword() in _STATEMENT_AFTER:
        return None if quoted else _offer(fragment, list(_keywords("statement", fragment)))
    table = _table_of([*earlier, *later])
    attributes = [Candidate(_attribute(name, quoted), "attribute") for name in sorted(
        _quietly(lambda: words.attributes(table)) if table else ()) if _starts(name, prefix)]
    if quoted:
        return _offer(fragment, attributes)
    return _offer(fragment, [*attributes, *_keywords("clause", fragment),
                             *_keywords("function", fragment)])


def _tokens(text: str) -> Iterator[_Token]:
    for match in _TOKEN.finditer(text):
        yield _Token(str(match.lastgroup), match.group(), match.end())


def _closed(quoted: str) -> bool:
    """Whether a quoted name or string token ends with its closing quote."""
    inner = quoted[1:]
    return bool(inner) and inner.endswith(quoted[0]) and (len(inner) - len(
        inner.rstrip(quoted[0]))) % 2 == 1


def _table_of(statement: list[_Token]) -> str | None:
    """The table a statement names after FROM, INTO, UPDATE or DESCRIBE."""
    for token, following in pairwise(statement):
        if token.keyword() in _TABLE_AFTER and (name := following.name()) is not None:
            return name
    return None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _attribute(name: str, quoted: bool) -> str:
    """An attribute as a statement can hold it: bare when it can be, else quoted."""
    bare = not quoted and _BARE_NAME.match(name) and name.upper() not in _ALL_KEYWORDS
    return name if bare else _quote(name)


# --- candidates -----------------------------------------------------------------------------

def _starts(name: str, prefix: str) -> bool:
    return name.casefold().startswith(prefix.casefold())


def _named(names: Iterable[str], fragment: str, kind: str) -> Iterator[Candidate]:
    return (Candidate(name, kind) for name in names if _starts(name, fragment))


def _keywords(role: str, fragment: str) -> Iterator[Candidate]:
    """The language's words of one role that start with `fragment`, in its case: lower case
    when it is typed in lower case, else as the language writes them."""
    kind = "function" if role == "function" else "keyword"
    lower = fragment.islower()
    for word in dl.KEYWORDS[role]:
        if _starts(word, fragment):
            yield Candidate(word.lower() if lower else word, kind)


def _offer(fragment: str, candidates: list[Candidate]) -> Completions | None:
    return Completions(fragment, tuple(candidates)) if candidates else None


def _merge(first: Completions | None, second: Completions | None) -> Completions | None:
    if first is None or second is None:
        return first or second
    return Completions(first.fragment, first.candidates + second.candidates)


def _quietly(names: Callable[[], Iterable[str]]) -> list[str]:
    """The names a provider gives, or none when it cannot say (no such table, no server):
    completing never raises."""
    try:
        return list(names())
    except dl.DynamormError:
        return []


# --- IPython ----------------------------------------------------------------------------------

class _MagicWords:
    """Names for completion from a `DynamoMagic`: the connection a cell runs on (its alias,
    else the current one; none when nothing is connected yet) and the user's namespace."""

    def __init__(self, magic: Any, alias: str | None) -> None:
        self.magic = magic
        self.conn = magic.connections.get(alias if alias is not None else magic.current)

    def tables(self) -> list[str]:
        return self.conn.known_tables() if self.conn is not None else []

    def attributes(self, table: str) -> list[str]:
        return self.conn.attribute_names(table) if self.conn is not None else []

    def indexes(self, table: str) -> list[str]:
        return self.conn.index_names(table) if self.conn is not None else []

    def variables(self) -> list[str]:
        shell = self.magic.shell
        hidden = getattr(shell, "user_ns_hidden", {})
        return [name for name, value in shell.user_ns.items()
                if name.isidentifier() and not name.startswith("_") and name not in hidden
                and not callable(value) and not isinstance(value, ModuleType)]

    def connections(self) -> list[str]:
        return list(self.magic.connections)


def matcher(magic: Any) -> Any:
    """An IPython matcher (API v2) completing ``%dynamo``/``%%dynamo`` text for `magic`;
    when it has candidates, other completers' (Python's) are left out."""
    from IPython.core.completer import CompletionContext, SimpleCompletion, context_matcher

    @context_matcher(identifier=MATCHER_ID)  # type: ignore[untyped-decorator]
    def dynamo_matcher(context: CompletionContext) -> dict[str, Any]:
        lines = context.full_text.split("\n")
        offset = sum(len(line) + 1 for line in lines[:context.cursor_line])
        offset += context.cursor_position
        text = context.full_text
        found = complete(text, offset, _MagicWords(magic, connection_alias(text, offset)))
        if found is None:
            return {"completions": [], "suppress": False}
        return {"completions": [SimpleCompletion(c.text, type=c.kind)
                                for c in found.candidates],
                "matched_fragment": found.fragment, "suppress": True, "ordered": True}

    return dynamo_matcher
