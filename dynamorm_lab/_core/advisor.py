"""What-if plans and the index advisor: plain logic over the planner.

`with_indexes` plans a request as if some GSIs existed. `advise` takes a workload (planned
requests), proposes GSIs that would turn its Scans into Queries and keeps the smallest set it
finds (greedy set cover: the index serving the most queries not yet served first), each with
its trade-off: predicted read units saved against the items and bytes the index stores and
the write units every item written to it costs. Whether an index serves a query is decided by
the planner itself, on the schema with the index added.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ValidationError
from .estimate import Basis, Prediction, mean_size
from .expr import describe
from .planner import KEY_OPS, Plan, PlanRequest, analyse, plan
from .schema import (
    MAX_GSIS,
    MAX_KEY_ATTRIBUTES,
    Index,
    IndexSpec,
    KeyAttribute,
    Projection,
    TableSchema,
    gsi_source,
)

__all__ = ["COLUMNS", "Advice", "Proposal", "advise", "condition_types", "index_from_spec",
           "with_indexes"]

WCU_BYTES = 1024
COLUMNS = ("table", "index", "partition_key", "sort_key", "projection", "serves",
           "predicted_rcu_now", "predicted_rcu_with_index", "read_savings_rcu", "index_items",
           "storage_bytes", "write_units_per_item_written")
INDEX_ITEM_OVERHEAD = 100  # bytes DynamoDB adds to each index item for storage


def index_from_spec(table: TableSchema, name: str | None, spec: IndexSpec,
                    fields: Mapping[str, tuple[str, str]], types: Mapping[str, str]
                    ) -> Index:
    """A GSI from a `dl.gsi(...)` declaration: `fields` maps a model's Python names to
    (attribute name, type); other names are attribute names, typed by `types` (what the
    conditions or the sample show) or S."""
    def key(name_: str) -> KeyAttribute:
        attribute, kind = fields.get(name_, (name_, types.get(name_, "S")))
        return KeyAttribute(attribute, kind)

    partitions = tuple(map(key, spec.partition))
    sorts = tuple(map(key, spec.sort))
    projection: Projection = "INCLUDE"
    included: tuple[str, ...] = ()
    if spec.projection in ("ALL", "KEYS_ONLY"):
        projection = "KEYS_ONLY" if spec.projection == "KEYS_ONLY" else "ALL"
    elif isinstance(spec.projection, str):
        raise ValidationError(f"a GSI's projection is ALL, KEYS_ONLY or a list of attribute "
                              f"names, got {spec.projection!r}")
    else:
        included = tuple(fields.get(n, (n, ""))[0] for n in spec.projection)
    taken = {i.name for i in table.indexes}
    chosen = name or _index_name([k.name for k in (*partitions, *sorts)], taken)
    return Index(chosen, "GSI", partitions[0], sorts[0] if sorts else None, projection,
                 included, partitions, sorts)


def _index_name(attributes: Sequence[str], taken: set[str]) -> str:
    words = "".join(w[:1].upper() + w[1:] for a in attributes
                    for w in re.split(r"[^A-Za-z0-9]+", a) if w)
    base = f"By{words}"[:200] if words else "ByKey"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    return name


def with_indexes(request: PlanRequest, indexes: Sequence[Index]) -> PlanRequest:
    """`request` on its table with `indexes` added (what-if: nothing is created)."""
    table = request.table
    clash = {i.name for i in table.indexes} & {i.name for i in indexes}
    if clash:
        raise ValidationError(f"table {table.name} already has an index named "
                              f"{', '.join(sorted(clash))}")
    if len([i for i in table.indexes if i.kind == "GSI"]) + len(indexes) > MAX_GSIS:
        raise ValidationError(f"a table has at most {MAX_GSIS} GSIs")
    return replace(request, table=replace(table, indexes=(*table.indexes, *indexes)))


def condition_types(request: PlanRequest) -> dict[str, str]:
    """The type each top-level attribute is compared with in `request` (S, N or B)."""
    found: dict[str, str] = {}
    for term in analyse(request).terms.values():
        tags = {v.tag for v in term.values if v.tag in ("S", "N", "B")}
        if len(tags) == 1:
            found.setdefault(term.attr, tags.pop())
    return found


# --- the advisor ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Proposal:
    """One proposed GSI and its trade-off."""

    table: str
    index: Index
    serves: tuple[int, ...]  # positions of the workload's requests it turns into Queries
    rcu_before: float | None  # what those requests are predicted to read now ...
    rcu_after: float | None  # ... and with the index
    index_items: float | None  # items the index would hold
    storage_bytes: float | None
    write_units: float | None  # extra write units per item written that the index holds

    @property
    def read_savings(self) -> float | None:
        if self.rcu_before is None or self.rcu_after is None:
            return None
        return self.rcu_before - self.rcu_after

    def row(self, shown: Sequence[str]) -> dict[str, Any]:
        index = self.index
        return {
            "table": self.table, "index": index.name,
            "partition_key": ", ".join(map(str, index.partition_keys)),
            "sort_key": ", ".join(map(str, index.sort_keys)), "projection": index.projection_text,
            "serves": "; ".join(shown[i] for i in self.serves),
            "predicted_rcu_now": self.rcu_before, "predicted_rcu_with_index": self.rcu_after,
            "read_savings_rcu": self.read_savings, "index_items": _rounded(self.index_items),
            "storage_bytes": _rounded(self.storage_bytes),
            "write_units_per_item_written": self.write_units,
        }


def _rounded(value: float | None) -> int | None:
    return None if value is None else round(value)


@dataclass(frozen=True)
class Advice:
    """Proposed GSIs for a workload, the plans before and after, and what stays a Scan."""

    proposals: tuple[Proposal, ...]
    shown: tuple[str, ...]  # each request in words
    before: tuple[Plan, ...]
    after: tuple[Plan, ...]
    schemas: Mapping[str, TableSchema]  # each table with its proposed indexes added
    names: Mapping[str, str] = field(default_factory=dict)  # attribute -> a model's field

    @property
    def unserved(self) -> list[int]:
        """Requests that still Scan with the proposals (no GSI can serve them)."""
        return [n for n, p in enumerate(self.after) if p.operation == "Scan"]

    def rows(self) -> list[dict[str, Any]]:
        """One row per proposed index (the columns of `COLUMNS`)."""
        return [p.row(self.shown) for p in self.proposals]

    def model_code(self, names: Mapping[str, str] | None = None) -> str:
        """The ``indexes=`` to add to each table's model (`names` maps attribute names to
        Python field names where they differ)."""
        names = names if names is not None else self.names
        lines = []
        for table in dict.fromkeys(p.table for p in self.proposals):
            entries = []
            for proposal in (p for p in self.proposals if p.table == table):
                index = proposal.index
                entries.append(f"    {index.name!r}: {gsi_source(index, names)},")
            lines += [f"# {table}", "indexes={", *entries, "}"]
        return "\n".join(lines)

    def summary(self) -> str:
        if not self.proposals:
            scans = len(self.unserved)
            return (f"no index to propose: {len(self.shown) - scans} of {len(self.shown)} "
                    "request(s) are served without a Scan" + (
                        f"; {scans} cannot be served by a GSI" if scans else ""))
        saved = [p.read_savings for p in self.proposals if p.read_savings is not None]
        text = (f"{len(self.proposals)} GSI(s) turn {sum(len(p.serves) for p in self.proposals)}"
                f" of {len(self.shown)} request(s) from Scans into Queries")
        if saved:
            text += f", saving ~{sum(saved):g} RCU per run of the workload"
        if self.unserved:
            text += f"; {len(self.unserved)} still Scan"
        return text

    __str__ = summary

    def __repr__(self) -> str:
        return f"<Advice {self.summary()}>"


def advise(requests: Sequence[PlanRequest], bases: Mapping[str, Basis | None]) -> Advice:
    """Propose the GSIs that turn `requests`' Scans into Queries (see the module)."""
    if not requests:
        raise ValidationError("advise() needs at least one query")
    before = tuple(plan(r) for r in requests)
    shown = tuple(f"{n + 1}. {_shown(r)}" for n, r in enumerate(requests))
    scanning = [n for n, p in enumerate(before) if p.operation == "Scan" and not requests[n].scan]
    proposals: list[Proposal] = []
    requests = list(requests)
    for table in dict.fromkeys(requests[n].table.name for n in scanning):
        mine = [n for n in scanning if requests[n].table.name == table]
        chosen = _cover(requests, mine)
        for index, served in chosen:
            requests = [with_indexes(r, [index]) if r.table.name == table else r
                        for r in requests]
            proposals.append(_trade_off(index, served, before, requests, bases.get(table)))
    after = tuple(plan(r) for r in requests)
    schemas = {r.table.name: r.table for r in requests}
    return Advice(tuple(proposals), shown, before, after, schemas)


def _shown(request: PlanRequest) -> str:
    conditions = " AND ".join(describe(c) for c in request.conditions) or "everything"
    return f"{request.table.name}: {conditions}"


def _candidates(request: PlanRequest) -> list[Index]:
    """GSIs that could serve `request`: each equality attribute (and all of them together) as
    the partition key, with each ranged attribute, or none, as the sort key."""
    facts = analyse(request)
    types = condition_types(request)
    equal = sorted({t.attr for t in facts.terms.values() if t.op == "="} & set(types))
    ranged = sorted({t.attr for t in facts.terms.values() if t.op in KEY_OPS} & set(types))
    partitions = [[e] for e in equal]
    if 2 <= len(equal) <= MAX_KEY_ATTRIBUTES:
        partitions.append(equal)
    taken = {i.name for i in request.table.indexes}
    needed = facts.needed
    found = []
    for partition in partitions:
        for sort in [None, *(r for r in ranged if r not in partition)]:
            keys = [*partition, *([sort] if sort else [])]
            named = [w for p in partition for w in ("And", p)][1:] + ([sort] if sort else [])
            projection: Any = "ALL" if needed is None else sorted(needed - set(keys) - set(
                request.table.key_names)) or "KEYS_ONLY"
            spec = IndexSpec(tuple(partition), (sort,) if sort else (), projection)
            found.append(index_from_spec(request.table, _index_name(named, taken), spec, {},
                                         types))
    return found


def _serves(request: PlanRequest, index: Index) -> bool:
    chosen = plan(with_indexes(request, [index]))
    return chosen.operation == "Query" and chosen.index == index.name


def _cover(requests: Sequence[PlanRequest], scanning: list[int]) -> list[tuple[Index, list[int]]]:
    """Greedy set cover: the candidate serving the most unserved requests first (then the
    one predicted to read least for them, then fewer key attributes, then the smaller
    projection)."""
    pool: dict[tuple[Any, ...], Index] = {}
    for n in scanning:
        for index in _candidates(requests[n]):
            shape = (index.key_names, len(index.partition_keys))
            pool.setdefault(shape, index)
    unserved = set(scanning)
    chosen: list[tuple[Index, list[int]]] = []
    while unserved and pool:
        scored = []
        for shape, index in pool.items():
            widened = _widened(index, [requests[n] for n in unserved])
            served = [n for n in sorted(unserved) if _serves(requests[n], widened)]
            if served:
                predicted = [plan(with_indexes(requests[n], [widened])).chosen.predicted
                             for n in served]
                units = _total(predicted)
                items = sum(p.items for p in predicted if p is not None)
                reads = (math.inf, math.inf) if units is None else (units, items)
                scored.append((-len(served), reads,
                               len(index.key_names), widened.projection == "ALL",
                               widened.name, shape, widened, served))
        if not scored:
            break
        *_, shape, index, served = min(scored, key=lambda s: s[:5])
        chosen.append((index, served))
        unserved -= set(served)
        del pool[shape]
    return chosen


def _widened(index: Index, requests: Sequence[PlanRequest]) -> Index:
    """The index with a projection wide enough for every request it might serve."""
    needs: set[str] = set()
    for request in requests:
        needed = analyse(request).needed
        if needed is None:
            return replace(index, projection="ALL", non_key_attributes=())
        needs |= needed
    rest = tuple(sorted(needs - set(index.key_names) - set(requests[0].table.key_names)))
    if not rest:
        return replace(index, projection="KEYS_ONLY", non_key_attributes=())
    return replace(index, projection="INCLUDE", non_key_attributes=rest)


def _total(predictions: Sequence[Prediction | None]) -> float | None:
    known = [p.rcu for p in predictions if p is not None]
    return sum(known) if len(known) == len(predictions) else None


def _trade_off(index: Index, served: list[int], before: Sequence[Plan],
               requests: Sequence[PlanRequest], basis: Basis | None) -> Proposal:
    table = requests[served[0]].table.name
    rcu_before = _total([before[n].chosen.predicted for n in served])
    rcu_after = _total([plan(requests[n]).chosen.predicted for n in served])
    items = storage = units = None
    if basis is not None and basis.sample and basis.items is not None:
        members = [i for i in basis.sample if all(k in i for k in index.key_names)]
        schema = requests[served[0]].table
        names = index.projected_names(schema)
        size = mean_size(members, names) if members else None
        items = basis.items * len(members) / len(basis.sample)
        if size is not None:
            storage = items * (size + INDEX_ITEM_OVERHEAD)
            units = float(math.ceil(size / WCU_BYTES))
    return Proposal(table, index, tuple(served), rcu_before, rcu_after, items, storage, units)

