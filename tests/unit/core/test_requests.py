"""Pure CRUD request building: keys, conditions, versions, timestamps and item size.

Expectations follow the DynamoDB API: PutItem/UpdateItem/DeleteItem parameters, placeholders in
every expression (and no unused or missing ones, which DynamoDB refuses), key attributes never
in an UpdateExpression, ``attribute_not_exists(<partition key>)`` to insert only when absent,
and the 400 KB item limit counting UTF-8 attribute names and values.
"""

import datetime as dt
import re
from typing import Any

import pytest

import dynamorm_lab as dl
from dynamorm_lab._core.requests import (
    build_create,
    build_delete,
    build_save,
    build_update,
    key_from,
)
from dynamorm_lab.errors import CodecError, ExpressionError, ValidationError

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
EARLIER = dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
MAX_ITEM = 400 * 1024


class Doc(dl.Model, table="ReqDocs"):
    id: str = dl.field(partition_key=True)
    title: str | None = None
    note: str | None = None
    tags: set[str] = dl.field(default_factory=set)
    version: int = dl.field(version=True)
    created: dt.datetime = dl.field(created_at=True)
    updated: dt.datetime = dl.field(updated_at=True)


class Order(dl.Model, table="ReqOrders"):
    user: str = dl.field(partition_key=True, name="pk")
    number: int = dl.field(sort_key=True, name="sk")
    total: int = 0


class Lone(dl.Model, table="ReqLone"):
    ident: str = dl.field(partition_key=True)


def stamp(value: dt.datetime) -> str:
    """The stored text of a datetime, as the model itself encodes it."""
    return str(Doc(id="x", created=value).to_item()["created"]["S"])


# --- reading requests back -----------------------------------------------------------------

_EXPRESSIONS = ("ConditionExpression", "UpdateExpression", "ProjectionExpression",
                "KeyConditionExpression", "FilterExpression")


def check_placeholders(params: dict[str, Any]) -> None:
    """Every placeholder used is defined, every one defined is used; no empty maps."""
    text = " ".join(params.get(k, "") for k in _EXPRESSIONS)
    names = params.get("ExpressionAttributeNames")
    values = params.get("ExpressionAttributeValues")
    assert names != {} and values != {}, "DynamoDB refuses empty placeholder maps"
    assert set(re.findall(r"#\w+", text)) == set(names or {}), params
    assert set(re.findall(r":\w+", text)) == set(values or {}), params


def _fmt(av: dict[str, Any]) -> str:
    (tag, payload), = av.items()
    if tag in ("SS", "NS", "BS"):
        payload = sorted(payload)
    return f"{tag}:{payload}"


def resolve(text: str, params: dict[str, Any]) -> str:
    """Replace placeholders by the names and (tagged) values they stand for."""
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    text = re.sub(r"#\w+", lambda m: names[m.group()], text)
    return re.sub(r":\w+", lambda m: _fmt(values[m.group()]), text)


def _split_items(body: str) -> list[str]:
    items, depth, current = [], 0, ""
    for char in body:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    return items


def update_clauses(params: dict[str, Any]) -> dict[str, set[str]]:
    """The UpdateExpression as {clause: {resolved item, ...}}; each clause must appear once."""
    check_placeholders(params)
    text = params["UpdateExpression"]
    parts = re.split(r"\b(SET|REMOVE|ADD|DELETE)\b", text)
    assert parts[0].strip() == "", text
    clauses: dict[str, set[str]] = {}
    for keyword, body in zip(parts[1::2], parts[2::2], strict=True):
        assert keyword not in clauses, f"{keyword} twice in {text!r}"
        clauses[keyword] = {resolve(item, params) for item in _split_items(body)}
    return clauses


def condition_parts(params: dict[str, Any]) -> set[str]:
    """The ConditionExpression's top-level AND terms, resolved."""
    check_placeholders(params)
    text = resolve(params["ConditionExpression"], params)
    return set(text.split(" AND "))


# --- create --------------------------------------------------------------------------------

def test_create_is_a_guarded_put() -> None:
    doc = Doc(id="a", title="T")
    before = doc.to_dict()
    request = build_create(doc, now=NOW)
    params = request.params
    assert request.operation == "PutItem"
    assert params["TableName"] == "ReqDocs"
    check_placeholders(params)
    assert resolve(params["ConditionExpression"], params) == "attribute_not_exists(id)"
    assert "ExpressionAttributeValues" not in params
    assert params["Item"] == {
        "id": {"S": "a"},
        "title": {"S": "T"},
        "version": {"N": "1"},
        "created": {"S": stamp(NOW)},
        "updated": {"S": stamp(NOW)},
    }
    assert request.key == {"id": {"S": "a"}}
    assert request.apply == {"version": 1, "created": NOW, "updated": NOW}
    assert doc.to_dict() == before
    assert doc.version is None
    assert doc.created is None
    assert doc.updated is None


def test_create_guards_the_aliased_partition_key() -> None:
    order = Order(user="u", number=3, total=9)
    request = build_create(order, now=NOW)
    params = request.params
    assert resolve(params["ConditionExpression"], params) == "attribute_not_exists(pk)"
    assert params["Item"] == {"pk": {"S": "u"}, "sk": {"N": "3"}, "total": {"N": "9"}}
    assert request.apply == {}
    assert request.key == {"pk": {"S": "u"}, "sk": {"N": "3"}}


def test_create_adds_the_callers_condition() -> None:
    request = build_create(Doc(id="a", title="T"), condition=Doc.title.begins_with("T"), now=NOW)
    assert condition_parts(request.params) == {"attribute_not_exists(id)",
                                               "begins_with(title, S:T)"}


def test_create_refuses_a_non_condition() -> None:
    with pytest.raises(ExpressionError):
        build_create(Doc(id="a"), condition="title = 'x'", now=NOW)


def test_create_refuses_a_missing_key_value() -> None:
    with pytest.raises((ValidationError, CodecError)):
        build_create(Order(user=None, number=1), now=NOW)


# --- save ----------------------------------------------------------------------------------

def test_save_of_a_new_object() -> None:
    doc = Doc(id="a", title="T")
    before = doc.to_dict()
    request = build_save(doc, now=NOW)
    params = request.params
    assert request.operation == "UpdateItem"
    assert params["TableName"] == "ReqDocs"
    assert params["Key"] == {"id": {"S": "a"}}
    assert params["ReturnValues"] == "ALL_NEW"
    assert update_clauses(params) == {
        "SET": {
            "title = S:T",
            "version = N:1",
            f"created = if_not_exists(created, S:{stamp(NOW)})",
            f"updated = S:{stamp(NOW)}",
        },
        "REMOVE": {"note", "tags"},
    }
    assert condition_parts(params) == {"attribute_not_exists(id)"}
    assert request.apply["version"] == 1
    assert request.apply["updated"] == NOW
    assert doc.to_dict() == before


def test_save_checks_and_bumps_the_version() -> None:
    doc = Doc(id="a", title="T", note="n", version=3, created=EARLIER, updated=EARLIER)
    before = doc.to_dict()
    request = build_save(doc, now=NOW)
    params = request.params
    assert update_clauses(params) == {
        "SET": {
            "title = S:T",
            "note = S:n",
            "version = N:4",
            f"created = if_not_exists(created, S:{stamp(EARLIER)})",
            f"updated = S:{stamp(NOW)}",
        },
        "REMOVE": {"tags"},
    }
    assert condition_parts(params) == {"version = N:3"}
    assert request.expected_version == 3
    assert request.apply == {"version": 4, "updated": NOW}
    assert doc.to_dict() == before
    assert doc.version == 3


def test_save_never_writes_key_attributes_in_the_update() -> None:
    request = build_save(Order(user="u", number=1, total=5), now=NOW)
    params = request.params
    assert params["Key"] == {"pk": {"S": "u"}, "sk": {"N": "1"}}
    assert update_clauses(params) == {"SET": {"total = N:5"}}
    assert "ConditionExpression" not in params


def test_save_adds_the_callers_condition() -> None:
    doc = Doc(id="a", title="T", version=2)
    request = build_save(doc, condition=Doc.title.exists(), now=NOW)
    assert condition_parts(request.params) == {"version = N:2", "attribute_exists(title)"}
    assert request.params["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"


def test_save_of_a_key_only_object_sends_no_empty_expression() -> None:
    request = build_save(Lone(ident="a"), now=NOW)
    params = request.params
    assert params["Key"] == {"ident": {"S": "a"}}
    assert "UpdateExpression" not in params
    assert "ExpressionAttributeNames" not in params
    assert "ExpressionAttributeValues" not in params


def test_save_writes_a_set_and_removes_an_empty_one() -> None:
    with_tags = build_save(Doc(id="a", tags={"x", "y"}, version=1), now=NOW).params
    assert "tags = SS:['x', 'y']" in update_clauses(with_tags)["SET"]
    without = build_save(Doc(id="a", version=1), now=NOW).params
    assert "tags" in update_clauses(without)["REMOVE"]


# --- update --------------------------------------------------------------------------------

def test_update_of_a_versioned_object() -> None:
    doc = Doc(id="a", title="T", version=2)
    before = doc.to_dict()
    request = build_update(doc, [Doc.title.set("X"), Doc.note.remove()], now=NOW)
    params = request.params
    assert request.operation == "UpdateItem"
    assert params["Key"] == {"id": {"S": "a"}}
    assert params["ReturnValues"] == "ALL_NEW"
    assert update_clauses(params) == {
        "SET": {"title = S:X", "version = if_not_exists(version, N:0) + N:1",
                f"updated = S:{stamp(NOW)}"},
        "REMOVE": {"note"},
    }
    assert condition_parts(params) == {"attribute_exists(id)", "version = N:2"}
    assert request.expected_version == 2
    assert doc.to_dict() == before


def test_update_without_must_exist() -> None:
    request = build_update(Order(user="u", number=1), [Order.total.add(5)], must_exist=False,
                           now=NOW)
    params = request.params
    assert update_clauses(params) == {"ADD": {"total N:5"}}
    assert "ConditionExpression" not in params


def test_update_of_an_unversioned_object_requires_existence() -> None:
    request = build_update(Order(user="u", number=1), [Order.total.set(7)], now=NOW)
    assert update_clauses(request.params) == {"SET": {"total = N:7"}}
    assert condition_parts(request.params) == {"attribute_exists(pk)"}


def test_update_by_class_and_key() -> None:
    request = build_update(Doc, [Doc.title.set("X")], key={"id": {"S": "b"}}, now=NOW)
    params = request.params
    assert params["Key"] == {"id": {"S": "b"}}
    assert condition_parts(params) == {"attribute_exists(id)"}
    assert "version = if_not_exists(version, N:0) + N:1" in update_clauses(params)["SET"]


def test_update_by_class_needs_a_key() -> None:
    with pytest.raises(ValidationError):
        build_update(Doc, [Doc.title.set("X")], now=NOW)


def test_update_adds_the_callers_condition() -> None:
    request = build_update(Order(user="u", number=1), [Order.total.set(1)],
                           condition=Order.total < 10, now=NOW)
    assert condition_parts(request.params) == {"attribute_exists(pk)", "total < N:10"}


@pytest.mark.parametrize(
    "action",
    [
        Doc.id.set("b"),
        Doc.id.remove(),
        dl.attr("id").set("b"),
    ],
    ids=["set", "remove", "attr"],
)
def test_update_refuses_key_fields(action: Any) -> None:
    with pytest.raises(ExpressionError):
        build_update(Doc(id="a", version=1), [action], now=NOW)


@pytest.mark.parametrize(
    "action",
    [
        Order.user.set("v"),
        Order.number.add(1),
        dl.attr("sk").set(2),
    ],
    ids=["partition", "sort", "attr-alias"],
)
def test_update_refuses_aliased_key_fields(action: Any) -> None:
    with pytest.raises(ExpressionError):
        build_update(Order(user="u", number=1), [action], now=NOW)


@pytest.mark.parametrize(
    "action",
    [
        Doc.version.set(9),
        Doc.version.add(1),
        Doc.created.set(NOW),
        Doc.updated.set(NOW),
        Doc.updated.remove(),
    ],
    ids=["version-set", "version-add", "created", "updated", "updated-remove"],
)
def test_update_refuses_library_managed_fields(action: Any) -> None:
    with pytest.raises(ExpressionError):
        build_update(Doc(id="a", version=1), [Doc.title.set("x"), action], now=NOW)


# --- delete --------------------------------------------------------------------------------

def test_delete_of_a_versioned_object_checks_the_version() -> None:
    request = build_delete(Doc(id="a", version=3))
    params = request.params
    assert request.operation == "DeleteItem"
    assert params["TableName"] == "ReqDocs"
    assert params["Key"] == {"id": {"S": "a"}}
    assert condition_parts(params) == {"version = N:3"}
    assert request.expected_version == 3


def test_delete_of_an_unversioned_object_has_no_condition() -> None:
    params = build_delete(Order(user="u", number=1)).params
    assert params == {"TableName": "ReqOrders", "Key": {"pk": {"S": "u"}, "sk": {"N": "1"}}}


def test_delete_with_a_condition() -> None:
    params = build_delete(Doc(id="a", version=3), condition=Doc.title == "T").params
    assert condition_parts(params) == {"version = N:3", "title = S:T"}


def test_delete_by_class_and_key_has_no_version_check() -> None:
    params = build_delete(Doc, key={"id": {"S": "a"}}).params
    assert params == {"TableName": "ReqDocs", "Key": {"id": {"S": "a"}}}


def test_delete_by_class_needs_a_key() -> None:
    with pytest.raises(ValidationError):
        build_delete(Doc)


# --- keys ----------------------------------------------------------------------------------

ORDER_KEY = {"pk": {"S": "u"}, "sk": {"N": "3"}}


@pytest.mark.parametrize(
    ("key", "named"),
    [
        (("u", 3), {}),
        ((("u", 3),), {}),
        ((), {"user": "u", "number": 3}),
        ((), {"pk": "u", "sk": 3}),
        ((), {"user": "u", "sk": 3}),
        (({"user": "u", "number": 3},), {}),
        (({"pk": "u", "sk": 3},), {}),
    ],
    ids=["positions", "tuple", "python-names", "aliases", "mixed-names", "dict", "dict-aliases"],
)
def test_key_from_accepted_forms(key: tuple[Any, ...], named: dict[str, Any]) -> None:
    assert key_from(Order, key, named) == ORDER_KEY


def test_key_from_single_key_model() -> None:
    assert key_from(Lone, ("a",), {}) == {"ident": {"S": "a"}}
    assert key_from(Lone, (), {"ident": "a"}) == {"ident": {"S": "a"}}


@pytest.mark.parametrize(
    ("key", "named", "mentions"),
    [
        (("u",), {}, "number"),
        (("u", 3, 4), {}, "3"),
        ((("u", 3, 4),), {}, "3"),
        (("u",), {"number": 3}, "name"),
        ((), {"user": "u"}, "number"),
        ((), {"user": "u", "number": 3, "color": "red"}, "color"),
        (({"user": "u", "number": 3, "color": "red"},), {}, "color"),
        ((), {}, "user"),
        (("u", 3), {"number": 3}, "name"),
    ],
    ids=["too-few", "too-many", "tuple-too-many", "mixed", "missing", "unknown",
         "dict-unknown", "nothing", "positions-and-names"],
)
def test_key_from_refuses(key: tuple[Any, ...], named: dict[str, Any], mentions: str) -> None:
    with pytest.raises(ValidationError) as info:
        key_from(Order, key, named)
    assert mentions in str(info.value)


def test_key_from_refuses_a_model_without_table() -> None:
    class Nested(dl.Model):
        x: int = 0

    with pytest.raises(ValidationError):
        key_from(Nested, ("a",), {})


def test_oversized_object_is_refused_before_sending() -> None:
    doc = Doc(id="a", title="x" * MAX_ITEM)
    with pytest.raises(ValidationError):
        build_create(doc, now=NOW)
    with pytest.raises(ValidationError):
        build_save(doc, now=NOW)
