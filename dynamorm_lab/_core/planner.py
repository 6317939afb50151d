"""Choose how DynamoDB should serve a request, and say why, for every possible path.

Given a table's schema and the conditions of a request, the planner lists every access path
(GetItem, BatchGetItem, a Query on the table, on each GSI and LSI, and a Scan), rejects those
that cannot serve it with a reason a newcomer can read, scores the rest by what DynamoDB would
read, and picks one. The order of the conditions never changes the result: candidates are
ranked by a score tuple whose last element is the index name.

Score, lowest wins: (tier, sort-key narrowness, where, name). Tier: GetItem 0, BatchGetItem 1,
Query 2, Scan 3. Narrowness of the sort-key condition: = 0, BETWEEN 1, begins_with 2, one-sided
range 3, none 4. Where: the table 0, an LSI 1, a GSI 2.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from ..errors import ValidationError
from . import display
from .codec import key_identity
from .estimate import (
    ON_DEMAND_RCU,
    Basis,
    Keys,
    Prediction,
    admits,
    mean_size,
    predict_items,
    read_cost,
    spread_out,
    unit_cost,
)
from .expr import (
    And,
    Between,
    Call,
    Compare,
    Condition,
    In,
    Not,
    Operand,
    Or,
    Path,
    Placeholders,
    Size,
    Value,
    compile_condition,
    compile_projection,
    describe,
    value_order,
)
from .schema import MAX_KEY_ATTRIBUTES, Index, TableSchema

__all__ = ["Candidate", "Plan", "PlanRequest", "plan"]

Operation = Literal["GetItem", "BatchGetItem", "Query", "Scan"]
_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
KEY_OPS = frozenset({"=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"})
_NARROWNESS = {"=": 0, "BETWEEN": 1, "begins_with": 2, "<": 3, "<=": 3, ">": 3, ">=": 3}
_WHERE = {"table": 0, "LSI": 1, "GSI": 2}


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What the caller wants, independent of how it will be served."""

    table: TableSchema
    conditions: tuple[Condition, ...] = ()
    index: str | None = None
    scan: bool = False
    projection: tuple[Path, ...] | None = None
    consistent: bool = False
    descending: bool | None = None
    present: frozenset[str] = frozenset()
    assumed_present: frozenset[str] = frozenset()
    copresent: Mapping[str, frozenset[str]] = field(default_factory=dict)
    item_count: int | None = None
    size_bytes: int | None = None
    segments: int = 1
    basis: Basis | None = None  # what predicted costs rest on (none: no prediction)


@dataclass(frozen=True, slots=True)
class _Term:
    """A top-level conjunct that a key condition could express: ``attr op values``."""

    attr: str
    op: str
    values: tuple[Value, ...]
    source: Condition


@dataclass(frozen=True, slots=True)
class Candidate:
    """One way to serve the request, usable or not, and why."""

    operation: Operation
    index: str | None
    usable: bool
    reason: str
    key_condition: Condition | None = None
    filter: Condition | None = None
    keys: tuple[dict[str, Any], ...] = ()
    score: tuple[Any, ...] = ()
    predicted: Prediction | None = None
    notes: tuple[str, ...] = ()
    partitions: tuple[Value, ...] = ()  # a Query per partition value (partition key IN [...])
    empty: bool = False  # the key condition admits no item: nothing is sent

    @property
    def where(self) -> str:
        if self.index is None:
            return "table"
        return f"index {self.index}"

    def describe(self) -> str:
        """One line: the operation, where, the key condition and the filter."""
        text = f"{self.operation} on {self.where}"
        if self.key_condition is not None:
            text += f": key {describe(self.key_condition)}"
        if self.keys:
            text += f": {len(self.keys)} key(s)"
        if self.filter is not None:
            text += f"; filter {describe(self.filter)}"
        return text


@dataclass(frozen=True)
class Plan:
    """The chosen access path, every candidate with its reason, and the request to send."""

    table: str
    chosen: Candidate
    candidates: tuple[Candidate, ...]
    request: dict[str, Any]
    suggestion: str | None = None
    projection: tuple[Path, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def operation(self) -> Operation:
        return self.chosen.operation

    @property
    def index(self) -> str | None:
        return self.chosen.index

    @property
    def sentence(self) -> str:
        """The plan in one plain sentence."""
        chosen = self.chosen
        where = f"GSI {chosen.index}" if self._kind(chosen.index) == "GSI" else (
            f"LSI {chosen.index}" if chosen.index else f"table {self.table}")
        if chosen.operation == "Scan":
            text = f"Scan of {where}: {chosen.reason}"
        else:
            text = f"{chosen.operation} on {where}: {chosen.reason}"
        return text

    def _kind(self, index: str | None) -> str:
        if index is None:
            return "table"
        return str(self.extra.get("index_kinds", {}).get(index, "GSI"))

    def __str__(self) -> str:
        lines = [self.sentence]
        for c in self.candidates:
            mark = "*" if c is self.chosen else ("+" if c.usable else "-")
            lines.append(f"  {mark} {c.operation:<12} {c.where:<24} {c.reason}")
            if c.predicted is not None:
                lines.append(f"  {'':<1} {'':<12} {'':<24} predicted: {c.predicted.describe()}")
        if self.extra.get("basis"):
            lines.append(f"  predictions rest on {self.extra['basis']}")
        if self.suggestion:
            lines.append(f"  suggestion: {self.suggestion}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Plan {self.chosen.describe()}>"

    def rows(self) -> list[dict[str, Any]]:
        """One row per candidate (a DataFrame: ``pandas.DataFrame(plan.rows())``)."""
        return [
            {
                "chosen": c is self.chosen,
                "operation": c.operation,
                "index": c.index or "(table)",
                "usable": c.usable,
                "why": c.reason,
                "key_condition": "" if c.key_condition is None else describe(c.key_condition),
                "filter": "" if c.filter is None else describe(c.filter),
                "predicted_items": None if c.predicted is None else round(c.predicted.items),
                "predicted_pages": None if c.predicted is None else c.predicted.pages,
                "predicted_rcu": None if c.predicted is None else c.predicted.rcu,
                "predicted_seconds": None if c.predicted is None else c.predicted.seconds,
                "notes": "; ".join(c.notes),
            }
            for c in self.candidates
        ]

    def _repr_html_(self, *, title: str | None = None) -> str:
        """The sentence once (or `title`, a statement's summary that holds it), then every
        candidate: the chosen one marked, usable or not, why, and its predicted cost."""
        rows = self.rows()
        columns = [name for name in (rows[0] if rows else {}) if name != "chosen"]
        foot = [f"Suggestion: {self.suggestion}" if self.suggestion else "",
                f"Predictions rest on {self.extra['basis']}." if self.extra.get("basis") else ""]
        return display.card(title or self.sentence, body=display.table(
            rows, columns, labels=_COLUMN_LABELS, marked=lambda row: row["chosen"]), foot=foot)


_COLUMN_LABELS = {"key_condition": "key condition", "predicted_items": "items read",
                  "predicted_pages": "pages", "predicted_rcu": "read units",
                  "predicted_seconds": "seconds"}


# --- analysis of the conditions -------------------------------------------------------------

def _flatten(conditions: Iterable[Condition]) -> list[Condition]:
    out: list[Condition] = []
    for condition in conditions:
        if isinstance(condition, And):
            out.extend(_flatten(condition.parts))
        elif isinstance(condition, Condition):
            out.append(condition)
        else:
            raise ValidationError(
                f"expected a condition such as Movie.year == 1985, got {condition!r:.60}")
    return out


def _top(operand: Operand) -> str | None:
    if isinstance(operand, Path) and len(operand.elements) == 1:
        return operand.name
    return None


def _term(condition: Condition) -> _Term | None:
    if isinstance(condition, Compare) and condition.op in _FLIP:
        left, right = condition.left, condition.right
        if _top(left) and isinstance(right, Value):
            return _Term(_top(left), condition.op, (right,), condition)  # type: ignore[arg-type]
        if _top(right) and isinstance(left, Value):
            return _Term(_top(right), _FLIP[condition.op], (left,),  # type: ignore[arg-type]
                         condition)
    if (isinstance(condition, Between) and _top(condition.subject)
            and isinstance(condition.low, Value) and isinstance(condition.high, Value)):
            return _Term(_top(condition.subject), "BETWEEN",  # type: ignore[arg-type]
                         (condition.low, condition.high), condition)
    if (isinstance(condition, Call) and condition.function == "begins_with"
            and _top(condition.args[0]) and isinstance(condition.args[1], Value)):
        return _Term(_top(condition.args[0]), "begins_with",  # type: ignore[arg-type]
                     (condition.args[1],), condition)
    if isinstance(condition, In) and _top(condition.subject) and all(
            isinstance(o, Value) for o in condition.options):
        return _Term(_top(condition.subject), "IN",  # type: ignore[arg-type]
                     tuple(condition.options), condition)  # type: ignore[arg-type]
    return None


def _names_in(node: Any) -> set[str]:
    """Top-level attribute names a condition or operand mentions."""
    if isinstance(node, Path):
        return {node.name}
    if isinstance(node, Size):
        return {node.path.name}
    if isinstance(node, Compare):
        return _names_in(node.left) | _names_in(node.right)
    if isinstance(node, Between):
        return _names_in(node.subject) | _names_in(node.low) | _names_in(node.high)
    if isinstance(node, In):
        return _names_in(node.subject).union(*(_names_in(o) for o in node.options))
    if isinstance(node, Call):
        return set().union(*(_names_in(a) for a in node.args))
    if isinstance(node, And | Or):
        return set().union(*(_names_in(p) for p in node.parts))
    if isinstance(node, Not):
        return _names_in(node.part)
    return set()


def equalities(condition: Condition | None) -> set[str]:
    """Top-level attributes `condition` fixes with = (in a conjunction)."""
    if condition is None:
        return set()
    return {t.attr for c in _flatten([condition]) if (t := _term(c)) and t.op == "="}


def implied_present(condition: Condition) -> set[str]:
    """Attributes an item must have for `condition` to be true (a missing one makes it false)."""
    if isinstance(condition, Compare):
        if condition.op == "<>":
            return set()
        return _names_in(condition.left) | _names_in(condition.right)
    if isinstance(condition, Between | In):
        return _names_in(condition.subject)
    if isinstance(condition, Call):
        if condition.function == "attribute_not_exists":
            return set()
        return _names_in(condition.args[0])
    if isinstance(condition, And):
        return set().union(*(implied_present(p) for p in condition.parts))
    if isinstance(condition, Or):
        sets = [implied_present(p) for p in condition.parts]
        return set.intersection(*sets) if sets else set()
    return set()


def _exists_on(condition: Condition) -> str | None:
    """The attribute of a top-level ``attribute_exists(attr)``, else None."""
    if (isinstance(condition, Call) and condition.function == "attribute_exists"
            and _top(condition.args[0])):
        return _top(condition.args[0])
    return None


def _canonical(condition: Condition) -> tuple[str, str]:
    """A sort key that orders conditions the same way however they were written: the
    readable text, then the exact structure (names and values kept apart)."""
    ph = Placeholders()
    text = compile_condition(condition, ph)
    return describe(condition), repr((text, sorted(ph.names.items()),
                                      sorted((k, repr(v)) for k, v in ph.values.items())))


def _conjoin(parts: Sequence[Condition]) -> Condition | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return And(tuple(parts))


# --- candidates -----------------------------------------------------------------------------

@dataclass
class _Facts:
    request: PlanRequest
    conjuncts: list[Condition]
    terms: dict[int, _Term]
    implied: set[str]
    needed: set[str] | None  # attributes the result needs; None = all of them


def analyse(request: PlanRequest) -> _Facts:
    conjuncts = sorted(_flatten(request.conditions), key=_canonical)
    terms = {i: t for i, c in enumerate(conjuncts) if (t := _term(c)) is not None}
    implied = set().union(*(implied_present(c) for c in conjuncts)) if conjuncts else set()
    needed = None
    if request.projection is not None:
        needed = {p.name for p in request.projection}
        needed |= set().union(*(_names_in(c) for c in conjuncts)) if conjuncts else set()
    return _Facts(request, conjuncts, terms, implied, needed)


def _split(facts: _Facts, partition: str,
           sort: str | None) -> tuple[str | None, _Term | None, list[_Term], list[Condition]]:
    """(problem, partition term, sort terms, filter conjuncts) for a key pair."""
    partition_terms = [t for t in facts.terms.values() if t.attr == partition]
    sort_terms = [t for t in facts.terms.values() if sort and t.attr == sort]
    used = {id(t.source) for t in partition_terms + sort_terms}
    rest = [c for c in facts.conjuncts if id(c) not in used]
    if not partition_terms:
        return f"no condition gives partition key {partition} a value", None, [], rest
    if len(partition_terms) > 1:
        return f"partition key {partition} has several conditions", None, [], rest
    return None, partition_terms[0], sort_terms, rest


def _sort_condition(terms: list[_Term], sort: str) -> tuple[str | None, _Term | None,
                                                             Condition | None]:
    if not terms:
        return None, None, None
    if len(terms) == 1 and terms[0].op in KEY_OPS:
        return None, terms[0], terms[0].source
    lows = [t for t in terms if t.op == ">="]
    highs = [t for t in terms if t.op == "<="]
    if len(terms) == 2 and len(lows) == 1 and len(highs) == 1:
        low, high = lows[0].values[0], highs[0].values[0]
        if low.tag == high.tag and value_order(low) > value_order(high):
            # no value is both >= low and <= high: DynamoDB would refuse the BETWEEN
            both = And((lows[0].source, highs[0].source))
            return None, _Term(sort, "EMPTY", (low, high), both), both
        merged = Between(Path((sort,)), low, high)
        return None, _Term(sort, "BETWEEN", (low, high), merged), merged
    shown = " AND ".join(describe(t.source) for t in terms)
    return (f"the sort key condition {shown} cannot be one key condition, and DynamoDB does "
            f"not allow filters on the key attributes it queries"), None, None


def _key_layout(table: TableSchema, index: Index | None) -> tuple[list[str], list[str]]:
    """(partition attributes, sort attributes) of the table or index, in key order."""
    keys = index or table
    return [k.name for k in keys.partition_keys], [k.name for k in keys.sort_keys]


def _partition_terms(facts: _Facts, partitions: list[str],
                     index: Index | None) -> tuple[str | None, list[_Term]]:
    """(problem, one = or IN term per partition attribute): the problem names what is lacking."""
    found = []
    for attribute in partitions:
        terms = [t for t in facts.terms.values() if t.attr == attribute]
        if not terms:
            if len(partitions) == 1:
                return f"no condition gives partition key {attribute} a value", []
            assert index is not None
            return (f"no condition gives partition key attribute {attribute} a value (a Query "
                    f"on {index.name} needs {' and '.join(partitions)}, each with =)"), []
        if len(terms) > 1:
            return f"partition key {attribute} has several conditions", []
        if terms[0].op not in ("=", "IN"):
            return (f"partition key {attribute} must be matched with =, not "
                    f"{terms[0].op}"), []
        found.append(terms[0])
    if sum(t.op == "IN" for t in found) > 1:
        return ("only one partition key attribute may be matched with IN (a Query per value); "
                f"{' and '.join(t.attr for t in found if t.op == 'IN')} are"), []
    return None, found


def _sort_prefix(facts: _Facts, sorts: list[str], multi: bool
                 ) -> tuple[str | None, list[_Term], list[Condition], _Term | None]:
    """(problem, terms used, key conditions, last term) for the longest usable sort prefix.

    Sort attributes are matched left to right, = on each but the last one given, which may
    take a range. On a one-attribute key a condition that cannot be a key condition is a
    problem (DynamoDB does not filter on the key it queries); on a multi-attribute key the
    prefix stops there and the rest is filtered.
    """
    used: list[_Term] = []
    parts: list[Condition] = []
    last: _Term | None = None
    for attribute in sorts:
        terms = [t for t in facts.terms.values() if t.attr == attribute]
        if not terms:
            break
        if len(terms) == 1 and terms[0].op == "=":
            used.append(terms[0])
            parts.append(terms[0].source)
            last = terms[0]
            continue
        problem, term, condition = _sort_condition(terms, attribute)
        if problem and not multi:
            return problem, [], [], None
        if not problem:
            assert condition is not None
            used += terms
            parts.append(condition)
            last = term
        break
    return None, used, parts, last


def _query_candidate(facts: _Facts, index: Index | None) -> Candidate:
    request = facts.request
    table = request.table
    kind = index.kind if index else "table"
    partitions, sorts = _key_layout(table, index)
    multi = len(partitions) > 1 or len(sorts) > 1
    name = index.name if index else None

    def reject(reason: str) -> Candidate:
        return Candidate("Query", name, False, reason)

    if request.scan:
        return reject("a Scan was asked for")
    problem, partition_terms = _partition_terms(facts, partitions, index)
    if problem:
        return reject(problem)
    problem, sort_terms, sort_parts, sort_term = _sort_prefix(facts, sorts, multi)
    if problem:
        return reject(problem)
    for term in [*partition_terms, *sort_terms]:
        if any(value.av.get(value.tag) in ("", b"") for value in term.values):
            return reject(f"{describe(term.source)}: DynamoDB refuses an empty value for key "
                          f"attribute {term.attr} in a key condition")
    used = {id(t.source) for t in [*partition_terms, *sort_terms]}
    keyed = set(partitions) | {t.attr for t in sort_terms}
    # a one-attribute key is never filtered on; a multi-attribute key's unused part may be
    unfilterable = keyed if multi else set(partitions) | set(sorts)
    filters = [c for c in facts.conjuncts
               if id(c) not in used and _exists_on(c) not in set(partitions) | set(sorts)]
    for condition in filters:
        clash = _names_in(condition) & unfilterable
        if clash:
            return reject(f"{describe(condition)} uses key attribute {', '.join(sorted(clash))} "
                          "in a way a key condition cannot express (DynamoDB does not filter "
                          "on the key attributes it queries)")
    notes: list[str] = []
    if index is not None:
        if request.consistent and index.kind == "GSI":
            return reject("a consistent read was asked for, and GSIs are eventually consistent")
        projected = index.projected_names(table)
        if projected is not None:
            wanted = facts.needed
            missing = sorted((wanted or set()) - projected) if wanted is not None else None
            if wanted is None or missing:
                what = ("every attribute" if wanted is None
                        else ", ".join(missing or []))
                if index.kind == "GSI":
                    return reject(f"the index projects {index.projection} and the query needs "
                                  f"{what}")
                notes.append(f"DynamoDB fetches {what} from the table (extra reads)")
        for attribute in index.key_names:
            problem, note = _presence(facts, attribute)
            if note:
                notes.append(note)
            if problem and request.index == index.name:
                notes.append(f"{index.name} was asked for: {problem}")
            elif problem:
                return reject(problem)
    partition_condition = _conjoin([t.source for t in partition_terms])
    assert partition_condition is not None
    shown = describe(partition_condition)
    matched = len(partition_terms) + len({t.attr for t in sort_terms})
    if sort_term is not None and sort_term.op == "EMPTY":
        return Candidate("Query", name, True, f"partition key {shown}, sort key "
                         f"{describe(sort_term.source)}: no value is both, so no item can match "
                         "and nothing is read", sort_term.source,
                         score=(-1, 0, 0, _WHERE[kind], 0, name or ""), empty=True)
    key = _conjoin([*(t.source for t in partition_terms), *sort_parts])
    sort_condition = _conjoin(sort_parts)
    narrowness = _NARROWNESS[sort_term.op] if sort_term else 4
    listed = next((t for t in partition_terms if t.op == "IN"), None)
    partitions_read = tuple({_key_id({"v": v.av}): v for v in listed.values}.values()) \
        if listed is not None else ()
    reason = f"partition key {shown}"
    if partitions_read:
        reason += f" (one Query per value: {len(partitions_read)})"
    if sort_condition is not None:
        reason += f", sort key {describe(sort_condition)}"
    unused = [s for s in sorts if s not in keyed]
    if multi and unused and sorts:
        reason += f" ({', '.join(unused)} not in the key condition)"
    if filters:
        reason += f"; then filters {describe(_conjoin(filters))}"  # type: ignore[arg-type]
    return Candidate("Query", name, True, reason, key, _conjoin(filters),
                     score=(2, narrowness, -matched, _WHERE[kind], len(partitions_read),
                            name or ""),
                     notes=tuple(notes), partitions=partitions_read)


def _presence(facts: _Facts, attribute: str) -> tuple[str | None, str | None]:
    """(problem, assumption) for "every item the conditions admit has `attribute`"."""
    request = facts.request
    if (attribute in facts.implied or attribute in request.present
            or attribute in request.table.key_names):
        return None, None
    if attribute in request.assumed_present:
        return None, f"assumes every item has {attribute} (every sampled item had it)"
    for anchor in sorted(facts.implied | request.present):
        if attribute in request.copresent.get(anchor, ()):
            return None, (f"assumes items with {anchor} also have {attribute} (every sampled "
                          f"item did)")
    return (f"the index holds only items that have {attribute}; the conditions do not require "
            f"{attribute}, so items without it would be missed (add `{attribute} IS NOT "
            "MISSING` if that is what you mean)"), None


def _key_candidates(facts: _Facts) -> list[Candidate]:
    request = facts.request
    table = request.table
    sort = table.sort.name if table.sort else None
    problem, partition_term, sort_terms, rest = _split(facts, table.partition.name, sort)
    base = [Candidate("GetItem", None, False, ""), Candidate("BatchGetItem", None, False, "")]
    if request.scan:
        return [Candidate(c.operation, None, False, "a Scan was asked for") for c in base]
    if problem:
        return [Candidate(c.operation, None, False, problem) for c in base]
    assert partition_term is not None
    if sort and (len(sort_terms) != 1 or sort_terms[0].op not in ("=", "IN")):
        why = f"the full primary key needs sort key {sort} matched with = (or IN)"
        return [Candidate(c.operation, None, False, why) for c in base]
    if partition_term.op not in ("=", "IN"):
        why = f"partition key {table.partition.name} must be matched with = or IN"
        return [Candidate(c.operation, None, False, why) for c in base]
    if rest:
        why = (f"it cannot filter, and {describe(_conjoin(rest))} "  # type: ignore[arg-type]
               "is not a key condition")
        return [Candidate(c.operation, None, False, f"{c.operation} {why}") for c in base]
    partitions = partition_term.values
    sorts: tuple[Value | None, ...] = sort_terms[0].values if sort else (None,)
    keys = tuple(
        {table.partition.name: p.av, **({sort: s.av} if sort and s is not None else {})}
        for p in partitions for s in sorts)
    unique = tuple({_key_id(k): k for k in keys}.values())
    if len(unique) == 1 and partition_term.op == "=" and (not sort or sort_terms[0].op == "="):
        shown = " AND ".join(describe(t.source) for t in [partition_term, *sort_terms])
        return [
            Candidate("GetItem", None, True,
                      f"the full primary key is given ({shown}), so exactly one item is read",
                      keys=unique, score=(0, 0, 0, "")),
            Candidate("BatchGetItem", None, False, "a single key is read with GetItem"),
        ]
    if request.descending is not None:
        why = "BatchGetItem returns items in no order, and an order was asked for"
        return [Candidate("GetItem", None, False, "more than one key is asked for"),
                Candidate("BatchGetItem", None, False, why)]
    return [
        Candidate("GetItem", None, False, "more than one key is asked for"),
        Candidate("BatchGetItem", None, True,
                  f"{len(unique)} full primary keys are given, read in batches of 100",
                  keys=unique, score=(1, 0, 0, "")),
    ]


def _key_id(key: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return key_identity(key)


def _scan_candidate(facts: _Facts, closest: Candidate | None,
                    query_serves: bool = False) -> Candidate:
    request = facts.request
    filters = _conjoin([c for c in facts.conjuncts
                        if _exists_on(c) not in request.table.key_names])
    if request.descending is not None and not request.scan:
        return Candidate("Scan", None, False, "a Scan returns items in no order, and an order "
                         "was asked for", filter=filters, score=(3, 9, 0, ""))
    size = f" ({request.item_count:,} items)" if request.item_count is not None else ""
    if request.scan:
        reason = "a Scan was asked for; it reads every item" + size
    elif query_serves:
        reason = f"it would read every item{size}, and a key lookup or Query can serve this"
    elif closest is not None:
        reason = (f"no Query can serve this ({closest.where}: {closest.reason}), so DynamoDB "
                  f"must read every item{size}")
    else:
        reason = ("no index has its partition key matched with = by the conditions, so "
                  f"DynamoDB must read every item{size}")
    if filters is not None:
        reason += " and keep those that match the filter"
    if request.segments > 1:
        reason += f", in {request.segments} parallel segments"
    return Candidate("Scan", None, True, reason, filter=filters, score=(3, 9, 0, ""))


def _index_scan_candidate(facts: _Facts, index: Index) -> Candidate:
    """A Scan of an index: worth it when the index is sparse, holding only matching items."""
    request = facts.request

    def reject(reason: str) -> Candidate:
        return Candidate("Scan", index.name, False, reason)

    if request.descending is not None:
        return reject("a Scan returns items in no order, and an order was asked for")
    if request.consistent and index.kind == "GSI":
        return reject("a consistent read was asked for, and GSIs are eventually consistent")
    projected = index.projected_names(request.table)
    if projected is not None and (facts.needed is None or facts.needed - projected):
        return reject(f"the index projects {index.projection}, not every attribute needed")
    required = set(index.key_names)
    notes = []
    for attribute in index.key_names:
        problem, note = _presence(facts, attribute)
        if problem:
            return reject(problem)
        if note:
            notes.append(note)
    sparse = not required <= (request.present | set(request.table.key_names))
    filters = _conjoin([c for c in facts.conjuncts if _exists_on(c) not in required])
    if not sparse:
        return Candidate("Scan", index.name, True, "every item is in this index, so scanning "
                         "it reads as much as scanning the table", filter=filters,
                         score=(3, 10, _WHERE[index.kind], index.name), notes=tuple(notes))
    reason = (f"the index holds only items that have {', '.join(index.key_names)}, which the "
              "conditions require, so scanning it reads only those items")
    return Candidate("Scan", index.name, True, reason, filter=filters,
                     score=(3, 8, _WHERE[index.kind], index.name), notes=tuple(notes))


def _suggest(facts: _Facts, closest: Candidate | None) -> str | None:
    new_index = _new_index(facts)
    if closest is None:
        return new_index
    existing = (f"{closest.where} has the right partition key but cannot serve this as "
                f"written ({closest.reason})")
    return existing if new_index is None else f"{existing}; or: {new_index}"


def _new_index(facts: _Facts) -> str | None:
    equalities = sorted({t.attr for t in facts.terms.values() if t.op == "="})
    if not equalities:
        return ("no condition matches an attribute with =, so no index can serve this; "
                "add an equality on a key attribute, or accept the Scan")
    partition = equalities[:MAX_KEY_ATTRIBUTES]  # a GSI key may have up to 4 attributes
    ranges = sorted({t.attr for t in facts.terms.values()
                     if t.attr not in partition and t.op in KEY_OPS})
    text = (f"a GSI with partition key {partition[0]}" if len(partition) == 1 else
            f"a GSI with partition key attributes {', '.join(partition)}")
    if ranges:
        text += f" and sort key {ranges[0]}"
    if facts.needed is None:
        projection = "projection ALL"
    else:
        projection = ("projection INCLUDE "
                      f"{', '.join(sorted(facts.needed - set(partition)))}")
    return text + f" ({projection}) would serve this as a Query"


def plan(request: PlanRequest) -> Plan:
    """Plan `request`: every candidate with its reason, the chosen one, and the request."""
    if request.segments < 1:
        raise ValidationError("segments must be at least 1")
    table = request.table
    if request.index is not None:
        table.index(request.index)  # raises with the known index names
    facts = analyse(request)
    candidates = _key_candidates(facts)
    candidates.append(_query_candidate(facts, None))
    candidates += [_query_candidate(facts, index) for index in table.indexes]
    # an index whose partition key was matched but which failed for a reason the query can fix
    closest = next((c for c in candidates if c.operation == "Query" and not c.usable
                    and c.reason.startswith(("the index holds only", "the index projects",
                                             "a consistent read"))), None)
    serves = any(c.usable for c in candidates)
    candidates.append(_scan_candidate(facts, closest, serves))
    candidates += [_index_scan_candidate(facts, index) for index in table.indexes]
    if request.basis is not None:
        candidates = [replace(c, predicted=_predict(c, request, request.basis))
                      for c in candidates]
    if request.index is not None:
        candidates = [
            c if c.index == request.index or (not c.usable) else
            Candidate(c.operation, c.index, False, f"index {request.index} was asked for")
            for c in candidates
        ]
        forced = [c for c in candidates if c.index == request.index]
        if not any(c.usable for c in forced):
            raise ValidationError(
                f"index {request.index} cannot serve this query: {forced[0].reason}",
                table=table.name)
    usable = sorted((c for c in candidates if c.usable), key=lambda c: c.score)
    if not usable:
        reasons = "; ".join(f"{c.operation} {c.where}: {c.reason}" for c in candidates)
        raise ValidationError(f"no way to serve this request: {reasons}", table=table.name)
    chosen = usable[0]
    suggestion = (_suggest(facts, closest) if chosen.operation == "Scan" and not request.scan
                  else None)
    kinds = {i.name: i.kind for i in table.indexes}
    params, hidden = build_request(request, chosen)
    extra: dict[str, Any] = {"index_kinds": kinds, "hidden": hidden,
                             "item_count": request.item_count, "empty": chosen.empty,
                             "basis": _basis_text(request.basis)}
    if chosen.partitions:
        extra["requests"] = _per_partition(request, chosen)
    return Plan(table.name, chosen, tuple(candidates), params, suggestion, request.projection,
                extra)


def _predict(c: Candidate, request: PlanRequest, basis: Basis) -> Prediction | None:
    """What `c` will read and cost, from the table's figures and the sample."""
    if not c.usable:
        return None
    consistent = request.consistent

    def at_capacity(units: float) -> float:
        return units / (basis.read_capacity or ON_DEMAND_RCU)

    if c.empty:
        return Prediction(0.0, 0.0, 0, 0.0, 0.0, True)
    table = request.table
    if c.operation in ("GetItem", "BatchGetItem"):
        size = basis.item_bytes or mean_size(basis.sample)
        if size is None:
            return None
        found = float(len(c.keys))
        if basis.complete:
            stored = basis.memo.get("keys")
            if stored is None:
                stored = basis.memo["keys"] = {
                    key_identity({k: i[k] for k in table.key_names if k in i})
                    for i in basis.sample}
            found = float(sum(key_identity(k) in stored for k in c.keys))
        units = unit_cost(size, consistent=consistent) * len(c.keys)
        return Prediction(found, found, math.ceil(len(c.keys) / 100), units,
                          at_capacity(units), basis.complete)
    keys = table.keys_of(c.index)
    every = tuple(k.name for k in (*keys.partition_keys, *keys.sort_keys))
    reads = Keys(tuple(k.name for k in keys.partition_keys), every, c.index is None)
    counted = predict_items(basis, reads, c.key_condition)
    if counted is None:
        return None
    items, read, exact = counted
    projected = table.index(c.index).projected_names(table) if c.index else None
    size = (mean_size(read, projected) if projected is not None else None) or \
        basis.item_bytes or mean_size(read or basis.sample)
    if size is None:
        return None
    requests = max(1, len(c.partitions)) if c.operation == "Query" else request.segments
    pages, units = read_cost(items, size, consistent=consistent, requests=requests)
    returned: float | None = items
    if c.filter is not None:
        share = _kept(basis, (reads, c.key_condition is None, describe(c.filter)), c.filter, read)
        returned = None if share is None else items * share
    return Prediction(items, returned, pages, units, at_capacity(units), exact)


def _kept(basis: Basis, memo: tuple[Any, ...], condition: Condition,
          read: Sequence[Mapping[str, Any]]) -> float | None:
    """The share of `read` a filter keeps (None when it cannot tell), once a basis for a
    Scan's (every item of the table or index: `memo` names it)."""
    if memo[1] and memo in basis.memo:
        known: float | None = basis.memo[memo]
        return known
    verdicts = [admits(condition, i) for i in spread_out(read)]
    share = (sum(bool(v) for v in verdicts) / len(verdicts)
             if verdicts and None not in verdicts else None)
    if memo[1]:
        basis.memo[memo] = share
    return share


def _basis_text(basis: Basis | None) -> str | None:
    if basis is None:
        return None
    return f"{basis.source}; read capacity {basis.capacity_text}"


def _per_partition(request: PlanRequest, chosen: Candidate) -> list[dict[str, Any]]:
    """One Query request per partition value, in value order (reversed for descending)."""
    assert chosen.key_condition is not None
    parts = (list(chosen.key_condition.parts) if isinstance(chosen.key_condition, And)
             else [chosen.key_condition])
    subject = next(p for p in parts if isinstance(p, In))
    rest = [p for p in parts if p is not subject]
    ordered = sorted(chosen.partitions, key=lambda v: _sortable(v.av),
                     reverse=bool(request.descending))
    requests = []
    for value in ordered:
        key = _conjoin([Compare("=", subject.subject, value), *rest])
        single = Candidate(chosen.operation, chosen.index, True, chosen.reason, key,
                           chosen.filter)
        requests.append(build_request(request, single)[0])
    return requests


def _sortable(av: dict[str, Any]) -> tuple[int, Any]:
    tag, payload = next(iter(av.items()))
    if tag == "N":
        return 0, Decimal(payload)
    return 1, payload


def build_request(request: PlanRequest,
                  chosen: Candidate) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The DynamoDB parameters for the chosen candidate (one placeholder allocator).

    A projection is widened with the key attributes that results need for ordering and
    cursors; those added names are returned so results can drop them again.
    """
    ph = Placeholders()
    params: dict[str, Any] = {"TableName": request.table.name}
    projection = request.projection
    hidden: tuple[str, ...] = ()
    if projection:
        keys = list(request.table.key_names)
        if chosen.index is not None:
            keys += list(request.table.index(chosen.index).key_names)
        named = {p.name for p in projection if len(p.elements) == 1}
        hidden = tuple(dict.fromkeys(k for k in keys if k not in named))
        projection = projection + tuple(Path((k,)) for k in hidden)
    if chosen.operation in ("GetItem", "BatchGetItem"):
        if chosen.operation == "GetItem":
            params["Key"] = chosen.keys[0]
        else:
            params["Keys"] = list(chosen.keys)
        params["ConsistentRead"] = request.consistent
        if projection:
            params["ProjectionExpression"] = compile_projection(projection, ph)
        return ph.into(params), hidden
    if chosen.index is not None:
        params["IndexName"] = chosen.index
    if chosen.key_condition is not None:
        params["KeyConditionExpression"] = compile_condition(chosen.key_condition, ph)
    if chosen.filter is not None:
        params["FilterExpression"] = compile_condition(chosen.filter, ph)
    if projection:
        params["ProjectionExpression"] = compile_projection(projection, ph)
    if request.consistent:
        params["ConsistentRead"] = True
    if chosen.operation == "Query" and request.descending:
        params["ScanIndexForward"] = False
    return ph.into(params), hidden


def full_key(table: TableSchema,
             conditions: Sequence[Condition]) -> tuple[dict[str, Any] | None, list[Condition]]:
    """The wire primary key bound by equalities among the conditions, and the other conditions.

    Returns (None, all conditions) when the conditions do not give every key attribute
    exactly one value with ``=``.
    """
    conjuncts = _flatten(conditions)
    key: dict[str, Any] = {}
    used: set[int] = set()
    for name in table.key_names:
        terms = [(i, t) for i, c in enumerate(conjuncts)
                 if (t := _term(c)) is not None and t.attr == name]
        if len(terms) != 1 or terms[0][1].op != "=":
            return None, conjuncts
        key[name] = terms[0][1].values[0].av
        used.add(terms[0][0])
    return key, [c for i, c in enumerate(conjuncts) if i not in used]
