"""dynamorm_lab against boto3, PynamoDB and awswrangler, side by side on identical data.

    make bench                              # the full suite (about 8 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick           # a smoke run: small sizes
    .venv/bin/python benchmarks/run.py --only c,d        # some cases only
    .venv/bin/python benchmarks/run.py --profile         # also: cProfile of dl's scan path

Writes benchmarks/RESULTS.md and prints the same tables. Benchmarks are not tests: nothing
here fails `make test`. The server cases start dynalite (tools/, installed by `make test` and
`make bench`) on a free loopback port and stop it at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import cases
import data
import rates
import servers
from report import Case, header, load_average, render_case

import dynamorm_lab as dl

HERE = Path(__file__).resolve().parent
ALL_CASES = ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")


def _local_aws_environment() -> None:
    """Dummy credentials and a region for every client in this process (all of them talk to
    the local dynalite only); no profile lookups, no instance-metadata calls."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
                      AWS_DEFAULT_REGION=cases.REGION, AWS_REGION=cases.REGION,
                      AWS_EC2_METADATA_DISABLED="true")


class _Progress:
    """Prints each case's tables as soon as it is done, with the time the case took."""

    def __init__(self) -> None:
        self.results: list[Case] = []
        self._since = time.perf_counter()

    def add(self, *done: Case) -> None:
        for case in done:
            print(render_case(case), flush=True)
            self.results.append(case)
        self.mark("")

    def mark(self, what: str) -> None:
        now = time.perf_counter()
        print(f"[{what}{' ' if what else ''}{now - self._since:.0f} s]\n", flush=True)
        self._since = now


def _profile_scan(server: cases.Server, top: int = 25) -> str:
    """cProfile of one dynamorm_lab scan to a DataFrame (dicts, then the model path)."""
    schema = server.conn.describe(data.READ_TABLE)
    scan = dl.Query(schema, scan=True).as_dicts().using(server.conn).allow_scan()
    model = data.Item.scan().using(server.conn).allow_scan()
    runs: dict[str, Callable[[], object]] = {
        "Query(schema, scan=True).to_pandas()": scan.to_pandas,
        "Item.scan().to_pandas()": model.to_pandas,
    }
    out = io.StringIO()
    for title, run in runs.items():
        profiler = cProfile.Profile()
        profiler.runcall(run)
        out.write(f"\n## cProfile: {title}\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats (a smoke run)")
    parser.add_argument("--only", default=",".join(ALL_CASES),
                        help="comma-separated cases to run (default: all of a,b,c,d,e,f,g,h,i,j)")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of dynamorm_lab's scan path (not in RESULTS.md)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md",
                        help="where to write the Markdown report")
    args = parser.parse_args(argv)
    wanted = {c.strip() for c in args.only.split(",") if c.strip()}
    if wanted - set(ALL_CASES):
        parser.error(f"unknown case(s): {', '.join(sorted(wanted - set(ALL_CASES)))}")

    started, load_at_start = time.perf_counter(), load_average()
    _local_aws_environment()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    # awswrangler warns on every full Scan, which is the point of cases (c) and (d)
    warnings.filterwarnings("ignore", message="Attempting DynamoDB Scan", category=UserWarning)
    sizes = cases.QUICK if args.quick else cases.FULL
    items = data.generate(sizes.items)
    wire = data.to_wire(items)
    print(f"{sizes.items:,} items generated; running case(s) {', '.join(sorted(wanted))}\n",
          flush=True)

    progress = _Progress()
    if "a" in wanted:
        progress.add(cases.decode_case(wire, sizes))
    if "b" in wanted:
        progress.add(cases.encode_case(items, sizes))
    if "g" in wanted:
        progress.add(cases.plan_case(sizes))
    if "f" in wanted:
        progress.add(cases.import_case(sizes))
    profile = ""
    sections: list[str] = []
    if wanted & {"c", "d", "e", "h", "i", "j"} or args.profile:
        with servers.dynalite() as url:
            server = cases.Server.open(url)
            server.load(wire)
            progress.mark(f"dynalite at {url}: {sizes.items:,} items loaded in")
            if "c" in wanted:
                progress.add(cases.scan_case(server, sizes, segments=1))
            if "d" in wanted:
                progress.add(cases.scan_case(server, sizes, segments=4, warm="c" in wanted))
            if "e" in wanted:
                progress.add(*cases.batch_case(server, items, sizes))
            if "h" in wanted:
                progress.add(cases.bulk_write_case(server, items, sizes))
            if "i" in wanted:
                progress.add(cases.export_memory_case(url, sizes))
            if "j" in wanted:
                sections.append(rates.rate_section(url, seconds=5 if args.quick else 30))
                progress.mark("rate limits measured in")
            if args.profile:
                profile = _profile_scan(server)
            server.conn.close()

    elapsed = time.perf_counter() - started
    if profile:
        print(profile)
    if not progress.results and not sections:
        print(f"no case ran; {args.out} left as it was ({elapsed:.0f} s)")
        return 0
    results = sorted(progress.results, key=lambda case: case.key)
    repeats = f"{sizes.repeats} (in memory) or {sizes.server_repeats} (with the server)"
    text = header(quick=args.quick, items=sizes.items, repeats=repeats, elapsed=elapsed,
                  load=f"{load_at_start} and {load_average()}")
    text += "\n" + "\n".join([*(render_case(case) for case in results), *sections])
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
