"""Tokens of the ``%%dynamo`` language: the first stage, text to a flat list of tokens.

The tokenizer knows nothing about statements; it only decides where one token ends and the
next begins, and turns literal text into Python values once (numbers stay exact: ``int`` or
``decimal.Decimal``, never ``float``). Every token records its 1-based line and column, and
its start/end offsets, so the parser can point at it and slice a statement's own text.

Two layers the parser builds on live here too. `TokenStream` is its cursor over the tokens
and its vocabulary for errors: each reads "expected <what> <context>, found <token>" and
points at that token. `ValueStream` adds literal values: PartiQL's scalars are single
tokens, and lists, maps and sets are nested literals evaluated to Python values.

Lines are counted exactly as ``str.splitlines`` counts them, because `ParseError` uses
``splitlines`` to show the offending line: a column computed any other way would put the
caret under the wrong character (``\\r\\n``, ``\\x0b`` and ``\\u2028`` all end a line there).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..errors import ParseError
from ._ast import Param, Variable

__all__ = [
    "CONSTANTS", "MAX_DEPTH", "PUNCTUATION", "Token", "TokenKind", "TokenStream", "ValueStream",
    "describe", "tokenize",
]

# Nesting (parentheses, NOT, containers, calls, + / - chains) beyond this is refused: see
# _parser's docstring for why the limit exists and how much stack a level costs.
MAX_DEPTH = 200
CONSTANTS: dict[str, Any] = {"TRUE": True, "FALSE": False, "NULL": None}


class TokenKind(StrEnum):
    """What a token is; the parser dispatches on this, never on the raw text's shape."""

    NAME = "name"                # bare name or keyword: SELECT, Artist, info_2
    QUOTED_NAME = "quoted name"  # "my-table" (value is unquoted, "" unescaped)
    STRING = "string"            # 'it''s' (value is the unescaped str)
    NUMBER = "number"            # 42 -> int, 4.5 / 1e3 -> Decimal
    VARIABLE = "variable"        # :name (value is the name, without the colon)
    PUNCT = "punctuation"        # one of PUNCTUATION
    ERROR = "error"              # lenient mode only: unreadable text (value: the ParseError)
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
_NUMBER_TAIL = re.compile(r"[A-Za-z0-9_.]*")
# Everything str.splitlines() treats as a line end: a comment stops at any of them.
_LINE_END = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_HINTS = {
    "`": "names are quoted with double quotes: \"name\"",
    "!": "did you mean '!='?",
}


def tokenize(text: str, *, lenient: bool = False) -> list[Token]:
    """Split `text` into tokens, ending with one END token placed just after the last token.

    Raises `ParseError` at an unknown character or an unterminated string / quoted name.
    With ``lenient=True`` the tokens instead stop at an ERROR token holding that error: the
    parser raises it when it gets there, adding what it expected at that point.
    """
    return _Scanner(text).scan(lenient)


class _Scanner:
    """One pass over the text; a class only to share the text, offset and line table."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []
        self.line_starts = [0]
        for line in text.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))

    def scan(self, lenient: bool) -> list[Token]:
        text = self.text
        while True:
            self._skip_blanks()
            if self.pos >= len(text):
                break
            try:
                self.tokens.append(self._token())
            except ParseError as error:
                if not lenient:
                    raise
                self.tokens.append(self._make(TokenKind.ERROR, self.pos + 1, error))
                break  # every error is raised at self.pos, so the ERROR token sits there
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
        tail = _NUMBER_TAIL.match(self.text, found.end())
        if tail and tail.group():
            raise self._error(f"malformed number {literal + tail.group()!r}", self.pos,
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


def _join(expected: tuple[str, ...]) -> str:
    """("a", "b", "c") -> "a, b or c"; punctuation is quoted so it stands out in prose."""
    shown = [f"'{item}'" if not any(c.isalnum() for c in item) else item for item in expected]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def describe(token: Token) -> str:
    """How a token reads in a message: 'FORM', the string 'abc', the end of the text."""
    if token.kind is TokenKind.END:
        return "the end of the text"
    text = token.text if len(token.text) <= 40 else token.text[:37] + "..."
    return f"the string {text}" if token.kind is TokenKind.STRING else f"'{text}'"


class TokenStream:
    """A cursor over the tokens of one text, with the parser's error vocabulary.

    Tokens consumed with `keyword` are remembered, so a message can say "after WHERE" (the
    keyword, upper-cased) rather than "after 'where'" (a name the user typed).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text, lenient=True)
        self.pos = 0
        self.keywords: set[int] = set()

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        if token.kind is TokenKind.ERROR:  # callers check a token before taking it: defensive
            raise self.expected(())
        if token.kind is not TokenKind.END:
            self.pos += 1
        return token

    def keyword(self) -> Token:
        """Consume the current token as a keyword."""
        self.keywords.add(self.pos)
        return self.advance()

    def at_keyword(self, *words: str) -> bool:
        return self.peek().keyword in words

    def at_punct(self, *symbols: str) -> bool:
        return self.peek().is_punct(*symbols)

    def at_end(self) -> bool:
        """At the end of a statement: ``;`` or the end of the text."""
        return self.peek().kind is TokenKind.END or self.at_punct(";")

    def accept_keyword(self, word: str) -> Token | None:
        return self.keyword() if self.at_keyword(word) else None

    def accept_punct(self, *symbols: str) -> Token | None:
        return self.advance() if self.at_punct(*symbols) else None

    def expect_keyword(self, word: str, context: str | None = None,
                       expected: tuple[str, ...] | None = None) -> Token:
        if self.at_keyword(word):
            return self.keyword()
        raise self.expected(expected or (word,), context=context)

    def expect_punct(self, symbol: str, context: str | None = None,
                     expected: tuple[str, ...] | None = None) -> Token:
        if self.at_punct(symbol):
            return self.advance()
        raise self.expected(expected or (symbol,), context=context)

    def fail(self, description: str, token: Token,
             expected: tuple[str, ...] = ()) -> ParseError:
        return ParseError(description, text=self.text, line=token.line, col=token.col,
                          expected=expected)

    def expected(self, expected: tuple[str, ...], *, what: str | None = None,
                 context: str | None = None, note: str = "") -> ParseError:
        """"expected <what> <context>, found <token> (<note>)" at the current token; the
        context defaults to "after <the previous token>"."""
        token = self.peek()
        if token.kind is TokenKind.ERROR:  # unreadable text: the tokenizer's words, our context
            return self.fail(token.value.description, token, expected)
        if context is None:
            context = self.after()
        where = f" {context}" if context else ""
        description = f"expected {what or _join(expected)}{where}, found {describe(token)}"
        return self.fail(f"{description} ({note})" if note else description, token, expected)

    def after(self) -> str:
        if self.pos == 0:
            return ""
        previous = self.tokens[self.pos - 1]
        if self.pos - 1 in self.keywords:
            return f"after {previous.keyword}"
        return f"after {describe(previous)}"


class ValueStream(TokenStream):
    """A `TokenStream` that also reads literal values: PartiQL's scalars are single tokens
    and its lists, maps and sets are nested literals, so reading them into Python values is
    the layer just above the tokens. ``?`` and ``:name`` stay nodes (`Param`, `Variable`),
    even inside containers: they are bound when the statement is compiled, never here.

    Also holds what every nested read needs: the ``?`` counter (one per text, across its
    statements, as the parameters are passed) and the nesting depth guard.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.params = 0
        self.depth = 0

    @contextmanager
    def nested(self, token: Token, levels: int = 1) -> Iterator[None]:
        """Count nesting; refuse beyond MAX_DEPTH instead of exhausting the Python stack."""
        self.depth += levels
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nesting is deeper than {MAX_DEPTH} levels", token)
        yield
        self.depth -= levels

    def value(self) -> Any:
        """A literal as a Python value; ``?`` and ``:name`` stay nodes, even inside containers."""
        token = self.peek()
        if token.kind in (TokenKind.STRING, TokenKind.NUMBER):
            return self.advance().value
        if token.keyword in CONSTANTS:
            self.advance()
            return CONSTANTS[str(token.keyword)]
        if token.is_punct("-"):
            self.advance()
            number = self.peek()
            if number.kind is not TokenKind.NUMBER:
                raise self.expected(("a number",))
            value = self.advance().value
            # Decimal's unary minus rounds to the context's 28 digits; copy_negate is exact
            return value.copy_negate() if isinstance(value, Decimal) else -value
        if token.is_punct("?"):
            self.advance()
            self.params += 1
            return Param(self.params - 1, line=token.line, col=token.col)
        if token.kind is TokenKind.VARIABLE:
            self.advance()
            return Variable(str(token.value), line=token.line, col=token.col)
        containers = {"[": self._list, "{": self._map, "<<": self._set}
        if token.kind is TokenKind.PUNCT and token.text in containers:
            self.advance()
            with self.nested(token):
                return containers[token.text]()
        if token.keyword == "MISSING":
            raise self.fail("MISSING is not a value; test for it with IS MISSING", token,
                             ("a value",))
        raise self.expected(("a value",))

    def _elements(self, closer: str) -> Iterator[None]:
        """Drive ``item (, item)* closer`` (or just ``closer``): yields once per item for the
        caller to read it. A generator, because a suspended generator is not on the stack:
        each level of container nesting then costs only `_value` and the container method."""
        if self.accept_punct(closer):
            return
        yield
        while self.accept_punct(","):
            yield
        self.expect_punct(closer, expected=(",", closer))

    def _list(self) -> list[Any]:
        values: list[Any] = []
        for _ in self._elements("]"):
            values.append(self.value())
        return values

    def _map(self) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for _ in self._elements("}"):
            key = self._map_key(entries)
            self.expect_punct(":", "after the map key")
            entries[key] = self.value()
        return entries

    def _map_key(self, entries: dict[str, Any]) -> str:
        key = self.peek()
        if key.kind is TokenKind.QUOTED_NAME:
            raise self.fail(f"map keys are strings in single quotes: write '{key.value}'",
                             key, ("a string key",))
        if key.kind is not TokenKind.STRING:
            raise self.expected(("a string key",), what="a key (a string in single quotes)")
        if key.value in entries:
            raise self.fail(f"duplicate key {key.text} in the map", key, ("a string key",))
        return str(self.advance().value)

    def _set(self) -> frozenset[Any]:
        """``<<...>>``: strings or numbers, one kind per set, no duplicates, never empty
        (DynamoDB has no empty sets and refuses duplicates)."""
        opener = self.tokens[self.pos - 1]
        elements: list[Any] = []
        kinds: set[str] = set()
        for _ in self._elements(">>"):
            token = self.peek()
            value = self.value()
            if not isinstance(value, Param | Variable):
                self._check_set_element(value, token, kinds, elements)
            elements.append(value)
        if not elements:
            raise self.fail("a set cannot be empty", opener, ("a string", "a number"))
        return frozenset(elements)

    def _check_set_element(self, value: Any, token: Token, kinds: set[str],
                           elements: list[Any]) -> None:
        if isinstance(value, str):
            kind = "string"
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            kind = "number"
        else:
            raise self.fail("set elements must be strings or numbers", token,
                             ("a string", "a number"))
        if kinds and kind not in kinds:
            (first,) = kinds
            raise self.fail(f"a set holds one kind of value: this {kind} follows {first}s",
                             token, (f"a {first}",))
        if value in elements:
            raise self.fail(f"duplicate value {token.text} in the set", token)
        kinds.add(kind)
