"""Claim: no lost update. Concurrent writers through every write path end at the exact total.

4 threads x 50 increments each, on both servers (the embedded moto server serialises requests,
since moto's backend is not thread-safe; dynalite is strict and single-threaded):
- by update expression: `db.update`, `obj.update`, a `%%dynamo` UPDATE statement (through
  `dl.execute`, the function every cell runs), and a transaction's update;
- by optimistic locking: get, modify, `save()` and retry on VersionConflict; the same through a
  transaction's put with the version checked.
Every test ends at exactly 200 with no error, and (for versions) at version 201.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import dynamorm_lab as dl

pytestmark = pytest.mark.integration

THREADS, EACH = 4, 50


def hammer(work: Callable[[], None]) -> None:
    """Run `work` EACH times in each of THREADS threads; re-raise the first error."""
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def loop() -> None:
        start.wait()
        try:
            for _ in range(EACH):
                work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=loop) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]


def counter_model(db: dl.Connection, table_name: str, *, versioned: bool) -> Any:
    if versioned:
        class Versioned(dl.Model, table=table_name):
            k: str = dl.field(partition_key=True)
            n: int = 0
            version: int = dl.field(version=True)
        model: Any = Versioned
    else:
        class Counter(dl.Model, table=table_name):
            k: str = dl.field(partition_key=True)
            n: int = 0
        model = Counter
    db.create_table(model)
    db.save(model(k="c"))
    return model


def stored_n(db: dl.Connection, table: str) -> int:
    item = db.client.get_item(TableName=table, Key={"k": {"S": "c"}}, ConsistentRead=True)
    return int(item["Item"]["n"]["N"])


def test_update_expressions_by_db_update_lose_nothing(db: dl.Connection,
                                                      table_name: str) -> None:
    Counter = counter_model(db, table_name, versioned=False)
    hammer(lambda: db.update(Counter, Counter.n.set(Counter.n + 1), key="c"))
    assert stored_n(db, table_name) == THREADS * EACH


def test_update_expressions_on_objects_lose_nothing(db: dl.Connection, table_name: str) -> None:
    Counter = counter_model(db, table_name, versioned=False)

    def bump() -> None:
        Counter(k="c").update(Counter.n.set(Counter.n + 1), connection=db)

    hammer(bump)
    assert stored_n(db, table_name) == THREADS * EACH


def test_partiql_update_statements_lose_nothing(db: dl.Connection, table_name: str) -> None:
    counter_model(db, table_name, versioned=False)
    statement = f'UPDATE "{table_name}" SET n = n + 1 WHERE k = \'c\''
    hammer(lambda: dl.execute(statement, db))
    assert stored_n(db, table_name) == THREADS * EACH


def test_optimistic_locking_loses_nothing(db: dl.Connection, table_name: str) -> None:
    Versioned = counter_model(db, table_name, versioned=True)
    conflicts: list[int] = []

    def bump() -> None:
        while True:
            obj = db.get(Versioned, "c", consistent=True)
            obj.n += 1
            try:
                db.save(obj)
                return
            except dl.VersionConflict:
                conflicts.append(1)

    hammer(bump)
    stored = db.get(Versioned, "c", consistent=True)
    assert (stored.n, stored.version) == (THREADS * EACH, THREADS * EACH + 1)


@pytest.mark.needs("transactions")
def test_transactions_lose_nothing(db: dl.Connection, table_name: str) -> None:
    Versioned = counter_model(db, table_name, versioned=True)

    def bump() -> None:
        while True:
            obj = db.get(Versioned, "c", consistent=True)
            obj.n += 1
            try:
                with db.transaction() as tx:
                    tx.put(obj)
                return
            except (dl.TransactionCancelled, dl.VersionConflict):
                continue

    hammer(bump)
    stored = db.get(Versioned, "c", consistent=True)
    assert (stored.n, stored.version) == (THREADS * EACH, THREADS * EACH + 1)
