"""Access patterns: a model names the reads it is designed for, and a check plans each one.

```python
class Game(dl.Model, table="battle-royale"):
    ...
    access_patterns = {
        "open games on a map": dl.pattern(
            lambda map: Game.query(Game.map == map, Game.open_timestamp.exists()),
            index="OpenGamesIndex"),
        "a game's players": lambda game_id: GameUser.query(...),
    }
```

`check_access_patterns(Game)` calls each pattern with example arguments (given, defaulted,
or made from the model's field of the same name), plans the query it returns (nothing is
sent) and fails a pattern, naming it, when it would Scan, when it uses an index other than
the one it names, or when it reads a sparse index the conditions do not prove it can use.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import AccessPatternError, ValidationError
from . import display
from .planner import Plan
from .query import Query
from .types import Kind

__all__ = ["AccessPattern", "PatternCheck", "PatternReport", "assert_access_patterns",
           "check_access_patterns", "pattern"]

TABLE = "table"  # pattern(index=TABLE): the table's own key, no index


@dataclass(frozen=True)
class AccessPattern:
    """A read a model is designed for: `build(**arguments)` returns the query."""

    build: Callable[..., Any]
    index: str | None = None  # the index it must use (TABLE: the table's own key)
    scan: bool = False  # a Scan is what it means (an export, a backfill)
    example: Mapping[str, Any] = field(default_factory=dict)  # arguments to plan with


def pattern(build: Callable[..., Any], *, index: str | None = None, scan: bool = False,
            example: Mapping[str, Any] | None = None) -> AccessPattern:
    """An access pattern that names the index it must use (``index="table"`` for the
    table's own key), or says a Scan is meant, or gives the arguments to plan it with."""
    if not callable(build):
        raise ValidationError(f"pattern() takes a function returning a query, got {build!r:.60}")
    return AccessPattern(build, index, scan, dict(example or {}))


@dataclass(frozen=True)
class PatternCheck:
    """One pattern, planned."""

    model: str
    name: str
    problem: str | None
    plan: Plan | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def row(self) -> dict[str, Any]:
        return {"model": self.model, "pattern": self.name, "ok": self.ok,
                "operation": self.plan.operation if self.plan else None,
                "index": (self.plan.index or "(table)") if self.plan else None,
                "plan": self.plan.sentence if self.plan else None,
                "problem": self.problem or ""}


@dataclass(frozen=True)
class PatternReport:
    """Every checked pattern; `failures` are the ones that do not hold."""

    checks: tuple[PatternCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[PatternCheck]:
        return [c for c in self.checks if not c.ok]

    def rows(self) -> list[dict[str, Any]]:
        """One row per pattern (a DataFrame: ``pandas.DataFrame(report.rows())``)."""
        return [c.row() for c in self.checks]

    def __str__(self) -> str:
        lines = [f"{len(self.checks) - len(self.failures)} of {len(self.checks)} access "
                 "pattern(s) hold"]
        for check in self.checks:
            mark = "ok  " if check.ok else "FAIL"
            told = check.problem or (check.plan.sentence if check.plan else "")
            lines.append(f"  {mark} {check.model}: {check.name!r}: {told}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<PatternReport {str(self).splitlines()[0]}>"

    def _repr_html_(self) -> str:
        """How many hold, then one row per pattern (a cross and the problem where one
        fails)."""
        return display.card(str(self).splitlines()[0], body=display.table(self.rows()))


def check_access_patterns(*models: type[Any]) -> PatternReport:
    """Plan every access pattern of `models` (see the module); nothing is sent."""
    if not models:
        raise ValidationError("check_access_patterns() needs at least one model")
    checks: list[PatternCheck] = []
    for model in models:
        patterns = getattr(model, "access_patterns", None)
        if not isinstance(patterns, Mapping) or not patterns:
            raise ValidationError(f"{getattr(model, '__name__', model)!s:.60} declares no "
                                  "access_patterns = {name: lambda ...: Model.query(...)}")
        for name, declared in patterns.items():
            checks.append(_check(model, str(name), declared))
    return PatternReport(tuple(checks))


def assert_access_patterns(*models: type[Any]) -> PatternReport:
    """`check_access_patterns`, raising `AccessPatternError` (an AssertionError, for pytest)
    that names every pattern that does not hold."""
    report = check_access_patterns(*models)
    if not report.ok:
        raise AccessPatternError(str(report), report=report)
    return report


def _check(model: type[Any], name: str, declared: Any) -> PatternCheck:
    found = declared if isinstance(declared, AccessPattern) else (
        AccessPattern(declared) if callable(declared) else None)
    owner = getattr(model, "__name__", str(model))
    if found is None:
        return PatternCheck(owner, name, f"is {declared!r:.60}, not a function returning a "
                            "query (or dl.pattern(...))", None)
    try:
        query = found.build(**_arguments(model, found))
    except Exception as exc:  # the pattern's own code failed: report it, do not stop
        return PatternCheck(owner, name, f"building the query failed: {exc}", None)
    if not isinstance(query, Query):
        return PatternCheck(owner, name, f"returns {type(query).__name__}, not a query", None)
    plan = query.explain()
    return PatternCheck(owner, name, _problem(plan, found), plan)


def _problem(plan: Plan, declared: AccessPattern) -> str | None:
    if plan.operation == "Scan" and not declared.scan:
        told = f"would Scan {plan.chosen.where}: {plan.chosen.reason}"
        return told + (f" (suggestion: {plan.suggestion})" if plan.suggestion else "")
    wanted = declared.index
    if wanted is not None and plan.index != (None if wanted == TABLE else wanted):
        return (f"uses {plan.chosen.where}, not {wanted if wanted == TABLE else 'index ' + wanted}"
                f": {plan.sentence}")
    risky = [n for n in plan.chosen.notes if n.startswith("assumes") or "was asked for" in n]
    if risky:
        return ("reads a sparse index that can miss items (the conditions do not require its "
                f"key attributes): {'; '.join(risky)}")
    return None


def _arguments(model: type[Any], declared: AccessPattern) -> dict[str, Any]:
    """The arguments to call a pattern with: given, defaulted, or an example of the model's
    field of the same name (or of the parameter's annotation)."""
    fields = getattr(model, "__dynamorm_fields__", {})
    arguments: dict[str, Any] = {}
    for parameter in inspect.signature(declared.build).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in declared.example:
            arguments[parameter.name] = declared.example[parameter.name]
        elif parameter.default is not parameter.empty:
            continue
        elif parameter.name in fields:
            arguments[parameter.name] = _example(fields[parameter.name].node)
        else:
            arguments[parameter.name] = _EXAMPLES.get(parameter.annotation, "x")
    return arguments


_EXAMPLES: dict[Any, Any] = {str: "x", "str": "x", int: 1, "int": 1, Decimal: Decimal(1),
                             float: 1.0, bool: True, bytes: b"x"}


def _example(node: Any) -> Any:
    kind = node.kind
    if kind is Kind.UNION and node.args:
        return _example(node.args[0])
    simple = {Kind.STR: "x", Kind.INT: 1, Kind.DECIMAL: Decimal(1), Kind.FLOAT: 1.0,
              Kind.BOOL: True, Kind.BYTES: b"x", Kind.UUID: uuid.UUID(int=1),
              Kind.DATE: _dt.date(2026, 1, 1),
              Kind.DATETIME: _dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)}
    if kind in simple:
        return simple[kind]
    if kind is Kind.ENUM:
        return next(iter(node.py))
    return "x"
