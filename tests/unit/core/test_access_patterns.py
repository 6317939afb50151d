"""Access patterns: a model names the reads it is designed for; the check plans each one
(nothing is sent) and fails, naming the pattern, when one would Scan, uses another index than
the one it names, or reads a sparse index the conditions do not prove it can use.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import pytest

import dynamorm_lab as dl


class Mode(enum.Enum):
    SOLO = "solo"
    DUO = "duo"


class Game(dl.Model, table="PatternGames"):
    pk: str = dl.field(partition_key=True, name="PK", gsi_sort="Inverted")
    sk: str = dl.field(sort_key=True, name="SK", gsi_partition="Inverted")
    map: str | None = dl.field(None, gsi_partition="OpenGames")
    open_timestamp: str | None = dl.field(None, gsi_sort="OpenGames")
    mode: Mode | None = dl.field(None, gsi_partition="ByMode")
    started: dt.datetime | None = dl.field(None, gsi_sort="ByMode")

    access_patterns = {
        "a game": dl.pattern(lambda game_id: Game.query(Game.pk == f"GAME#{game_id}",
                                                        Game.sk == f"#METADATA#{game_id}"),
                             index="table"),
        "open games on a map": dl.pattern(
            lambda map: Game.query(Game.map == map, Game.open_timestamp.exists()),
            index="OpenGames"),
        "a user's games": lambda username: Game.query(Game.sk == f"USER#{username}"),
        "recent games of a mode": lambda mode, started: Game.query(
            Game.mode == mode, Game.started >= started),
    }


def test_patterns_that_hold_are_reported_with_their_plans() -> None:
    report = dl.assert_access_patterns(Game)
    assert report.ok and len(report.checks) == 4
    plans = {c.name: (c.plan.operation, c.plan.index) for c in report.checks if c.plan}
    assert plans == {"a game": ("GetItem", None), "open games on a map": ("Query", "OpenGames"),
                     "a user's games": ("Query", "Inverted"),
                     "recent games of a mode": ("Query", "ByMode")}
    assert "4 of 4 access pattern(s) hold" in str(report)
    assert [r["pattern"] for r in report.rows()] == list(Game.access_patterns)


def broken(patterns: dict[str, Any], assumed: frozenset[str] = frozenset()) -> type[dl.Model]:
    class Broken(dl.Model, table="PatternGames", assumed_present=assumed):
        pk: str = dl.field(partition_key=True, name="PK")
        sk: str = dl.field(sort_key=True, name="SK")
        map: str | None = dl.field(None, gsi_partition="OpenGames")
        open_timestamp: str | None = dl.field(None, gsi_sort="OpenGames")

    Broken.access_patterns = patterns  # type: ignore[attr-defined]
    return Broken


@pytest.mark.parametrize(("build", "declared", "problem"), [
    (lambda m: lambda map: m.query(m.map == map), {}, "would Scan table"),
    (lambda m: lambda map: m.query(m.map == map, m.open_timestamp.exists()),
     {"index": "table"}, "uses index OpenGames, not table"),
    (lambda m: lambda pk: m.query(m.pk == pk), {"index": "OpenGames"},
     "uses table, not index OpenGames"),
    (lambda m: lambda: 42, {}, "returns int, not a query"),
    (lambda m: lambda map: m.query(m.nowhere == map), {}, "building the query failed"),
])
def test_a_pattern_that_does_not_hold_is_named_with_why(build: Any, declared: dict[str, Any],
                                                          problem: str) -> None:
    model: Any = broken({})
    model.access_patterns = {"the pattern": dl.pattern(build(model), **declared)}
    report = dl.check_access_patterns(model)
    (failed,) = report.failures
    assert failed.name == "the pattern" and problem in (failed.problem or "")
    with pytest.raises(AssertionError) as raised:  # pytest shows it as a failed check
        dl.assert_access_patterns(model)
    assert isinstance(raised.value, dl.AccessPatternError)
    assert "FAIL" in str(raised.value) and "'the pattern'" in str(raised.value)
    assert raised.value.report.failures[0].name == "the pattern"


def test_a_sparse_index_resting_on_an_assumption_is_a_failure() -> None:
    # the sample said every item has open_timestamp: the plan uses the index, assuming it
    model: Any = broken({}, assumed=frozenset({"open_timestamp"}))
    model.access_patterns = {"games on a map": lambda map: model.query(model.map == map)}
    (check,) = dl.check_access_patterns(model).checks
    assert check.plan is not None and check.plan.index == "OpenGames"
    assert check.problem and "sparse index that can miss items" in check.problem
    assert "open_timestamp" in check.problem


def test_a_scan_that_is_meant_passes() -> None:
    model: Any = broken({})
    model.access_patterns = {"export": dl.pattern(model.scan, scan=True)}
    assert dl.check_access_patterns(model).ok


def test_example_arguments_come_from_the_pattern_defaults_and_fields() -> None:
    seen: dict[str, Any] = {}

    def record(mode: Any, started: Any, limit: int = 5, tag: str = "") -> Any:
        seen.update(mode=mode, started=started, limit=limit, tag=tag)
        return Game.query(Game.mode == mode, Game.started >= started)

    Game.access_patterns["recorded"] = dl.pattern(record, example={"tag": "given"})
    try:
        assert dl.check_access_patterns(Game).ok
    finally:
        del Game.access_patterns["recorded"]
    assert seen["mode"] in Mode and isinstance(seen["started"], dt.datetime)
    assert (seen["limit"], seen["tag"]) == (5, "given")


def test_a_model_without_patterns_or_with_malformed_ones_is_refused() -> None:
    with pytest.raises(dl.ValidationError, match="declares no access_patterns"):
        dl.check_access_patterns(_plain())
    with pytest.raises(dl.ModelDefinitionError, match="dict of names to functions"):
        class Bad(dl.Model, table="PatternGames"):
            pk: str = dl.field(partition_key=True)
            access_patterns = {"x": "not a function"}
    with pytest.raises(dl.ValidationError, match="returning a query"):
        dl.pattern("nope")  # type: ignore[arg-type]


def _plain() -> type[dl.Model]:
    class Plain(dl.Model, table="PatternPlain"):
        pk: str = dl.field(partition_key=True)

    return Plain
