"""A local dynalite server for the benchmarks: started on a free loopback port, stopped by pid.

dynalite is installed under ``tools/`` by ``make test`` (and ``make bench``). It runs in its
own process group, so stopping it also stops anything it started, and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DYNALITE = ROOT / "tools" / "node_modules" / ".bin" / "dynalite"
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dynalite exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"dynalite did not listen on {HOST}:{port} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (its id is the server's pid), then reap it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextlib.contextmanager
def dynalite(timeout: float = 30.0) -> Iterator[str]:
    """Run dynalite (in memory) for the duration of the block; yields its endpoint URL."""
    if not DYNALITE.exists():
        raise RuntimeError(f"{DYNALITE.relative_to(ROOT)} is missing: run `make bench` (it "
                           "installs dynalite under tools/) or `cd tools && npm ci`")
    port = free_port()
    command = ["node", str(DYNALITE), "--host", HOST, "--port", str(port),
               "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_port(port, proc, timeout)
        yield f"http://{HOST}:{port}"
    finally:
        _stop(proc)
