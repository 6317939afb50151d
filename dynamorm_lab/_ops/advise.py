"""The index advisor over a connection: the workload's plans with what the connection knows
of each table (DescribeTable and its sample, read once), the proposals of `_core.advisor`,
and for each table the migration that would create them (a dry run, ready to apply).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._core import advisor as _advisor
from .._core import display
from .._core.query import Query
from ..errors import ValidationError
from ..frames import table_frame
from .migrate import MigrationPlan, migrate
from .samples import SAMPLE, basis, held_profile
from .transport import Transport

__all__ = ["Advice", "advise"]


@dataclass(frozen=True)
class Advice(_advisor.Advice):
    """Proposed GSIs (`proposals`, `to_pandas()`), the model code that declares them
    (`model_code()`), and per table the migration that creates them (`migrations`, a dry
    run: apply it with ``db.migrate(advice.schemas[table])``)."""

    migrations: Mapping[str, MigrationPlan] = field(default_factory=dict)

    def to_pandas(self) -> Any:
        return table_frame(self.rows(), columns=list(_advisor.COLUMNS))

    def _repr_html_(self) -> str:
        """The summary, each proposed index with its trade-off, the model code, and each
        migration (a dry run)."""
        body = ""
        if self.proposals:
            body = display.table(self.rows(), _advisor.COLUMNS, labels=_LABELS)
            body += f"<pre>{html.escape(self.model_code())}</pre>"
        body += "".join(m._repr_html_() for m in self.migrations.values())
        return display.card(self.summary(), body=body)


_LABELS = {"partition_key": "partition key", "sort_key": "sort key",
           "predicted_rcu_now": "read units now", "predicted_rcu_with_index":
           "read units with it", "read_savings_rcu": "read units saved", "index_items":
           "index items", "storage_bytes": "bytes stored",
           "write_units_per_item_written": "write units per item written"}


def advise(transport: Transport, queries: Sequence[Query]) -> Advice:
    """Propose GSIs for `queries` (see `_core.advisor`): each table's figures and sample are
    read first (once per connection) so the trade-offs have numbers."""
    if not queries:
        raise ValidationError("advise() needs queries: pass some, or run some first (the "
                              "connection remembers what it read)")
    for query in queries:
        if not isinstance(query, Query):
            raise ValidationError(f"advise() takes queries (Model.query(...), dl.Query(...)); "
                                  f"for %%dynamo statements use dl.advise(text), got "
                                  f"{query!r:.60}")
    tables = list(dict.fromkeys(q.schema.name for q in queries))
    for table in tables:
        transport.table_stats(table)
        held_profile(transport, table, sample=SAMPLE)
    bases = {table: basis(transport, table) for table in tables}
    found = _advisor.advise([q.plan_request(basis=bases[q.schema.name]) for q in queries],
                            bases)
    proposed = {p.table for p in found.proposals}
    migrations = {table: migrate(transport, schema, dry_run=True)
                  for table, schema in found.schemas.items() if table in proposed}
    return Advice(found.proposals, found.shown, found.before, found.after, found.schemas,
                  names_of(queries), migrations)


def names_of(queries: Sequence[Query]) -> Mapping[str, str]:
    """Attribute names to the Python field names of the queries' models (for model code)."""
    names: dict[str, str] = {}
    for query in queries:
        if query.model is not None:
            for f in query.model.__dynamorm_fields__.values():
                names.setdefault(f.attr_name, f.py_name)
    return names
