"""What a cell would change, known by parsing alone (`dl.statement_writes`), and the words of
the language the completer offers (`dl.KEYWORDS`)."""

from __future__ import annotations

import pytest

import dynamorm_lab as dl


def test_each_write_is_listed_with_its_verb_table_and_text() -> None:
    text = """SELECT * FROM "Movies" WHERE "year" = 1985;
    INSERT INTO "Music" VALUE {'Artist': 'Acme', 'SongTitle': 'Road'};
    UPDATE Music SET Plays = Plays + 1 WHERE Artist = 'Acme' AND SongTitle = 'Road';
    DELETE FROM "battle-royale" WHERE PK = 'USER#1' AND SK = '#METADATA#USER#1'"""
    assert dl.statement_writes(text) == [
        ("INSERT", "Music", "INSERT INTO \"Music\" VALUE {'Artist': 'Acme', 'SongTitle': 'Road'}"),
        ("UPDATE", "Music",
         "UPDATE Music SET Plays = Plays + 1 WHERE Artist = 'Acme' AND SongTitle = 'Road'"),
        ("DELETE", "battle-royale",
         "DELETE FROM \"battle-royale\" WHERE PK = 'USER#1' AND SK = '#METADATA#USER#1'"),
    ]
    assert [write.verb for write in dl.statement_writes(text)] == ["INSERT", "UPDATE", "DELETE"]


@pytest.mark.parametrize("text", [
    'SELECT * FROM "Movies"',
    "EXPLAIN DELETE FROM \"Movies\" WHERE \"year\" = 1 AND title = 'x'",
    "EXPLAIN INSERT INTO \"Movies\" VALUE {'year': 1, 'title': 'x'}",
    'DESCRIBE "Movies"',
    "SHOW TABLES",
    'ADVISE SELECT * FROM "Movies" WHERE title = \'x\'',
])
def test_statements_that_write_nothing_are_not_listed(text: str) -> None:
    assert dl.statement_writes(text) == []


def test_the_statements_of_a_transaction_are_listed_one_by_one() -> None:
    text = ("BEGIN TRANSACTION; INSERT INTO \"A\" VALUE {'k': 1}; "
            "DELETE FROM \"B\" WHERE k = 2; COMMIT")
    assert [(w.verb, w.table) for w in dl.statement_writes(text)] == [
        ("INSERT", "A"), ("DELETE", "B")]


def test_text_that_does_not_parse_is_a_parse_error() -> None:
    with pytest.raises(dl.ParseError):
        dl.statement_writes("INSERT INTO")


def test_the_keywords_name_every_statement_and_function_of_the_language() -> None:
    assert set(dl.KEYWORDS["statement"]) == {
        "SELECT", "INSERT", "UPDATE", "DELETE", "EXPLAIN", "ADVISE", "SHOW", "DESCRIBE",
        "BEGIN", "COMMIT", "ROLLBACK"}
    assert {"FROM", "WHERE", "ORDER", "BY", "LIMIT", "INTO", "VALUE", "SET", "REMOVE",
            "RETURNING", "BETWEEN", "IN", "IS", "MISSING"} <= set(dl.KEYWORDS["clause"])
    assert set(dl.KEYWORDS["function"]) == {
        "begins_with", "contains", "attribute_type", "attribute_exists",
        "attribute_not_exists", "size", "list_append", "set_add", "set_delete",
        "if_not_exists"}


@pytest.mark.parametrize("word", ["SELECT", "INSERT", "UPDATE", "DELETE", "EXPLAIN", "ADVISE",
                                  "SHOW", "DESCRIBE", "BEGIN", "COMMIT", "ROLLBACK"])
def test_every_statement_keyword_starts_a_statement(word: str) -> None:
    """The parser takes the word as a statement's start: whatever it says is about what
    follows, never that a statement was expected."""
    try:
        dl.parse(f"{word} ")
    except dl.ParseError as error:
        assert "expected a statement" not in str(error)
