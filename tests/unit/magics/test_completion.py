"""Tab completion of the magic's text, as a pure function: what is offered where the cursor is.

The names come from a fixed provider (the tables, attributes and indexes of a small design
and a notebook's variables), so each test says by hand what a user should be offered; the
same completer answering through a real IPython shell and a real server is tested in
tests/integration/test_magic_help_and_completion.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from dynamorm_lab.magics._complete import complete, connection_alias

TABLES = {
    "Movies": (["year", "title", "info"], []),
    "battle-royale": (["PK", "SK", "map", "open_timestamp", "GSI1-PK", "select"],
                      ["InvertedIndex", "OpenGamesIndex"]),
}


@dataclass
class Design:
    """The provider: names a connection and a notebook would give."""

    asked: list[str] = field(default_factory=list)

    def tables(self) -> list[str]:
        self.asked.append("tables")
        return list(TABLES)

    def attributes(self, table: str) -> list[str]:
        self.asked.append(f"attributes of {table}")
        return TABLES[table][0]

    def indexes(self, table: str) -> list[str]:
        self.asked.append(f"indexes of {table}")
        return TABLES[table][1]

    def variables(self) -> list[str]:
        return ["year", "yield_", "title"]

    def connections(self) -> list[str]:
        return ["t", "ro"]


def offered(text: str, cursor: int | None = None, design: Design | None = None
            ) -> tuple[str, list[str]] | None:
    """(the fragment replaced, the candidates' texts) at the cursor (default: the end)."""
    found = complete(text, len(text) if cursor is None else cursor, design or Design())
    return None if found is None else (found.fragment, [c.text for c in found.candidates])


CELL = "%%dynamo\n"


# --- keywords -------------------------------------------------------------------------------

def test_a_statement_starts_with_a_statement_keyword_in_the_case_typed() -> None:
    assert offered(CELL + "SEL") == ("SEL", ["SELECT"])
    assert offered(CELL + "sel") == ("sel", ["select"])
    assert offered(CELL + "De") == ("De", ["DELETE", "DESCRIBE"])


def test_clause_keywords_and_functions_after_the_table() -> None:
    assert offered(CELL + 'SELECT * FROM "Movies" WH') == ("WH", ["WHERE"])
    assert offered(CELL + 'SELECT * FROM "Movies" WHERE begins') == ("begins", ["begins_with"])
    assert offered(CELL + 'select * from "Movies" wh') == ("wh", ["where"])


def test_a_new_statement_after_a_semicolon_starts_over() -> None:
    assert offered(CELL + 'SELECT * FROM "Movies";\nUPD') == ("UPD", ["UPDATE"])


# --- tables and indexes ---------------------------------------------------------------------

@pytest.mark.parametrize("before", ["SELECT * FROM ", "INSERT INTO ", "UPDATE ",
                                    "DELETE FROM ", "DESCRIBE ", "EXPLAIN SELECT a FROM "])
def test_tables_in_quoted_form_where_a_table_goes(before: str) -> None:
    assert offered(CELL + before) == ("", ['"Movies"', '"battle-royale"'])
    assert offered(CELL + before + "ba") == ("ba", ['"battle-royale"'])
    assert offered(CELL + before + '"Mo') == ('"Mo', ['"Movies"'])


def test_indexes_after_the_table_and_a_dot() -> None:
    assert offered(CELL + 'SELECT * FROM "battle-royale".') == (
        "", ['"InvertedIndex"', '"OpenGamesIndex"'])
    assert offered(CELL + 'SELECT * FROM "battle-royale"."Op') == ('"Op', ['"OpenGamesIndex"'])


# --- attributes of the table in the FROM clause ---------------------------------------------

def test_attributes_of_the_statements_table() -> None:
    assert offered(CELL + 'SELECT * FROM "Movies" WHERE ti') == ("ti", ["title"])
    assert offered(CELL + 'SELECT * FROM "Movies" WHERE "ye') == ('"ye', ['"year"'])
    assert offered(CELL + 'UPDATE "Movies" SET in') == ("in", ["info", "in", "into"])


def test_attributes_before_the_from_clause_come_from_the_table_after_the_cursor() -> None:
    text = CELL + 'SELECT ti, year FROM "Movies" WHERE "year" = 1985'
    cursor = text.index("ti,") + 2
    assert offered(text, cursor) == ("ti", ["title"])


def test_only_the_table_of_the_statement_under_the_cursor_is_asked() -> None:
    design = Design()
    text = CELL + 'SELECT * FROM "Movies" WHERE year = 1;\nSELECT * FROM "battle-royale" WHERE m'
    assert offered(text, design=design) == ("m", ["map", "missing", "modified"])
    assert design.asked == ["attributes of battle-royale"]


def test_attributes_that_need_quotes_are_offered_quoted() -> None:
    # GSI1-PK is no bare name, and "select" is a keyword: both must be quoted to be read
    found = offered(CELL + 'SELECT * FROM "battle-royale" WHERE ')
    assert found is not None
    assert {'"GSI1-PK"', '"select"', "PK", "open_timestamp"} <= set(found[1])
    assert offered(CELL + 'SELECT * FROM "battle-royale" WHERE GS') == ("GS", ['"GSI1-PK"'])


def test_no_table_named_yet_offers_no_attributes() -> None:
    design = Design()
    assert offered(CELL + "SELECT ti", design=design) is None
    assert design.asked == []


# --- :variables -----------------------------------------------------------------------------

def test_variables_from_the_namespace_after_a_colon() -> None:
    assert offered(CELL + 'SELECT * FROM "Movies" WHERE "year" = :y') == (
        ":y", [":year", ":yield_"])
    assert offered(CELL + 'SELECT * FROM "Movies" WHERE "year" = :') == (
        ":", [":title", ":year", ":yield_"])


# --- nothing inside strings and comments, nothing outside the magic --------------------------

@pytest.mark.parametrize("text", [
    CELL + "SELECT * FROM \"Movies\" WHERE title = 'Ro",
    CELL + 'SELECT * FROM "Movies" -- FROM ',
    CELL + 'SELECT * FROM "Movies"',  # just after a closed name: nothing to add to it
    "x = 1\nprint(x",
    "%%dyn",
    "%%dynamo",
    "%%time\nSELECT * FROM ",
])
def test_nothing_offered(text: str) -> None:
    assert offered(text) is None


def test_a_line_magic_among_python_lines() -> None:
    text = 'x = 1\n%dynamo SELECT * FROM "Movies" WHERE ye\ny = 2'
    assert offered(text, text.index("ye\n") + 2) == ("ye", ["year"])
    assert offered(text, text.index("x = 1") + 5) is None


# --- %dynamo: subcommands and their arguments ------------------------------------------------

def test_subcommands_and_statement_keywords_after_the_magic() -> None:
    found = offered("%dynamo ")
    assert found is not None and found[0] == ""
    assert {"connect", "use", "connections", "tables", "describe", "model", "sample",
            "refresh", "explore", "build", "load", "export", "SELECT", "INSERT"} <= set(found[1])
    assert offered("%dynamo con") == ("con", ["connect", "connections"])
    assert offered("%ddb ex") == ("ex", ["explore", "export", "explain"])


def test_a_subcommands_arguments() -> None:
    assert offered("%dynamo describe ") == ("", ["Movies", "battle-royale"])
    assert offered("%dynamo model Mo") == ("Mo", ["Movies"])
    assert offered("%dynamo use ") == ("", ["t", "ro"])
    assert offered("%dynamo connect ") == ("", ["t", "ro", "local", "aws"])
    assert offered("%dynamo sample m") == ("m", ["movies"])
    assert offered("%dynamo connect --re") == ("--re", ["--region", "--read-only"])
    assert offered("%dynamo load Movies songs.csv --format ") == ("", ["parquet", "csv", "jsonl"])
    assert offered("%dynamo load Movies ") is None  # a file: IPython's own completer answers
    assert offered('%dynamo export SELECT * FROM "Movies" WHERE ye') == ("ye", ["year"])
    assert offered('%dynamo export SELECT * FROM "Movies" TO ') is None  # a file again


def test_cell_options_and_their_values() -> None:
    assert offered("%%dynamo --d") == ("--d", ["--dry-run"])
    assert offered("%%dynamo -c ") == ("", ["t", "ro"])
    assert offered("%%dynamo -p ") == ("", ["year", "yield_", "title"])
    assert offered("%%dynamo -o ") is None  # a new variable's name
    assert offered("%dynamo -c r") == ("r", ["ro"])
    assert offered('%dynamo -c ro SELECT * FROM "Movies" WHERE ti') == ("ti", ["title"])


def test_the_connection_a_cell_names() -> None:
    assert connection_alias("%%dynamo -c ro\nSELECT * FROM ", 28) == "ro"
    assert connection_alias("%dynamo --connection t SELECT * FROM ", 36) == "t"
    assert connection_alias("%%dynamo\nSELECT * FROM ", 22) is None
    assert connection_alias("x = 1", 3) is None
