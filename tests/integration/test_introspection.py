"""Models introspected from the four sample data sets, checked against their README and files.

The samples are loaded once for this module, on its own connection, into the shared tables
``Movies``, ``ProductCatalog``, ``Forum``, ``Thread``, ``Reply``, ``battle-royale`` and
``OnlineShop`` (left in place: other modules may use them). Expectations come from
/work/shared/datasets/README.md and from the raw files there, read here without the library.
The round trip writes items back into those shared tables only after checking, in memory,
that the introspected model re-encodes every item exactly, so a failure cannot corrupt them.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

import dynamorm_lab as dl
from dynamorm_lab._core.types import Kind
from dynamorm_lab._ops import introspect as _introspect
from dynamorm_lab.samples import sample_items

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("samples")]

from backends import DATASETS, raw_scan  # noqa: E402 - shared/ beside the checkout

SAMPLES = ("movies", "product-catalog", "battle-royale", "online-shop")
SAMPLE_OF = {"Movies": "movies", "ProductCatalog": "product-catalog",
             "Forum": "product-catalog", "Thread": "product-catalog",
             "Reply": "product-catalog", "battle-royale": "battle-royale",
             "OnlineShop": "online-shop"}
TABLES = tuple(SAMPLE_OF)
K = dl.KeyAttribute

# From the data sets' README: keys, and each GSI's keys and projection.
EXPECTED: dict[str, tuple[Any, Any, dict[str, tuple[Any, Any, str]]]] = {
    "Movies": (K("year", "N"), K("title", "S"), {}),
    "ProductCatalog": (K("Id", "N"), None, {}),
    "Forum": (K("Name", "S"), None, {}),
    "Thread": (K("ForumName", "S"), K("Subject", "S"), {}),
    "Reply": (K("Id", "S"), K("ReplyDateTime", "S"), {
        "PostedBy-Message-Index": (K("PostedBy", "S"), K("Message", "S"), "ALL")}),
    "battle-royale": (K("PK", "S"), K("SK", "S"), {
        "OpenGamesIndex": (K("map", "S"), K("open_timestamp", "S"), "ALL"),
        "InvertedIndex": (K("SK", "S"), K("PK", "S"), "ALL")}),
    "OnlineShop": (K("PK", "S"), K("SK", "S"), {
        "GSI1": (K("GSI1-PK", "S"), K("GSI1-SK", "S"), "ALL"),
        "GSI2": (K("GSI2-PK", "S"), K("GSI2-SK", "S"), "ALL")}),
}


@pytest.fixture(scope="module")
def introspected(conn: dl.Connection) -> dict[str, Any]:
    """`conn.model(table)` for every table, made once (Movies takes a while to sample)."""
    return {table: conn.model(table) for table in TABLES}


# --- helpers ---------------------------------------------------------------------------------



def normalized(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _norm(av) for name, av in item.items()}


def _norm(av: dict[str, Any]) -> dict[str, Any]:
    tag, payload = next(iter(av.items()))
    if tag in ("SS", "NS", "BS"):
        return {tag: sorted(payload)}
    if tag == "M":
        return {"M": {k: _norm(v) for k, v in payload.items()}}
    if tag == "L":
        return {"L": [_norm(v) for v in payload]}
    return {tag: payload}


def keyed(items: list[dict[str, Any]], table: str) -> dict[str, dict[str, Any]]:
    partition, sort, _ = EXPECTED[table]
    names = [partition.name] + ([sort.name] if sort else [])
    out = {repr([item[n] for n in names]): normalized(item) for item in items}
    assert len(out) == len(items), "the same key twice"
    return out


def by_attr(model: Any) -> dict[str, Any]:
    return {f.attr_name: f for f in dl.fields(model)}


def exec_models(source: str) -> dict[str, Any]:
    """The models a piece of source defines, executed as a file of its own would be.

    ``dont_inherit`` keeps this module's ``from __future__ import annotations`` out of the
    executed code (a bare exec() would pass it on, and string annotations in a namespace that
    is no module cannot be resolved by anyone, typing.get_type_hints included).
    """
    namespace: dict[str, Any] = {"__name__": "introspected_by_test"}
    exec(compile(source, "<model_source>", "exec", dont_inherit=True), namespace)
    return {name: value for name, value in namespace.items()
            if isinstance(value, type) and issubclass(value, dl.Model) and value is not dl.Model}


def battle_royale_file() -> list[dict[str, Any]]:
    text = (DATASETS / "battle-royale" / "items.json").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def battle_royale_entity(item: dict[str, Any]) -> str:
    pk, sk = item["PK"], item["SK"]
    if pk.startswith("USER#") and sk.startswith("#METADATA#"):
        return "User"
    if pk.startswith("GAME#") and sk.startswith("#METADATA#"):
        return "Game"
    if pk.startswith("GAME#") and sk.startswith("USER#"):
        return "GameUser"
    return f"unexpected {pk} {sk}"


def online_shop_file() -> list[dict[str, Any]]:
    model = json.loads((DATASETS / "AnOnlineShop_14.json").read_text(encoding="utf-8"))
    (table,) = model["DataModel"]
    assert table["TableName"] == "OnlineShop"
    return list(table["TableData"])


# --- keys, indexes and attribute types -------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_introspected_keys_and_indexes_are_the_readmes(conn: dl.Connection,
                                                       introspected: dict[str, Any],
                                                       table: str) -> None:
    partition, sort, indexes = EXPECTED[table]
    model = introspected[table]
    schema = dl.schema(model)

    assert model.__table__ == table and schema.name == table
    assert schema.partition == partition
    assert schema.sort == sort
    assert {i.name: (i.kind, i.partition, i.sort, i.projection) for i in schema.indexes} == {
        name: ("GSI", p, s, projection) for name, (p, s, projection) in indexes.items()}
    assert schema == conn.describe(table)
    fields = by_attr(model)
    key_type = {"S": Kind.STR, "N": Kind.INT}
    for key in (partition, sort):
        if key is not None:
            assert fields[key.name].node.kind is key_type[key.type]
            assert not fields[key.name].node.optional


def test_attribute_types_match_the_data(introspected: dict[str, Any]) -> None:
    shop = by_attr(introspected["OnlineShop"])
    for name in ("Price", "Quantity", "Amount"):  # strings in this data set
        assert shop[name].node.kind is Kind.STR and shop[name].node.optional, name
    assert shop["Detail"].node.kind is Kind.DICT
    assert shop["EntityType"].node.kind is Kind.STR and not shop["EntityType"].node.optional

    movies = by_attr(introspected["Movies"])
    assert movies["info"].node.kind is Kind.DICT
    assert (movies["year"].node.kind, movies["title"].node.kind) == (Kind.INT, Kind.STR)

    catalog = by_attr(introspected["ProductCatalog"])
    assert catalog["Id"].node.kind is Kind.INT
    assert catalog["Price"].node.kind is Kind.INT
    assert catalog["Authors"].node.kind is Kind.LIST  # lists, not sets, in this data
    assert catalog["InPublication"].node.kind is Kind.BOOL

    games = by_attr(introspected["battle-royale"])
    assert games["people"].node.kind is Kind.INT
    assert games["address"].node.kind is Kind.STR


# --- source code -----------------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_model_source_executes_to_the_same_model(conn: dl.Connection,
                                                introspected: dict[str, Any],
                                                table: str) -> None:
    source = conn.model_source(table)
    models = exec_models(source)
    assert len(models) == 1
    (made,) = models.values()
    assert _introspect.same_fields(introspected[table], made)
    assert made.__table__ == table


@pytest.mark.parametrize("table", ["battle-royale", "OnlineShop"])
def test_models_source_executes_to_the_same_entity_models(conn: dl.Connection,
                                                          table: str) -> None:
    models = conn.models(table)
    made = exec_models(conn.models_source(table))
    assert set(made) == set(models)
    for name, model in models.items():
        assert _introspect.same_fields(model, made[name]), name


# --- single-table designs --------------------------------------------------------------------

def test_battle_royale_splits_into_user_game_and_game_user(conn: dl.Connection) -> None:
    raw_file = battle_royale_file()
    expected_counts = Counter(battle_royale_entity(item) for item in raw_file)
    assert set(expected_counts) == {"User", "Game", "GameUser"}
    expected_attrs: dict[str, set[str]] = {}
    for item in raw_file:
        expected_attrs.setdefault(battle_royale_entity(item), set()).update(item)

    models = conn.models("battle-royale")
    assert set(models) == {"User", "Game", "GameUser"}
    for name, model in models.items():
        assert model.__table__ == "battle-royale"
        assert set(by_attr(model)) <= expected_attrs[name], name

    everything = conn.inspect("battle-royale", sample=5000)
    assert everything.sampled == len(raw_file) == 835
    groups = _introspect.entity_groups(everything)
    assert {name: len(items) for name, items in groups.items()} == dict(expected_counts)
    full = _introspect.entity_models(everything)
    for name, model in full.items():
        assert set(by_attr(model)) == expected_attrs[name], name
        for item in groups[name]:  # each entity model re-encodes its own items exactly
            assert normalized(model.from_item(item).to_item()) == normalized(item)


def test_online_shop_entities_come_from_entity_type(conn: dl.Connection) -> None:
    raw_file = online_shop_file()
    kinds = Counter(item["EntityType"]["S"] for item in raw_file)
    expected = {kind[0].upper() + kind[1:]: count for kind, count in kinds.items()}
    assert len(expected) == 9

    models = conn.models("OnlineShop")
    assert set(models) == set(expected)
    groups = _introspect.entity_groups(conn.inspect("OnlineShop"))
    assert {name: len(items) for name, items in groups.items()} == expected
    for name, model in models.items():
        attrs = set().union(*(item for item in raw_file
                              if item["EntityType"]["S"][0].upper()
                              + item["EntityType"]["S"][1:] == name))
        assert set(by_attr(model)) == attrs, name
        assert by_attr(model)["EntityType"].node.kind is Kind.STR


def test_the_planner_serves_gsi1_with_a_stated_co_presence_assumption(
        conn: dl.Connection, introspected: dict[str, Any]) -> None:
    model = introspected["OnlineShop"]
    gsi1_pk = by_attr(model)["GSI1-PK"]
    assert gsi1_pk.node.optional  # sparse: most items do not have it
    query = model.query(gsi1_pk.path == "sh#98765").using(conn)

    plan = query.explain()

    assert (plan.operation, plan.index) == ("Query", "GSI1")
    assumption = [n for n in plan.chosen.notes if "GSI1-SK" in n]
    assert assumption and "GSI1-PK" in assumption[0] and "assumes" in assumption[0]
    chosen_row = next(row for row in plan.rows() if row["chosen"])
    assert "GSI1-SK" in chosen_row["notes"]
    for candidate in plan.candidates:  # every path considered says why it was or was not
        assert candidate.reason.strip(), candidate
    refused = [c for c in plan.candidates if not c.usable]
    assert refused and all(len(c.reason) > 10 for c in refused)

    result = query.all()
    raw = conn.client.query(TableName="OnlineShop", IndexName="GSI1",
                            KeyConditionExpression="#p = :v",
                            ExpressionAttributeNames={"#p": "GSI1-PK"},
                            ExpressionAttributeValues={":v": {"S": "sh#98765"}})["Items"]
    assert len(raw) == 3
    assert sorted(normalized(obj.to_item()) == normalized(item) for obj, item in zip(
        sorted(result, key=lambda o: o.to_item()["SK"]["S"]),
        sorted(raw, key=lambda i: i["SK"]["S"]), strict=True)) == [True, True, True]


# --- round trip (last: it writes back into the shared tables) --------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_every_item_round_trips_through_the_introspected_model(
        conn: dl.Connection, introspected: dict[str, Any], table: str) -> None:
    originals = keyed([item for name, item in sample_items(SAMPLE_OF[table]) if name == table],
                      table)
    model = introspected[table]
    fields = by_attr(model)
    unknown = sorted({name for item in originals.values() for name in item} - set(fields))
    assert unknown == [], f"attributes the introspected model does not know: {unknown}"

    objects = list(model.scan().using(conn))  # read with the model
    assert len(objects) == len(originals)
    encoded = {}
    for obj in objects:
        item = obj.to_item()
        (key,) = keyed([item], table)
        encoded[key] = normalized(item)
        for name in originals.get(key, {}):  # every stored value has its field's type
            f = fields[name]
            value = obj.__dict__[f.py_name]
            assert f.node.kind is Kind.ANY or isinstance(value, f.node.python_types), (
                name, value, f)
    wrong = [k for k in originals if encoded.get(k) != originals[k]]
    assert not wrong, (f"{len(wrong)} item(s) change when re-encoded, e.g. {wrong[0]}: "
                       f"{encoded.get(wrong[0])} != {originals[wrong[0]]}")

    if len(objects) > 100:
        report = conn.batch_write(objects)
        assert report.ok and report.written == len(objects)
    else:
        for obj in objects:
            obj.save(connection=conn)

    after = keyed(raw_scan(conn, table), table)  # read again, raw, from the server
    assert after == originals
