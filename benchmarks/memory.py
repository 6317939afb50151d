"""Peak memory of one read, in a process of its own: ``memory.py URL MODE COUNT``.

MODE fill creates and fills table ``bench_memory_<COUNT>`` on the server at URL (if it is
missing); parquet or pandas reads it whole with `Query.to_parquet` or `Query.to_pandas` and
prints the process's peak resident memory, in KB (``VmHWM`` of /proc/self/status: the peak of
this process image alone, where ``ru_maxrss`` would carry over the parent's from before the
exec; mode baseline prints it for the same process with the same imports, reading nothing)."""

from __future__ import annotations

import resource
import sys
import tempfile
from pathlib import Path

import data

import dynamorm_lab as dl


def main() -> int:
    url, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    conn = dl.connect(url, region="us-east-1", make_default=False)
    name = f"bench_memory_{count}"
    if mode == "fill":
        if not conn.table_exists(name):
            fill(conn, name, count)
        print(0)
        return 0
    query = dl.Query(conn.describe(name), scan=True).using(conn)
    import pandas  # noqa: F401 - the libraries are loaded before the baseline
    import pyarrow.json
    import pyarrow.parquet  # noqa: F401
    with tempfile.TemporaryDirectory() as folder:
        if mode == "baseline":
            pass
        elif mode == "parquet":
            report = query.to_parquet(Path(folder) / "out.parquet")
            assert report.rows == count, report
        else:
            assert len(query.to_pandas()) == count
    print(_peak_kb())
    return 0


def _peak_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is


def fill(conn: dl.Connection, name: str, count: int) -> None:
    conn.create_table(dl.TableSchema(name, dl.KeyAttribute("pk", "S"),
                                     dl.KeyAttribute("sk", "N")))
    for start in range(0, count, 20_000):
        chunk = data.generate(min(20_000, count - start), seed=start)
        for offset, item in enumerate(chunk):
            item["sk"] = start + offset
        conn.put_items(name, chunk, workers=4)


if __name__ == "__main__":
    sys.exit(main())
