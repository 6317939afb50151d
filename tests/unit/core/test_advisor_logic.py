"""The index advisor and what-if plans, as plain logic over the planner (no server): which
GSIs it proposes for a workload (the fewest it finds that turn its Scans into Queries), their
projections and the trade-off figures, and plans as if an index existed.
"""

from __future__ import annotations

from typing import Any

import pytest

import dynamorm_lab as dl
from dynamorm_lab._core.advisor import advise, with_indexes
from dynamorm_lab._core.estimate import Basis
from dynamorm_lab._core.planner import PlanRequest, plan

A = dl.attr
S = dl.KeyAttribute
GAMES = dl.TableSchema("Games", S("pk", "S"), S("sk", "S"), (
    dl.Index("OpenGames", "GSI", S("map", "S"), S("open_timestamp", "S")),))
ITEMS = [{"pk": {"S": f"G#{n}"}, "sk": {"S": "META"}, "map": {"S": f"m{n % 3}"},
          "owner": {"S": f"u{n % 7}"}, "level": {"N": str(n % 5)},
          "region": {"S": "eu" if n % 2 else "na"}} for n in range(300)]
BASIS = Basis(len(ITEMS), None, "the whole table, sampled", tuple(ITEMS), complete=True)


def request(*conditions: Any, projection: tuple[str, ...] | None = None) -> PlanRequest:
    paths = tuple(dl.path(p) for p in projection) if projection else None
    return PlanRequest(GAMES, conditions, projection=paths, basis=BASIS)


def test_one_index_serves_every_query_on_the_same_attribute() -> None:
    found = advise([request(A("owner") == "u1"), request(A("owner") == "u2", A("level") > 2)],
                   {"Games": BASIS})
    assert [(p.index.key_names, p.serves) for p in found.proposals] == [(("owner",), (0, 1))]
    assert [p.operation for p in found.after] == ["Query", "Query"]
    assert found.unserved == []


def test_the_fewest_indexes_cover_the_workload() -> None:
    workload = [request(A("owner") == "u1"), request(A("map") == "m1", A("level") == 3),
                request(A("level") == 3), request(A("owner") == "u2", A("level") == 1)]
    found = advise(workload, {"Games": BASIS})
    assert len(found.proposals) == 2
    assert sorted(n for p in found.proposals for n in p.serves) == [0, 1, 2, 3]
    assert all(p.operation == "Query" for p in found.after)


def test_two_equalities_get_the_index_keyed_on_both_that_reads_least() -> None:
    found = advise([request(A("map") == "m1", A("region") == "eu")], {"Games": BASIS})
    (proposal,) = found.proposals
    assert found.after[0].operation == "Query" and found.after[0].index == proposal.index.name
    # keyed on map and region it reads the 50 items both match; on map alone it would read
    # 100 and filter (a multi-attribute partition key reads the same: the tie goes to map
    # with region as the sort key, which also serves ranges on region)
    assert proposal.index.key_names == ("map", "region")
    assert found.after[0].chosen.predicted is not None
    assert found.after[0].chosen.predicted.items == 50


def test_a_multi_attribute_partition_key_is_proposed_when_it_reads_least() -> None:
    # a range on a third attribute: only (map, region) as the partition key with level as the
    # sort key puts all three in the key condition
    found = advise([request(A("map") == "m1", A("region") == "eu", A("level") >= 3)],
                   {"Games": BASIS})
    (proposal,) = found.proposals
    assert [k.name for k in proposal.index.partition_keys] == ["map", "region"]
    assert [k.name for k in proposal.index.sort_keys] == ["level"]
    assert proposal.index.name == "ByMapAndRegionLevel"
    assert "dl.gsi(partition=['map', 'region'], sort=['level'])" in found.model_code()


def test_a_query_that_is_already_served_or_has_no_equality_gets_no_index() -> None:
    served = request(A("map") == "m1", A("open_timestamp").exists())
    ranged = request(A("level") > 3)
    found = advise([served, ranged], {"Games": BASIS})
    assert found.proposals == ()
    assert found.unserved == [1]
    assert "1 cannot be served by a GSI" in found.summary()


def test_a_projection_is_as_narrow_as_the_queries_it_serves_allow() -> None:
    narrow = advise([request(A("owner") == "u1", projection=("level",))], {"Games": BASIS})
    index = narrow.proposals[0].index
    assert (index.projection, index.non_key_attributes) == ("INCLUDE", ("level",))
    wide = advise([request(A("owner") == "u1", projection=("level",)),
                   request(A("owner") == "u2")], {"Games": BASIS})
    assert wide.proposals[0].index.projection == "ALL"  # one query needs every attribute


def test_the_trade_off_counts_reads_saved_items_stored_and_write_units() -> None:
    found = advise([request(A("owner") == "u1")], {"Games": BASIS})
    (proposal,) = found.proposals
    assert proposal.rcu_before is not None and proposal.rcu_after is not None
    assert proposal.read_savings == proposal.rcu_before - proposal.rcu_after > 0
    assert proposal.index_items == len(ITEMS)  # every item has an owner
    assert proposal.storage_bytes is not None and proposal.storage_bytes > 100 * len(ITEMS)
    assert proposal.write_units == 1.0  # items under 1 KB
    row = found.rows()[0]
    assert row["serves"].startswith("1. Games: owner = 'u1'")
    assert "'ByOwner': dl.gsi(partition=['owner'])" in found.model_code()
    assert "'ByOwner': dl.gsi(partition=['owner_py'])" in found.model_code({"owner": "owner_py"})


def test_what_if_plans_as_if_the_index_existed_and_changes_nothing() -> None:
    index = dl.Index("ByOwner", "GSI", S("owner", "S"))
    what_if = plan(with_indexes(request(A("owner") == "u1"), [index]))
    assert (what_if.operation, what_if.index) == ("Query", "ByOwner")
    assert GAMES.indexes == (GAMES.index("OpenGames"),)
    with pytest.raises(dl.ValidationError, match="already has an index named OpenGames"):
        with_indexes(request(), [dl.Index("OpenGames", "GSI", S("owner", "S"))])


def test_explain_with_indexes_takes_a_models_field_names() -> None:
    class Player(dl.Model, table="AdvisorPlayers"):
        pk: str = dl.field(partition_key=True)
        home_city: str | None = dl.field(None, name="HomeCity")
        rank: int = 0

    plain = Player.query(Player.home_city == "Oslo", Player.rank > 3).explain()
    assert plain.operation == "Scan"
    what_if = Player.query(Player.home_city == "Oslo", Player.rank > 3).explain(
        with_indexes=[dl.gsi(partition="home_city", sort="rank")])
    assert what_if.operation == "Query" and what_if.index == "ByHomeCityRank"
    assert "HomeCity = 'Oslo'" in what_if.sentence and "rank > 3" in what_if.sentence
    named = Player.query(Player.home_city == "Oslo").explain(
        with_indexes={"Cities": dl.gsi(partition=["home_city"], projection="KEYS_ONLY")})
    assert named.operation == "Scan"  # KEYS_ONLY cannot return every attribute
    assert "Cities" in {c.index for c in named.candidates}
    with pytest.raises(dl.ValidationError, match=r"dl\.gsi"):
        Player.query(Player.rank == 1).explain(with_indexes=["rank"])  # type: ignore[list-item]


def test_advise_needs_a_workload() -> None:
    with pytest.raises(dl.ValidationError, match="at least one query"):
        advise([], {})
