"""Tokens of the ``%%dynamo`` language: the first stage, text to a flat list of tokens.

The tokenizer knows nothing about statements; it only decides where one token ends and the
next begins, and turns literal text into Python values once (numbers stay exact: ``int`` or
``decimal.Decimal``, never ``float``). Every token records its 1-based line and column, and
its start/end offsets, so the parser can point at it and slice a statement's own text.

Lines are counted exactly as ``str.splitlines`` counts them, because `ParseError` uses
``splitlines`` to show the offending line: a column computed any other way would put the
caret under the wrong character (``\\r\\n``, ``\\x0b`` and ``\\u2028`` all end a line there).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..errors import ParseError

__all__ = ["PUNCTUATION", "Token", "TokenKind", "tokenize"]


class TokenKind(StrEnum):
    """What a token is; the parser dispatches on this, never on the raw text's shape."""

    NAME = "name"                # bare name or keyword: SELECT, Artist, info_2
    QUOTED_NAME = "quoted name"  # "my-table" (value is unquoted, "" unescaped)
    STRING = "string"            # 'it''s' (value is the unescaped str)
    NUMBER = "number"            # 42 -> int, 4.5 / 1e3 -> Decimal
    VARIABLE = "variable"        # :name (value is the name, without the colon)
    PUNCT = "punctuation"        # one of PUNCTUATION
    END = "end"                  # after the last token; there is always exactly one


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``text`` is the exact source slice ``[start:end]``; ``value`` is what it means
    (the keyword-insensitive name, the unquoted identifier, the string, the number)."""

    kind: TokenKind
    text: str
    value: Any
    line: int
    col: int
    start: int
    end: int

    @property
    def keyword(self) -> str | None:
        """The upper-cased word if this is a bare name (keywords are case-insensitive)."""
        return self.value.upper() if self.kind is TokenKind.NAME else None

    def is_punct(self, *symbols: str) -> bool:
        return self.kind is TokenKind.PUNCT and self.text in symbols


# Longest first, so "<<" wins over "<" and "<>" over "<".
PUNCTUATION: tuple[str, ...] = (
    "<<", ">>", "<>", "<=", ">=", "!=",
    "*", ",", ".", ";", "(", ")", "[", "]", "{", "}", ":", "=", "<", ">", "+", "-", "?",
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
_NUMBER_TAIL = re.compile(r"[A-Za-z0-9_.]")
# Everything str.splitlines() treats as a line end: a comment stops at any of them.
_LINE_END = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_HINTS = {
    "`": "names are quoted with double quotes: \"name\"",
    "!": "did you mean '!='?",
}


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with one END token placed just after the last token.

    Raises `ParseError` at an unknown character or an unterminated string / quoted name.
    """
    return _Scanner(text).scan()


class _Scanner:
    """One pass over the text; a class only to share the text, offset and line table."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []
        self.line_starts = [0]
        for line in text.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))

    def scan(self) -> list[Token]:
        text = self.text
        while True:
            self._skip_blanks()
            if self.pos >= len(text):
                break
            self.tokens.append(self._token())
        end = self.tokens[-1].end if self.tokens else 0
        line, col = self.where(end)
        self.tokens.append(Token(TokenKind.END, "", None, line, col, end, end))
        return self.tokens

    def where(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        line = max(bisect_right(self.line_starts, offset), 1)
        line = min(line, max(len(self.line_starts) - 1, 1))
        return line, offset - self.line_starts[line - 1] + 1

    def _skip_blanks(self) -> None:
        text = self.text
        while self.pos < len(text):
            if text[self.pos].isspace():
                self.pos += 1
            elif text.startswith("--", self.pos):
                found = _LINE_END.search(text, self.pos)
                self.pos = found.start() if found else len(text)
            else:
                return

    def _token(self) -> Token:
        char = self.text[self.pos]
        if char == "'":
            return self._quoted(TokenKind.STRING, "'", "string")
        if char == '"':
            return self._quoted(TokenKind.QUOTED_NAME, '"', "quoted name")
        if char.isdigit() and char.isascii():
            return self._number()
        name = _NAME.match(self.text, self.pos)
        if name:
            return self._make(TokenKind.NAME, name.end(), name.group())
        if char == ":" and self._starts_variable():
            name = _NAME.match(self.text, self.pos + 1)
            assert name is not None  # _starts_variable checked it
            return self._make(TokenKind.VARIABLE, name.end(), name.group())
        for symbol in PUNCTUATION:
            if self.text.startswith(symbol, self.pos):
                return self._make(TokenKind.PUNCT, self.pos + len(symbol), symbol)
        hint = _HINTS.get(char)
        if hint is None and char.isalpha():
            hint = 'bare names use ASCII letters, digits and _; quote others: "name"'
        raise self._error(f"unexpected character {char!r}", self.pos, hint)

    def _starts_variable(self) -> bool:
        """``:name`` is a variable, except right after a string: there the colon separates a
        map key from its value, so ``{'flag':TRUE}`` reads as a map, not as ``'flag' :TRUE``."""
        if not _NAME.match(self.text, self.pos + 1):
            return False
        return not (self.tokens and self.tokens[-1].kind is TokenKind.STRING)

    def _quoted(self, kind: TokenKind, quote: str, what: str) -> Token:
        """A quoted run in which a doubled quote stands for one quote character."""
        start, text = self.pos, self.text
        search = start + 1
        while True:
            close = text.find(quote, search)
            if close < 0:
                raise self._error(f"unterminated {what}: the {quote} here is never closed",
                                  start, expected=(quote,))
            if text.startswith(quote * 2, close):
                search = close + 2
                continue
            value = text[start + 1:close].replace(quote * 2, quote)
            if kind is TokenKind.QUOTED_NAME and not value:
                raise self._error("a quoted name cannot be empty", start,
                                  expected=("a name",))
            return self._make(kind, close + 1, value)

    def _number(self) -> Token:
        found = _NUMBER.match(self.text, self.pos)
        assert found is not None  # called on a digit
        literal = found.group()
        if _NUMBER_TAIL.match(self.text, found.end()):
            raise self._error(f"malformed number starting {literal!r}", self.pos,
                              expected=("a number",))
        value: int | Decimal
        try:
            value = Decimal(literal) if any(c in literal for c in ".eE") else int(literal)
        except ValueError:  # more digits than int() will convert
            raise self._error("number has too many digits", self.pos,
                              expected=("a number",)) from None
        return self._make(TokenKind.NUMBER, found.end(), value)

    def _make(self, kind: TokenKind, end: int, value: Any) -> Token:
        line, col = self.where(self.pos)
        token = Token(kind, self.text[self.pos:end], value, line, col, self.pos, end)
        self.pos = end
        return token

    def _error(self, description: str, offset: int, hint: str | None = None,
               expected: tuple[str, ...] = ()) -> ParseError:
        line, col = self.where(offset)
        if hint:
            description = f"{description} ({hint})"
        return ParseError(description, text=self.text, line=line, col=col, expected=expected)
