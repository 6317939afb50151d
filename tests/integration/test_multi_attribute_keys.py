"""Multi-attribute GSI keys (up to 4 partition and 4 sort attributes, November 2025) through
every path: a model's ``indexes=``, CreateTable, the planner (answers checked against a
plain-Python oracle over the same items, including when the index cannot serve), EXPLAIN and
``%%dynamo``, the code it writes (PartiQL, Python, boto3), frames, introspection, diff and
migrate, the builder widget. moto serves these indexes; dynalite does not (tests/backends.py).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from backends import raw_scan
from helpers import sent_operations, unique
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl

pytestmark = [pytest.mark.integration, pytest.mark.needs("multi_attribute_gsi")]

INDEX = "ByTournament"
SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def match_model(table: str, *, partition: tuple[str, ...] = ("tournament", "region"),
                projection: Any = "ALL") -> type[dl.Model]:
    class Match(dl.Model, table=table, indexes={
            INDEX: dl.gsi(partition=list(partition), sort=["round", "bracket"],
                          projection=projection)}):
        match_id: str = dl.field(partition_key=True)
        tournament: str | None = None
        region: str | None = None
        round: int | None = None
        bracket: str | None = None
        score: int = 0

    return Match


def rows() -> list[dict[str, Any]]:
    """Every combination, then items lacking one key attribute each (not in the index)."""
    out = [{"match_id": f"m{n:03}", "tournament": t, "region": r, "round": rd, "bracket": b,
            "score": n % 7}
           for n, (t, r, rd, b) in enumerate(itertools.product(
               ["WC", "EU"], ["na", "eu", "ap"], [1, 2, 3], ["A", "AB", "B"]))]
    full = {"tournament": "WC", "region": "na", "round": 2, "bracket": "A", "score": 1}
    for lacking in ("tournament", "region", "round", "bracket"):
        for copy in range(2):
            out.append({**{k: v for k, v in full.items() if k != lacking},
                        "match_id": f"no-{lacking}-{copy}"})
    return out


@pytest.fixture(scope="module")
def Match(conn: dl.Connection) -> Iterator[type[dl.Model]]:
    model = match_model(unique("matches"))
    conn.create_table(model)
    conn.batch_write(puts=[model(**row) for row in rows()])
    yield model
    conn.delete_table(model)


@pytest.fixture(scope="module")
def stored(conn: dl.Connection, Match: type[dl.Model]) -> list[dict[str, Any]]:
    """The items as stored, read raw (the oracle's data)."""
    return [{k: (int(v["N"]) if "N" in v else v["S"]) for k, v in item.items()}
            for item in raw_scan(conn, dl.schema(Match).name)]


# --- the oracle ---------------------------------------------------------------------------

Check = Callable[[dict[str, Any]], bool]
TOURNAMENT = st.one_of(st.none(), st.sampled_from(["WC", "EU", "XX"]))
REGION = st.one_of(st.none(), st.sampled_from(["na", "eu", "ap"]).map(lambda v: ("=", v)),
                   st.lists(st.sampled_from(["na", "eu", "ap", "zz"]), min_size=1, max_size=3)
                   .map(lambda vs: ("IN", vs)))
ROUND = st.one_of(st.none(), st.tuples(st.sampled_from(["=", "<", "<=", ">", ">="]),
                                       st.integers(0, 4)),
                  st.tuples(st.just("between"), st.tuples(st.integers(0, 4), st.integers(0, 4))
                            .map(sorted)))
BRACKET = st.one_of(st.none(), st.tuples(st.sampled_from(["=", "begins_with", ">="]),
                                         st.sampled_from(["A", "AB", "B", "C"])))
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "begins_with": lambda a, b: isinstance(a, str) and a.startswith(b),
}


def condition(path: Any, op: str, value: Any) -> Any:
    if op == "between":
        return path.between(*value)
    if op == "IN":
        return path.is_in(value)
    if op == "begins_with":
        return path.begins_with(value)
    return {"=": path.__eq__, "<": path.__lt__, "<=": path.__le__, ">": path.__gt__,
            ">=": path.__ge__}[op](value)


def admits(name: str, op: str, value: Any) -> Check:
    def check(item: dict[str, Any]) -> bool:
        if name not in item:
            return False
        have = item[name]
        if op == "between":
            return bool(value[0] <= have <= value[1])
        if op == "IN":
            return have in value
        return COMPARE[op](have, value)

    return check


@SETTINGS
@given(tournament=TOURNAMENT, region=REGION, round_=ROUND, bracket=BRACKET,
       present=st.sets(st.sampled_from(["round", "bracket"])),
       score=st.one_of(st.none(), st.integers(0, 6)))
def test_a_query_returns_what_the_oracle_admits_and_uses_the_index_when_it_can(
        conn: dl.Connection, Match: Any, stored: list[dict[str, Any]],
        tournament: str | None, region: tuple[str, Any] | None,
        round_: tuple[str, Any] | None, bracket: tuple[str, str] | None,
        present: set[str], score: int | None) -> None:
    wanted: list[tuple[str, str, Any]] = []
    if tournament is not None:
        wanted.append(("tournament", "=", tournament))
    for name, given_ in (("region", region), ("round", round_), ("bracket", bracket)):
        if given_ is not None:
            wanted.append((name, *given_))
    if score is not None:
        wanted.append(("score", ">=", score))
    conditions = [condition(getattr(Match, n), op, v) for n, op, v in wanted]
    conditions += [getattr(Match, n).exists() for n in sorted(present)]
    checks = [admits(n, op, v) for n, op, v in wanted] + [
        (lambda item, n=n: n in item) for n in present]
    query = Match.query(*conditions).using(conn).allow_scan()
    plan = query.explain()
    constrained = {n for n, _, _ in wanted} | present
    servable = (tournament is not None and region is not None
                and {"round", "bracket"} <= constrained)
    if servable:
        assert (plan.operation, plan.index) == ("Query", INDEX), plan.sentence
    else:
        assert plan.operation == "Scan", plan.sentence
        index_query = next(c for c in plan.candidates
                           if c.operation == "Query" and c.index == INDEX)
        lacking = ("tournament" if tournament is None else "region" if region is None
                   else "round" if "round" not in constrained else "bracket")
        assert lacking in index_query.reason  # it names the attribute it lacked
    sent = sent_operations(conn)
    got = sorted(r["match_id"] for r in query.as_dicts())
    assert got == sorted(i["match_id"] for i in stored if all(c(i) for c in checks))
    if plan.extra["empty"]:
        assert sent == []


def key_condition_names(plan: Any) -> set[str]:
    """The attribute names the Query's KeyConditionExpression uses."""
    names = plan.request.get("ExpressionAttributeNames", {})
    text = plan.request["KeyConditionExpression"]
    return {name for placeholder, name in names.items() if placeholder in text}


@pytest.mark.parametrize(("extra", "in_key"), [
    ((), {"tournament", "region"}),
    ((("round", "=", 2), ("bracket", "begins_with", "A")),
     {"tournament", "region", "round", "bracket"}),
    ((("round", ">=", 2), ("bracket", "=", "A")), {"tournament", "region", "round"}),
    ((("round", "between", (1, 2)),), {"tournament", "region", "round"}),
])
def test_the_key_condition_takes_the_longest_sort_prefix_and_filters_the_rest(
        conn: dl.Connection, Match: Any, extra: tuple[tuple[str, str, Any], ...],
        in_key: set[str]) -> None:
    conditions = [Match.tournament == "WC", Match.region == "na",
                  Match.round.exists(), Match.bracket.exists()]
    conditions += [condition(getattr(Match, n), op, v) for n, op, v in extra]
    plan = Match.query(*conditions).using(conn).explain()
    assert (plan.operation, plan.index) == ("Query", INDEX)
    assert key_condition_names(plan) == in_key
    filtered = {n for n, _, _ in extra} - in_key
    assert all(n in plan.request.get("FilterExpression", "") or
               n in plan.request.get("ExpressionAttributeNames", {}).values()
               for n in filtered)


def test_a_reversed_range_reads_nothing_and_sends_nothing(
        conn: dl.Connection, Match: Any) -> None:
    query = Match.query(Match.tournament == "WC", Match.region == "na", Match.round >= 3,
                        Match.round <= 1, Match.bracket.exists()).using(conn)
    sent = sent_operations(conn)
    assert query.explain().extra["empty"]
    assert query.all().items == [] and sent == []
    with pytest.raises(dl.ExpressionError, match="reversed"):
        Match.round.between(3, 1)
    with pytest.raises(dl.ValidationError, match=r"reversed.*line 1, column \d+"):
        dl.execute(f'SELECT * FROM "{dl.schema(Match).name}" WHERE tournament = \'WC\' AND '
                   "region = 'na' AND round BETWEEN 3 AND 1", conn)


def test_the_table_is_created_with_the_key_in_the_order_declared(
        conn: dl.Connection, Match: Any) -> None:
    description = conn.client.describe_table(TableName=dl.schema(Match).name)["Table"]
    index = description["GlobalSecondaryIndexes"][0]
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("tournament", "HASH"), ("region", "HASH"), ("round", "RANGE"), ("bracket", "RANGE")]
    types = {d["AttributeName"]: d["AttributeType"]
             for d in description["AttributeDefinitions"]}
    assert types == {"match_id": "S", "tournament": "S", "region": "S", "round": "N",
                     "bracket": "S"}
    assert conn.describe(dl.schema(Match).name) == dl.schema(Match)


def test_a_partiql_select_uses_the_index_and_orders_by_a_fixed_prefix(
        conn: dl.Connection, Match: Any, stored: list[dict[str, Any]]) -> None:
    table = dl.schema(Match).name
    where = (f'FROM "{table}" WHERE tournament = \'EU\' AND region = \'ap\' AND round = 3 '
             "AND bracket IS NOT MISSING")
    explained = dl.execute(f"EXPLAIN SELECT * {where}", conn)[0]
    assert INDEX in str(explained.plan.sentence) and explained.plan.operation == "Query"
    result = dl.execute(f"SELECT * {where} ORDER BY bracket DESC", conn)[0]
    want = sorted((i["bracket"] for i in stored if (i.get("tournament"), i.get("region"),
                   i.get("round")) == ("EU", "ap", 3) and "bracket" in i), reverse=True)
    assert list(result.frame["bracket"]) == want == ["B", "AB", "A"]
    assert result.frame["round"].tolist() == [3, 3, 3]  # exact ints, not floats
    with pytest.raises(dl.ValidationError, match="ORDER BY bracket"):
        dl.execute(f'SELECT * FROM "{table}" WHERE tournament = \'EU\' AND region = \'ap\' '
                   "AND round >= 1 AND bracket IS NOT MISSING ORDER BY bracket", conn)


def test_the_code_it_writes_reads_the_same_items(
        conn: dl.Connection, Match: Any, stored: list[dict[str, Any]]) -> None:
    query = Match.query(Match.tournament == "WC", Match.region == "eu", Match.round >= 2,
                        Match.bracket.exists()).using(conn)
    want = sorted(i["match_id"] for i in stored if (i.get("tournament"), i.get("region"))
                  == ("WC", "eu") and i.get("round", 0) >= 2 and "bracket" in i)
    assert len(want) == 6
    assert sorted(r["match_id"] for r in query.as_dicts()) == want
    frame = dl.execute(query.to_partiql(), conn)[0].frame
    assert sorted(frame["match_id"]) == want
    namespace: dict[str, Any] = {"db": conn, "Match": Match, "dl": dl}
    exec(query.to_python(), namespace)
    assert sorted(namespace["rows"]["match_id"]) == want
    call = next(node for node in ast.walk(ast.parse(query.to_boto3()))
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "query")
    request = ast.literal_eval(call.keywords[0].value)
    assert request["IndexName"] == INDEX
    response = conn.client.query(**request)
    assert sorted(i["match_id"]["S"] for i in response["Items"]) == want


def test_introspection_declares_the_index_on_the_class(
        conn: dl.Connection, Match: Any) -> None:
    table = dl.schema(Match).name
    source = conn.model_source(table)
    assert ("indexes={'ByTournament': dl.gsi(partition=['tournament', 'region'], "
            "sort=['round', 'bracket'])}") in source
    namespace: dict[str, Any] = {}
    exec(compile(source, "<model_source>", "exec", dont_inherit=True), namespace)
    written = next(v for v in namespace.values() if isinstance(v, type)
                   and issubclass(v, dl.Model) and v is not dl.Model)
    assert dl.schema(written) == dl.schema(Match) == dl.schema(conn.model(table))
    assert conn.diff(Match).changes == []


def test_a_changed_key_order_is_a_changed_index_and_migrate_rebuilds_it(
        conn: dl.Connection, make_table: Callable[..., Any]) -> None:
    table = unique("matches")
    make_table(match_model(table))
    reordered = match_model(table, partition=("region", "tournament"))
    diff = conn.diff(reordered)
    assert [c.kind for c in diff.changes] == ["change_index"]
    conn.migrate(reordered)
    index = conn.client.describe_table(TableName=table)["Table"]["GlobalSecondaryIndexes"][0]
    assert [k["AttributeName"] for k in index["KeySchema"]] == [
        "region", "tournament", "round", "bracket"]
    assert conn.diff(reordered).changes == []


def test_a_keys_only_index_serves_key_reads_and_refuses_the_rest_with_a_reason(
        conn: dl.Connection, make_table: Callable[..., Any]) -> None:
    model: Any = make_table(match_model(unique("matches"), projection="KEYS_ONLY"))
    conn.batch_write(puts=[model(**row) for row in rows()[:27]])
    keys = [model.tournament == "WC", model.region == "na", model.round.exists(),
            model.bracket.exists()]
    only_keys = model.query(*keys).select("match_id", "round").using(conn)
    assert only_keys.explain().index == INDEX
    assert sorted(r["round"] for r in only_keys.as_dicts()) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    everything = model.query(*keys).using(conn)
    candidate = next(c for c in everything.explain().candidates if c.index == INDEX
                     and c.operation == "Query")
    assert not candidate.usable and "projects KEYS_ONLY" in candidate.reason


def test_an_item_lacking_a_key_attribute_is_written_and_is_simply_not_in_the_index(
        conn: dl.Connection, Match: Any) -> None:
    lone = Match(match_id=unique("lone"), tournament="EU", region="eu", round=1)
    lone.save(connection=conn)
    found = Match.query(Match.tournament == "EU", Match.region == "eu", Match.round == 1,
                        Match.bracket.exists()).using(conn).as_dicts()
    assert lone.match_id not in {r["match_id"] for r in found}
    with pytest.raises(dl.ValidationError, match="type N"):
        dl.execute(f'INSERT INTO "{dl.schema(Match).name}" VALUE {{\'match_id\': \'x\', '
                   "'tournament': 'EU', 'region': 'eu', 'round': 'one'}", conn)


def test_the_builder_asks_for_every_partition_attribute(
        conn: dl.Connection, Match: Any) -> None:
    from dynamorm_lab.widgets import Builder

    builder = Builder(conn, dl.schema(Match).name)
    builder.index.value = INDEX
    assert builder.partition_attr.value == "tournament"
    assert [r.attribute.value for r in builder.filters] == ["region"]
    builder.partition.value = "WC"
    assert "region" in builder.plan_sentence.value  # what it still lacks
    builder.filters[0].value.value = "na"
    builder.sort_attr.value = "round"
    builder.sort_op.value = "="
    builder.sort_value.value = "2"
    row = builder.add_filter_row()
    row.attribute.value = "bracket"
    row.op.value = "exists"
    assert f"Query on GSI {INDEX}" in builder.plan_sentence.value
    builder.run()
    assert sorted(builder.frame["bracket"]) == ["A", "AB", "B"]
    assert list(builder.frame["round"]) == [2, 2, 2]


def test_numbers_in_keys_compare_by_value(conn: dl.Connection, Match: Any) -> None:
    query = Match.query(Match.tournament == "WC", Match.region.is_in(["na", "na"]),
                        dl.attr("round") == Decimal("2.0"), Match.bracket.exists()).using(conn)
    plan = query.explain()
    assert plan.chosen.partitions and len(plan.chosen.partitions) == 1
    assert sorted(r["bracket"] for r in query.as_dicts()) == ["A", "AB", "B"]


def test_an_empty_tables_model_still_declares_its_index_and_assumes_nothing(
        conn: dl.Connection, make_table: Callable[..., Any]) -> None:
    table = unique("matches")
    make_table(match_model(table))
    source = conn.model_source(table)
    assert "round: int | None" in source and "bracket: str | None" in source
    introspected = conn.model(table)
    assert dl.schema(introspected) == conn.describe(table)
    query = introspected.query(dl.attr("tournament") == "WC", dl.attr("region") == "na")
    candidate = next(c for c in query.explain().candidates
                     if c.operation == "Query" and c.index == INDEX)
    assert not candidate.usable and "items without it would be missed" in candidate.reason


def test_an_export_read_back_into_a_new_table_serves_the_same_index_queries(
        conn: dl.Connection, Match: Any, make_table: Callable[..., Any],
        tmp_path: Any) -> None:
    copy: Any = make_table(match_model(unique("matches")))
    path = tmp_path / "matches.jsonl"
    exported = dl.export_json(dl.schema(Match).name, path, conn)
    dl.import_json(path, conn, table=dl.schema(copy).name)
    assert exported == len(raw_scan(conn, dl.schema(copy).name))

    def served(model: Any) -> list[str]:
        query = model.query(model.tournament == "EU", model.region == "ap",
                            model.round.between(2, 3), model.bracket >= "AB").using(conn)
        assert query.explain().index == INDEX
        return sorted(r["match_id"] for r in query.as_dicts())

    assert served(copy) == served(Match) and len(served(copy)) == 4
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"match_id": "z", "tournament": "EU", "region": "ap", "round": "two"}\n')
    with pytest.raises(dl.ValidationError, match=r"round.*type N"):
        dl.import_json(bad, conn, table=dl.schema(copy).name)
