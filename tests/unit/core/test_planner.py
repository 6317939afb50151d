"""The query planner, without a server: which access path it must refuse, which it must choose.

Each rejection reason has a case where the path must be refused and one where it must be
chosen. Expectations follow DynamoDB's rules: a Query needs the partition key matched with =;
the sort key takes one of =, <, <=, >, >=, BETWEEN, begins_with (and no filter may touch the
key attributes a Query uses); a GSI is eventually consistent and holds only the attributes it
projects and only the items that have its key attributes (sparse); GetItem and BatchGetItem
take full primary keys and cannot filter. Schemas are written here from the data sets' README
(/work/shared/datasets/README.md), not taken from the package's sample definitions.
"""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from backends import DATASETS

import dynamorm_lab as dl
from dynamorm_lab._core.estimate import Basis
from dynamorm_lab._core.expr import path
from dynamorm_lab._core.planner import Candidate, Plan, PlanRequest, plan
from dynamorm_lab.errors import ValidationError

A = dl.attr


def S(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "S")


def N(name: str) -> dl.KeyAttribute:
    return dl.KeyAttribute(name, "N")


# --- schemas, as the README describes the sample tables ------------------------------------

BATTLE = dl.TableSchema("battle-royale", S("PK"), S("SK"), (
    dl.Index("InvertedIndex", "GSI", S("SK"), S("PK")),
    dl.Index("OpenGamesIndex", "GSI", S("map"), S("open_timestamp")),
))
SHOP = dl.TableSchema("OnlineShop", S("PK"), S("SK"), (
    dl.Index("GSI1", "GSI", S("GSI1-PK"), S("GSI1-SK")),
    dl.Index("GSI2", "GSI", S("GSI2-PK"), S("GSI2-SK")),
))
PRODUCTS = dl.TableSchema("ProductCatalog", N("Id"))
MOVIES = dl.TableSchema("Movies", N("year"), S("title"))
THREADS = dl.TableSchema("Thread", S("ForumName"), S("Subject"))

# A laboratory table: one GSI per projection kind and two LSIs.
LAB = dl.TableSchema("Lab", S("pk"), S("sk"), (
    dl.Index("KeysGSI", "GSI", S("g"), S("gs"), "KEYS_ONLY"),
    dl.Index("IncGSI", "GSI", S("h"), S("hs"), "INCLUDE", ("a", "b")),
    dl.Index("KeysLSI", "LSI", S("pk"), S("l"), "KEYS_ONLY"),
    dl.Index("AllLSI", "LSI", S("pk"), S("m")),
))


def battle_items() -> list[dict[str, Any]]:
    with (DATASETS / "battle-royale" / "items.json").open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def busiest_open_map() -> str:
    """The map with the most open games (items with open_timestamp), from the raw file."""
    counts: dict[str, int] = {}
    for item in battle_items():
        if "open_timestamp" in item:
            counts[item["map"]] = counts.get(item["map"], 0) + 1
    return max(sorted(counts), key=lambda m: counts[m])


# --- helpers ---------------------------------------------------------------------------------

def run(table: dl.TableSchema, *conditions: Any, **options: Any) -> Plan:
    return plan(PlanRequest(table, tuple(conditions), **options))


def cand(result: Plan, operation: str, index: str | None = None) -> Candidate:
    found = [c for c in result.candidates if c.operation == operation and c.index == index]
    assert len(found) == 1, f"expected one {operation} candidate on {index}: {found}"
    return found[0]


def _show(av: dict[str, Any]) -> str:
    tag, value = next(iter(av.items()))
    if tag == "S":
        return repr(value)
    if tag == "BOOL":
        return "true" if value else "false"
    return str(value)


def readable(request: dict[str, Any], key: str) -> str | None:
    """An expression of `request` with its placeholders substituted (our own resolver)."""
    text = request.get(key)
    if text is None:
        return None
    names = request.get("ExpressionAttributeNames", {})
    values = request.get("ExpressionAttributeValues", {})
    text = re.sub(r"#n\d+", lambda m: names[m.group()], text)
    return re.sub(r":v\d+", lambda m: _show(values[m.group()]), text)


def assert_placeholders_consistent(request: dict[str, Any]) -> None:
    """Every placeholder used is defined and every defined one is used (DynamoDB insists)."""
    text = " ".join(str(request.get(k, "")) for k in (
        "KeyConditionExpression", "FilterExpression", "ProjectionExpression"))
    used_names = set(re.findall(r"#n\d+", text))
    used_values = set(re.findall(r":v\d+", text))
    assert used_names == set(request.get("ExpressionAttributeNames", {}))
    assert used_values == set(request.get("ExpressionAttributeValues", {}))


def chosen_is(result: Plan, operation: str, index: str | None) -> None:
    assert (result.operation, result.index) == (operation, index), str(result)
    assert result.chosen.usable
    assert result.chosen in result.candidates


# === A1. the partition key must be bound by equality ========================================

@pytest.mark.parametrize(("condition", "shown"), [
    (A("pk").begins_with("USER#"), "begins_with"),
    (A("pk") > "m", ">"),
    (A("pk") <= "m", "<="),
    (A("pk").between("a", "m"), "BETWEEN"),
])
def test_partition_key_without_equality_refuses_query(condition: Any, shown: str) -> None:
    result = run(LAB, condition)
    table_query = cand(result, "Query")
    assert not table_query.usable
    assert "pk" in table_query.reason and "=" in table_query.reason
    assert shown in table_query.reason
    # an LSI shares the table's partition key, so it is refused for the same reason
    assert not cand(result, "Query", "AllLSI").usable
    assert result.operation == "Scan"
    assert "KeyConditionExpression" not in result.request


def test_partition_key_with_equality_chooses_query() -> None:
    result = run(LAB, A("pk") == "USER#1")
    chosen_is(result, "Query", None)
    assert readable(result.request, "KeyConditionExpression") == "pk = 'USER#1'"
    assert "FilterExpression" not in result.request


def test_gsi_partition_key_with_begins_with_refused_with_equality_chosen() -> None:
    refused = run(SHOP, A("GSI2-PK").begins_with("w#"), A("GSI2-SK").begins_with("sh#"))
    gsi = cand(refused, "Query", "GSI2")
    assert not gsi.usable and "GSI2-PK" in gsi.reason and "begins_with" in gsi.reason
    assert refused.operation == "Scan"
    chosen = run(SHOP, A("GSI2-PK") == "w#12345", A("GSI2-SK").begins_with("sh#"))
    chosen_is(chosen, "Query", "GSI2")


def test_partition_key_in_on_composite_table_is_one_query_per_value() -> None:
    # IN on the partition key alone: no key read (no sort key), but one Query per value
    # (as DynamoDB's PartiQL does to avoid a full scan), run in value order
    result = run(THREADS, A("ForumName").is_in(["Amazon S3", "Amazon DynamoDB", "Amazon S3"]))
    for operation in ("GetItem", "BatchGetItem"):
        assert not cand(result, operation).usable
    chosen_is(result, "Query", None)
    assert "one Query per value: 2" in result.chosen.reason  # the repeated value once
    values = [r["ExpressionAttributeValues"] for r in result.extra["requests"]]
    assert [next(iter(v.values()))["S"] for v in values] == ["Amazon DynamoDB", "Amazon S3"]
    assert all(readable(r, "KeyConditionExpression").startswith("ForumName = ")
               for r in result.extra["requests"])


# === A2. sort-key operators a key condition cannot express ==================================

@pytest.mark.parametrize("conditions", [
    (A("sk") != "b",),
    (A("sk") > "a", A("sk") < "z"),
    (A("sk") == "a", A("sk").begins_with("b")),
    (A("sk") >= "a", A("sk") > "c"),
    (A("sk").contains("x"),),
    (A("sk").is_in(["a", "b"]), A("sk") > "0"),
    (A("sk").size() > 3,),
    (~(A("sk") == "a"),),
], ids=["<>", "> and <", "= and begins_with", "two lower bounds", "contains", "IN and >",
        "size", "NOT"])
def test_sort_key_condition_that_no_key_condition_expresses_rejects_query(
        conditions: tuple[Any, ...]) -> None:
    result = run(LAB, A("pk") == "p", *conditions)
    table_query = cand(result, "Query")
    assert not table_query.usable
    assert "sk" in table_query.reason
    assert "filter" in table_query.reason  # says why it is not simply filtered
    assert (result.operation, result.index) != ("Query", None)
    # no usable Query keeps a condition on the key attributes it queries as a filter
    for c in result.candidates:
        if c.usable and c.operation == "Query" and c.filter is not None:
            keys = LAB.index(c.index).key_names if c.index else LAB.key_names
            assert not {p.name for p in _paths(c.filter)} & set(keys)


def _paths(node: Any) -> list[Any]:
    """Every Path inside a condition tree (walked here, not by the planner)."""
    if isinstance(node, dl.Path):
        return [node]
    found = []
    for name in ("left", "right", "subject", "low", "high", "part", "path"):
        child = getattr(node, name, None)
        if child is not None:
            found += _paths(child)
    for name in ("parts", "options", "args"):
        for child in getattr(node, name, ()) or ():
            found += _paths(child)
    return found


def test_sort_key_condition_that_a_key_condition_expresses_is_chosen() -> None:
    for condition, text in [
        (A("sk") > "a", "sk > 'a'"),
        (A("sk") <= "m", "sk <= 'm'"),
        (A("sk").begins_with("GAME#"), "begins_with(sk, 'GAME#')"),
        (A("sk").between("a", "c"), "sk BETWEEN 'a' AND 'c'"),
        (A("sk") == "x", "sk = 'x'"),
    ]:
        result = run(LAB, A("pk") == "p", condition, A("other") == 1)
        chosen_is(result, "Query", None)
        assert readable(result.request, "KeyConditionExpression") == f"pk = 'p' AND {text}"
        assert readable(result.request, "FilterExpression") == "other = 1"


def test_two_inclusive_bounds_merge_into_between() -> None:
    result = run(LAB, A("pk") == "p", A("sk") >= "2020-01", A("sk") <= "2020-12")
    chosen_is(result, "Query", None)
    assert readable(result.request, "KeyConditionExpression") == (
        "pk = 'p' AND sk BETWEEN '2020-01' AND '2020-12'")
    assert "FilterExpression" not in result.request
    assert_placeholders_consistent(result.request)


def test_two_inclusive_bounds_merge_on_a_gsi_sort_key_too() -> None:
    result = run(SHOP, A("GSI1-PK") == "p#12345", A("GSI1-SK") <= "2020-06-30",
                 A("GSI1-SK") >= "2020-06-01")
    chosen_is(result, "Query", "GSI1")
    assert readable(result.request, "KeyConditionExpression") == (
        "GSI1-PK = 'p#12345' AND GSI1-SK BETWEEN '2020-06-01' AND '2020-06-30'")
    assert "FilterExpression" not in result.request


def test_strict_bounds_do_not_merge_into_between() -> None:
    # BETWEEN includes both ends, so > and < cannot become one
    result = run(LAB, A("pk") == "p", A("sk") > "a", A("sk") < "z")
    assert not cand(result, "Query").usable
    assert "BETWEEN" not in (result.request.get("KeyConditionExpression") or "")


# === A3. projections ========================================================================

def test_keys_only_gsi_refused_when_all_attributes_are_needed() -> None:
    result = run(LAB, A("g") == "x", A("gs").exists())
    gsi = cand(result, "Query", "KeysGSI")
    assert not gsi.usable and "KEYS_ONLY" in gsi.reason
    assert result.operation == "Scan" and result.index is None


def test_keys_only_gsi_refused_when_an_unprojected_attribute_is_selected() -> None:
    result = run(LAB, A("g") == "x", A("gs").exists(), projection=(path("pk"), path("note")))
    gsi = cand(result, "Query", "KeysGSI")
    assert not gsi.usable and "note" in gsi.reason


def test_keys_only_gsi_chosen_when_only_keys_are_selected() -> None:
    result = run(LAB, A("g") == "x", A("gs").exists(),
                 projection=(path("pk"), path("sk"), path("gs")))
    chosen_is(result, "Query", "KeysGSI")
    assert result.request["IndexName"] == "KeysGSI"
    assert set(readable(result.request, "ProjectionExpression").split(", ")) >= {
        "pk", "sk", "gs"}


def test_include_gsi_refused_for_all_attributes_or_an_unprojected_one() -> None:
    everything = run(LAB, A("h") == "x", A("hs").exists())
    assert not cand(everything, "Query", "IncGSI").usable
    assert "INCLUDE" in cand(everything, "Query", "IncGSI").reason
    unprojected = run(LAB, A("h") == "x", A("hs").exists(), projection=(path("a"), path("c")))
    gsi = cand(unprojected, "Query", "IncGSI")
    assert not gsi.usable and "c" in gsi.reason.split("needs ")[-1]
    # a filter on an unprojected attribute needs it too
    filtered = run(LAB, A("h") == "x", A("hs").exists(), A("c") == 1,
                   projection=(path("a"),))
    assert not cand(filtered, "Query", "IncGSI").usable
    assert filtered.index != "IncGSI"


def test_include_gsi_chosen_when_only_projected_attributes_are_selected() -> None:
    result = run(LAB, A("h") == "x", A("hs") > "2020", A("b") > 2,
                 projection=(path("a"), path("pk")))
    chosen_is(result, "Query", "IncGSI")
    assert readable(result.request, "FilterExpression") == "b > 2"


def test_lsi_that_does_not_cover_is_still_usable_with_a_note() -> None:
    result = run(LAB, A("pk") == "p", A("l") == "v")
    chosen_is(result, "Query", "KeysLSI")
    assert result.chosen.notes, "an LSI that does not cover must say it fetches from the table"
    assert any("table" in note for note in result.chosen.notes)
    covered = run(LAB, A("pk") == "p", A("l") == "v", projection=(path("pk"), path("l")))
    chosen_is(covered, "Query", "KeysLSI")
    assert not covered.chosen.notes


# === A4. consistent reads ===================================================================

def test_consistent_read_refuses_a_gsi() -> None:
    eventually = run(BATTLE, A("map") == "Juicy Jungle", A("open_timestamp").exists())
    chosen_is(eventually, "Query", "OpenGamesIndex")
    strong = run(BATTLE, A("map") == "Juicy Jungle", A("open_timestamp").exists(),
                 consistent=True)
    gsi = cand(strong, "Query", "OpenGamesIndex")
    assert not gsi.usable and "consistent" in gsi.reason
    assert strong.index != "OpenGamesIndex"
    assert strong.request.get("IndexName") is None
    assert strong.request.get("ConsistentRead") is True


def test_consistent_read_allows_an_lsi() -> None:
    result = run(LAB, A("pk") == "p", A("m").begins_with("2024"), consistent=True)
    chosen_is(result, "Query", "AllLSI")
    assert result.request["ConsistentRead"] is True
    assert result.request["IndexName"] == "AllLSI"


# === A5. sparse indexes =====================================================================

def test_sparse_index_is_not_used_for_map_equality_alone() -> None:
    the_map = busiest_open_map()
    result = run(BATTLE, A("map") == the_map)
    chosen_is(result, "Scan", None)
    index_query = cand(result, "Query", "OpenGamesIndex")
    assert not index_query.usable
    assert "open_timestamp" in index_query.reason
    assert "OpenGamesIndex" in result.chosen.reason
    assert "open_timestamp" in result.chosen.reason
    assert readable(result.request, "FilterExpression") == f"map = {the_map!r}"
    assert "IndexName" not in result.request


def test_sparse_index_is_used_when_its_sort_key_must_exist() -> None:
    the_map = busiest_open_map()
    result = run(BATTLE, A("map") == the_map, A("open_timestamp").exists())
    chosen_is(result, "Query", "OpenGamesIndex")
    assert readable(result.request, "KeyConditionExpression") == f"map = {the_map!r}"
    # every item of the index has open_timestamp: the exists test is not sent as a filter
    assert "FilterExpression" not in result.request
    assert_placeholders_consistent(result.request)


def test_sparse_index_is_used_when_a_sort_key_range_implies_presence() -> None:
    result = run(BATTLE, A("map") == "Dirty Desert", A("open_timestamp") >= "2019-01-01")
    chosen_is(result, "Query", "OpenGamesIndex")
    assert readable(result.request, "KeyConditionExpression") == (
        "map = 'Dirty Desert' AND open_timestamp >= '2019-01-01'")


def test_attribute_not_exists_keeps_the_sparse_index_out() -> None:
    result = run(BATTLE, A("map") == "Dirty Desert", A("open_timestamp").not_exists())
    assert not cand(result, "Query", "OpenGamesIndex").usable
    assert result.index is None


def test_table_key_attributes_count_as_present_for_an_inverted_index() -> None:
    """Every item has the table's PK and SK, so InvertedIndex (SK, PK) holds every item.

    "Games of a user" (lab Modeling Game Player Data): SK = USER#x must be a Query on
    InvertedIndex, without the caller having to say that PK exists.
    """
    result = run(BATTLE, A("SK") == "USER#johnsonscott")
    chosen_is(result, "Query", "InvertedIndex")


# === A6. sampled co-presence ================================================================

def test_gsi_partition_key_alone_is_refused_without_co_presence() -> None:
    result = run(SHOP, A("GSI1-PK") == "sh#98765")
    gsi = cand(result, "Query", "GSI1")
    assert not gsi.usable and "GSI1-SK" in gsi.reason
    assert result.operation == "Scan"


def test_copresent_makes_the_gsi_usable_with_an_assumption_note() -> None:
    result = run(SHOP, A("GSI1-PK") == "sh#98765",
                 copresent={"GSI1-PK": frozenset({"GSI1-SK"})})
    chosen_is(result, "Query", "GSI1")
    notes = " ".join(result.chosen.notes)
    assert "GSI1-SK" in notes and "assum" in notes
    assert readable(result.request, "KeyConditionExpression") == "GSI1-PK = 'sh#98765'"


def test_copresence_of_another_attribute_does_not_help() -> None:
    result = run(SHOP, A("GSI1-PK") == "sh#98765",
                 copresent={"GSI1-PK": frozenset({"GSI2-SK"}),
                            "EntityType": frozenset({"GSI1-SK"})})
    assert not cand(result, "Query", "GSI1").usable


def test_required_model_field_makes_the_gsi_usable() -> None:
    class PlannerShipment(dl.Model, table="OnlineShop"):
        pk: str = dl.field(partition_key=True, name="PK")
        sk: str = dl.field(sort_key=True, name="SK")
        gsi1_pk: str = dl.field(name="GSI1-PK", gsi_partition="GSI1")
        gsi1_sk: str = dl.field(name="GSI1-SK", gsi_sort="GSI1")

    result = PlannerShipment.query(PlannerShipment.gsi1_pk == "sh#98765").explain()
    chosen_is(result, "Query", "GSI1")
    assert readable(result.request, "KeyConditionExpression") == "GSI1-PK = 'sh#98765'"

    class PlannerLooseShipment(dl.Model, table="OnlineShop"):
        pk: str = dl.field(partition_key=True, name="PK")
        sk: str = dl.field(sort_key=True, name="SK")
        gsi1_pk: str | None = dl.field(None, name="GSI1-PK", gsi_partition="GSI1")
        gsi1_sk: str | None = dl.field(None, name="GSI1-SK", gsi_sort="GSI1")

    loose = PlannerLooseShipment.query(PlannerLooseShipment.gsi1_pk == "sh#98765").explain()
    assert loose.operation == "Scan"


def test_sampled_co_presence_lets_the_sparse_index_be_scanned() -> None:
    without = run(BATTLE, A("open_timestamp").exists())
    assert without.index is None
    assert not cand(without, "Scan", "OpenGamesIndex").usable
    assert "map" in cand(without, "Scan", "OpenGamesIndex").reason
    result = run(BATTLE, A("open_timestamp").exists(),
                 copresent={"open_timestamp": frozenset({"map"})})
    chosen_is(result, "Scan", "OpenGamesIndex")
    assert any("map" in note for note in result.chosen.notes)
    assert result.request == {"TableName": "battle-royale", "IndexName": "OpenGamesIndex"}


# === A7. forcing an index ===================================================================

def test_forcing_a_sparse_index_uses_it_with_a_note() -> None:
    query = dl.Query(BATTLE, A("map") == "Green Grasslands").index("OpenGamesIndex")
    result = query.explain()
    chosen_is(result, "Query", "OpenGamesIndex")
    assert any("open_timestamp" in note for note in result.chosen.notes)
    for c in result.candidates:
        if c.index != "OpenGamesIndex":
            assert not c.usable
    assert cand(result, "Scan").reason == "index OpenGamesIndex was asked for"
    assert result.request["IndexName"] == "OpenGamesIndex"


def test_forcing_an_index_that_would_also_be_chosen() -> None:
    result = run(SHOP, A("GSI1-PK") == "i#55443", A("GSI1-SK") == "i#55443", index="GSI1")
    chosen_is(result, "Query", "GSI1")


@pytest.mark.parametrize(("table", "conditions", "index", "why"), [
    (LAB, (A("g") == "x", A("gs").exists()), "KeysGSI", "KEYS_ONLY"),
    (LAB, (A("h") == "x", A("hs").exists()), "IncGSI", "INCLUDE"),
])
def test_forcing_an_index_that_cannot_serve_raises(table: dl.TableSchema,
                                                   conditions: tuple[Any, ...], index: str,
                                                   why: str) -> None:
    with pytest.raises(ValidationError) as caught:
        dl.Query(table, *conditions).index(index).explain()
    assert index in str(caught.value) and why in str(caught.value)


@pytest.mark.parametrize("conditions", [
    (A("map") == "Green Grasslands",),
    (A("map") == "Green Grasslands", A("open_timestamp").exists()),
])
def test_forcing_an_index_whose_key_is_not_given_scans_that_index_and_says_so(
        conditions: tuple[Any, ...]) -> None:
    # As PartiQL's "table"."index" does: every item has SK and PK (the table's keys), so the
    # whole InvertedIndex can be read; the plan must say it is a Scan, never a silent Query.
    result = dl.Query(BATTLE, *conditions).index("InvertedIndex").explain()
    chosen_is(result, "Scan", "InvertedIndex")
    assert result.chosen.reason
    query = next(c for c in result.candidates
                 if c.operation == "Query" and c.index == "InvertedIndex")
    assert not query.usable and "SK" in query.reason


def test_forcing_a_consistent_read_on_a_gsi_raises() -> None:
    with pytest.raises(ValidationError, match="consistent"):
        run(BATTLE, A("map") == "Juicy Jungle", A("open_timestamp").exists(),
            index="OpenGamesIndex", consistent=True)


def test_forcing_an_unknown_index_raises_naming_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="OpenGamesIndex"):
        dl.Query(BATTLE, A("map") == "x").index("NoSuchIndex")
    with pytest.raises(ValidationError):
        run(BATTLE, A("map") == "x", index="NoSuchIndex")


# === A8. GetItem ============================================================================

def test_full_key_without_filter_is_a_getitem() -> None:
    result = run(BATTLE, A("PK") == "USER#ubeck", A("SK") == "#METADATA#ubeck")
    chosen_is(result, "GetItem", None)
    assert result.request["Key"] == {"PK": {"S": "USER#ubeck"}, "SK": {"S": "#METADATA#ubeck"}}
    assert "KeyConditionExpression" not in result.request
    hash_only = run(PRODUCTS, A("Id") == 101)
    chosen_is(hash_only, "GetItem", None)
    assert hash_only.request["Key"] == {"Id": {"N": "101"}}


def test_full_key_with_a_non_key_filter_is_a_query_not_a_getitem() -> None:
    result = run(BATTLE, A("PK") == "USER#ubeck", A("SK") == "#METADATA#ubeck",
                 A("email").contains("@"))
    chosen_is(result, "Query", None)
    getitem = cand(result, "GetItem")
    assert not getitem.usable and "filter" in getitem.reason
    assert readable(result.request, "KeyConditionExpression") == (
        "PK = 'USER#ubeck' AND SK = '#METADATA#ubeck'")
    assert readable(result.request, "FilterExpression") == "contains(email, '@')"


def test_partial_key_is_not_a_getitem() -> None:
    result = run(BATTLE, A("PK") == "USER#ubeck")
    assert not cand(result, "GetItem").usable
    chosen_is(result, "Query", None)


def test_getitem_keeps_the_consistent_read_and_projection() -> None:
    result = run(PRODUCTS, A("Id") == 101, consistent=True,
                 projection=(path("Title"),))
    chosen_is(result, "GetItem", None)
    assert result.request["ConsistentRead"] is True
    assert set(readable(result.request, "ProjectionExpression").split(", ")) == {"Title", "Id"}


# === A9. BatchGetItem =======================================================================

def test_partition_key_in_on_a_hash_only_table_is_a_batch_get() -> None:
    result = run(PRODUCTS, A("Id").is_in([205, 101, 203, 101]))
    chosen_is(result, "BatchGetItem", None)
    assert result.request["Keys"] == [{"Id": {"N": "205"}}, {"Id": {"N": "101"}},
                                      {"Id": {"N": "203"}}]
    # one Query per value could serve it too, but reads by key are cheaper
    query = cand(result, "Query")
    assert query.usable and query.score > result.chosen.score


def test_in_times_in_on_a_composite_key_is_a_batch_get() -> None:
    forums = ["Amazon S3", "Amazon DynamoDB"]
    subjects = ["DynamoDB Thread 2", "DynamoDB Thread 1", "S3 Thread 1"]
    result = run(THREADS, A("Subject").is_in(subjects), A("ForumName").is_in(forums))
    chosen_is(result, "BatchGetItem", None)
    expected = [{"ForumName": {"S": f}, "Subject": {"S": s}} for f in forums for s in subjects]
    assert result.request["Keys"] == expected


def test_equality_and_in_on_a_composite_key_is_a_batch_get() -> None:
    result = run(THREADS, A("ForumName") == "Amazon S3",
                 A("Subject").is_in(["S3 Thread 1", "S3 Thread 2"]))
    chosen_is(result, "BatchGetItem", None)
    assert len(result.request["Keys"]) == 2


def test_batch_get_refused_with_a_filter() -> None:
    result = run(PRODUCTS, A("Id").is_in([101, 102]), A("Price") > 10)
    assert not cand(result, "BatchGetItem").usable
    chosen_is(result, "Query", None)  # one Query per value, filtered: never a Scan
    assert "FilterExpression" in result.extra["requests"][0]


# === A10/A11. ranking: ties and narrowness ==================================================

def _twins(first: str, second: str, order: tuple[int, int] = (0, 1)) -> dl.TableSchema:
    indexes = [dl.Index(first, "GSI", S("colour"), S("size")),
               dl.Index(second, "GSI", S("colour"), S("size"))]
    return dl.TableSchema("Twins", S("pk"), S("sk"), tuple(indexes[i] for i in order))


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_equal_gsis_are_broken_by_index_name(order: tuple[int, int]) -> None:
    conditions = (A("colour") == "red", A("size") == "L")
    result = run(_twins("ByColourA", "ByColourB", order), *conditions)
    chosen_is(result, "Query", "ByColourA")
    renamed = run(_twins("ByColourZ", "ByColourB", order), *conditions)
    chosen_is(renamed, "Query", "ByColourB")


def _ladder() -> dl.TableSchema:
    # index names run against narrowness, so only narrowness can explain the choice
    return dl.TableSchema("Ladder", S("pk"), S("sk"), (
        dl.Index("A_none", "GSI", S("cat")),
        dl.Index("B_range", "GSI", S("cat"), S("r")),
        dl.Index("C_begins", "GSI", S("cat"), S("bw")),
        dl.Index("D_between", "GSI", S("cat"), S("bt")),
        dl.Index("E_equal", "GSI", S("cat"), S("eq")),
    ))


def test_narrower_sort_condition_beats_wider_across_indexes() -> None:
    rungs = [
        ("E_equal", A("eq") == "v"),
        ("D_between", A("bt").between("a", "f")),
        ("C_begins", A("bw").begins_with("x")),
        ("B_range", A("r") > "m"),
    ]
    for start in range(len(rungs) + 1):
        present = rungs[start:]
        result = run(_ladder(), A("cat") == "c", *(condition for _, condition in present))
        expected = present[0][0] if present else "A_none"
        chosen_is(result, "Query", expected)


def test_a_gsi_with_sort_equality_beats_a_table_query_without_sort_condition() -> None:
    table = dl.TableSchema("Where", S("pk"), S("sk"), (
        dl.Index("ByPkAndTag", "GSI", S("pk"), S("tag")),))
    result = run(table, A("pk") == "p", A("tag") == "t")
    chosen_is(result, "Query", "ByPkAndTag")


def test_at_equal_narrowness_table_beats_lsi_beats_gsi() -> None:
    table = dl.TableSchema("Where", S("pk"), S("sk"), (
        dl.Index("AAA_gsi", "GSI", S("pk"), S("sk")),
        dl.Index("AAB_lsi", "LSI", S("pk"), S("other")),
    ))
    result = run(table, A("pk") == "p", A("sk") == "s", A("x") == 1)
    chosen_is(result, "Query", None)
    lsi = run(table, A("pk") == "p", A("other") == "o")
    chosen_is(lsi, "Query", "AAB_lsi")
    both = dl.TableSchema("Where", S("pk"), S("sk"), (
        dl.Index("AAA_gsi", "GSI", S("pk"), S("other")),
        dl.Index("ZZZ_lsi", "LSI", S("pk"), S("other")),
    ))
    chosen_is(run(both, A("pk") == "p", A("other") == "o"), "Query", "ZZZ_lsi")


def test_getitem_beats_batch_get_beats_query_beats_scan() -> None:
    assert run(PRODUCTS, A("Id") == 1).operation == "GetItem"
    assert run(PRODUCTS, A("Id").is_in([1, 2])).operation == "BatchGetItem"
    assert run(THREADS, A("ForumName") == "f").operation == "Query"
    assert run(THREADS, A("Subject") == "s").operation == "Scan"


# === A12. the order of conditions never matters =============================================

PERMUTATION_CASES = [
    (BATTLE, (A("map") == "Dirty Desert", A("open_timestamp").exists(),
              A("creator") == "ubeck", A("people") > 2)),
    (LAB, (A("sk") >= "a", A("pk") == "p", A("sk") <= "k", A("note") == "n")),
    (LAB, (A("pk") == "p", A("l") == "v", A("sk").begins_with("x"), A("z").exists())),
    (_twins("ByColourA", "ByColourB"), (A("size") == "L", A("colour") == "red",
                                        A("price") < 10, A("tag").contains("new"))),
    (_ladder(), (A("bw").begins_with("x"), A("cat") == "c", A("r") > "m",
                 A("bt").between("a", "f"))),
    (SHOP, (A("EntityType") == "invoice", A("GSI2-SK") <= "2020-12-31",
            A("GSI2-PK") == "c#12345", A("GSI2-SK") >= "2020-01-01")),
    (THREADS, (A("Views") > 0, A("Replies") < 10, A("Tags").contains("x"))),
    (THREADS, (A("Subject").is_in(["a", "b"]), A("ForumName").is_in(["f", "g"]))),
    (SHOP, (A("GSI1-PK") == "sh#1", A("Quantity") == "2",
            A("EntityType").is_in(["shipment", "x"]))),
]


@pytest.mark.parametrize(("table", "conditions"), PERMUTATION_CASES)
def test_condition_order_never_changes_the_plan_or_request(
        table: dl.TableSchema, conditions: tuple[Any, ...]) -> None:
    requests = []
    shapes = set()
    for order in itertools.permutations(conditions):
        result = run(table, *order)
        requests.append(result.request)
        shapes.add((result.operation, result.index, result.suggestion,
                    tuple((c.operation, c.index, c.usable, c.reason) for c in result.candidates)))
        if result.operation in ("Query", "Scan"):
            assert_placeholders_consistent(result.request)
    assert all(r == requests[0] for r in requests)
    assert len(shapes) == 1


def test_condition_order_never_changes_the_request_when_descriptions_coincide() -> None:
    # `done = true` reads the same whether `true` is a boolean or an attribute named "true";
    # two different conditions, so their order must still not change the request.
    conditions = (A("pk") == "p", A("done") == True, A("done") == A("true"))  # noqa: E712
    requests = [run(LAB, *order).request for order in itertools.permutations(conditions)]
    assert all(r == requests[0] for r in requests), requests


def test_grouping_with_and_does_not_change_the_request() -> None:
    a, b, c = A("pk") == "p", A("sk") > "a", A("note") == "n"
    flat = run(LAB, a, b, c).request
    assert run(LAB, a & b, c).request == flat
    assert run(LAB, c & (b & a)).request == flat


# === A13. a Scan is never silent ============================================================

SCAN_CASES = [
    (BATTLE, (A("map") == "Green Grasslands",), "map"),
    (BATTLE, (A("username") == "ubeck", A("PK").begins_with("USER#")), "username"),
    (SHOP, (A("EntityType") == "customer",), "EntityType"),
    (SHOP, (A("GSI1-PK") == "sh#98765",), "GSI1-PK"),
    (PRODUCTS, (A("ProductCategory") == "Bicycle", A("Price") > 100), "ProductCategory"),
    (THREADS, (A("Subject") == "S3 Thread 1",), "Subject"),
    (LAB, (A("g") == "x",), "g"),
    (LAB, (A("pk") == "p", A("sk") != "q"), "pk"),
]


@pytest.mark.parametrize(("table", "conditions", "attribute"), SCAN_CASES)
def test_a_chosen_scan_explains_itself_and_suggests_an_index(
        table: dl.TableSchema, conditions: tuple[Any, ...], attribute: str) -> None:
    result = run(table, *conditions)
    assert result.operation == "Scan"
    assert result.chosen.reason.strip()
    for c in result.candidates:
        assert c.reason.strip(), f"candidate {c.operation} on {c.where} has no reason"
    assert result.suggestion
    assert names_gsi_for(result.suggestion, table, attribute), result.suggestion
    assert result.sentence.startswith("Scan of")
    assert result.chosen.reason in result.sentence
    assert "suggestion" in str(result)


def test_a_scan_without_any_equality_still_says_why() -> None:
    result = run(BATTLE, A("people") > 3)
    assert result.operation == "Scan"
    assert result.chosen.reason.strip()
    assert all(c.reason.strip() for c in result.candidates)
    assert result.suggestion and "=" in result.suggestion


def test_an_explicit_scan_says_it_was_asked_for() -> None:
    result = run(BATTLE, A("map") == "x", scan=True)
    chosen_is(result, "Scan", None)
    assert "asked for" in result.chosen.reason
    assert all(c.reason for c in result.candidates)
    assert result.suggestion is None
    assert "IndexName" not in result.request


def test_an_unchosen_scan_does_not_claim_that_no_key_matches() -> None:
    # the table's partition key is matched with =, so the Scan's reason must not deny it
    result = run(THREADS, A("ForumName") == "Amazon S3", A("Views") > 0)
    chosen_is(result, "Query", None)
    scan = cand(result, "Scan")
    assert scan.reason.strip()
    assert "no index has its partition key matched with =" not in scan.reason


def test_scan_reason_counts_items_and_segments_when_known() -> None:
    result = run(BATTLE, A("map") == "x", item_count=835, segments=4)
    assert "835 items" in result.chosen.reason
    assert "4 parallel segments" in result.chosen.reason


def names_gsi_for(suggestion: str, table: dl.TableSchema, attribute: str) -> bool:
    """True when `suggestion` proposes a GSI keyed on `attribute`, or names an existing one."""
    if re.search(rf"GSI with partition key {re.escape(attribute)}\b", suggestion):
        return True
    return any(index.kind == "GSI" and index.partition.name == attribute
               and re.search(rf"\b{re.escape(index.name)}\b", suggestion)
               for index in table.indexes)


# === A14. explain output ====================================================================

EXPLAIN_COLUMNS = ["chosen", "operation", "index", "usable", "why", "key_condition", "filter",
                   "predicted_items", "predicted_pages", "predicted_rcu", "predicted_seconds",
                   "notes"]


@pytest.mark.parametrize(("table", "conditions"), [
    (BATTLE, (A("map") == "Green Grasslands", A("open_timestamp").exists())),
    (BATTLE, (A("map") == "Green Grasslands",)),
    (PRODUCTS, (A("Id").is_in([101, 102]),)),
    (SHOP, (A("PK") == "c#12345", A("SK") == "c#12345")),
])
def test_rows_have_one_per_candidate_and_one_chosen(
        table: dl.TableSchema, conditions: tuple[Any, ...]) -> None:
    result = run(table, *conditions)
    frame = pd.DataFrame(result.rows())
    assert list(frame.columns) == EXPLAIN_COLUMNS
    assert len(frame) == len(result.candidates)
    # GetItem, BatchGetItem, table Query, a Query per index, table Scan, a Scan per index
    assert len(frame) == 4 + 2 * len(table.indexes)
    assert int(frame["chosen"].sum()) == 1
    row = frame[frame["chosen"]].iloc[0]
    assert row["operation"] == result.operation
    assert row["index"] == (result.index or "(table)")
    assert bool(row["usable"]) and row["why"] == result.chosen.reason
    assert not frame[~frame["usable"]]["chosen"].any()
    assert all(isinstance(w, str) and w for w in frame["why"])


def test_sentence_for_open_games_by_map() -> None:
    result = run(BATTLE, A("map") == "Green Grasslands", A("open_timestamp").exists())
    assert result.sentence == "Query on GSI OpenGamesIndex: partition key map = 'Green Grasslands'"
    frame = pd.DataFrame(result.rows())
    row = frame[frame["chosen"]].iloc[0]
    assert row["key_condition"] == "map = 'Green Grasslands'"
    assert row["filter"] == ""


def test_sentence_for_getitem_and_lsi() -> None:
    getitem = run(PRODUCTS, A("Id") == 101)
    assert getitem.sentence.startswith("GetItem on table ProductCatalog")
    lsi = run(LAB, A("pk") == "p", A("m") == "x")
    assert lsi.sentence.startswith("Query on LSI AllLSI")


def test_predicted_rcu_for_key_reads_rounds_item_sizes_as_dynamodb_bills() -> None:
    # 10 items of 10,000 bytes: 1,000 bytes an item is one 4 KB unit; eventually consistent
    # reads cost half
    basis = Basis(items=10, item_bytes=1_000, source="DescribeTable")
    result = run(PRODUCTS, A("Id") == 101, basis=basis)
    assert result.chosen.predicted is not None and result.chosen.predicted.rcu == 0.5
    strong = run(PRODUCTS, A("Id") == 101, basis=basis, consistent=True)
    assert strong.chosen.predicted is not None and strong.chosen.predicted.rcu == 1.0
    big = Basis(items=10, item_bytes=10_000, source="DescribeTable")
    batch = run(PRODUCTS, A("Id").is_in([1, 2, 3]), basis=big)
    assert batch.chosen.predicted is not None
    assert batch.chosen.predicted.rcu == 3 * 0.5 * 3  # 10 KB items: 3 units each, halved


def test_model_query_explain_matches_plan_request() -> None:
    class PlannerUserGame(dl.Model, table="battle-royale"):
        pk: str = dl.field(partition_key=True, name="PK", gsi_sort="InvertedIndex")
        sk: str = dl.field(sort_key=True, name="SK", gsi_partition="InvertedIndex")
        game_id: str | None = None
        username: str | None = None

    result = PlannerUserGame.query(PlannerUserGame.sk == "USER#ubeck").explain()
    chosen_is(result, "Query", "InvertedIndex")
    assert readable(result.request, "KeyConditionExpression") == "SK = 'USER#ubeck'"
    described = PlannerUserGame.query(PlannerUserGame.sk == "USER#ubeck").descending()
    assert described.explain().request["ScanIndexForward"] is False


def test_hyphenated_names_go_through_placeholders() -> None:
    result = run(SHOP, A("GSI2-PK") == "c#12345", A("GSI2-SK").between("2020-01", "2021-01"),
                 A("EntityType") == "invoice")
    chosen_is(result, "Query", "GSI2")
    for key in ("KeyConditionExpression", "FilterExpression"):
        assert "-" not in result.request[key]
    assert set(result.request["ExpressionAttributeNames"].values()) == {
        "GSI2-PK", "GSI2-SK", "EntityType"}
    assert_placeholders_consistent(result.request)


# === A15. key conditions DynamoDB would refuse, known before sending ===========================

def test_a_reversed_range_in_two_conditions_is_empty_and_sends_nothing() -> None:
    """``SK >= 'USER#w' AND SK <= 'USER#p'``: merged into BETWEEN it would be refused; no
    value is both, so the plan reads nothing and says so."""
    result = run(BATTLE, A("PK") == "GAME#1", A("SK") >= "USER#w", A("SK") <= "USER#p")
    assert result.operation == "Query" and result.extra["empty"]
    assert "no item can match and nothing is read" in result.sentence
    ok = run(BATTLE, A("PK") == "GAME#1", A("SK") >= "USER#p", A("SK") <= "USER#w")
    assert not ok.extra["empty"] and "BETWEEN 'USER#p' AND 'USER#w'" in ok.sentence
    numbers = run(MOVIES, A("year") == 1990, A("title") >= "B", A("title") <= "A")
    assert numbers.extra["empty"]


def test_an_empty_key_value_is_never_sent_in_a_key_condition() -> None:
    result = run(BATTLE, A("PK") == "GAME#1", A("SK") >= "")
    query = next(c for c in result.candidates if c.operation == "Query" and c.index is None)
    assert not query.usable and "empty value for key attribute SK" in query.reason


@pytest.mark.parametrize("values", [[1990, Decimal("1990.0")], [1990, 1990, Decimal("1.99E+3")]])
def test_equal_key_values_are_one_key(values: list[Any]) -> None:
    """Keys compare by value: one Query per distinct year, one BatchGetItem key per item."""
    years = run(MOVIES, A("year").is_in(values))
    assert len(years.chosen.partitions) == 1
    keyed = run(MOVIES, A("year").is_in(values), A("title") == "Rush")
    assert keyed.operation in ("GetItem", "BatchGetItem")
    keys = keyed.request.get("Keys") or [keyed.request["Key"]]
    assert len(keys) == 1


# === A16. multi-attribute GSI keys (up to 4 partition and 4 sort attributes) ================

GAMES = dl.TableSchema("Games", S("pk"), None, (
    dl.Index("ByMatch", "GSI", S("tournament"), N("round"), partition_keys=(
        S("tournament"), S("region")), sort_keys=(N("round"), S("bracket"))),
    dl.Index("ByTournament", "GSI", S("tournament")),
))
EVERY_KEY = (A("round").exists(), A("bracket").exists())


def test_multi_attribute_partition_key_needs_every_attribute_and_names_the_one_lacking() -> None:
    result = run(GAMES, A("tournament") == "WC", *EVERY_KEY)
    chosen_is(result, "Query", "ByTournament")  # the one-attribute index still serves
    lacking = cand(result, "Query", "ByMatch")
    assert not lacking.usable
    assert "partition key attribute region" in lacking.reason
    assert "tournament and region" in lacking.reason


def test_multi_attribute_partition_key_with_every_attribute_is_preferred() -> None:
    result = run(GAMES, A("tournament") == "WC", A("region") == "na", *EVERY_KEY)
    chosen_is(result, "Query", "ByMatch")  # two key attributes matched beat one
    assert readable(result.request, "KeyConditionExpression") == (
        "tournament = 'WC' AND region = 'na'")
    assert_placeholders_consistent(result.request)


@pytest.mark.parametrize(("sorts", "key", "filtered"), [
    ((A("round") == 2, A("bracket").begins_with("A")),
     "tournament = 'WC' AND region = 'na' AND round = :v AND begins_with(bracket, 'A')", ""),
    ((A("round") > 1, A("bracket") == "A"),
     "tournament = 'WC' AND region = 'na' AND round > :v", "bracket = 'A'"),
    ((A("bracket") == "A", A("round").exists()), "tournament = 'WC' AND region = 'na'",
     "bracket = 'A'"),
    ((A("round") > 1, A("round") < 3, A("bracket").exists()),
     "tournament = 'WC' AND region = 'na'", "round > :v AND round < :v"),
])
def test_multi_attribute_sort_key_takes_the_longest_prefix_and_filters_the_rest(
        sorts: tuple[Any, ...], key: str, filtered: str) -> None:
    result = run(GAMES, A("tournament") == "WC", A("region") == "na", *sorts)
    chosen_is(result, "Query", "ByMatch")
    assert re.sub(r"\b\d\b", ":v", readable(result.request, "KeyConditionExpression") or
                  "") == key
    shown = re.sub(r"\b\d\b", ":v", readable(result.request, "FilterExpression") or "")
    assert set(filtered.split(" AND ")) == set(shown.split(" AND "))
    assert_placeholders_consistent(result.request)


def test_multi_attribute_partition_key_takes_in_on_one_attribute_only() -> None:
    one = run(GAMES, A("tournament") == "WC", A("region").is_in(["na", "eu"]), *EVERY_KEY)
    chosen_is(one, "Query", "ByMatch")
    assert len(one.extra["requests"]) == 2
    two = run(GAMES, A("tournament").is_in(["WC", "EU"]), A("region").is_in(["na", "eu"]),
              *EVERY_KEY)
    refused = cand(two, "Query", "ByMatch")
    assert not refused.usable and "only one partition key attribute may be matched with IN" \
        in refused.reason


def test_a_one_attribute_sort_key_is_never_filtered_on() -> None:
    # on the table's own key (and a one-attribute index key) DynamoDB refuses a filter on it
    result = run(MOVIES, A("year") == 1990, A("title") > "A", A("title") < "M")
    assert not cand(result, "Query").usable
    assert "cannot be one key condition" in cand(result, "Query").reason


def test_suggestion_names_a_multi_attribute_key_for_several_equalities() -> None:
    result = run(PRODUCTS, A("Brand") == "x", A("Color") == "red", A("Price") > 3)
    assert result.operation == "Scan"
    assert result.suggestion is not None
    assert "partition key attributes Brand, Color and sort key Price" in result.suggestion
