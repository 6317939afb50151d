"""The report: one Markdown table per case (medians and ratios), and a header saying where
and with what the numbers were taken."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata

from measure import Contender, ratio
from servers import ROOT

_SCALE = {"s": 1.0, "ms": 1e3, "µs": 1e6, "MB": 1.0}
PACKAGES = ("dynamorm_lab", "boto3", "botocore", "pynamodb", "awswrangler", "pyarrow", "pandas",
            "numpy")


@dataclass
class Case:
    """A benchmark case: what is measured, by whom, and how to show it."""

    key: str
    title: str
    description: str
    contenders: list[Contender]
    baseline: str = "boto3 client"
    unit: str = "s"
    cpu: bool = True  # a client CPU column (the work happens in this process or its children)
    notes: list[str] = field(default_factory=list)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    scaled = value * _SCALE[unit]
    digits = 0 if scaled >= 100 else 1 if scaled >= 10 else 2
    return f"{scaled:,.{digits}f} {unit}"


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _both(cpu: float | None, wall: float | None, with_cpu: bool) -> str:
    if not with_cpu:
        return _times(wall)
    if cpu is None and wall is None:
        return "—"
    return f"{_times(cpu)} ({_times(wall)})"


def render_case(case: Case) -> str:
    base = next((c for c in case.contenders if c.tool == case.baseline), None)
    lines = [f"### ({case.key}) {case.title}", "", case.description, ""]
    if case.cpu:
        lines += [f"| tool | client CPU | wall | CPU vs {case.baseline} | wall vs "
                  f"{case.baseline} |", "|---|---:|---:|---:|---:|"]
    else:
        lines += [f"| tool | median | vs {case.baseline} |", "|---|---:|---:|"]
    for c in case.contenders:
        name = f"**{c.tool}**" if c.ours else c.tool
        if c.error is not None:
            width = 4 if case.cpu else 2
            lines.append(f"| {name} | failed: {c.error} |" + " |" * (width - 1))
            continue
        wall_ratio = ratio(c.wall, base.wall) if base else None
        if case.cpu:
            cpu_ratio = ratio(c.cpu, base.cpu) if base else None
            lines.append(f"| {name} | {_fmt(c.cpu, case.unit)} | {_fmt(c.wall, case.unit)} | "
                         f"{_times(cpu_ratio)} | {_times(wall_ratio)} |")
        else:
            lines.append(f"| {name} | {_fmt(c.wall, case.unit)} | {_times(wall_ratio)} |")
    ours = [c for c in case.contenders if c.ours and c.error is None]
    others = [c for c in case.contenders
              if not c.ours and not c.reference and c.error is None]
    if ours and others and [o.tool for o in others] != [case.baseline]:
        what = ("client CPU ratio (wall ratio in parentheses)" if case.cpu else "time ratio")
        lines += ["", f"dynamorm_lab against each tool, {what}; below 1 means dynamorm_lab "
                  "takes less:", "",
                  "| dynamorm_lab | " + " | ".join(f"vs {o.tool}" for o in others) + " |",
                  "|---|" + "---:|" * len(others)]
        for mine in ours:
            cells = [_both(ratio(mine.cpu, o.cpu), ratio(mine.wall, o.wall), case.cpu)
                     for o in others]
            lines.append(f"| {mine.tool} | " + " | ".join(cells) + " |")
    if case.notes:
        lines += [""] + [f"- {note}" for note in case.notes]
    return "\n".join(lines) + "\n"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _node_versions() -> tuple[str, str]:
    try:
        node = subprocess.run(["node", "--version"], capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        node = "unknown"
    package = ROOT / "tools" / "node_modules" / "dynalite" / "package.json"
    try:
        dynalite = str(json.loads(package.read_text())["version"])
    except (OSError, ValueError, KeyError):
        dynalite = "unknown"
    return node, dynalite


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1-minute load average (other work on the machine makes wall times noisier)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def header(*, quick: bool, items: int, repeats: str, elapsed: float, load: str) -> str:
    node, dynalite = _node_versions()
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    mode = "`--quick`, a smoke run: small sizes, few repeats" if quick else "full run"
    return "\n".join([
        "# dynamorm_lab benchmarks",
        "",
        f"Written by `benchmarks/run.py` ({mode}) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; the whole suite took {elapsed:.0f} s. "
        f"1-minute load average at the start and the end: {load}.",
        "",
        f"- Machine: {os.cpu_count()} cores ({_cpu_model()}), {platform.platform()}",
        f"- Python {platform.python_version()} ({sys.implementation.name}); node {node}, "
        f"dynalite {dynalite} (in memory, on 127.0.0.1, started by the suite)",
        f"- Packages: {versions}",
        f"- Data: {items:,} generated items (seeded), 14 attributes each: S, N (int, 2-place "
        "and 11-place decimals), BOOL, S-or-NULL, SS, NS, L, a nested M holding a NULL, B",
        f"- Each figure is the median of {repeats} interleaved repeats (order rotated each "
        "repeat) after an untimed warm-up that also checks the output, unless the case says "
        "otherwise. Ratios divide medians; below 1 means less time than the tool compared "
        "with. Client CPU is `time.process_time()` of this process (all its threads); the "
        "server's CPU is not in it. Absolute times are this machine's; compare the ratios.",
        "",
    ])
