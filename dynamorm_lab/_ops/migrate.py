"""Schema diffs and migrations, the way DynamoDB allows them.

`diff()` compares a model's schema with the live table and names every difference. `migrate()`
turns the differences DynamoDB can apply in place into steps (one GSI creation or deletion
per UpdateTable, each waited for until ACTIVE; TTL changes) and refuses the ones it cannot
(key schema, LSIs) with an explanation. ``dry_run=True`` shows the steps and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._core import display
from .._core.model import Model, schema
from .._core.schema import Index, TableSchema, _index_request
from ..errors import ValidationError
from .tables import create_table, describe, exists, poll_until, wait_active

if TYPE_CHECKING:
    from .transport import Transport

__all__ = ["Change", "MigrationPlan", "SchemaDiff", "diff", "ensure_table", "migrate"]


@dataclass(frozen=True)
class Change:
    """One difference between a model and its live table."""

    kind: str  # create_table, key, add_index, remove_index, change_index, lsi, ttl
    target: str
    detail: str
    in_place: bool
    how: str


@dataclass
class SchemaDiff:
    """Every difference between the model's schema and the live table."""

    table: str
    exists: bool
    changes: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def blocking(self) -> list[Change]:
        """Changes DynamoDB cannot make to an existing table."""
        return [c for c in self.changes if not c.in_place]

    def __str__(self) -> str:
        if self.empty:
            return f"{self.table}: the live table matches the model"
        lines = [f"{self.table}: {len(self.changes)} difference(s)"]
        lines += [f"  {'+' if c.in_place else '!'} {c.target}: {c.detail} -> {c.how}"
                  for c in self.changes]
        return "\n".join(lines)

    def rows(self) -> list[dict[str, Any]]:
        return [{"kind": c.kind, "target": c.target, "difference": c.detail,
                 "in_place": c.in_place, "how": c.how} for c in self.changes]

    def to_pandas(self) -> Any:
        from ..frames import table_frame

        return table_frame(self.rows(),
                            columns=["kind", "target", "difference", "in_place", "how"])

    def __repr__(self) -> str:
        return f"<SchemaDiff {str(self).splitlines()[0]}>"

    def _repr_html_(self) -> str:
        """How many differences, then each: what differs, whether DynamoDB can change it
        in place, and how."""
        return display.card(str(self).splitlines()[0], body=display.table(
            self.rows(), labels={"in_place": "in place"}) if self.changes else "")


def _shown(index: Index | None) -> str:
    return "none" if index is None else index.describe()


def _ttl_change(table: str, wanted: str | None, live: str | None) -> Change | None:
    if wanted == live:
        return None
    if wanted is None:
        return Change("ttl", "TTL", f"live TTL on {live}, the model has none", True,
                      f"UpdateTimeToLive: disable TTL on {live}")
    if live is None:
        return Change("ttl", "TTL", f"the model expires items by {wanted}", True,
                      f"UpdateTimeToLive: enable TTL on {wanted}")
    return Change("ttl", "TTL", f"live TTL on {live}, the model uses {wanted}", True,
                  f"UpdateTimeToLive: disable on {live}, then enable on {wanted} (AWS allows "
                  "one TTL change per hour)")


def compare(wanted: TableSchema, live: TableSchema | None) -> SchemaDiff:
    """The differences between a wanted schema and a live one (pure)."""
    result = SchemaDiff(wanted.name, live is not None)
    if live is None:
        result.changes.append(Change("create_table", wanted.name, "the table does not exist",
                                     True, "CreateTable from the model"))
        return result
    for role, want_key, have_key in (("partition key", wanted.partition, live.partition),
                                     ("sort key", wanted.sort, live.sort)):
        if want_key != have_key:
            result.changes.append(Change(
                "key", role, f"live {have_key or 'none'}, model {want_key or 'none'}", False,
                "DynamoDB cannot change a table's key schema: create a new table and copy the "
                "items into it (a backfill)"))
    live_indexes = {i.name: i for i in live.indexes}
    wanted_indexes = {i.name: i for i in wanted.indexes}
    for name in sorted(set(live_indexes) | set(wanted_indexes)):
        want, have = wanted_indexes.get(name), live_indexes.get(name)
        if want == have:
            continue
        shown = f"live {_shown(have)}, model {_shown(want)}"
        if "LSI" in (want.kind if want else "", have.kind if have else ""):
            result.changes.append(Change(
                "lsi", f"LSI {name}", shown, False,
                "LSIs are fixed when a table is created: create a new table and copy the items"))
        elif have is None:
            result.changes.append(Change("add_index", f"GSI {name}", _shown(want), True,
                                         "UpdateTable: create the GSI and wait until ACTIVE"))
        elif want is None:
            result.changes.append(Change("remove_index", f"GSI {name}", _shown(have), True,
                                         "UpdateTable: delete the GSI"))
        else:
            result.changes.append(Change(
                "change_index", f"GSI {name}", shown, True, "UpdateTable: delete the GSI, "
                "wait, then create it again (queries on it fail until it is ACTIVE)"))
    ttl = _ttl_change(wanted.name, wanted.ttl_attribute, live.ttl_attribute)
    if ttl is not None:
        result.changes.append(ttl)
    return result


def _wanted(target: Any) -> TableSchema:
    if isinstance(target, TableSchema):
        return target
    if isinstance(target, type) and issubclass(target, Model):
        return schema(target)
    raise ValidationError(f"expected a model or a TableSchema, got {target!r:.60}")


def diff(transport: Transport, target: Any) -> SchemaDiff:
    """Compare a model (or TableSchema) with the live table."""
    wanted = _wanted(target)
    live = describe(transport, wanted.name) if exists(transport, wanted.name) else None
    return compare(wanted, live)


@dataclass
class Step:
    """One request migrate() sends, and what it is for."""

    description: str
    operation: str
    params: dict[str, Any]
    wait_for: str | None = None  # "active" or "index_gone:<name>"


@dataclass
class MigrationPlan:
    """The steps a migration takes (or, after a dry run, would take)."""

    table: str
    diff: SchemaDiff
    steps: list[Step]
    applied: int = 0
    dry_run: bool = True

    def rows(self) -> list[dict[str, Any]]:
        """One row per step (numbered), then one per refused change (no number)."""
        rows: list[dict[str, Any]] = [
            {"step": n + 1, "what": s.description, "request": s.operation,
             "done": n < self.applied} for n, s in enumerate(self.steps)]
        rows += [{"step": "", "what": f"REFUSED: {c.target}: {c.detail}", "request": c.how,
                  "done": False} for c in self.diff.blocking]
        return rows

    def to_pandas(self) -> Any:
        """`rows` as a DataFrame: step numbers as integers, blank for a refused change."""
        from ..frames import table_frame

        return table_frame(self.rows(), columns=["step", "what", "request", "done"])

    @property
    def headline(self) -> str:
        """``Migration of Movies: 1 step (dry run: nothing was changed)``."""
        state = "dry run: nothing was changed" if self.dry_run else (
            f"{display.number(self.applied)} applied")
        refused = f", {display.number(len(self.diff.blocking))} refused" if (
            self.diff.blocking) else ""
        return (f"Migration of {self.table}: {display.count(len(self.steps), 'step')}"
                f"{refused} ({state})")

    def __repr__(self) -> str:
        return f"<MigrationPlan {self.headline}>"

    def _repr_html_(self) -> str:
        """The headline, then each step (done or not) and each refused change."""
        rows = self.rows()
        columns = ["step", "what", "request"] + ([] if self.dry_run else ["done"])
        return display.card(self.headline, body=display.table(rows, columns) if rows else "")

    def __str__(self) -> str:
        lines = [f"migration of {self.table}: {len(self.steps)} step(s)"]
        lines += [f"  {n + 1}. {s.description}" for n, s in enumerate(self.steps)]
        lines += [f"  refused: {c.target}: {c.how}" for c in self.diff.blocking]
        return "\n".join(lines)


def _gsi_create(wanted: TableSchema, index: Index, live: dict[str, Any],
                keys_in_use: set[str]) -> dict[str, Any]:
    """The UpdateTable creating `index`, with the complete AttributeDefinitions.

    `keys_in_use`: the key attributes of the table and of every index that exists once this
    step is done. Every step sends them all: some servers (moto) replace the table's
    definitions with what UpdateTable sends, and DynamoDB refuses definitions no key uses.
    """
    create = _index_request(index)
    billing = live.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    if billing == "PROVISIONED" and "ProvisionedThroughput" in live:
        throughput = live["ProvisionedThroughput"]
        create["ProvisionedThroughput"] = {
            "ReadCapacityUnits": throughput.get("ReadCapacityUnits", 5),
            "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 5)}
    types = {d["AttributeName"]: d for d in live.get("AttributeDefinitions", [])}
    types.update({d["AttributeName"]: d for d in wanted.attribute_definitions()})
    definitions = [types[name] for name in sorted(keys_in_use) if name in types]
    return {"TableName": wanted.name, "AttributeDefinitions": definitions,
            "GlobalSecondaryIndexUpdates": [{"Create": create}]}


def _live_keys(live: dict[str, Any]) -> dict[str | None, set[str]]:
    """Key attribute names of the live table (under None) and of each of its indexes."""
    keys: dict[str | None, set[str]] = {
        None: {k["AttributeName"] for k in live.get("KeySchema", [])}}
    for entry in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for index in live.get(entry, []):
            keys[index["IndexName"]] = {k["AttributeName"] for k in index["KeySchema"]}
    return keys


def plan_steps(wanted: TableSchema, found: SchemaDiff, live: dict[str, Any],
               live_ttl: str | None) -> list[Step]:
    """The UpdateTable/UpdateTimeToLive requests for the in-place changes, in order."""
    steps: list[Step] = []
    indexes = {i.name: i for i in wanted.indexes}
    keys = _live_keys(live)  # what exists after each step, so each step's definitions are whole
    for change in found.changes:
        name = change.target.removeprefix("GSI ")
        if change.kind in ("remove_index", "change_index"):
            keys.pop(name, None)
            steps.append(Step(f"delete GSI {name}", "UpdateTable", {
                "TableName": wanted.name,
                "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": name}}]},
                f"index_gone:{name}"))
        if change.kind in ("add_index", "change_index"):
            keys[name] = set(indexes[name].key_names)
            steps.append(Step(f"create GSI {name} ({indexes[name].describe()})", "UpdateTable",
                              _gsi_create(wanted, indexes[name], live, set().union(
                                  *keys.values())), "active"))
        if change.kind == "ttl":
            if live_ttl:
                steps.append(Step(f"disable TTL on {live_ttl}", "UpdateTimeToLive", {
                    "TableName": wanted.name, "TimeToLiveSpecification": {
                        "Enabled": False, "AttributeName": live_ttl}}))
            if wanted.ttl_attribute:
                steps.append(Step(f"enable TTL on {wanted.ttl_attribute}", "UpdateTimeToLive", {
                    "TableName": wanted.name, "TimeToLiveSpecification": {
                        "Enabled": True, "AttributeName": wanted.ttl_attribute}}))
    return steps


def ensure_table(transport: Transport, target: Any, **options: Any) -> SchemaDiff:
    """Create the table if it is missing; otherwise its diff against the model."""
    if not exists(transport, _wanted(target).name):
        create_table(transport, target, **options)
    return diff(transport, target)


def migrate(transport: Transport, target: Any, *, dry_run: bool = False,
            timeout: float = 600.0) -> MigrationPlan:
    """Bring the live table in line with the model, one DynamoDB-allowed step at a time."""
    wanted = _wanted(target)
    found = diff(transport, target)
    if not found.exists:
        plan = MigrationPlan(wanted.name, found, [Step("create the table", "CreateTable",
                                                       wanted.create_table_request())])
        if not dry_run:
            create_table(transport, wanted)
            plan.applied, plan.dry_run = 1, False
        return plan
    live = transport.call("DescribeTable", {"TableName": wanted.name})["Table"]
    live_ttl = describe(transport, wanted.name).ttl_attribute
    plan = MigrationPlan(wanted.name, found, plan_steps(wanted, found, live, live_ttl))
    if dry_run:
        return plan
    if found.blocking:
        raise ValidationError(
            f"cannot migrate {wanted.name} in place:\n" + "\n".join(
                f"  {c.target}: {c.detail}; {c.how}" for c in found.blocking)
            + "\n(nothing was changed; migrate(..., dry_run=True) shows the plan)",
            table=wanted.name)
    plan.dry_run = False
    for step in plan.steps:
        transport.call(step.operation, step.params)
        if step.wait_for == "active":
            wait_active(transport, wanted.name, timeout=timeout)
        elif step.wait_for and step.wait_for.startswith("index_gone:"):
            _wait_index_gone(transport, wanted.name, step.wait_for.split(":", 1)[1], timeout)
        plan.applied += 1
    transport.forget_stats(wanted.name)
    return plan


def _wait_index_gone(transport: Transport, table: str, index: str, timeout: float) -> None:
    def gone() -> bool:
        description = transport.call("DescribeTable", {"TableName": table})["Table"]
        return index not in {g["IndexName"] for g in description.get("GlobalSecondaryIndexes",
                                                                       [])}

    poll_until(gone, what=f"GSI {index} of {table} still exists", table=table, timeout=timeout)
