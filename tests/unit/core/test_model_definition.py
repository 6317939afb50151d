"""Declaring models: mistakes fail at class definition, and the schema/table request is right.

Rules come from DynamoDB's data model: key attributes are scalar S, N or B and always present;
a table has one partition key and at most one sort key; a local secondary index shares the
table's partition key (so the table needs a sort key); an index projection is ALL, KEYS_ONLY or
INCLUDE with non-key attributes; CreateTable's AttributeDefinitions lists each key attribute of
the table and its indexes exactly once.
"""

import datetime as dt
import types
import uuid
from decimal import Decimal
from typing import Any

import pytest
from helpers import Color, Level

import dynamorm_lab as dl
from dynamorm_lab.errors import ModelDefinitionError, ValidationError


def assert_names(error: pytest.ExceptionInfo[ModelDefinitionError], model: str,
                 *fields: str) -> None:
    message = str(error.value)
    assert model in message, message
    for name in fields:
        assert name in message, message


def make_model(name: str, annotations: dict[str, Any], namespace: dict[str, Any] | None = None,
               **class_kwargs: Any) -> type[dl.Model]:
    def body(ns: dict[str, Any]) -> None:
        ns["__annotations__"] = dict(annotations)
        ns["__module__"] = __name__
        ns.update(namespace or {})

    return types.new_class(name, (dl.Model,), class_kwargs, body)


# --- mistakes ------------------------------------------------------------------------------

def test_table_without_partition_key() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class NoPartitionKey(dl.Model, table="DefNoPk"):
            title: str = ""
    assert_names(info, "NoPartitionKey", "partition key")


def test_two_partition_keys() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class TwoPartitionKeys(dl.Model, table="DefTwoPk"):
            first_pk: str = dl.field(partition_key=True)
            second_pk: str = dl.field(partition_key=True)
    assert_names(info, "TwoPartitionKeys", "second_pk")


def test_two_sort_keys() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class TwoSortKeys(dl.Model, table="DefTwoSk"):
            pk: str = dl.field(partition_key=True)
            first_sk: str = dl.field(sort_key=True)
            second_sk: int = dl.field(sort_key=True)
    assert_names(info, "TwoSortKeys", "second_sk")


@pytest.mark.parametrize("role", ["partition_key", "sort_key"])
def test_optional_key(role: str) -> None:
    annotations: dict[str, Any] = {"pk": str, "maybe_key": str | None}
    namespace = {"maybe_key": dl.field(**{role: True})}
    if role == "sort_key":
        namespace["pk"] = dl.field(partition_key=True)
    with pytest.raises(ModelDefinitionError) as info:
        make_model("OptionalKey", annotations, namespace, table="DefOptKey")
    assert_names(info, "OptionalKey", "maybe_key")


@pytest.mark.parametrize("key_type", [bool, list[str], dict[str, Any], set[str], Any])
@pytest.mark.parametrize("role", ["partition_key", "sort_key", "gsi_partition", "lsi_sort"])
def test_key_of_non_scalar_type(key_type: Any, role: str) -> None:
    annotations: dict[str, Any] = {"pk": str, "sk": str, "bad_key": key_type}
    options: dict[str, Any] = {role: "Idx" if role.startswith(("gsi", "lsi")) else True}
    namespace: dict[str, Any] = {"bad_key": dl.field(**options)}
    if role != "partition_key":
        namespace["pk"] = dl.field(partition_key=True)
    if role not in ("partition_key", "sort_key"):
        namespace["sk"] = dl.field(sort_key=True)
    with pytest.raises(ModelDefinitionError) as info:
        make_model("BadKeyType", annotations, namespace, table="DefBadKey")
    assert_names(info, "BadKeyType", "bad_key")


def test_set_of_float() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class FloatSet(dl.Model, table="DefFloatSet"):
            pk: str = dl.field(partition_key=True)
            scores: set[float] = dl.field(default_factory=set)
    assert_names(info, "FloatSet", "scores")


def test_version_that_is_str() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class StrVersion(dl.Model, table="DefStrVersion"):
            pk: str = dl.field(partition_key=True)
            revision: str = dl.field(version=True)
    assert_names(info, "StrVersion", "revision")


def test_ttl_that_is_int() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class IntTtl(dl.Model, table="DefIntTtl"):
            pk: str = dl.field(partition_key=True)
            expires: int = dl.field(ttl=True)
    assert_names(info, "IntTtl", "expires")


@pytest.mark.parametrize("role", ["created_at", "updated_at"])
def test_timestamp_that_is_str(role: str) -> None:
    with pytest.raises(ModelDefinitionError) as info:
        make_model("StrTimestamp", {"pk": str, "stamp": str},
                   {"pk": dl.field(partition_key=True), "stamp": dl.field(**{role: True})},
                   table="DefStrStamp")
    assert_names(info, "StrTimestamp", "stamp")


def test_gsi_sort_without_gsi_partition() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class HalfIndex(dl.Model, table="DefHalfIndex"):
            pk: str = dl.field(partition_key=True)
            owner: str = dl.field(gsi_partition="ByOwner")
            rank: int = dl.field(gsi_sort="ByRank")
    assert_names(info, "HalfIndex", "rank", "ByRank")


def test_index_declared_global_and_local() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class BothKinds(dl.Model, table="DefBothKinds"):
            pk: str = dl.field(partition_key=True)
            sk: str = dl.field(sort_key=True)
            owner: str = dl.field(gsi_partition="Twice")
            rank: int = dl.field(lsi_sort="Twice")
    assert_names(info, "BothKinds", "Twice")
    assert "owner" in str(info.value) or "rank" in str(info.value)


def test_lsi_on_table_without_sort_key() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class LocalNoSort(dl.Model, table="DefLocalNoSort"):
            pk: str = dl.field(partition_key=True)
            rank: int = dl.field(lsi_sort="ByRank")
    assert_names(info, "LocalNoSort", "rank")


def test_projection_for_unknown_index() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class UnknownProjection(dl.Model, table="DefUnknownProj",
                                projections={"Nowhere": "ALL"}):
            pk: str = dl.field(partition_key=True)
            owner: str = dl.field(gsi_partition="ByOwner")
    assert_names(info, "UnknownProjection", "Nowhere")


@pytest.mark.parametrize("projection", ["INCLUDE", "all", "keys_only", 5, None, [], (),
                                        ["title", 3], {"title": 1}])
def test_projection_of_wrong_form(projection: Any) -> None:
    with pytest.raises(ModelDefinitionError) as info:
        make_model("OddProjection", {"pk": str, "owner": str, "title": str},
                   {"pk": dl.field(partition_key=True), "owner": dl.field(gsi_partition="ByOwner"),
                    "title": ""},
                   table="DefOddProj", projections={"ByOwner": projection})
    assert_names(info, "OddProjection", "ByOwner")


def test_two_fields_with_one_attribute_name() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class SameAttr(dl.Model, table="DefSameAttr"):
            pk: str = dl.field(partition_key=True)
            alpha: str = dl.field(name="x", default="")
            beta: str = dl.field(name="x", default="")
    assert_names(info, "SameAttr", "beta", "'x'")


def test_alias_equal_to_another_fields_name() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class AliasClash(dl.Model, table="DefAliasClash"):
            pk: str = dl.field(partition_key=True)
            title: str = ""
            heading: str = dl.field(name="title", default="")
    assert_names(info, "AliasClash", "heading", "title")


def test_field_named_save() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class SaveField(dl.Model, table="DefSaveField"):
            pk: str = dl.field(partition_key=True)
            save: str = ""
    assert_names(info, "SaveField", "save")


def test_field_named_get() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class GetField(dl.Model, table="DefGetField"):
            pk: str = dl.field(partition_key=True)
            get: str = ""
    assert_names(info, "GetField", "get")


@pytest.mark.parametrize("name", ["create", "update", "delete", "refresh", "path", "to_item",
                                  "from_item", "create_table", "query", "scan"])
def test_field_named_like_a_model_method(name: str) -> None:
    with pytest.raises(ModelDefinitionError) as info:
        make_model("MethodClash", {"pk": str, name: str},
                   {"pk": dl.field(partition_key=True), name: ""}, table="DefMethodClash")
    assert_names(info, "MethodClash", name)


def test_partition_key_on_model_without_table() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class Tableless(dl.Model):
            ident: str = dl.field(partition_key=True)
    assert_names(info, "Tableless", "ident")


@pytest.mark.parametrize("role", ["partition_key", "version", "gsi_partition", "ttl"])
def test_not_stored_field_with_a_role(role: str) -> None:
    types_by_role = {"partition_key": str, "version": int, "gsi_partition": str,
                     "ttl": dt.datetime}
    option: Any = "Idx" if role == "gsi_partition" else True
    namespace = {"ghost": dl.field(stored=False, **{role: option})}
    annotations = {"ghost": types_by_role[role]}
    if role != "partition_key":
        annotations = {"pk": str, **annotations}
        namespace["pk"] = dl.field(partition_key=True)
    with pytest.raises(ModelDefinitionError) as info:
        make_model("GhostRole", annotations, namespace, table="DefGhostRole")
    assert_names(info, "GhostRole", "ghost")


def test_default_and_default_factory() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class TwoDefaults(dl.Model, table="DefTwoDefaults"):
            pk: str = dl.field(partition_key=True)
            count: int = dl.field(default=1, default_factory=int)
    assert_names(info, "TwoDefaults", "count")


def test_unresolvable_string_annotation() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class Unresolved(dl.Model, table="DefUnresolved"):
            pk: str = dl.field(partition_key=True)
            thing: "NoSuchTypeAnywhere"  # noqa: F821
    assert_names(info, "Unresolved", "thing", "NoSuchTypeAnywhere")


def test_errors_are_model_definition_errors_with_attributes() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class Attrs(dl.Model, table="DefAttrs"):
            pk: str = dl.field(partition_key=True)
            get: str = ""
    assert info.value.model == "Attrs"
    assert info.value.field == "get"
    assert isinstance(info.value, dl.DynamormError)


def test_failed_definition_is_not_registered() -> None:
    with pytest.raises(ModelDefinitionError):
        class NotRegistered(dl.Model, table="DefNotRegistered"):
            title: str = ""
    assert dl.registry.for_table("DefNotRegistered") == []


# --- schema --------------------------------------------------------------------------------





@pytest.mark.parametrize(
    ("key_type", "letter"),
    [
        (str, "S"),
        (int, "N"),
        (Decimal, "N"),
        (bytes, "B"),
        (dt.datetime, "S"),
        (dt.date, "S"),
        (uuid.UUID, "S"),
        (Color, "S"),
        (Level, "N"),
    ],
)
def test_key_attribute_types(key_type: Any, letter: str) -> None:
    model = make_model("KeyTypes", {"pk": key_type, "sk": key_type},
                       {"pk": dl.field(partition_key=True), "sk": dl.field(sort_key=True)},
                       table="DefKeyTypes")
    schema = dl.schema(model)
    assert schema.partition == dl.KeyAttribute("pk", letter)
    assert schema.sort == dl.KeyAttribute("sk", letter)


@pytest.mark.parametrize("role", ["partition_key", "sort_key", "gsi_partition", "gsi_sort",
                                  "lsi_sort"])
def test_a_float_key_is_refused_naming_the_field(role: str) -> None:
    """Keys are matched exactly; a float is not exact in decimal."""
    value: Any = True if role in ("partition_key", "sort_key") else "ByRatio"
    fields = {"pk": dl.field(partition_key=True), "sk": dl.field(sort_key=True)}
    fields["ratio" if role not in ("partition_key", "sort_key") else
           ("pk" if role == "partition_key" else "sk")] = dl.field(**{role: value})
    types = {"pk": str, "sk": str, "ratio": float}
    if role == "partition_key":
        types["pk"] = float
    elif role == "sort_key":
        types["sk"] = float
    with pytest.raises(dl.ModelDefinitionError, match="cannot be a float") as refused:
        make_model("FloatKey", types, fields, table="DefFloatKeys")
    assert refused.value.field in ("pk", "sk", "ratio")


@pytest.mark.parametrize("name", ["ab", "a b c", "x" * 256, "ü-index"])
def test_an_invalid_index_name_is_refused_when_the_class_is_defined(name: str) -> None:
    with pytest.raises(dl.ModelDefinitionError, match="not a valid DynamoDB index name") as bad:
        make_model("BadIndex", {"pk": str, "g": str},
                   {"pk": dl.field(partition_key=True), "g": dl.field(gsi_partition=name)},
                   table="DefBadIndex")
    assert bad.value.field == "g"
    with pytest.raises(dl.ValidationError, match="index name"):
        dl.Index(name, "GSI", dl.KeyAttribute("g", "S"))


class Game(dl.Model, table="DefGames",
           projections={"ByScore": "KEYS_ONLY", "ByTitle": ["plays", "note"],
                        "ByDate": ["plays"], "ByGame": "ALL"}):
    user: str = dl.field(partition_key=True, name="u", gsi_sort="ByGame")
    game: str = dl.field(sort_key=True, name="g", gsi_partition="ByGame")
    score: int = dl.field(gsi_partition="ByScore", name="sc")
    top: Decimal = dl.field(gsi_sort="ByScore")
    title_text: str = dl.field(name="tt", gsi_partition="ByTitle")
    when: dt.datetime = dl.field(lsi_sort="ByDate", name="w")
    blob: bytes = dl.field(gsi_partition="ByBlob", default=b"x")
    plays: int = dl.field(default=0, name="p")
    note: str = dl.field(default="", name="n")


def test_schema_keys_and_indexes() -> None:
    schema = dl.schema(Game)
    assert schema.name == "DefGames"
    assert schema.partition == dl.KeyAttribute("u", "S")
    assert schema.sort == dl.KeyAttribute("g", "S")
    by_name = {index.name: index for index in schema.indexes}
    assert set(by_name) == {"ByScore", "ByTitle", "ByDate", "ByGame", "ByBlob"}
    assert by_name["ByScore"] == dl.Index("ByScore", "GSI", dl.KeyAttribute("sc", "N"),
                                          dl.KeyAttribute("top", "N"), "KEYS_ONLY", ())
    assert by_name["ByTitle"] == dl.Index("ByTitle", "GSI", dl.KeyAttribute("tt", "S"), None,
                                          "INCLUDE", ("p", "n"))
    assert by_name["ByGame"] == dl.Index("ByGame", "GSI", dl.KeyAttribute("g", "S"),
                                         dl.KeyAttribute("u", "S"), "ALL", ())
    assert by_name["ByBlob"] == dl.Index("ByBlob", "GSI", dl.KeyAttribute("blob", "B"), None,
                                         "ALL", ())
    assert by_name["ByDate"] == dl.Index("ByDate", "LSI", dl.KeyAttribute("u", "S"),
                                         dl.KeyAttribute("w", "S"), "INCLUDE", ("p",))
    assert schema.index("ByTitle") is by_name["ByTitle"]


def test_schema_of_instance_and_nested_model() -> None:
    assert dl.schema(Game(user="a", game="b", score=1, top=Decimal(1), title_text="t",
                          when=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))) is dl.schema(Game)

    class Inner(dl.Model):
        x: int = 0

    with pytest.raises(ValidationError):
        dl.schema(Inner)


def test_schema_ttl_attribute() -> None:
    class Expiring(dl.Model, table="DefExpiring"):
        pk: str = dl.field(partition_key=True)
        expires: dt.datetime = dl.field(ttl=True, name="exp")

    assert dl.schema(Expiring).ttl_attribute == "exp"


def test_create_table_request_on_demand() -> None:
    request = dl.schema(Game).create_table_request()
    assert request["TableName"] == "DefGames"
    assert request["KeySchema"] == [{"AttributeName": "u", "KeyType": "HASH"},
                                    {"AttributeName": "g", "KeyType": "RANGE"}]
    definitions = request["AttributeDefinitions"]
    names = [d["AttributeName"] for d in definitions]
    assert len(names) == len(set(names)), definitions
    assert {(d["AttributeName"], d["AttributeType"]) for d in definitions} == {
        ("u", "S"), ("g", "S"), ("sc", "N"), ("top", "N"), ("tt", "S"), ("w", "S"),
        ("blob", "B"),
    }
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in request
    gsis = {g["IndexName"]: g for g in request["GlobalSecondaryIndexes"]}
    assert set(gsis) == {"ByScore", "ByTitle", "ByGame", "ByBlob"}
    assert gsis["ByScore"] == {
        "IndexName": "ByScore",
        "KeySchema": [{"AttributeName": "sc", "KeyType": "HASH"},
                      {"AttributeName": "top", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }
    assert gsis["ByTitle"] == {
        "IndexName": "ByTitle",
        "KeySchema": [{"AttributeName": "tt", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["p", "n"]},
    }
    assert gsis["ByGame"]["KeySchema"] == [{"AttributeName": "g", "KeyType": "HASH"},
                                           {"AttributeName": "u", "KeyType": "RANGE"}]
    assert gsis["ByGame"]["Projection"] == {"ProjectionType": "ALL"}
    assert request["LocalSecondaryIndexes"] == [{
        "IndexName": "ByDate",
        "KeySchema": [{"AttributeName": "u", "KeyType": "HASH"},
                      {"AttributeName": "w", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["p"]},
    }]


def test_create_table_request_provisioned() -> None:
    request = dl.schema(Game).create_table_request(billing="PROVISIONED", read_capacity=7,
                                                   write_capacity=3)
    throughput = {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3}
    assert request["BillingMode"] == "PROVISIONED"
    assert request["ProvisionedThroughput"] == throughput
    for gsi in request["GlobalSecondaryIndexes"]:
        assert gsi["ProvisionedThroughput"] == throughput
    for lsi in request["LocalSecondaryIndexes"]:  # LSIs share the table's throughput
        assert "ProvisionedThroughput" not in lsi


def test_create_table_request_without_indexes() -> None:
    class Simple(dl.Model, table="DefSimple"):
        ident: str = dl.field(partition_key=True)
        body: str = ""

    request = dl.schema(Simple).create_table_request()
    assert request["KeySchema"] == [{"AttributeName": "ident", "KeyType": "HASH"}]
    assert request["AttributeDefinitions"] == [{"AttributeName": "ident", "AttributeType": "S"}]
    assert "GlobalSecondaryIndexes" not in request
    assert "LocalSecondaryIndexes" not in request


# --- registry ------------------------------------------------------------------------------

def test_registry_lists_a_tables_models() -> None:
    class UserRow(dl.Model, table="DefSingleTable"):
        pk: str = dl.field(partition_key=True)
        sk: str = dl.field(sort_key=True)

    class OrderRow(dl.Model, table="DefSingleTable"):
        pk: str = dl.field(partition_key=True)
        sk: str = dl.field(sort_key=True)
        total: int = 0

    class Elsewhere(dl.Model, table="DefOtherTable"):
        pk: str = dl.field(partition_key=True)

    models = dl.registry.for_table("DefSingleTable")
    assert len(models) == 2
    assert set(models) == {UserRow, OrderRow}
    assert dl.registry.for_table("DefOtherTable") == [Elsewhere]
    assert "DefSingleTable" in dl.registry.tables()
    assert UserRow in list(dl.registry)


def test_nested_models_are_not_registered() -> None:
    class NestedOnly(dl.Model):
        x: int = 0

    assert NestedOnly not in list(dl.registry)


def _define_redefined(extra_default: int) -> type[dl.Model]:
    class Redefined(dl.Model, table="DefRedefined"):
        pk: str = dl.field(partition_key=True)
        extra: int = extra_default

    return Redefined


def test_redefining_a_class_replaces_it() -> None:
    first = _define_redefined(1)
    second = _define_redefined(2)
    assert first is not second
    assert first.__qualname__ == second.__qualname__
    assert dl.registry.for_table("DefRedefined") == [second]
    assert first not in list(dl.registry)


# --- inheritance ---------------------------------------------------------------------------

class BaseRecord(dl.Model, table="DefInherit"):
    ident: str = dl.field(partition_key=True)
    label: str = ""


class ChildRecord(BaseRecord):
    extra: int = 0


def test_subclass_inherits_fields_and_table() -> None:
    assert ChildRecord.__table__ == "DefInherit"
    assert [f.py_name for f in dl.fields(ChildRecord)] == ["ident", "label", "extra"]
    assert [f.py_name for f in dl.fields(BaseRecord)] == ["ident", "label"]
    assert dl.schema(ChildRecord).partition == dl.KeyAttribute("ident", "S")
    assert dl.schema(ChildRecord).name == "DefInherit"
    child = ChildRecord(ident="a", extra=3)
    assert child.to_item() == {"ident": {"S": "a"}, "label": {"S": ""}, "extra": {"N": "3"}}
    assert set(dl.registry.for_table("DefInherit")) == {BaseRecord, ChildRecord}


def test_subclass_of_a_nested_model_can_add_a_table() -> None:
    class Common(dl.Model):
        note: str = ""

    class WithTable(Common, table="DefNestedBase"):
        ident: str = dl.field(partition_key=True)

    assert [f.py_name for f in dl.fields(WithTable)] == ["note", "ident"]
    assert dl.schema(WithTable).partition == dl.KeyAttribute("ident", "S")


# --- objects -------------------------------------------------------------------------------

class Details(dl.Model):
    rating: int = dl.field(name="r", default=0)
    plot: str = ""


class Film(dl.Model, table="DefFilms"):
    year: int = dl.field(partition_key=True)
    title: str = dl.field(sort_key=True)
    info: Details = dl.field(default_factory=Details, name="i")
    rank: int = dl.field(name="rk", default=0)
    tags: list[str] = dl.field(default_factory=list)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Film(year=2013, title="Rush", bogus_field=1)
    assert "bogus_field" in str(info.value)


def test_missing_required_field_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        Film(year=2013)
    assert "title" in str(info.value)
    with pytest.raises(ValidationError) as info:
        Film()
    assert "year" in str(info.value)
    assert "title" in str(info.value)


def test_defaults_and_factories() -> None:
    one, two = Film(year=1, title="a"), Film(year=2, title="b")
    assert one.rank == 0
    assert one.tags == []
    assert one.tags is not two.tags
    assert isinstance(one.info, Details)


def test_repr_shows_field_values() -> None:
    text = repr(Film(year=2013, title="Rush", rank=5))
    assert text.startswith("Film(")
    for part in ("year=2013", "title='Rush'", "rank=5", "tags=[]"):
        assert part in text, text


def test_equality() -> None:
    assert Film(year=2013, title="Rush") == Film(year=2013, title="Rush")
    assert Film(year=2013, title="Rush") != Film(year=2013, title="Rush", rank=1)
    assert Film(year=2013, title="Rush") != Film(year=2014, title="Rush")
    assert Film(year=2013, title="Rush") != object()


def test_equality_needs_the_same_class() -> None:
    class Other(dl.Model, table="DefOtherFilms"):
        year: int = dl.field(partition_key=True)
        title: str = dl.field(sort_key=True)

    assert Other(year=1, title="a") != Film(year=1, title="a")


def test_class_attribute_is_a_path_with_the_attribute_name() -> None:
    assert isinstance(Film.year, dl.Path)
    assert Film.year.elements == ("year",)
    assert Film.rank.elements == ("rk",)
    assert Film.info.rating.elements == ("i", "r")
    film = Film(year=2013, title="Rush", rank=4)
    assert film.year == 2013
    assert film.rank == 4


def test_model_path_uses_attribute_names() -> None:
    assert Film.path("rank").elements == ("rk",)
    assert Film.path("rk").elements == ("rk",)
    assert Film.path("tags[2]").elements == ("tags", 2)


def test_model_path_into_a_nested_model_alias() -> None:
    assert Film.path("info.rating").elements == ("i", "r")
    assert Film.path("info.plot").elements == ("i", "plot")


# --- multi-attribute GSI keys: declared on the class with indexes= -------------------------

def test_indexes_declares_a_multi_attribute_key_in_the_order_given() -> None:
    class Match(dl.Model, table="DefMatches", indexes={
            "ByTournament": dl.gsi(partition=["tournament", "region"], sort=["round", "bracket"],
                                   projection=["score"])}):
        pk: str = dl.field(partition_key=True)
        tournament: str | None = None
        region: str | None = dl.field(None, name="Region")
        round: int | None = None
        bracket: str | None = None
        score: int = 0

    index = dl.schema(Match).index("ByTournament")
    assert [k.name for k in index.partition_keys] == ["tournament", "Region"]  # attribute names
    assert [(k.name, k.type) for k in index.sort_keys] == [("round", "N"), ("bracket", "S")]
    assert (index.projection, index.non_key_attributes) == ("INCLUDE", ("score",))
    request = dl.schema(Match).create_table_request()
    assert request["GlobalSecondaryIndexes"][0]["KeySchema"] == [
        {"AttributeName": "tournament", "KeyType": "HASH"},
        {"AttributeName": "Region", "KeyType": "HASH"},
        {"AttributeName": "round", "KeyType": "RANGE"},
        {"AttributeName": "bracket", "KeyType": "RANGE"}]
    assert sorted(d["AttributeName"] for d in request["AttributeDefinitions"]) == [
        "Region", "bracket", "pk", "round", "tournament"]


def test_two_partition_flags_point_to_indexes() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class TwoFlags(dl.Model, table="DefTwoFlags"):
            pk: str = dl.field(partition_key=True)
            tournament: str = dl.field(gsi_partition="ByTournament")
            region: str = dl.field(gsi_partition="ByTournament")
    assert_names(info, "TwoFlags", "region", "indexes={'ByTournament': dl.gsi(partition=[...])}")


@pytest.mark.parametrize(("declared", "named"), [
    ({"Idx": dl.gsi(partition=["nowhere"])}, "nowhere"),
    ({"Idx": "tournament"}, "dl.gsi"),
    ({"x": dl.gsi(partition=["tournament"])}, "x"),  # index names have 3 to 255 characters
])
def test_indexes_of_the_wrong_form_name_what_is_wrong(declared: dict[str, Any],
                                                       named: str) -> None:
    with pytest.raises(ModelDefinitionError) as info:
        make_model("WrongIndexes", {"pk": str, "tournament": str},
                   {"pk": dl.field(partition_key=True)}, table="DefWrongIdx", indexes=declared)
    assert_names(info, "WrongIndexes", named)


def test_an_index_declared_by_indexes_and_by_flags_is_refused() -> None:
    with pytest.raises(ModelDefinitionError) as info:
        class Twice(dl.Model, table="DefTwiceDeclared",
                    indexes={"ByTournament": dl.gsi(partition=["tournament", "region"])}):
            pk: str = dl.field(partition_key=True)
            tournament: str = dl.field(gsi_partition="ByTournament")
            region: str = ""
    assert_names(info, "Twice", "tournament", "declare it once")


@pytest.mark.parametrize(("arguments", "message"), [
    ({"partition": []}, "1 to 4 partition"),
    ({"partition": ["a", "b", "c", "d", "e"]}, "1 to 4 partition"),
    ({"partition": ["a"], "sort": ["s1", "s2", "s3", "s4", "s5"]}, "at most 4 sort"),
    ({"partition": ["a", ""]}, "field names"),
    ({"partition": "a", "sort": [3]}, "field names"),
])
def test_gsi_refuses_keys_dynamodb_would_refuse(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        dl.gsi(**arguments)


def test_an_index_key_is_checked_as_dynamodb_checks_it() -> None:
    pk, other = dl.KeyAttribute("pk", "S"), dl.KeyAttribute("x", "S")
    with pytest.raises(ValidationError, match="only a GSI"):
        dl.Index("Local", "LSI", pk, other, sort_keys=(other, dl.KeyAttribute("y", "N")))
    with pytest.raises(ValidationError, match="twice"):
        dl.Index("Twice", "GSI", pk, partition_keys=(pk, pk))
    with pytest.raises(ValidationError, match="at most 4"):
        dl.Index("Wide", "GSI", pk, partition_keys=(pk, *(
            dl.KeyAttribute(f"a{n}", "S") for n in range(4))))
