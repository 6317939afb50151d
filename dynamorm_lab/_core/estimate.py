"""Predicted cost: what a candidate will read (items, pages, capacity, time) before it is sent.

The table's size comes from DescribeTable's ItemCount and TableSizeBytes where they are
non-zero, otherwise from the sample the connection holds (local servers and young tables
report 0). Key selectivity comes from the sample: its items are matched against the key
condition here, in Python. DynamoDB bills a Query or Scan page by the total size of the
items it reads, rounded up to 4 KB (halved for an eventually consistent read), at least one
unit a request; a page holds at most 1 MB.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .codec import key_identity
from .expr import And, Between, Call, Compare, Condition, In, Not, Or, Path, Value
from .limits import item_size

__all__ = ["Basis", "Prediction", "admits", "predict_items"]

RCU_BYTES = 4096
PAGE_BYTES = 1024 * 1024
ON_DEMAND_RCU = 12_000  # the read throughput a new on-demand table serves at once


@dataclass(frozen=True, slots=True)
class Basis:
    """What predictions rest on: the table's size and the sample the connection holds."""

    items: int | None  # items in the table, known or estimated
    item_bytes: float | None  # mean item size
    source: str  # in words: "DescribeTable", "the whole table (sampled)", ...
    sample: tuple[Mapping[str, Any], ...] = ()
    complete: bool = False  # the sample is the whole table
    cut: frozenset[Any] = field(default_factory=frozenset)  # partitions sampled only in part
    read_capacity: float | None = None  # provisioned read units a second; None: on-demand
    typical_partition: float | None = None  # items in a table partition, on average
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def capacity_text(self) -> str:
        if self.read_capacity is None:
            return f"on-demand ({ON_DEMAND_RCU:,} RCU/s)"
        return f"{self.read_capacity:g} provisioned RCU/s"


@dataclass(frozen=True, slots=True)
class Prediction:
    """A candidate's predicted cost."""

    items: float  # items read (before any filter)
    returned: float | None  # items left after the filter, when the sample can tell
    pages: int
    rcu: float
    seconds: float  # at the table's read capacity
    exact: bool  # counted over the whole table's sample, not extrapolated

    def describe(self) -> str:
        about = "" if self.exact else "~"
        text = f"{about}{_count(self.items)} item(s) read"
        if self.returned is not None and self.returned != self.items:
            text += f" ({about}{_count(self.returned)} returned)"
        return (f"{text}, {self.pages} page(s), {about}{self.rcu:g} RCU, "
                f"{_seconds(self.seconds)} at capacity")


def _count(value: float) -> str:
    return f"{round(value):,}" if value >= 1 or value == 0 else "<1"


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value >= 0.001 else "<1 ms"


# --- evaluating a condition on a wire item (the sample) --------------------------------------

def _at(path: Path, item: Mapping[str, Any]) -> Any:
    node: Any = {"M": item}
    for element in path.elements:
        if isinstance(element, str):
            node = node.get("M", {}).get(element) if isinstance(node, dict) else None
        else:
            listed = node.get("L") if isinstance(node, dict) else None
            node = listed[element] if listed is not None and element < len(listed) else None
        if node is None:
            return None
    return node


def _operand(operand: Any, item: Mapping[str, Any]) -> Any:
    if isinstance(operand, Value):
        return operand.av
    if isinstance(operand, Path):
        return _at(operand, item)
    raise LookupError  # size(), arithmetic: not evaluated here


def _ordered(av: Any) -> tuple[str, Any] | None:
    if not isinstance(av, dict) or len(av) != 1:
        return None
    tag, payload = next(iter(av.items()))
    if tag == "N":
        return tag, Decimal(payload)
    if tag in ("S", "B"):
        return tag, payload
    return None


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return op == "<>" and (left is None) != (right is None)
    a, b = _ordered(left), _ordered(right)
    if op in ("=", "<>"):
        same = (a == b) if a is not None and b is not None else left == right
        return same if op == "=" else not same
    if a is None or b is None or a[0] != b[0]:
        return False
    verdict: bool = {"<": a[1] < b[1], "<=": a[1] <= b[1], ">": a[1] > b[1],
                     ">=": a[1] >= b[1]}[op]
    return verdict


def admits(condition: Condition, item: Mapping[str, Any]) -> bool | None:
    """Whether DynamoDB would find `condition` true of `item`; None when this cannot tell
    (a function or operand not evaluated here)."""
    try:
        return _admits(condition, item)
    except LookupError:
        return None


def _admits(condition: Condition, item: Mapping[str, Any]) -> bool:
    if isinstance(condition, Compare):
        return _compare(condition.op, _operand(condition.left, item),
                        _operand(condition.right, item))
    if isinstance(condition, Between):
        subject = _operand(condition.subject, item)
        return (_compare(">=", subject, _operand(condition.low, item))
                and _compare("<=", subject, _operand(condition.high, item)))
    if isinstance(condition, In):
        subject = _operand(condition.subject, item)
        return any(_compare("=", subject, _operand(o, item)) for o in condition.options)
    if isinstance(condition, Call):
        return _call(condition, item)
    if isinstance(condition, And):
        return all(_admits(p, item) for p in condition.parts)
    if isinstance(condition, Or):
        return any(_admits(p, item) for p in condition.parts)
    if isinstance(condition, Not):
        return not _admits(condition.part, item)
    raise LookupError


def _call(condition: Call, item: Mapping[str, Any]) -> bool:
    present = _operand(condition.args[0], item)
    if condition.function == "attribute_exists":
        return present is not None
    if condition.function == "attribute_not_exists":
        return present is None
    if condition.function == "begins_with":
        prefix = _operand(condition.args[1], item)
        a, b = _ordered(present), _ordered(prefix)
        return (a is not None and b is not None and a[0] == b[0] != "N"
                and a[1].startswith(b[1]))
    raise LookupError


# --- predicting items read -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Keys:
    """The key a candidate reads by: its partition attributes and whether it is the table's
    own (the sample holds a table partition whole unless it was cut)."""

    partition: tuple[str, ...]
    every: tuple[str, ...]  # every key attribute (an index holds only items with all)
    own: bool


def _partition_values(condition: Condition, names: Sequence[str]) -> list[tuple[Any, ...]]:
    """The partition identities a key condition reads (a product over = and IN)."""
    parts = list(condition.parts) if isinstance(condition, And) else [condition]
    choices: list[list[Any]] = []
    for name in names:
        for part in parts:
            if isinstance(part, Compare) and _named(part.left) == name:
                assert isinstance(part.right, Value)
                choices.append([part.right.av])
            elif isinstance(part, In) and _named(part.subject) == name:
                choices.append([o.av for o in part.options if isinstance(o, Value)])
    identities: list[tuple[Any, ...]] = [()]
    for options in choices:
        identities = [(*done, key_identity({"v": av})) for done in identities for av in options]
    return list(dict.fromkeys(identities))


def _named(operand: Any) -> str | None:
    if isinstance(operand, Path) and len(operand.elements) == 1:
        return str(operand.elements[0])
    return None


def partition_of(item: Mapping[str, Any], names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(key_identity({"v": item[n]}) for n in names)


def predict_items(basis: Basis, keys: Keys, key_condition: Condition | None
                  ) -> tuple[float, list[Mapping[str, Any]], bool] | None:
    """(items read, the sampled items read, exact) for a Query (a key condition) or a Scan
    (none) of the table or an index; None when nothing is known of the table's size. Only
    the sampled partitions the key condition names are matched item by item."""
    members, groups = _grouped(basis, keys)
    if key_condition is None:
        if basis.complete:
            return float(len(members)), members, True
        if basis.items is None:
            return None
        share = len(members) / len(basis.sample) if basis.sample else 1.0
        return basis.items * share, members, False
    wanted = _partition_values(key_condition, keys.partition)
    read = [i for identity in wanted for i in groups.get(identity, ())
            if admits(key_condition, i) is not False]
    if basis.complete:
        return float(len(read)), read, True
    if basis.items is None:
        return None
    scale = basis.items / len(basis.sample) if basis.sample else 0.0
    parts = list(key_condition.parts) if isinstance(key_condition, And) else [key_condition]
    sort_parts = [p for p in parts if not (isinstance(p, Compare | In)
                                           and _named(_subject(p)) in keys.partition)]

    def sorted_in(items: Sequence[Mapping[str, Any]]) -> int:
        return sum(all(admits(p, i) is not False for p in sort_parts) for i in items)

    if keys.own and basis.typical_partition is not None:
        typical = basis.typical_partition
    else:  # an index's partitions: the sample's items per partition value, scaled
        typical = len(members) * scale / max(1, len(groups))
    total = 0.0
    for identity in wanted:
        seen = sorted_in(groups.get(identity, ()))
        if keys.own and identity in groups and identity not in basis.cut:
            total += seen  # the sample holds this partition whole
        else:
            spread = spread_out(members)
            share = sorted_in(spread) / len(spread) if spread else 1.0
            total += max(seen * (1 if keys.own else scale), typical * share)
    return total, read, False


def _grouped(basis: Basis, keys: Keys) -> tuple[list[Mapping[str, Any]],
                                                 dict[tuple[Any, ...], list[Mapping[str, Any]]]]:
    """The sampled items an index (or the table) holds, and by partition: worked out once
    a basis and key."""
    memo = basis.memo.get(keys)
    if memo is None:
        members = [i for i in basis.sample if all(n in i for n in keys.every)]
        groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
        for item in members:
            groups.setdefault(partition_of(item, keys.partition), []).append(item)
        memo = basis.memo[keys] = (members, groups)
    found: tuple[list[Mapping[str, Any]], dict[tuple[Any, ...], list[Mapping[str, Any]]]]
    found = memo
    return found


def spread_out(items: Sequence[Mapping[str, Any]], at_most: int = 1000
               ) -> Sequence[Mapping[str, Any]]:
    """At most `at_most` of `items`, evenly spaced (enough to measure a share or a mean)."""
    if len(items) <= at_most:
        return items
    step = len(items) / at_most
    return [items[int(n * step)] for n in range(at_most)]


def _subject(part: Compare | In) -> Any:
    return part.left if isinstance(part, Compare) else part.subject


def read_cost(items: float, item_bytes: float, *, consistent: bool, requests: int = 1
              ) -> tuple[int, float]:
    """(pages, read units) of reading `items` items of `item_bytes` with Query or Scan."""
    total = items * item_bytes
    pages = max(requests, math.ceil(total / PAGE_BYTES))
    factor = 1.0 if consistent else 0.5
    full, rest = divmod(total, PAGE_BYTES)
    units = full * (PAGE_BYTES // RCU_BYTES) + math.ceil(rest / RCU_BYTES)
    return pages, max(units, requests) * factor


def unit_cost(item_bytes: float, *, consistent: bool) -> float:
    """Read units of one GetItem (or one BatchGetItem key)."""
    return math.ceil(max(item_bytes, 1) / RCU_BYTES) * (1.0 if consistent else 0.5)


def mean_size(items: Sequence[Mapping[str, Any]], names: frozenset[str] | None = None
              ) -> float | None:
    """The mean size of `items` (only `names` of each, for an index's projection)."""
    if not items:
        return None
    sizes = [item_size(i if names is None else {k: v for k, v in i.items() if k in names})
             for i in spread_out(items)]
    return sum(sizes) / len(sizes)
