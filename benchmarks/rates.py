"""Rate limits measured under throttling (section (j) of RESULTS.md).

Writes go through the suite's fault proxy (tests/faults.py: a plain HTTP proxy, no botocore
code touched) in front of dynalite:

- fixed: `put_items(rate=R)` for about 30 s while the proxy leaves a tenth of every
  BatchWriteItem's items unprocessed; the achieved rate (write units the responses reported,
  per second) against R, and every item read back;
- adaptive: `put_items(rate="adaptive")` on a table whose capacity is provisioned, while the
  proxy answers a third of the requests with ProvisionedThroughputExceededException during
  the first 10 s and nothing after; the limit's lowest point and where it ends.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import data
from servers import ROOT

import dynamorm_lab as dl

sys.path.insert(0, str(ROOT / "tests"))
from faults import FaultProxy


def _rows(count: int, prefix: str) -> list[dict[str, Any]]:
    items = data.generate(count)
    for item in items:
        item["pk"] = f"{prefix}{item['pk']}"
    return items


def _table(conn: dl.Connection, name: str, capacity: int | None = None) -> None:
    if conn.table_exists(name):
        conn.delete_table(name)
    options: dict[str, Any] = {}
    if capacity is not None:
        options = {"billing": "PROVISIONED", "read_capacity": capacity,
                   "write_capacity": capacity}
    conn.create_table(dl.TableSchema(name, dl.KeyAttribute("pk", "S"),
                                     dl.KeyAttribute("sk", "N")), **options)


def rate_section(url: str, *, seconds: float = 30.0, limit: float = 400.0) -> str:
    conn = dl.connect(url, region="us-east-1", make_default=False)
    lines = ["### (j) Rate limits under throttling", "", __doc__.split("\n\n", 1)[1].strip(),
             ""]
    with FaultProxy(url, seed=3) as proxy:
        through = dl.connect(proxy.url, region="us-east-1", make_default=False)
        # fixed: enough items for `seconds` at the limit (dynalite reports ~1 unit an item)
        _table(conn, "bench_rate_fixed")
        probe = through.put_items("bench_rate_fixed", _rows(200, "probe"))
        per_item = probe.capacity / max(probe.written, 1)
        count = int(limit * seconds / max(per_item, 0.01))
        proxy.unprocess("BatchWriteItem", 0.1, times=None)
        started = time.perf_counter()
        report = through.put_items("bench_rate_fixed", _rows(count, "r"), rate=limit)
        elapsed = time.perf_counter() - started
        proxy.clear()
        limiter = report.limiter
        assert limiter is not None
        achieved = limiter.spent / elapsed  # what the responses reported, per second
        stored = conn.count(dl.Query(conn.describe("bench_rate_fixed"), scan=True)
                            .allow_scan()) - 200
        steady = [units for second, units in limiter.per_second() if second > 0]
        lines += ["| fixed limit | items | seconds | achieved (units/s) | vs limit | items "
                  "stored | unprocessed retried |", "|---:|---:|---:|---:|---:|---:|---:|",
                  f"| {limit:g} | {count:,} | {elapsed:.1f} | {achieved:.0f} | "
                  f"{achieved / limit:.2f}x | {stored:,} | {report.retried:,} |", "",
                  f"Per second after the first: {min(steady):.0f} to {max(steady):.0f} units "
                  f"(the first second may take a second's worth at once).", ""]

        # adaptive: throttled for the first 10 s, clear after
        _table(conn, "bench_rate_adaptive", capacity=1_000)
        proxy.error("BatchWriteItem", 400, "ProvisionedThroughputExceededException",
                    times=None, probability=0.33)
        threading.Timer(10.0, proxy.clear).start()
        started = time.perf_counter()
        report = through.put_items("bench_rate_adaptive", _rows(12_000, "a"), rate="adaptive",
                                   workers=2)
        elapsed = time.perf_counter() - started
        limiter = report.limiter
        assert limiter is not None
        history = limiter.history
        lowest = min(rate for _t, rate in history)
        after = [rate for t, rate in history if t > 10.0]
        stored = conn.count(dl.Query(conn.describe("bench_rate_adaptive"), scan=True)
                            .allow_scan())
        lines += ["| adaptive | start | lowest (while throttled) | highest after the "
                  "throttling stopped | throttled answers | items | stored | seconds |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|",
                  f"| ceiling {limiter.ceiling:g} | {history[0][1]:.0f} | {lowest:.1f} | "
                  f"{max(after) if after else float('nan'):.0f} | {limiter.throttles} | 12,000 | "
                  f"{stored:,} | {elapsed:.1f} |", ""]
        through.close()
    conn.close()
    return "\n".join(lines) + "\n"
