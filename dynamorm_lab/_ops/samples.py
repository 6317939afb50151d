"""A table's sample: what the connection reads once of a table, and what it shows.

A bounded Scan in four segments (so that the sample is not just the first stretch of the key
space) gives every attribute's types and how often it is present, which the planner and the
introspected models use; whether each segment was read to its end (a sample of the whole
table counts exactly); and, when DescribeTable's ItemCount is still 0, a count of one slice
of the table. The transport holds samples, once per connection and table; `basis` turns
what it holds into what cost predictions rest on, sending nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._core import display
from .._core.estimate import Basis, mean_size, partition_of
from .._core.schema import KeyAttribute, TableSchema
from ..errors import ValidationError
from .tables import describe

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["SAMPLE", "AttributeProfile", "Profile", "basis", "held_profile", "index_keys",
           "profile", "profile_items"]

_SCALARS = {"S": "str", "B": "bytes", "BOOL": "bool"}


@dataclass
class AttributeProfile:
    """What the sample says about one attribute."""

    name: str
    seen: int = 0
    tags: Counter[str] = field(default_factory=Counter)
    integral: bool = True

    def annotation(self, total: int) -> str:
        tags = {t for t in self.tags if t != "NULL"}
        number = "int" if self.integral else "Decimal"
        if len(tags) == 1:
            (tag,) = tags
            base = _SCALARS.get(tag) or {
                "N": number, "L": "list[Any]", "M": "dict[str, Any]", "SS": "set[str]",
                "NS": f"set[{number}]", "BS": "set[bytes]"}[tag]
        elif tags and tags <= {"S", "N", "B", "BOOL"}:
            base = " | ".join(_SCALARS.get(t, number) for t in sorted(tags))
        else:
            base = "Any"
        optional = self.seen < total or "NULL" in self.tags
        return f"{base} | None" if optional and base != "Any" else base


@dataclass
class Profile:
    """A table's schema plus what a sample of its items shows."""

    schema: TableSchema
    items: list[dict[str, Any]]
    attributes: dict[str, AttributeProfile]
    requests: int = 0  # what reading the sample took: Scans sent, capacity they consumed
    capacity: float | None = None
    complete: bool = False  # the sample is the whole table
    cut: frozenset[Any] = frozenset()  # table partitions a segment's sample ended inside
    estimated_count: int | None = None  # items, counted from a slice when ItemCount is 0
    whole_partitions: int = 0  # table partitions the sample holds whole
    bases: dict[tuple[Any, ...], Basis] = field(default_factory=dict, repr=False)
    at_least: bool = False  # the slice counted was cut short: the table holds more
    _copresent: dict[str, frozenset[str]] | None = field(default=None, repr=False)
    models: dict[str | None, Any] = field(default_factory=dict, repr=False)  # built from it

    @property
    def typical_partition(self) -> float | None:
        """Items a table partition holds, on average: the sample's items over the partitions
        it holds whole (a segment is read in partition order, so the items of a partition
        it ended inside count too: that corrects the bias toward small, whole ones)."""
        return len(self.items) / self.whole_partitions if self.whole_partitions else None

    @property
    def sampled(self) -> int:
        return len(self.items)

    def cost(self) -> str:
        """What reading the sample took, in one phrase."""
        units = "capacity not reported" if self.capacity is None else f"{self.capacity:g} RCU"
        return (f"a sample of {self.schema.name}: {self.requests} Scan(s), {self.sampled:,} "
                f"item(s), {units}")

    def always_present(self) -> frozenset[str]:
        """The table's key, and what every sampled item had (nothing, when none was)."""
        keys = set(self.schema.key_names)
        return frozenset(a.name for a in self.attributes.values()
                         if a.name in keys or (self.sampled and a.seen == self.sampled))

    def copresent(self) -> dict[str, frozenset[str]]:
        """For each attribute, the others present in every sampled item that has it
        (worked out once per sample: a model is introspected from it per statement)."""
        if self._copresent is None:
            self._copresent = self._count_copresent()
        return self._copresent

    def _count_copresent(self) -> dict[str, frozenset[str]]:
        names = list(self.attributes)
        together: dict[str, set[str]] = {}
        for item in self.items:
            present = set(item)
            for name in present:
                together[name] = together[name] & present if name in together else set(present)
        always = self.always_present()
        return {n: frozenset(together.get(n, set()) - {n} - always) for n in names
                if together.get(n, set()) - {n} - always}

    def __repr__(self) -> str:
        whole = " (the whole table)" if self.complete else ""
        return (f"<Profile {self.schema.name}: {display.count(self.sampled, 'item')} "
                f"sampled{whole}, {display.count(len(self.attributes), 'attribute')}>")

    def _repr_html_(self) -> str:
        """What ``db.inspect(table)`` shows: each attribute's share of the sample and its
        types, then what reading the sample took."""
        rows = [{"attribute": a.name, "present in": f"{a.seen / max(self.sampled, 1):.0%}",
                 "types": ", ".join(f"{tag} ({seen:,})" for tag, seen in a.tags.most_common())}
                for a in self.attributes.values()]
        whole = " (the whole table)" if self.complete else ""
        return display.card(
            f"Sample of {self.schema.name}: {display.count(self.sampled, 'item')}{whole}",
            body=display.table(rows), foot=[self.cost()])

    def presence_table(self) -> list[dict[str, Any]]:
        return [{"attribute": a.name, "present": a.seen / max(self.sampled, 1),
                 "types": dict(a.tags)} for a in self.attributes.values()]


def profile_items(schema: TableSchema, items: list[dict[str, Any]], *,
                  every_index: bool = True) -> Profile:
    """Profile wire items of a table (pure). With `every_index`, index key attributes no
    sampled item had are profiled too (a model of the whole table declares every index; an
    entity's model only those its items are in)."""
    attributes: dict[str, AttributeProfile] = {}
    for name in (*schema.key_names, *(index_keys(schema) if every_index else ())):
        attributes[name] = AttributeProfile(name)
    for item in items:
        for name, av in item.items():
            entry = attributes.setdefault(name, AttributeProfile(name))
            entry.seen += 1
            tag = next(iter(av))
            entry.tags[tag] += 1
            numbers: list[str] = [av["N"]] if tag == "N" else av["NS"] if tag == "NS" else []
            if not all(_integral(n) for n in numbers):
                entry.integral = False
    return Profile(schema, items, attributes)


def index_keys(schema: TableSchema) -> dict[str, KeyAttribute]:
    """Every index key attribute (a model declares them even when no sampled item has one)."""
    return {k.name: k for index in schema.indexes
            for k in (*index.partition_keys, *index.sort_keys)}


def _integral(text: str) -> bool:
    return not any(c in text for c in ".eE")


def profile(transport: Transport, table: str, *, sample: int = 500) -> Profile:
    """Describe `table` and read at most `sample` items of it (a bounded Scan, in four
    segments so that the sample is not just the first stretch of the key space)."""
    if not isinstance(sample, int) or sample < 1:
        raise ValidationError("sample must be a positive number of items")
    schema = describe(transport, table)
    segments = 4 if sample >= 4 else 1  # spread the sample over the key space
    capacity: list[float] = []
    parts, requests = _read_segments(transport, table, segments, sample, capacity)
    items: list[dict[str, Any]] = []
    cut: set[Any] = set()
    whole = 0
    for got, more in parts:
        items += got
        partitions = list(dict.fromkeys(partition_of(i, [schema.partition.name]) for i in got))
        if more:  # the segment goes on past the sample, maybe inside its last partition
            cut.update(partitions[-1:])
        whole += len(partitions) - (1 if more and partitions else 0)
    found = profile_items(schema, items)
    found.complete = not any(more for _, more in parts)  # every segment read to its end
    found.cut, found.whole_partitions = frozenset(cut), whole
    if not found.complete and not schema.extra.get("ItemCount"):
        found.estimated_count, found.at_least = _count_slice(transport, table, capacity,
                                                             len(items))
        requests += 1
    found.requests = requests
    found.capacity = sum(capacity) if capacity else None
    return found


def _read_segments(transport: Transport, table: str, segments: int, budget: int,
                   capacity: list[float]) -> tuple[list[tuple[list[dict[str, Any]], bool]], int]:
    """Up to `budget` items over `segments` segments, page by page in turn, what one segment
    leaves unused going to the others: ([(items, segment has more)], requests sent)."""
    parts: list[tuple[list[dict[str, Any]], bool]] = [([], True) for _ in range(segments)]
    starts: list[Any] = [None] * segments
    requests = 0
    while (open_ := [n for n, (_, more) in enumerate(parts) if more]) and (
            left := budget - sum(len(got) for got, _ in parts)) > 0:
        for n in open_:
            params: dict[str, Any] = {"TableName": table, "ReturnConsumedCapacity": "TOTAL",
                                      "Limit": max(1, left // len(open_))}
            if segments > 1:
                params.update(Segment=n, TotalSegments=segments)
            if starts[n] is not None:
                params["ExclusiveStartKey"] = starts[n]
            response = _sampled_scan(transport, params, capacity)
            requests += 1
            starts[n] = response.get("LastEvaluatedKey")
            parts[n] = (parts[n][0] + response.get("Items", []), starts[n] is not None)
    return parts, requests


SAMPLE = 5000  # items a sample reads for predictions and %%dynamo (at most ~5 MB)
_SLICES = 16  # the count probe reads one segment of 16
_SLICE_LIMIT = 1000


def _sampled_scan(transport: Transport, params: dict[str, Any],
                  capacity: list[float]) -> dict[str, Any]:
    response = transport.call("Scan", params)
    consumed = response.get("ConsumedCapacity")
    if consumed:
        capacity.append(float(consumed.get("CapacityUnits", 0.0)))
    return response


def _count_slice(transport: Transport, table: str, capacity: list[float],
                 sampled: int) -> tuple[int, bool]:
    """About how many items a table holds whose ItemCount is still 0 (DynamoDB refreshes it
    about every six hours): one segment of 16 counted, at most 1,000 items read (at most
    1 MB, 128 read units); a segment longer than that puts the table at 16,000 or more."""
    response = _sampled_scan(transport, {
        "TableName": table, "Select": "COUNT", "Segment": 0, "TotalSegments": _SLICES,
        "Limit": _SLICE_LIMIT, "ReturnConsumedCapacity": "TOTAL"}, capacity)
    counted = int(response.get("ScannedCount", response.get("Count", 0)))
    return max(sampled, counted * _SLICES), "LastEvaluatedKey" in response


def held_profile(transport: Transport, table: str, *, sample: int = 500) -> Profile:
    """The table's sample the transport holds, read now if it holds none."""
    key = (table, sample)
    if key not in transport.samples:
        transport.samples[key] = profile(transport, table, sample=sample)
    held: Profile = transport.samples[key]
    return held


def basis(transport: Transport, name: str) -> Basis | None:
    """What predictions for table `name` can rest on, from what the transport already holds
    (its cached DescribeTable and the largest sample): nothing is sent."""
    held = [p for (table, _), p in transport.samples.items() if table == name]
    sample: Profile | None = max(held, key=lambda p: p.sampled) if held else None
    table = transport.cached_table(name) or (dict(sample.schema.extra) if sample else None)
    if table is None and sample is None:
        return None
    table = table or {}
    count, size = table.get("ItemCount") or None, table.get("TableSizeBytes") or None
    throughput = table.get("ProvisionedThroughput", {})
    on_demand = table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"
    capacity = None if on_demand or not throughput.get("ReadCapacityUnits") else float(
        throughput["ReadCapacityUnits"])
    item_bytes = size / count if count and size else None
    if sample is None:
        return Basis(count, item_bytes, f"DescribeTable ({count or 0:,} items)",
                     read_capacity=capacity)
    figures = (count, size, capacity)
    if figures not in sample.bases:  # one Basis a sample and figures: its memo is reused
        sample.bases[figures] = _sampled_basis(sample, count, item_bytes, capacity)
    found: Basis = sample.bases[figures]
    return found


def _sampled_basis(sample: Profile, count: int | None, item_bytes: float | None,
                   capacity: float | None) -> Basis:
    items = tuple(sample.items)
    if item_bytes is None:
        item_bytes = mean_size(items)
    if sample.complete:
        source = f"the whole table, sampled ({sample.sampled:,} items)"
        count = sample.sampled
    elif count:
        source = f"DescribeTable ({count:,} items) and a sample of {sample.sampled:,}"
    else:
        count = sample.estimated_count
        about = "at least" if sample.at_least else "~"
        source = (f"a sample of {sample.sampled:,} items and a count of 1/{_SLICES} of the "
                  f"table ({about}{count or 0:,} items; ItemCount is still 0)")
    return Basis(count, item_bytes, source, items, sample.complete, sample.cut, capacity,
                 sample.typical_partition)
