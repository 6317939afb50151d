"""Tests for the DynamoDB reserved-word list in ``dynamorm_lab._core.reserved``."""

from __future__ import annotations

import re

import pytest

from dynamorm_lab._core.reserved import RESERVED_WORDS, is_reserved

# Every word below appears on the AWS "Reserved words in DynamoDB" page (ReservedWords.html).
# TTL is included because the page lists it.
KNOWN_RESERVED = [
    "STATUS",
    "NAME",
    "YEAR",
    "DATA",
    "TIMESTAMP",
    "USER",
    "COMMENT",
    "SIZE",
    "KEYS",
    "TTL",
    "ABORT",
    "ZONE",
]

# None of these appear on the AWS page.
NOT_RESERVED = ["movie_title", "ID", "EMAIL", "TITLE", "PRICE"]


def test_exactly_573_words() -> None:
    assert len(RESERVED_WORDS) == 573


def test_words_are_uppercase_identifiers() -> None:
    pattern = re.compile(r"^[A-Z_]+$")
    bad = sorted(word for word in RESERVED_WORDS if not pattern.fullmatch(word))
    assert bad == []


def test_is_frozenset() -> None:
    assert isinstance(RESERVED_WORDS, frozenset)


@pytest.mark.parametrize("word", KNOWN_RESERVED)
def test_known_words_present(word: str) -> None:
    assert word in RESERVED_WORDS
    assert is_reserved(word)


@pytest.mark.parametrize("word", NOT_RESERVED)
def test_non_words_absent(word: str) -> None:
    assert word.upper() not in RESERVED_WORDS
    assert not is_reserved(word)


@pytest.mark.parametrize("name", ["status", "Status", "STATUS", "sTaTuS"])
def test_is_reserved_is_case_insensitive(name: str) -> None:
    assert is_reserved(name)


def test_is_reserved_false_for_non_word() -> None:
    assert is_reserved("movie_title") is False
