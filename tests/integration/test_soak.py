"""A bounded soak: six threads read and write a few versioned counters for half a minute.

Each increment reads a counter (consistent GetItem), adds one and saves it with optimistic
locking; on VersionConflict the thread re-reads and tries again (at most MAX_TRIES times).
Other operations query the counters' partition, scan it in pages and read single counters,
checking an invariant every item must satisfy at any moment (version == value + 1: both
start at 0/1 and every save moves both by one). At the end:

- no lost update: each counter's value equals the increments the threads recorded as
  successful, and each version from 2 to the final one was won by exactly one save;
- no unexpected error (anything but VersionConflict fails the test);
- bounded memory: the process's resident memory after a warm-up grows by less than
  MEMORY_BOUND (on moto the server runs in this process too, so its memory counts).

Loopback only (the suite's own server), bounded in time and in operations, stops by itself.
DYNAMORM_SOAK_SECONDS sets the duration (default 30; set it higher for a longer soak).
"""

from __future__ import annotations

import gc
import os
import random
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

import dynamorm_lab as dl

pytestmark = pytest.mark.integration

DURATION = float(os.environ.get("DYNAMORM_SOAK_SECONDS", "30"))
THREADS = 6
COUNTERS = 8
MAX_TRIES = 100  # re-reads after VersionConflict before an increment is given up
MAX_OPERATIONS = 200_000  # per thread, whatever the duration: the loop always ends
MEMORY_BOUND = 64 * 1024 * 1024  # bytes of RSS growth allowed after the warm-up


def make_counter(table: str) -> Any:
    class SoakCounter(dl.Model, table=table):
        group: str = dl.field(partition_key=True)
        name: str = dl.field(sort_key=True)
        value: int = 0
        version: int = dl.field(version=True)

    return SoakCounter


@pytest.fixture
def counters(server: Any) -> Iterator[tuple[Any, list[dl.Connection]]]:
    """The counters' table and two connections the six threads share (three each)."""
    connections = [dl.connect(server.endpoint_url, make_default=False) for _ in range(2)]
    Counter_ = make_counter(f"soak_{uuid.uuid4().hex[:10]}")
    connections[0].create_table(Counter_)
    for n in range(COUNTERS):
        connections[0].create(Counter_(group="g", name=f"c{n}"))
    yield Counter_, connections
    connections[0].delete_table(Counter_)
    for conn in connections:
        conn.close()


class Tally:
    """What the threads did, recorded under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.increments: Counter[str] = Counter()
        self.versions_won: list[tuple[str, int]] = []
        self.conflicts = 0
        self.given_up = 0
        self.reads = 0
        self.errors: list[str] = []
        self.broken: list[str] = []

    def won(self, name: str, version: int) -> None:
        with self.lock:
            self.increments[name] += 1
            self.versions_won.append((name, version))

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)


def check_items(items: list[Any], tally: Tally, where: str) -> None:
    for item in items:
        if item.version != item.value + 1:
            with tally.lock:
                tally.broken.append(f"{where}: {item.name} value={item.value} "
                                    f"version={item.version}")


def worker(seed: int, Counter_: Any, conn: dl.Connection, deadline: float,
           tally: Tally) -> None:
    rng = random.Random(seed)
    for _operation in range(MAX_OPERATIONS):
        if time.monotonic() >= deadline:
            return
        try:
            choice = rng.random()
            if choice < 0.6:
                increment(rng, Counter_, conn, tally)
            elif choice < 0.8:
                found = Counter_.query(Counter_.group == "g").using(conn).all()
                if len(found) != COUNTERS:
                    tally.broken.append(f"query returned {len(found)} counters")
                check_items(list(found), tally, "query")
                tally.add(reads=1)
            elif choice < 0.9:
                pages = list(Counter_.scan().using(conn).page_size(3).pages())
                items = [item for page in pages for item in page.items]
                if sorted(i.name for i in items) != sorted(f"c{n}" for n in range(COUNTERS)):
                    tally.broken.append(f"scan returned {sorted(i.name for i in items)}")
                check_items(items, tally, "scan")
                tally.add(reads=1)
            else:
                one = Counter_.get("g", f"c{rng.randrange(COUNTERS)}", connection=conn)
                check_items([one], tally, "get")
                tally.add(reads=1)
        except Exception:
            with tally.lock:
                tally.errors.append(traceback.format_exc(limit=4))
            if len(tally.errors) > 20:
                return


def increment(rng: random.Random, Counter_: Any, conn: dl.Connection, tally: Tally) -> None:
    name = f"c{rng.randrange(COUNTERS)}"
    for _try in range(MAX_TRIES):
        current = Counter_.get("g", name, consistent=True, connection=conn)
        current.value += 1
        try:
            conn.save(current)
        except dl.VersionConflict:
            tally.add(conflicts=1)
            continue
        tally.won(name, current.version)
        return
    tally.add(given_up=1)


def rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def test_concurrent_optimistic_increments_lose_nothing_and_memory_stays_bounded(
        counters: tuple[Any, list[dl.Connection]],
        record_property: Any) -> None:
    Counter_, connections = counters
    tally = Tally()
    started = time.monotonic()
    deadline = started + DURATION
    threads = [threading.Thread(target=worker, name=f"soak-{n}", daemon=True,
                                args=(n, Counter_, connections[n % 2], deadline, tally))
               for n in range(THREADS)]
    for thread in threads:
        thread.start()

    warm_up = min(max(DURATION * 0.25, 2.0), 20.0)
    time.sleep(warm_up)
    after_warm_up = rss()
    peak = after_warm_up
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline + 60:
        time.sleep(1.0)
        peak = max(peak, rss())
    for thread in threads:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in threads), "a worker did not stop"
    at_end = rss()
    elapsed = time.monotonic() - started

    for name, value in (("increments", sum(tally.increments.values())),
                        ("conflicts", tally.conflicts), ("reads", tally.reads),
                        ("given_up", tally.given_up), ("seconds", round(elapsed, 1)),
                        ("rss_growth_mb", round((peak - after_warm_up) / 2**20, 1))):
        record_property(name, value)

    assert not tally.errors, f"{len(tally.errors)} unexpected error(s):\n" + "\n".join(
        tally.errors[:3])
    assert not tally.broken, tally.broken[:5]
    assert sum(tally.increments.values()) >= 50, "too little load to prove anything"
    assert tally.reads >= 20

    # No lost update: what the server holds is exactly what the threads were told they did.
    stored = {item["name"]["S"]: item for item in connections[0].client.query(
        TableName=Counter_.__table__, KeyConditionExpression="#g = :g",
        ExpressionAttributeNames={"#g": "group"}, ExpressionAttributeValues={":g": {"S": "g"}},
        ConsistentRead=True)["Items"]}
    assert len(stored) == COUNTERS
    for name, item in sorted(stored.items()):
        value, version = int(item["value"]["N"]), int(item["version"]["N"])
        assert value == tally.increments[name], (name, value, tally.increments[name])
        assert version == value + 1
    won = Counter(tally.versions_won)
    twice = [key for key, count in won.items() if count > 1]
    assert not twice, f"versions won by two writers: {twice[:5]}"
    expected = {(name, v) for name, n in tally.increments.items() for v in range(2, n + 2)}
    assert set(won) == expected

    growth = peak - after_warm_up
    assert growth < MEMORY_BOUND, (
        f"resident memory grew by {growth / 2**20:.1f} MiB after the warm-up "
        f"({after_warm_up / 2**20:.0f} -> peak {peak / 2**20:.0f} MiB, "
        f"{at_end / 2**20:.0f} MiB at the end)")
