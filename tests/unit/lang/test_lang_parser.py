"""The %%dynamo parser: AWS-documented PartiQL parses unchanged, errors point at the problem.

Statements are copied from the AWS DynamoDB PartiQL documentation (select, insert, update,
delete, functions, data types, and the SDK code examples); only table names are adapted.
ASTs are compared with ``==``, which ignores positions and statement text by design; the
positions are checked by their own tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamorm_lab.errors import ParseError
from dynamorm_lab.lang import (
    Begin,
    Between,
    BinaryOp,
    Call,
    Commit,
    Compare,
    Delete,
    Describe,
    Explain,
    In,
    Insert,
    IsCheck,
    Literal,
    Logical,
    Node,
    Not,
    Param,
    PathExpr,
    Remove,
    Rollback,
    Select,
    SetAction,
    ShowTables,
    Statement,
    TableRef,
    Update,
    Variable,
    parse,
)
from dynamorm_lab.lang._parser import MAX_DEPTH
from dynamorm_lab.lang._tokens import Token, TokenKind, tokenize

# --- helpers --------------------------------------------------------------------------------


def one(text: str) -> Statement:
    statements = parse(text)
    assert len(statements) == 1, statements
    return statements[0]


def p(*elements: str | int) -> PathExpr:
    return PathExpr(tuple(elements))


def lit(value: Any) -> Literal:
    return Literal(value)


def eq(path: str, value: Any) -> Compare:
    return Compare("=", p(path), value if isinstance(value, Node) else lit(value))


def AND(*parts: Node) -> Logical:
    return Logical("AND", parts)


def OR(*parts: Node) -> Logical:
    return Logical("OR", parts)


def call(name: str, *args: Node) -> Call:
    return Call(name, args)


MOVIES = TableRef("Movies")
SHOP = TableRef("OnlineShop")
ACME = AND(eq("Artist", "Acme Band"), eq("SongTitle", "PartiQL Rocks"))
ACME_WHERE = "WHERE Artist='Acme Band' AND SongTitle='PartiQL Rocks'"


def parse_error(text: str) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(text)
    return caught.value


def caret(text: str, line: int, col: int) -> str:
    source = text.splitlines()[line - 1] if text.splitlines() else ""
    return f"  {source}\n  {' ' * (col - 1)}^"


# --- SELECT (ql-reference.select, ql-functions.*) -------------------------------------------

SELECTS: list[tuple[str, Select]] = [
    ('SELECT OrderID, Total FROM "OnlineShop" WHERE OrderID = 1',
     Select((p("OrderID"), p("Total")), SHOP, eq("OrderID", 1))),
    ('SELECT OrderID, Total FROM "OnlineShop" WHERE OrderID = 1 OR OrderID = 2',
     Select((p("OrderID"), p("Total")), SHOP, OR(eq("OrderID", 1), eq("OrderID", 2)))),
    ('SELECT OrderID, Total FROM "OnlineShop" WHERE OrderID IN [1, 2, 3] ORDER BY OrderID DESC',
     Select((p("OrderID"), p("Total")), SHOP,
            In(p("OrderID"), (lit(1), lit(2), lit(3))), order_by=p("OrderID"), descending=True)),
    ('SELECT OrderID, Total FROM "OnlineShop" WHERE Total BETWEEN 500 AND 600',
     Select((p("OrderID"), p("Total")), SHOP, Between(p("Total"), lit(500), lit(600)))),
    ('SELECT * FROM "OnlineShop" WHERE OrderID = 100 AND Total BETWEEN 500 AND 600',
     Select(None, SHOP, AND(eq("OrderID", 100), Between(p("Total"), lit(500), lit(600))))),
    ('SELECT * FROM "OnlineShop" WHERE OrderID = 100 and Address=\'some address\'',
     Select(None, SHOP, AND(eq("OrderID", 100), eq("Address", "some address")))),
    ('SELECT * FROM "OnlineShop" WHERE OrderID IN [100, 300, 234]',
     Select(None, SHOP, In(p("OrderID"), (lit(100), lit(300), lit(234))))),
    ('SELECT * FROM "OnlineShop" WHERE OrderID > 1',
     Select(None, SHOP, Compare(">", p("OrderID"), lit(1)))),
    ('SELECT * FROM "OnlineShop" WHERE OrderID = 100 OR Address=\'some address\'',
     Select(None, SHOP, OR(eq("OrderID", 100), eq("Address", "some address")))),
    ('SELECT * FROM "OnlineShop"."OrderByDate" WHERE OrderDate >= \'2024-01-01\'',
     Select(None, TableRef("OnlineShop", "OrderByDate"),
            Compare(">=", p("OrderDate"), lit("2024-01-01")))),
    ('SELECT * FROM "OnlineShop" WHERE "OrderID"=1 AND begins_with("Address", \'7834 24th\')',
     Select(None, SHOP, AND(eq("OrderID", 1),
                            call("begins_with", p("Address"), lit("7834 24th"))))),
    ('SELECT * FROM "OnlineShop" WHERE "OrderID"=1 AND contains("Address", \'Kirkland\')',
     Select(None, SHOP, AND(eq("OrderID", 1), call("contains", p("Address"), lit("Kirkland"))))),
    (' SELECT * FROM "OnlineShop" WHERE "OrderID"=1 AND size("Image") >300',
     Select(None, SHOP, AND(eq("OrderID", 1),
                            Compare(">", call("size", p("Image")), lit(300))))),
    ('SELECT * FROM "Movies" WHERE attribute_type("Artist", \'S\')',
     Select(None, MOVIES, call("attribute_type", p("Artist"), lit("S")))),
    ('SELECT * FROM Movies WHERE "Awards" is MISSING',
     Select(None, MOVIES, IsCheck(p("Awards"), "MISSING"))),
    ("SELECT Devices.FireStick.DateWatched[0] FROM Movies WHERE CustomerID= 'C1' AND "
     "MovieID= 'M1'",
     Select((p("Devices", "FireStick", "DateWatched", 0),), MOVIES,
            AND(eq("CustomerID", "C1"), eq("MovieID", "M1")))),
    ('SELECT * FROM "Movies" WHERE title=? and year=?',  # SDK code examples
     Select(None, MOVIES, AND(eq("title", Param(0)), eq("year", Param(1))))),
    # our additions and the remaining operators
    ('SELECT * FROM "Reply" WHERE Id = :reply_id ORDER BY ReplyDateTime ASC LIMIT 10',
     Select(None, TableRef("Reply"), eq("Id", Variable("reply_id")),
            order_by=p("ReplyDateTime"), limit=10)),
    ('SELECT * FROM "Forum" WHERE Name <> \'S3\' AND Threads != 0 AND Messages < 5 AND '
     'Views <= 9',
     Select(None, TableRef("Forum"), AND(
         Compare("<>", p("Name"), lit("S3")), Compare("<>", p("Threads"), lit(0)),
         Compare("<", p("Messages"), lit(5)), Compare("<=", p("Views"), lit(9))))),
    ('SELECT Title, "Price" FROM ProductCatalog WHERE Id NOT IN (1, 2) AND Price NOT BETWEEN '
     '-5 AND 7.50',
     Select((p("Title"), p("Price")), TableRef("ProductCatalog"), AND(
         Not(In(p("Id"), (lit(1), lit(2)))),
         Not(Between(p("Price"), lit(-5), lit(Decimal("7.50"))))))),
    ('SELECT * FROM "ProductCatalog" WHERE attribute_exists(Pictures.FrontView) AND '
     'attribute_not_exists(Discontinued) AND Color IS NOT NULL AND Notes IS NULL',
     Select(None, TableRef("ProductCatalog"), AND(
         call("attribute_exists", p("Pictures", "FrontView")),
         call("attribute_not_exists", p("Discontinued")),
         IsCheck(p("Color"), "NULL", negated=True), IsCheck(p("Notes"), "NULL")))),
    ('SELECT "a.b", "x""y"[1] FROM "battle-royale"',
     Select((p("a.b"), p('x"y', 1)), TableRef("battle-royale"))),
]


@pytest.mark.parametrize(("text", "expected"), SELECTS, ids=[t for t, _ in SELECTS])
def test_select(text: str, expected: Select) -> None:
    assert one(text) == expected


# --- INSERT (ql-reference.insert, ql-reference.data-types) ----------------------------------

DATA_TYPES_INSERT = """INSERT INTO "ProductCatalog" value {'primarykey':'1',
'NumberType':1,
'MapType' : {'entryname1': 'value', 'entryname2': 4},
'ListType': [1,'stringval'],
'NumberSetType':<<1,34,32,4.5>>,
'StringSetType':<<'stringval','stringval2'>>
}"""

INSERTS: list[tuple[str, Insert]] = [
    ("INSERT INTO \"Movies\" value {'Artist' : 'Acme Band','SongTitle' : 'PartiQL Rocks'}",
     Insert(MOVIES, lit({"Artist": "Acme Band", "SongTitle": "PartiQL Rocks"}))),
    (DATA_TYPES_INSERT,
     Insert(TableRef("ProductCatalog"), lit({
         "primarykey": "1", "NumberType": 1,
         "MapType": {"entryname1": "value", "entryname2": 4},
         "ListType": [1, "stringval"],
         "NumberSetType": frozenset({1, 34, 32, Decimal("4.5")}),
         "StringSetType": frozenset({"stringval", "stringval2"}),
     }))),
    ("INSERT INTO \"Movies\" VALUE {'title': ?, 'year': ?}",  # SDK code examples
     Insert(MOVIES, lit({"title": Param(0), "year": Param(1)}))),
    ("INSERT INTO Thread VALUE {'ForumName': :forum, 'Tags': <<:tag, 'new'>>, 'Answered': "
     "false, 'LastPostedBy': null, 'Views': -0.5e1, 'Replies': [TRUE, [], {}]}",
     Insert(TableRef("Thread"), lit({
         "ForumName": Variable("forum"), "Tags": frozenset({Variable("tag"), "new"}),
         "Answered": False, "LastPostedBy": None, "Views": Decimal("-0.5e1"),
         "Replies": [True, [], {}],
     }))),
]


@pytest.mark.parametrize(("text", "expected"), INSERTS, ids=[t[:50] for t, _ in INSERTS])
def test_insert(text: str, expected: Insert) -> None:
    assert one(text) == expected


# --- UPDATE (ql-reference.update, ql-reference.data-types) ----------------------------------

DATA_TYPES_UPDATE_ADD = """UPDATE "ProductCatalog"
SET NumberType=NumberType + 100
SET MapType.NewMapEntry=[2020, 'stringvalue', 2.4]
SET ListType = LIST_APPEND(ListType, [4, <<'string1', 'string2'>>])
SET NumberSetType= SET_ADD(NumberSetType, <<345, 48.4>>)
SET StringSetType = SET_ADD(StringSetType, <<'stringsetvalue1', 'stringsetvalue2'>>)
WHERE primarykey='1'"""

DATA_TYPES_UPDATE_REMOVE = """UPDATE "ProductCatalog"
SET NumberType=NumberType - 1
REMOVE ListType[1]
REMOVE MapType.NewMapEntry
SET NumberSetType = SET_DELETE( NumberSetType, <<345>>)
SET StringSetType = SET_DELETE( StringSetType, <<'stringsetvalue1'>>)
WHERE primarykey='1'"""

CATALOG = TableRef("ProductCatalog")
PK_1 = eq("primarykey", "1")

UPDATES: list[tuple[str, Update]] = [
    ("UPDATE \"Movies\" SET AwardsWon=1 SET AwardDetail={'Grammys':[2020, 2018]} " + ACME_WHERE,
     Update(MOVIES, (SetAction(p("AwardsWon"), lit(1)),
                     SetAction(p("AwardDetail"), lit({"Grammys": [2020, 2018]}))), ACME)),
    ('UPDATE "Movies" SET AwardDetail.Grammys =list_append(AwardDetail.Grammys,[2016]) '
     + ACME_WHERE,
     Update(MOVIES, (SetAction(p("AwardDetail", "Grammys"), call(
         "list_append", p("AwardDetail", "Grammys"), lit([2016]))),), ACME)),
    ('UPDATE "Movies" REMOVE AwardDetail.Grammys[2] ' + ACME_WHERE,
     Update(MOVIES, (Remove(p("AwardDetail", "Grammys", 2)),), ACME)),
    ('UPDATE "Movies" SET AwardDetail.BillBoard=[2020] ' + ACME_WHERE,
     Update(MOVIES, (SetAction(p("AwardDetail", "BillBoard"), lit([2020])),), ACME)),
    ("UPDATE \"Movies\" SET BandMembers =<<'member1', 'member2'>> " + ACME_WHERE,
     Update(MOVIES, (SetAction(p("BandMembers"), lit(frozenset({"member1", "member2"}))),),
            ACME)),
    ("UPDATE \"Movies\" SET BandMembers =set_add(BandMembers, <<'newmember'>>) " + ACME_WHERE,
     Update(MOVIES, (SetAction(p("BandMembers"), call(
         "set_add", p("BandMembers"), lit(frozenset({"newmember"})))),), ACME)),
    ("UPDATE \"Movies\" SET BandMembers =set_delete(BandMembers, <<'newmember'>>) "
     + ACME_WHERE,
     Update(MOVIES, (SetAction(p("BandMembers"), call(
         "set_delete", p("BandMembers"), lit(frozenset({"newmember"})))),), ACME)),
    (DATA_TYPES_UPDATE_ADD, Update(CATALOG, (
        SetAction(p("NumberType"), BinaryOp("+", p("NumberType"), lit(100))),
        SetAction(p("MapType", "NewMapEntry"), lit([2020, "stringvalue", Decimal("2.4")])),
        SetAction(p("ListType"), call("list_append", p("ListType"),
                                      lit([4, frozenset({"string1", "string2"})]))),
        SetAction(p("NumberSetType"), call("set_add", p("NumberSetType"),
                                           lit(frozenset({345, Decimal("48.4")})))),
        SetAction(p("StringSetType"), call(
            "set_add", p("StringSetType"),
            lit(frozenset({"stringsetvalue1", "stringsetvalue2"})))),
    ), PK_1)),
    (DATA_TYPES_UPDATE_REMOVE, Update(CATALOG, (
        SetAction(p("NumberType"), BinaryOp("-", p("NumberType"), lit(1))),
        Remove(p("ListType", 1)),
        Remove(p("MapType", "NewMapEntry")),
        SetAction(p("NumberSetType"), call("set_delete", p("NumberSetType"),
                                           lit(frozenset({345})))),
        SetAction(p("StringSetType"), call("set_delete", p("StringSetType"),
                                           lit(frozenset({"stringsetvalue1"})))),
    ), PK_1)),
    ('UPDATE "Movies" SET info.rating=? WHERE title=? and year=?',  # SDK code examples
     Update(MOVIES, (SetAction(p("info", "rating"), Param(0)),),
            AND(eq("title", Param(1)), eq("year", Param(2))))),
    ("UPDATE \"Forum\" SET Threads = Threads + 1, Messages = Messages - :n + 2, "
     "Views = if_not_exists(Views, 0) + 1 REMOVE LastPost, Draft WHERE Name = 'Amazon S3'",
     Update(TableRef("Forum"), (
         SetAction(p("Threads"), BinaryOp("+", p("Threads"), lit(1))),
         SetAction(p("Messages"), BinaryOp(
             "+", BinaryOp("-", p("Messages"), Variable("n")), lit(2))),
         SetAction(p("Views"), BinaryOp("+", call("if_not_exists", p("Views"), lit(0)), lit(1))),
         Remove(p("LastPost")), Remove(p("Draft")),
     ), eq("Name", "Amazon S3"))),
]


@pytest.mark.parametrize(("text", "expected"), UPDATES, ids=[t[:60] for t, _ in UPDATES])
def test_update(text: str, expected: Update) -> None:
    assert one(text) == expected


# --- DELETE and the other statements --------------------------------------------------------

OTHERS: list[tuple[str, Statement]] = [
    ('DELETE FROM "Movies" WHERE "Artist" = \'Acme Band\' AND "SongTitle" = \'PartiQL Rocks\'',
     Delete(MOVIES, ACME)),
    ('DELETE FROM "Movies" WHERE title=? and year=?',  # SDK code examples
     Delete(MOVIES, AND(eq("title", Param(0)), eq("year", Param(1))))),
    ('EXPLAIN SELECT * FROM "Thread" WHERE ForumName = \'S3\'',
     Explain(Select(None, TableRef("Thread"), eq("ForumName", "S3")))),
    ("EXPLAIN DELETE FROM Reply WHERE Id = 'x'", Explain(Delete(TableRef("Reply"), eq("Id", "x")))),
    ("EXPLAIN INSERT INTO Reply VALUE {'Id': 'x'}", Explain(Insert(TableRef("Reply"),
                                                                    lit({"Id": "x"})))),
    ("EXPLAIN UPDATE Reply REMOVE Draft WHERE Id = 'x'",
     Explain(Update(TableRef("Reply"), (Remove(p("Draft")),), eq("Id", "x")))),
    ("SHOW TABLES", ShowTables()),
    ("show tables", ShowTables()),
    ('DESCRIBE "battle-royale"', Describe(TableRef("battle-royale"))),
    ('describe "OnlineShop"."OrderByDate"', Describe(TableRef("OnlineShop", "OrderByDate"))),
    ("BEGIN", Begin()), ("BEGIN TRANSACTION", Begin()), ("begin transaction", Begin()),
    ("COMMIT", Commit()), ("COMMIT TRANSACTION", Commit()),
    ("ROLLBACK", Rollback()), ("Rollback Transaction", Rollback()),
]


@pytest.mark.parametrize(("text", "expected"), OTHERS, ids=[t for t, _ in OTHERS])
def test_other_statements(text: str, expected: Statement) -> None:
    assert one(text) == expected


def test_keywords_and_function_names_are_case_insensitive() -> None:
    upper = "SELECT * FROM \"Reply\" WHERE Id = 'x' AND BEGINS_WITH(Message, 'Hi') ORDER BY Id"
    lower = "select * from \"Reply\" where Id = 'x' and begins_with(Message, 'Hi') order by Id"
    statement = one(lower)
    assert statement == one(upper)
    assert isinstance(statement, Select)
    assert statement.where == AND(eq("Id", "x"), call("begins_with", p("Message"), lit("Hi")))


# --- conditions: precedence, grouping, flattening -------------------------------------------

CONDITIONS: list[tuple[str, Node]] = [
    ("a = 1 AND b = 2 AND c = 3", AND(eq("a", 1), eq("b", 2), eq("c", 3))),
    ("a = 1 OR b = 2 AND NOT c = 3", OR(eq("a", 1), AND(eq("b", 2), Not(eq("c", 3))))),
    ("(a = 1 OR b = 2) AND c = 3", AND(OR(eq("a", 1), eq("b", 2)), eq("c", 3))),
    ("NOT (a = 1 AND b = 2)", Not(AND(eq("a", 1), eq("b", 2)))),
    ("NOT NOT a = 1", Not(Not(eq("a", 1)))),
    ("a = 1 OR b = 2 OR c = 3 AND d = 4",
     OR(eq("a", 1), eq("b", 2), AND(eq("c", 3), eq("d", 4)))),
    ("a BETWEEN 1 AND 5 AND b = 2", AND(Between(p("a"), lit(1), lit(5)), eq("b", 2))),
    ("size(a[0].b) BETWEEN :lo AND ?", Between(call("size", p("a", 0, "b")), Variable("lo"),
                                               Param(0))),
    ("a IN [b.c, ?, 'x']", In(p("a"), (p("b", "c"), Param(0), lit("x")))),
    ("'x' = a", Compare("=", lit("x"), p("a"))),
    ("tags = <<'a', 'b'>>", eq("tags", frozenset({"a", "b"}))),
    ("a = b", eq("a", p("b"))),
]


@pytest.mark.parametrize(("condition", "expected"), CONDITIONS, ids=[c for c, _ in CONDITIONS])
def test_condition_structure(condition: str, expected: Node) -> None:
    statement = one(f'SELECT * FROM "Thread" WHERE {condition}')
    assert isinstance(statement, Select)
    assert statement.where == expected


# --- values ---------------------------------------------------------------------------------

VALUES: list[tuple[str, Any]] = [
    ("'it''s'", "it's"), ("''", ""), ("'-- not a comment'", "-- not a comment"),
    ("42", 42), ("-42", -42), ("0.1", Decimal("0.1")), ("1e0", Decimal("1")),
    ("1.0", Decimal("1.0")), ("2.5E-3", Decimal("0.0025")),
    ("123456789012345678901234567890123456789", 123456789012345678901234567890123456789),
    ("TRUE", True), ("false", False), ("Null", None),
    ("[]", []), ("{}", {}), ("[1, [2, [3]]]", [1, [2, [3]]]),
    ("{'a': {'b': [TRUE, NULL]}}", {"a": {"b": [True, None]}}),
    ("<<1, 2.5>>", frozenset({1, Decimal("2.5")})),
]


@pytest.mark.parametrize(("text", "value"), VALUES, ids=[t for t, _ in VALUES])
def test_literal_values(text: str, value: Any) -> None:
    statement = one(f"UPDATE Reply SET v = {text} WHERE Id = 1")
    assert isinstance(statement, Update)
    action = statement.actions[0]
    assert isinstance(action, SetAction)
    assert action.value == Literal(value)
    assert isinstance(action.value, Literal)
    assert type(action.value.value) is type(value)


def test_numbers_stay_exact() -> None:
    statement = one("UPDATE ProductCatalog SET Price = 0.1 + 0.2 WHERE Id = 1")
    assert isinstance(statement, Update)
    assert statement.actions[0] == SetAction(
        p("Price"), BinaryOp("+", lit(Decimal("0.1")), lit(Decimal("0.2"))))


def test_params_are_numbered_across_the_whole_text() -> None:
    statements = parse("SELECT * FROM Reply WHERE Id = ?;\n"
                       "INSERT INTO Reply VALUE {'Id': ?, 'Tags': [?, <<?>>]};\n"
                       "UPDATE Reply SET Message = ? WHERE Id = ?")
    params: list[int] = []

    def collect(value: Any) -> None:
        if isinstance(value, Param):
            params.append(value.index)
        elif isinstance(value, Node | list | tuple | dict | frozenset):
            items = vars(value).values() if isinstance(value, Node) else (
                value.values() if isinstance(value, dict) else value)
            for item in items:
                collect(item)

    for statement in statements:
        collect(statement)
    assert params == [0, 1, 2, 3, 4, 5]


def test_variables_and_map_colons() -> None:
    item = one("INSERT INTO Reply VALUE {'a':TRUE, 'b'::b, 'c': :c, 'd':-1}")
    assert isinstance(item, Insert)
    assert item.item == lit({"a": True, "b": Variable("b"), "c": Variable("c"), "d": -1})


# --- positions and statement text -----------------------------------------------------------

def test_nodes_record_where_they_start() -> None:
    text = ('-- find recent replies\n'
            'SELECT Id, Message\n'
            '  FROM "Reply"\n'
            ' WHERE Id = :id AND ReplyDateTime BETWEEN ? AND ?')
    statement = one(text)
    assert isinstance(statement, Select)
    assert (statement.line, statement.col) == (2, 1)
    assert statement.text == text.split("\n", 1)[1]
    assert statement.projection is not None
    assert [(n.line, n.col) for n in statement.projection] == [(2, 8), (2, 12)]
    assert (statement.source.line, statement.source.col) == (3, 8)
    where = statement.where
    assert isinstance(where, Logical)
    assert (where.line, where.col) == (4, 8)
    first, second = where.parts
    assert isinstance(first, Compare) and isinstance(second, Between)
    assert (first.right.line, first.right.col) == (4, 13)
    assert (second.line, second.col) == (4, 21)
    assert (second.high.line, second.high.col) == (4, 49)


def test_update_positions() -> None:
    statement = one("UPDATE Thread\nSET Views = Views + 1\nREMOVE Draft\nWHERE Id = 1")
    assert isinstance(statement, Update)
    set_action, remove = statement.actions
    assert (set_action.line, set_action.col) == (2, 5)
    assert isinstance(set_action, SetAction)
    assert (set_action.value.line, set_action.value.col) == (2, 13)
    assert (remove.line, remove.col) == (3, 8)


def test_statements_are_split_on_semicolons_and_keep_their_own_text() -> None:
    text = ";; SELECT * FROM Forum -- all forums\n;\n\n  EXPLAIN SELECT * FROM Thread ;;"
    first, second = parse(text)
    assert first.text == "SELECT * FROM Forum"
    assert (first.line, first.col) == (1, 4)
    assert isinstance(second, Explain)
    assert second.text == "EXPLAIN SELECT * FROM Thread"
    assert (second.line, second.col) == (4, 3)
    assert second.statement.text == "SELECT * FROM Thread"
    assert (second.statement.line, second.statement.col) == (4, 11)


@pytest.mark.parametrize("text", ["", "   ", ";", " ; ;\n;", "-- only a comment", "--"])
def test_empty_texts_have_no_statements(text: str) -> None:
    assert parse(text) == []


def test_a_transaction_script() -> None:
    statements = parse("BEGIN TRANSACTION;\n"
                       "UPDATE Forum SET Threads = Threads + 1 WHERE Name = :forum;\n"
                       "INSERT INTO Thread VALUE {'ForumName': :forum, 'Subject': :subject};\n"
                       "COMMIT;")
    assert [type(s) for s in statements] == [Begin, Update, Insert, Commit]


# --- errors ---------------------------------------------------------------------------------

ERRORS: list[tuple[str, str, str, int, int, tuple[str, ...]]] = [
    ("missing FROM", 'SELECT * FORM "Movies"',
     "expected FROM after the projection, found 'FORM'", 1, 10, ("FROM",)),
    ("unknown statement", "SELEC * FROM Movies",
     "expected a statement (SELECT, INSERT, UPDATE, DELETE, EXPLAIN, ADVISE, SHOW TABLES, "
     "DESCRIBE, BEGIN, COMMIT), found 'SELEC'", 1, 1,
     ("SELECT", "INSERT", "UPDATE", "DELETE", "EXPLAIN", "ADVISE", "SHOW TABLES", "DESCRIBE",
      "BEGIN", "COMMIT", "ROLLBACK")),
    ("advise without a select", "ADVISE",
     "expected a SELECT to advise on after ADVISE, found the end of the text", 1, 7,
     ("SELECT",)),
    ("bad token", "SELECT * FROM Movies WHERE Artist = `Acme`",
     "unexpected character '`' (names are quoted with double quotes: \"name\")", 1, 37,
     ("a value",)),
    ("unterminated string", "SELECT * FROM Movies WHERE Artist = 'Acme Band",
     "unterminated string: the ' here is never closed", 1, 37, ("a value",)),
    ("unterminated quoted name", 'SELECT * FROM "Movies WHERE Artist = 1',
     'unterminated quoted name: the " here is never closed', 1, 15, ("a table name",)),
    ("trailing AND", "SELECT * FROM Movies WHERE Artist = 'x' AND",
     "expected a condition after AND, found the end of the text", 1, 44, ("a condition",)),
    ("unknown function", "SELECT * FROM Movies WHERE starts_with(Artist, 'A')",
     "unknown function 'starts_with': expected one of begins_with, contains, attribute_type, "
     "attribute_exists, attribute_not_exists, size", 1, 28,
     ("begins_with", "contains", "attribute_type", "attribute_exists", "attribute_not_exists",
      "size")),
    ("RETURNING NEW on DELETE",
     "DELETE FROM \"Movies\" WHERE \"Artist\" = 'Acme Band' RETURNING ALL NEW *",
     "expected OLD after ALL, found 'NEW'", 1, 65, ("OLD",)),
    ("RETURNING without *", "UPDATE \"Movies\" SET AwardsWon=1 " + ACME_WHERE
     + " RETURNING ALL OLD", "expected '*' after OLD, found the end of the text", 1, 105,
     ("*",)),
    ("EXISTS", "SELECT * FROM Movies WHERE EXISTS(SELECT * FROM Movies)",
     "EXISTS(...) is not supported yet: DynamoDB only accepts it inside a transaction; read "
     "the item with a SELECT instead", 1, 28, ("a condition",)),
    ("multi-line, line 3", "SELECT *\nFROM \"Thread\"\nWHERE ForumName = 'S3' AND AND x = 1",
     "expected a condition after AND, found 'AND'", 3, 28, ("a condition",)),
    ("end of a multi-line text", "SELECT *\n  FROM\n\n",
     "expected a table name after FROM, found the end of the text", 2, 7, ("a table name",)),
    ("missing WHERE in UPDATE", "UPDATE Thread SET Views = 1",
     "expected ',', SET, REMOVE or WHERE after the SET/REMOVE clauses, found the end of the "
     "text", 1, 28, (",", "SET", "REMOVE", "WHERE")),
    ("no action in UPDATE", "UPDATE Thread WHERE Id = 1",
     "expected SET or REMOVE after the table name, found 'WHERE'", 1, 15, ("SET", "REMOVE")),
    ("unquoted dash", "SELECT * FROM battle-royale",
     'names with \'-\' must be quoted: write "battle-royale"', 1, 15, ("a table name",)),
    ("reserved word as a name", "SELECT Order FROM OnlineShop",
     'expected \'*\' or a path after SELECT, found \'Order\' (to use ORDER as a name, quote it: '
     '"Order")', 1, 8, ("*", "a path")),
    ("missing comparison", "SELECT * FROM Reply WHERE Id",
     "expected a comparison operator, BETWEEN, IN or IS after 'Id', found the end of the text",
     1, 29, ("=", "<>", "!=", "<", "<=", ">", ">=", "BETWEEN", "IN", "IS", "NOT")),
    ("junk after a statement", "SELECT * FROM Reply WHERE Id = 1 Id = 2",
     "expected AND, OR, ORDER BY, LIMIT or ';' after the condition, found 'Id'", 1, 34,
     ("AND", "OR", "ORDER BY", "LIMIT", ";")),
    ("mixed set", "UPDATE Reply SET Tags = <<'a', 1>> WHERE Id = 1",
     "a set holds one kind of value: this number follows strings", 1, 32, ("a string",)),
    ("empty set", "UPDATE Reply SET Tags = <<>> WHERE Id = 1",
     "a set cannot be empty", 1, 25, ("a string", "a number")),
    ("duplicate map key", "INSERT INTO Reply VALUE {'Id': 1, 'Id': 2}",
     "duplicate key 'Id' in the map", 1, 35, ("a string key",)),
    ("JSON-style map key", 'INSERT INTO Reply VALUE {"Id": 1}',
     "map keys are strings in single quotes: write 'Id'", 1, 26, ("a string key",)),
    ("MISSING as a value", "SELECT * FROM Reply WHERE Id = MISSING",
     "MISSING is not a value; test for it with IS MISSING", 1, 32, ("a value",)),
    ("VALUES", "INSERT INTO Reply VALUES {'Id': 1}",
     "expected VALUE after the table name, found 'VALUES' (DynamoDB inserts one item: INSERT "
     "INTO t VALUE {...})", 1, 19, ("VALUE",)),
    ("update function in WHERE", "SELECT * FROM Reply WHERE list_append(a, [1])",
     "list_append(...) can only be used in UPDATE ... SET", 1, 27,
     ("begins_with", "contains", "attribute_type", "attribute_exists", "attribute_not_exists",
      "size")),
    ("arity", "SELECT * FROM Reply WHERE begins_with(Message)",
     "expected ',' in begins_with(...), which takes 2 arguments, found ')'", 1, 46, (",",)),
    ("ORDER BY two keys", "SELECT * FROM Reply ORDER BY Id, ReplyDateTime",
     "ORDER BY takes a single key: DynamoDB returns items in the order of the sort key", 1, 32,
     ("ASC", "DESC", "LIMIT")),
    ("LIMIT 0", "SELECT * FROM Reply LIMIT 0",
     "expected a positive integer after LIMIT, found '0'", 1, 27, ("a positive integer",)),
    ("EXPLAIN SHOW", "EXPLAIN SHOW TABLES",
     "expected SELECT, INSERT, UPDATE or DELETE after EXPLAIN, found 'SHOW'", 1, 9,
     ("SELECT", "INSERT", "UPDATE", "DELETE")),
    ("malformed number", "SELECT * FROM Reply WHERE Id = 12ab",
     "malformed number '12ab'", 1, 32, ("a value",)),
    ("bad attribute type", "SELECT * FROM Reply WHERE attribute_type(Id, 'STR')",
     "unknown attribute type 'STR': expected one of S, SS, N, NS, B, BS, BOOL, NULL, L, M",
     1, 46, ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")),
]


@pytest.mark.parametrize(("text", "description", "line", "col", "expected"),
                         [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_errors(text: str, description: str, line: int, col: int,
                expected: tuple[str, ...]) -> None:
    error = parse_error(text)
    assert error.description == description
    assert (error.line, error.col) == (line, col)
    assert error.expected == expected
    assert error.highlight == caret(text, line, col)
    assert str(error) == f"{description} (line {line}, column {col})\n{error.highlight}"


def test_error_message_shows_the_line_and_a_caret() -> None:
    error = parse_error("SELECT *\nFROM \"Thread\"\nWHERE ForumName = 'S3' AND AND x = 1")
    assert str(error) == (
        "expected a condition after AND, found 'AND' (line 3, column 28)\n"
        "  WHERE ForumName = 'S3' AND AND x = 1\n"
        "                             ^"
    )


def test_error_columns_follow_splitlines() -> None:
    """\\r\\n and \\u2028 end lines for ParseError's highlight, so they must for columns too."""
    error = parse_error("SELECT *\r\nFROM Reply\u2028WHERE Id = = 1")
    assert (error.line, error.col) == (3, 12)
    assert error.highlight == "  WHERE Id = = 1\n             ^"


# --- deep nesting ---------------------------------------------------------------------------

DEEP = 10_000


@pytest.mark.parametrize("text", [
    "SELECT * FROM t WHERE " + "(" * DEEP + "a = 1" + ")" * DEEP,
    "SELECT * FROM t WHERE " + "NOT " * DEEP + "a = 1",
    "INSERT INTO t VALUE {'a': " + "[" * DEEP + "]" * DEEP + "}",
    "SELECT * FROM t WHERE a = " + "{'k': " * DEEP + "1" + "}" * DEEP,
    "UPDATE t SET a = " + "list_append(" * DEEP + "a, b" + ")" * DEEP + " WHERE k = 1",
    "UPDATE t SET a = " + " + ".join(["1"] * DEEP) + " WHERE k = 1",
], ids=["parentheses", "NOT", "lists", "maps", "calls", "plus chain"])
def test_deep_nesting_is_refused_not_a_crash(text: str) -> None:
    error = parse_error(text)
    assert error.description == f"nesting is deeper than {MAX_DEPTH} levels"


def _with_stack_depth(frames: int, action: Callable[[], Any]) -> Any:
    return action() if frames == 0 else _with_stack_depth(frames - 1, action)


def test_nesting_up_to_the_limit_parses_even_on_a_deep_stack() -> None:
    """An IPython cell runs well below the top of the stack; leave it plenty of room."""
    depth = MAX_DEPTH - 2  # and two more levels of lists: exactly MAX_DEPTH
    text = "SELECT * FROM t WHERE " + "(" * depth + "a = [[1]]" + ")" * depth
    statement = _with_stack_depth(sys.getrecursionlimit() // 4, lambda: one(text))
    assert isinstance(statement, Select)
    assert statement.where == eq("a", [[1]])


# --- the tokenizer --------------------------------------------------------------------------

def kinds_and_values(text: str) -> list[tuple[TokenKind, Any]]:
    return [(t.kind, t.value) for t in tokenize(text)][:-1]


def test_tokens() -> None:
    text = "SELECT \"my-table\".x[0], 'it''s' -- note\n, :v ? <<1.5>> <> != <= >= {'k':TRUE}"
    assert kinds_and_values(text) == [
        (TokenKind.NAME, "SELECT"), (TokenKind.QUOTED_NAME, "my-table"),
        (TokenKind.PUNCT, "."), (TokenKind.NAME, "x"), (TokenKind.PUNCT, "["),
        (TokenKind.NUMBER, 0), (TokenKind.PUNCT, "]"), (TokenKind.PUNCT, ","),
        (TokenKind.STRING, "it's"), (TokenKind.PUNCT, ","), (TokenKind.VARIABLE, "v"),
        (TokenKind.PUNCT, "?"),
        (TokenKind.PUNCT, "<<"), (TokenKind.NUMBER, Decimal("1.5")), (TokenKind.PUNCT, ">>"),
        (TokenKind.PUNCT, "<>"), (TokenKind.PUNCT, "!="), (TokenKind.PUNCT, "<="),
        (TokenKind.PUNCT, ">="), (TokenKind.PUNCT, "{"), (TokenKind.STRING, "k"),
        (TokenKind.PUNCT, ":"), (TokenKind.NAME, "TRUE"), (TokenKind.PUNCT, "}"),
    ]


def test_token_positions_and_end() -> None:
    tokens = tokenize("SELECT *\n  FROM \"a\"\"b\"  -- trailing comment\n\n")
    assert [(t.text, t.line, t.col, t.start, t.end) for t in tokens] == [
        ("SELECT", 1, 1, 0, 6), ("*", 1, 8, 7, 8), ("FROM", 2, 3, 11, 15),
        ('"a""b"', 2, 8, 16, 22), ("", 2, 14, 22, 22),
    ]
    assert tokens[-1].kind is TokenKind.END
    assert tokens[0].keyword == "SELECT"
    assert tokenize("select")[0].keyword == "SELECT"


def test_tokenizer_errors_point_at_the_problem() -> None:
    with pytest.raises(ParseError) as caught:
        tokenize("a = 'x\nb")
    assert (caught.value.line, caught.value.col) == (1, 5)
    with pytest.raises(ParseError) as caught:
        tokenize('x\n  y = "')
    assert (caught.value.line, caught.value.col) == (2, 7)
    with pytest.raises(ParseError) as caught:
        tokenize("x = 1 # 2")
    assert caught.value.description == "unexpected character '#'"
    assert (caught.value.line, caught.value.col) == (1, 7)


def test_a_lone_colon_is_map_syntax_and_a_named_colon_a_variable() -> None:
    """Right after a string, ``:b`` is a map colon and a name: ``{'flag':TRUE}`` is a map."""
    assert kinds_and_values(":a : 'k':b") == [
        (TokenKind.VARIABLE, "a"), (TokenKind.PUNCT, ":"), (TokenKind.STRING, "k"),
        (TokenKind.PUNCT, ":"), (TokenKind.NAME, "b"),
    ]


# --- fuzzing: any text gives statements or a ParseError, never another exception ------------

def parse_or_parse_error(text: str) -> None:
    try:
        statements = parse(text)
    except ParseError as error:
        lines = text.splitlines() or [""]
        assert 1 <= error.line <= len(lines)
        assert 1 <= error.col <= len(lines[error.line - 1]) + 1
        assert error.description
    else:
        assert all(isinstance(s, Statement) for s in statements)


FUZZ_TOKENS = [
    "SELECT", "INSERT", "INTO", "VALUE", "UPDATE", "SET", "REMOVE", "DELETE", "FROM", "WHERE",
    "AND", "OR", "NOT", "IN", "IS", "BETWEEN", "MISSING", "NULL", "TRUE", "ORDER", "BY",
    "DESC", "LIMIT", "EXPLAIN", "SHOW", "TABLES", "DESCRIBE", "BEGIN", "COMMIT", "ROLLBACK",
    "TRANSACTION", "RETURNING", "ALL", "OLD", "EXISTS", "size", "begins_with", "contains",
    "attribute_type", "list_append", "set_add", "if_not_exists", "x", "Id", '"Reply"',
    '"a""b"', "'s'", "'S'", "''", "0", "1", "-1", "2.5", "1e3", "*", ",", ".", ";", "(", ")",
    "[", "]", "{", "}", ":", ":v", "=", "<>", "!=", "<", "<=", ">", ">=", "+", "-", "<<", ">>",
    "?", "--c\n", "\n", "'", '"', "`",
]

AWS_EXAMPLES = [text for text, _ in SELECTS + INSERTS + UPDATES + OTHERS]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_fuzz_any_text(text: str) -> None:
    parse_or_parse_error(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FUZZ_TOKENS), max_size=40),
       st.sampled_from([" ", "", "\n"]))
def test_fuzz_token_sequences(tokens: list[str], separator: str) -> None:
    parse_or_parse_error(separator.join(tokens))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(AWS_EXAMPLES), st.data())
def test_fuzz_mutated_documented_statements(text: str, data: st.DataObject) -> None:
    """Near-misses of valid statements reach the deepest error paths."""
    tokens: list[Token] = tokenize(text)[:-1]
    pieces = [t.text for t in tokens]
    index = data.draw(st.integers(0, len(pieces) - 1))
    action = data.draw(st.sampled_from(["drop", "duplicate", "replace", "truncate"]))
    if action == "drop":
        del pieces[index]
    elif action == "duplicate":
        pieces.insert(index, pieces[index])
    elif action == "replace":
        pieces[index] = data.draw(st.sampled_from(FUZZ_TOKENS))
    else:
        del pieces[index:]
    parse_or_parse_error(" ".join(pieces))


@pytest.mark.parametrize(("clause", "returning"), [
    ("ALL OLD", "ALL_OLD"), ("ALL NEW", "ALL_NEW"), ("MODIFIED OLD", "UPDATED_OLD"),
    ("MODIFIED NEW", "UPDATED_NEW"),
])
def test_update_returning_maps_to_dynamodb_return_values(clause: str, returning: str) -> None:
    (statement,) = parse("UPDATE \"Music\" SET AwardsWon=1 " + ACME_WHERE
                         + f" RETURNING {clause} *")
    assert isinstance(statement, Update) and statement.returning == returning


def test_delete_returning_all_old() -> None:
    (statement,) = parse("DELETE FROM \"Music\" WHERE \"Artist\" = 'Acme Band' AND "
                         "\"SongTitle\" = 'PartiQL Rocks' RETURNING ALL OLD *")
    assert isinstance(statement, Delete) and statement.returning == "ALL_OLD"
