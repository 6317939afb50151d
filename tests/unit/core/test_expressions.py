"""Condition, update and projection expressions: exact text and placeholder maps.

Expectations follow DynamoDB's expression grammar (Developer Guide, "Condition and filter
expressions, operators, and functions" and "Update expressions"):

* every attribute name is written as an ``#name`` placeholder and every value as a ``:value``
  placeholder, so nothing a user supplies is spliced into the text;
* list indexes stay literal (``#a.#b[2].#c``), names are separated by ``.``;
* update clauses are ``SET``, ``REMOVE``, ``ADD``, ``DELETE``, each at most once, items separated
  by ``, ``; two actions on overlapping document paths are refused by DynamoDB.

The allocator numbers names ``#n0, #n1, ...`` and values ``:v0, :v1, ...`` in the order they
are rendered (left to right, clause by clause), the way PynamoDB's tests pin them down.
"""

import re
from decimal import Decimal
from typing import Any

import pytest

import dynamorm_lab as dl
from dynamorm_lab import Placeholders, attr, path
from dynamorm_lab._core.expr import compile_condition, compile_projection, compile_update
from dynamorm_lab.errors import ExpressionError


class Details(dl.Model):
    rating: int = dl.field(name="r")
    plot: str | None = None


class Movie(dl.Model, table="ExprMovies"):
    year: int = dl.field(partition_key=True)
    title: str = dl.field(sort_key=True)
    info: dict[str, Any] = dl.field(default_factory=dict)
    tags: set[str] = dl.field(default_factory=set)
    plays: int = 0
    actors: list[str] = dl.field(default_factory=list)
    details: Details | None = None


def cond(condition: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    ph = Placeholders()
    text = compile_condition(condition, ph)
    assert_well_formed(text, ph)
    return text, ph.names, ph.values


def upd(*actions: Any) -> tuple[str, dict[str, str], dict[str, Any]]:
    ph = Placeholders()
    text = compile_update(list(actions), ph)
    assert_well_formed(text, ph)
    return text, ph.names, ph.values


# Everything an expression may contain besides placeholders: keywords, function names,
# comparators, arithmetic, grouping, list indexes and separators.
_TOKEN = re.compile(
    r"\s+|#n\d+|:v\d+|\[\d+\]|<>|<=|>=|[=<>+\-(),.]"
    r"|\b(?:AND|OR|NOT|BETWEEN|IN|SET|REMOVE|ADD|DELETE)\b"
    r"|\b(?:attribute_exists|attribute_not_exists|attribute_type|begins_with|contains|size"
    r"|if_not_exists|list_append)\b"
)


def assert_well_formed(text: str, ph: Placeholders) -> None:
    """The text is made only of grammar tokens and placeholders, and the maps match it exactly.

    DynamoDB refuses placeholders that are defined but unused, and ones used but undefined.
    """
    leftover = _TOKEN.sub("", text)
    assert leftover == "", f"unexpected text {leftover!r} in expression {text!r}"
    used_names = set(re.findall(r"#n\d+", text))
    used_values = set(re.findall(r":v\d+", text))
    assert used_names == set(ph.names), (text, ph.names)
    assert used_values == set(ph.values), (text, ph.values)


# --- comparisons ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("build", "op"),
    [
        (lambda p: p == 5, "="),
        (lambda p: p != 5, "<>"),
        (lambda p: p < 5, "<"),
        (lambda p: p <= 5, "<="),
        (lambda p: p > 5, ">"),
        (lambda p: p >= 5, ">="),
    ],
    ids=["eq", "ne", "lt", "le", "gt", "ge"],
)
def test_comparators(build: Any, op: str) -> None:
    text, names, values = cond(build(Movie.plays))
    assert text == f"#n0 {op} :v0"
    assert names == {"#n0": "plays"}
    assert values == {":v0": {"N": "5"}}


def test_reflected_comparison_keeps_the_path_on_the_left() -> None:
    text, names, values = cond(5 < Movie.plays)  # noqa: SIM300 - Python reflects it to >
    assert text == "#n0 > :v0"
    assert names == {"#n0": "plays"}
    assert values == {":v0": {"N": "5"}}


def test_string_comparison_on_untyped_path() -> None:
    text, names, values = cond(attr("title") == "Rush")
    assert (text, names, values) == ("#n0 = :v0", {"#n0": "title"}, {":v0": {"S": "Rush"}})


def test_compare_two_paths() -> None:
    text, names, values = cond(attr("low") < attr("high"))
    assert text == "#n0 < #n1"
    assert names == {"#n0": "low", "#n1": "high"}
    assert values == {}


def test_between() -> None:
    text, names, values = cond(Movie.year.between(1990, 1999))
    assert text == "#n0 BETWEEN :v0 AND :v1"
    assert names == {"#n0": "year"}
    assert values == {":v0": {"N": "1990"}, ":v1": {"N": "1999"}}


def test_in() -> None:
    text, names, values = cond(Movie.year.is_in([1985, 1986, 1987]))
    assert text == "#n0 IN (:v0, :v1, :v2)"
    assert names == {"#n0": "year"}
    assert values == {":v0": {"N": "1985"}, ":v1": {"N": "1986"}, ":v2": {"N": "1987"}}


def test_in_accepts_one_and_a_hundred_values() -> None:
    text, _, values = cond(attr("n").is_in([7]))
    assert text == "#n0 IN (:v0)"
    assert values == {":v0": {"N": "7"}}
    text, _, values = cond(attr("n").is_in(range(100)))
    assert text == "#n0 IN (" + ", ".join(f":v{i}" for i in range(100)) + ")"
    assert len(values) == 100
    assert values[":v99"] == {"N": "99"}


@pytest.mark.parametrize("count", [0, 101])
def test_in_refuses_zero_or_more_than_a_hundred_values(count: int) -> None:
    with pytest.raises(ExpressionError):
        attr("n").is_in(list(range(count)))


def test_in_refuses_a_string_instead_of_a_list() -> None:
    with pytest.raises(ExpressionError):
        attr("n").is_in("abc")


# --- functions -----------------------------------------------------------------------------

def test_begins_with() -> None:
    text, names, values = cond(Movie.title.begins_with("The"))
    assert text == "begins_with(#n0, :v0)"
    assert names == {"#n0": "title"}
    assert values == {":v0": {"S": "The"}}


def test_contains() -> None:
    text, names, values = cond(Movie.info["genres"].contains("Drama"))
    assert text == "contains(#n0.#n1, :v0)"
    assert names == {"#n0": "info", "#n1": "genres"}
    assert values == {":v0": {"S": "Drama"}}


def test_attribute_exists_and_not_exists() -> None:
    assert cond(Movie.info["rating"].exists()) == (
        "attribute_exists(#n0.#n1)", {"#n0": "info", "#n1": "rating"}, {})
    assert cond(attr("title").not_exists()) == (
        "attribute_not_exists(#n0)", {"#n0": "title"}, {})


@pytest.mark.parametrize("letter", ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"])
def test_attribute_type_accepts_the_ten_dynamodb_types(letter: str) -> None:
    text, names, values = cond(Movie.info["plot"].is_type(letter))
    assert text == "attribute_type(#n0.#n1, :v0)"
    assert names == {"#n0": "info", "#n1": "plot"}
    assert values == {":v0": {"S": letter}}


@pytest.mark.parametrize("letter", ["X", "s", "n", "STRING", "", "SSS", "Bool", "null", "D"])
def test_attribute_type_refuses_other_letters(letter: str) -> None:
    with pytest.raises(ExpressionError):
        attr("a").is_type(letter)


def test_size() -> None:
    text, names, values = cond(Movie.title.size() > 20)
    assert text == "size(#n0) > :v0"
    assert names == {"#n0": "title"}
    assert values == {":v0": {"N": "20"}}


def test_size_between() -> None:
    text, _, values = cond(attr("tags").size().between(1, 3))
    assert text == "size(#n0) BETWEEN :v0 AND :v1"
    assert values == {":v0": {"N": "1"}, ":v1": {"N": "3"}}


# --- logical operators and grouping --------------------------------------------------------

A = attr("a") == 1
B = attr("b") == 2
C = attr("c") == 3


def test_and() -> None:
    text, names, values = cond(A & B)
    assert text == "#n0 = :v0 AND #n1 = :v1"
    assert names == {"#n0": "a", "#n1": "b"}
    assert values == {":v0": {"N": "1"}, ":v1": {"N": "2"}}


def test_or() -> None:
    text, _, _ = cond(A | B)
    assert text == "#n0 = :v0 OR #n1 = :v1"


def test_not() -> None:
    text, names, _ = cond(~A)
    assert text == "NOT (#n0 = :v0)"
    assert names == {"#n0": "a"}


def test_or_inside_and_is_parenthesised() -> None:
    text, names, values = cond((A | B) & C)
    assert text == "(#n0 = :v0 OR #n1 = :v1) AND #n2 = :v2"
    assert names == {"#n0": "a", "#n1": "b", "#n2": "c"}
    assert values == {":v0": {"N": "1"}, ":v1": {"N": "2"}, ":v2": {"N": "3"}}


def test_and_inside_or_is_parenthesised() -> None:
    text, _, _ = cond(A | (B & C))
    assert text == "#n0 = :v0 OR (#n1 = :v1 AND #n2 = :v2)"


def test_and_after_or_keeps_the_or_grouped_on_the_right() -> None:
    text, _, _ = cond(C & (A | B))
    assert text == "#n0 = :v0 AND (#n1 = :v1 OR #n2 = :v2)"


def test_not_of_a_group() -> None:
    text, _, _ = cond(~(A & B))
    assert text == "NOT (#n0 = :v0 AND #n1 = :v1)"


def test_two_groups() -> None:
    text, _, _ = cond((A & B) | (C & ~A))
    assert text == "(#n0 = :v0 AND #n1 = :v1) OR (#n2 = :v2 AND NOT (#n0 = :v3))"


def test_chained_and_is_valid_either_flat_or_grouped() -> None:
    text, _, _ = cond(A & B & C)
    assert text in (
        "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2",
        "(#n0 = :v0 AND #n1 = :v1) AND #n2 = :v2",
    )


def test_between_combined_with_and() -> None:
    text, _, values = cond(Movie.year.between(1990, 1999) & (Movie.title == "x"))
    assert text == "#n0 BETWEEN :v0 AND :v1 AND #n1 = :v2"
    assert values[":v2"] == {"S": "x"}


def test_readme_example() -> None:
    condition = ((Movie.year >= 2000) & Movie.title.begins_with("The")
                 | ~Movie.info["rating"].exists())
    text, names, values = cond(condition)
    assert text == ("(#n0 >= :v0 AND begins_with(#n1, :v1)) OR "
                    "NOT (attribute_exists(#n2.#n3))")
    assert names == {"#n0": "year", "#n1": "title", "#n2": "info", "#n3": "rating"}
    assert values == {":v0": {"N": "2000"}, ":v1": {"S": "The"}}


# --- paths ---------------------------------------------------------------------------------

def test_nested_path_from_text() -> None:
    text, names, values = cond(path("a.b[2].c") == 1)
    assert text == "#n0.#n1[2].#n2 = :v0"
    assert names == {"#n0": "a", "#n1": "b", "#n2": "c"}
    assert values == {":v0": {"N": "1"}}


def test_nested_path_from_model() -> None:
    text, names, _ = cond(Movie.info["actors"][0] == "Ana")
    assert text == "#n0.#n1[0] = :v0"
    assert names == {"#n0": "info", "#n1": "actors"}


def test_several_indexes() -> None:
    text, names, _ = cond(path("m[0][12].x").exists())
    assert text == "attribute_exists(#n0[0][12].#n1)"
    assert names == {"#n0": "m", "#n1": "x"}


def test_nested_model_attribute_uses_the_attribute_name() -> None:
    text, names, values = cond(Movie.details.rating > 7)
    assert text == "#n0.#n1 > :v0"
    assert names == {"#n0": "details", "#n1": "r"}
    assert values == {":v0": {"N": "7"}}


def test_same_name_twice_in_one_path_gets_one_placeholder() -> None:
    text, names, _ = cond(path("a.a[1].a").exists())
    assert text == "attribute_exists(#n0.#n0[1].#n0)"
    assert names == {"#n0": "a"}


def test_same_name_in_two_conditions_gets_one_placeholder() -> None:
    text, names, values = cond((attr("a") == 1) | (attr("a") == 2))
    assert text == "#n0 = :v0 OR #n0 = :v1"
    assert names == {"#n0": "a"}
    assert values == {":v0": {"N": "1"}, ":v1": {"N": "2"}}


def test_attr_keeps_dots_and_brackets_in_one_name() -> None:
    text, names, _ = cond(attr("odd.name[3]") == 1)
    assert text == "#n0 = :v0"
    assert names == {"#n0": "odd.name[3]"}


def test_path_and_attr_differ_for_dotted_names() -> None:
    assert path("a.b").elements == ("a", "b")
    assert attr("a.b").elements == ("a.b",)


def test_names_with_spaces() -> None:
    text, names, _ = cond(path("my attr.first name[1]") == "x")
    assert text == "#n0.#n1[1] = :v0"
    assert names == {"#n0": "my attr", "#n1": "first name"}


def _caret_column(message: str, text: str) -> int:
    """Read ``column N`` and check the caret line points at column N of the quoted text."""
    match = re.search(r"column (\d+)", message)
    assert match, f"no column in {message!r}"
    column = int(match.group(1))
    lines = message.splitlines()
    carets = [i for i, line in enumerate(lines) if line.strip() == "^"]
    assert carets and carets[-1] > 0, f"no caret line in {message!r}"
    caret = lines[carets[-1]].index("^")
    shown = lines[carets[-1] - 1]
    start = caret - (column - 1)
    assert start >= 0 and shown[:start].strip() == "", message
    assert shown[start:] == text, message
    return column


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        ("", {1}),
        ("a..b", {3}),
        ("[1]", {1}),
        ("a[x]", {3}),
        ("a.", {3}),
        (".a", {1}),
        ("a[1", {3, 4}),
        ("a]", {2}),
        ("a[1]x", {5}),
        ("a[-1]", {3}),
        ("a[²]", {3}),
    ],
)
def test_path_parse_errors_show_column_and_caret(text: str, columns: set[int]) -> None:
    with pytest.raises(ExpressionError) as info:
        path(text)
    assert _caret_column(str(info.value), text) in columns


def test_attr_refuses_an_empty_name() -> None:
    with pytest.raises(ExpressionError):
        attr("")


# --- projections ---------------------------------------------------------------------------

def test_projection() -> None:
    ph = Placeholders()
    text = compile_projection(["year", "info.rating", attr("odd.name"), Movie.info["a"][1]], ph)
    assert text == "#n0, #n1.#n2, #n3, #n1.#n4[1]"
    assert ph.names == {"#n0": "year", "#n1": "info", "#n2": "rating", "#n3": "odd.name",
                        "#n4": "a"}
    assert ph.values == {}
    assert_well_formed(text, ph)


def test_projection_needs_an_attribute() -> None:
    with pytest.raises(ExpressionError):
        compile_projection([], Placeholders())


# --- updates -------------------------------------------------------------------------------

def test_set_value() -> None:
    text, names, values = upd(Movie.info["rating"].set(Decimal("9")))
    assert text == "SET #n0.#n1 = :v0"
    assert names == {"#n0": "info", "#n1": "rating"}
    assert values == {":v0": {"N": "9"}}


def test_set_plus_and_minus() -> None:
    assert upd(Movie.plays.set(Movie.plays + 1)) == (
        "SET #n0 = #n0 + :v0", {"#n0": "plays"}, {":v0": {"N": "1"}})
    assert upd(Movie.plays.set(Movie.plays - 1)) == (
        "SET #n0 = #n0 - :v0", {"#n0": "plays"}, {":v0": {"N": "1"}})


def test_set_other_path_plus_value() -> None:
    text, names, _ = upd(attr("total").set(attr("price") + 5))
    assert text == "SET #n0 = #n1 + :v0"
    assert names == {"#n0": "total", "#n1": "price"}


def test_if_not_exists() -> None:
    assert upd(Movie.plays.set(Movie.plays.if_not_exists(0))) == (
        "SET #n0 = if_not_exists(#n0, :v0)", {"#n0": "plays"}, {":v0": {"N": "0"}})


def test_if_not_exists_plus_one() -> None:
    text, names, values = upd(Movie.plays.set(Movie.plays.if_not_exists(0) + 1))
    assert text == "SET #n0 = if_not_exists(#n0, :v0) + :v1"
    assert names == {"#n0": "plays"}
    assert values == {":v0": {"N": "0"}, ":v1": {"N": "1"}}


def test_list_append() -> None:
    text, names, values = upd(Movie.actors.set(Movie.actors.list_append(["Ana"])))
    assert text == "SET #n0 = list_append(#n0, :v0)"
    assert names == {"#n0": "actors"}
    assert values == {":v0": {"L": [{"S": "Ana"}]}}


def test_list_prepend() -> None:
    text, names, values = upd(Movie.actors.set(Movie.actors.list_prepend(["Bo", "Cy"])))
    assert text == "SET #n0 = list_append(:v0, #n0)"
    assert names == {"#n0": "actors"}
    assert values == {":v0": {"L": [{"S": "Bo"}, {"S": "Cy"}]}}


def test_remove() -> None:
    assert upd(Movie.info["draft"].remove()) == (
        "REMOVE #n0.#n1", {"#n0": "info", "#n1": "draft"}, {})


def test_remove_list_element() -> None:
    assert upd(path("actors[3]").remove()) == ("REMOVE #n0[3]", {"#n0": "actors"}, {})


def test_add_number() -> None:
    assert upd(Movie.plays.add(2)) == ("ADD #n0 :v0", {"#n0": "plays"}, {":v0": {"N": "2"}})


def test_add_string_set() -> None:
    assert upd(Movie.tags.add({"new"})) == (
        "ADD #n0 :v0", {"#n0": "tags"}, {":v0": {"SS": ["new"]}})


def test_add_number_set() -> None:
    text, names, values = upd(attr("nums").add({1, 2}))
    assert text == "ADD #n0 :v0"
    assert names == {"#n0": "nums"}
    assert sorted(values[":v0"]["NS"]) == ["1", "2"]
    assert list(values[":v0"]) == ["NS"]


def test_delete_from_set() -> None:
    assert upd(Movie.tags.delete({"old"})) == (
        "DELETE #n0 :v0", {"#n0": "tags"}, {":v0": {"SS": ["old"]}})


def test_several_items_in_one_clause() -> None:
    text, names, values = upd(attr("a").set(1), attr("b").set("x"), attr("c").remove(),
                              attr("d").remove())
    assert text == "SET #n0 = :v0, #n1 = :v1 REMOVE #n2, #n3"
    assert names == {"#n0": "a", "#n1": "b", "#n2": "c", "#n3": "d"}
    assert values == {":v0": {"N": "1"}, ":v1": {"S": "x"}}


def test_clause_order_is_set_remove_add_delete() -> None:
    text, names, values = upd(
        attr("d").delete({"x"}),
        attr("c").add(1),
        attr("b").remove(),
        attr("a").set(2),
    )
    assert text == "SET #n0 = :v0 REMOVE #n1 ADD #n2 :v1 DELETE #n3 :v2"
    assert names == {"#n0": "a", "#n1": "b", "#n2": "c", "#n3": "d"}
    assert values == {":v0": {"N": "2"}, ":v1": {"N": "1"}, ":v2": {"SS": ["x"]}}


def test_each_clause_keyword_appears_once() -> None:
    text, _, _ = upd(attr("a").set(1), attr("b").add(1), attr("c").set(2), attr("d").add(2),
                     attr("e").remove(), attr("f").delete({"x"}), attr("g").remove())
    for keyword in ("SET", "REMOVE", "ADD", "DELETE"):
        assert len(re.findall(rf"\b{keyword}\b", text)) == 1, text


def test_update_and_condition_share_one_allocator() -> None:
    ph = Placeholders()
    update = compile_update([attr("a").set(1)], ph)
    condition = compile_condition((attr("a") == 0) & (attr("b") == 2), ph)
    assert update == "SET #n0 = :v0"
    assert condition == "#n0 = :v1 AND #n1 = :v2"
    assert ph.names == {"#n0": "a", "#n1": "b"}
    assert ph.values == {":v0": {"N": "1"}, ":v1": {"N": "0"}, ":v2": {"N": "2"}}


def test_placeholders_into_adds_only_non_empty_maps() -> None:
    # DynamoDB refuses an empty ExpressionAttributeValues map.
    assert Placeholders().into({}) == {}
    ph = Placeholders()
    compile_condition(attr("a").exists(), ph)
    assert ph.into({"X": 1}) == {"X": 1, "ExpressionAttributeNames": {"#n0": "a"}}


def test_non_overlapping_paths_are_fine() -> None:
    text, _, _ = upd(path("info.rating").set(1), path("info.plot").set("p"),
                     path("a[0]").set(1), path("a[1]").remove(), attr("ab").set(1),
                     attr("a.b").set(1))
    assert text.startswith("SET ")


# --- reserved words and hostile strings ----------------------------------------------------

@pytest.mark.parametrize("word", ["status", "name", "year", "data", "ttl"])
def test_reserved_words_as_names(word: str) -> None:
    assert cond(attr(word) == word) == ("#n0 = :v0", {"#n0": word}, {":v0": {"S": word}})
    assert cond(path(f"{word}.{word}[1]").exists()) == (
        "attribute_exists(#n0.#n0[1])", {"#n0": word}, {})
    assert upd(attr(word).set(1)) == ("SET #n0 = :v0", {"#n0": word}, {":v0": {"N": "1"}})
    ph = Placeholders()
    assert compile_projection([word], ph) == "#n0"
    assert ph.names == {"#n0": word}


class Reserved(dl.Model, table="ExprReserved"):
    name: str = dl.field(partition_key=True)
    status: str = "new"
    year: int = 0
    data: dict[str, Any] = dl.field(default_factory=dict)
    ttl: int = 0


def test_reserved_words_as_model_fields() -> None:
    condition = ((Reserved.status == "new") & (Reserved.year > 1) & Reserved.data["x"].exists()
                 & (Reserved.ttl < 5) & Reserved.name.begins_with("a"))
    text, names, _ = cond(condition)
    assert set(names.values()) == {"status", "year", "data", "x", "ttl", "name"}
    for word in ("status", "year", "data", "ttl", "name"):
        assert not re.search(rf"\b{word}\b", text, re.IGNORECASE), text


def test_no_reserved_word_ever_reaches_the_text() -> None:
    bad = []
    for word in sorted(dl.RESERVED_WORDS):
        for name in (word, word.lower()):
            checks = [
                (cond(attr(name) == 1), ("#n0 = :v0", {"#n0": name}, {":v0": {"N": "1"}})),
                (cond(path(f"{name}[0].{name}").exists()),
                 ("attribute_exists(#n0[0].#n0)", {"#n0": name}, {})),
                (upd(attr(name).remove()), ("REMOVE #n0", {"#n0": name}, {})),
            ]
            ph = Placeholders()
            checks.append(((compile_projection([name], ph), ph.names, ph.values),
                           ("#n0", {"#n0": name}, {})))
            bad += [(name, got) for got, expected in checks if got != expected]
    assert bad == []


HOSTILE = [
    "x' OR 1=1",
    "x\" OR \"1\"=\"1",
    "#n0",
    ":v0",
    "a = :v0",
    "#n1 = :v0 OR #n0",
    "with space",
    "a.b",
    "a[0]",
    "size(a)",
    ") OR (",
    "name; DROP TABLE Movies",
    "\n",
    "ü ✓",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_stay_in_the_name_map(hostile: str) -> None:
    for text, names, values in (
        cond(attr(hostile) == 1),
        cond(attr(hostile).begins_with("x") | (attr("b") == attr(hostile))),
        upd(attr(hostile).set(attr(hostile) + 1)),
    ):
        assert hostile in names.values()
        assert {"S": hostile} not in values.values()
        if not re.fullmatch(r"#n\d+|:v\d+", hostile):
            assert hostile not in text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_stay_in_the_value_map(hostile: str) -> None:
    text, names, values = cond((attr("title") == hostile) | attr("title").contains(hostile))
    assert text == "#n0 = :v0 OR contains(#n0, :v1)"
    assert names == {"#n0": "title"}
    assert values == {":v0": {"S": hostile}, ":v1": {"S": hostile}}
    text, names, values = upd(attr("title").set(hostile))
    assert text == "SET #n0 = :v0"
    assert values == {":v0": {"S": hostile}}


def test_hostile_names_in_a_text_path() -> None:
    text, names, _ = cond(path("x' OR 1=1.#n0[2].:v0") == 1)
    assert text == "#n0.#n1[2].#n2 = :v0"
    assert names == {"#n0": "x' OR 1=1", "#n1": "#n0", "#n2": ":v0"}


# --- errors --------------------------------------------------------------------------------

def test_condition_has_no_truth_value() -> None:
    condition = Movie.year == 1985
    with pytest.raises(ExpressionError):
        bool(condition)
    with pytest.raises(ExpressionError):
        if condition:
            pass
    with pytest.raises(ExpressionError):
        _ = condition and (Movie.title == "x")
    with pytest.raises(ExpressionError):
        _ = condition or (Movie.title == "x")
    with pytest.raises(ExpressionError):
        _ = not condition


def test_chained_comparison_is_refused() -> None:
    with pytest.raises(ExpressionError):
        _ = 1990 <= Movie.year <= 1999


def test_update_action_has_no_truth_value() -> None:
    with pytest.raises(ExpressionError):
        bool(Movie.plays.set(1))


def test_combining_with_a_non_condition_is_refused() -> None:
    with pytest.raises(ExpressionError):
        _ = (Movie.year == 1) & True  # type: ignore[operator]
    with pytest.raises(ExpressionError):
        compile_condition(Movie.year, Placeholders())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "actions",
    [
        [attr("info").set({}), path("info.rating").set(1)],
        [path("info.rating").set(1), attr("info").remove()],
        [attr("a").set(1), attr("a").set(2)],
        [attr("a").set(1), attr("a").remove()],
        [path("a[0]").remove(), path("a[0].b").set(1)],
        [Movie.plays.add(1), Movie.plays.set(3)],
        [Movie.tags.add({"x"}), Movie.tags.delete({"y"})],
    ],
    ids=["parent-child", "child-parent", "same-set", "set-remove", "index-child",
         "add-set", "add-delete"],
)
def test_overlapping_update_paths_are_refused(actions: list[Any]) -> None:
    with pytest.raises(ExpressionError):
        compile_update(actions, Placeholders())


def test_update_needs_an_action() -> None:
    with pytest.raises(ExpressionError):
        compile_update([], Placeholders())


@pytest.mark.parametrize("value", ["x", True, [1, 2], {"a": 1}, None, b"x"])
def test_add_refuses_non_numbers_and_non_sets(value: Any) -> None:
    with pytest.raises(ExpressionError):
        attr("n").add(value)


def test_add_refuses_a_string_on_a_typed_set() -> None:
    with pytest.raises(ExpressionError):
        Movie.tags.add("new")


@pytest.mark.parametrize("value", [1, "x", ["x"], {"a": 1}, True, None])
def test_delete_refuses_non_sets(value: Any) -> None:
    with pytest.raises(ExpressionError):
        attr("s").delete(value)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Movie.plays == Movie.plays + 1,
        lambda: Movie.plays - 1 > 5,
        lambda: Movie.plays.if_not_exists(0) == 1,
        lambda: attr("a") == attr("b").if_not_exists(1),
        lambda: attr("l") == attr("l").list_append([1]),
        lambda: (attr("x") == 1) & (attr("y") < attr("y") + 1),
    ],
    ids=["plus", "minus", "if_not_exists", "if_not_exists-right", "list_append", "nested"],
)
def test_update_only_operands_are_refused_in_conditions(build: Any) -> None:
    with pytest.raises(ExpressionError):
        compile_condition(build(), Placeholders())


def test_size_is_refused_in_updates() -> None:
    with pytest.raises(ExpressionError):
        compile_update([attr("n").set(attr("s").size())], Placeholders())


@pytest.mark.parametrize(
    "build",
    [
        lambda: Movie.year == "1985",
        lambda: Movie.year != "x",
        lambda: Movie.year < "2000",
        lambda: Movie.year >= "2000",
        lambda: Movie.year.between("1990", "1999"),
        lambda: Movie.year.between(1990, "1999"),
        lambda: Movie.year.is_in([1985, "1986"]),
        lambda: Movie.year == True,  # noqa: E712 - a bool is not a number in DynamoDB
        lambda: Movie.title == 5,
        lambda: Movie.details.rating == "high",
    ],
)
def test_typed_path_refuses_a_value_of_another_type(build: Any) -> None:
    with pytest.raises(ExpressionError):
        build()
