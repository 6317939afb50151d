"""A headless JupyterLab owned by the test, and Debian's Chromium driven by Playwright.

JupyterLab runs on 127.0.0.1 on a free port, without a token, in a temporary root directory,
with its own (temporary) config, settings, workspaces and runtime directories so that
nothing of the user's setup leaks in. At teardown the server and every kernel it started are
stopped by process id: kernels run in their own sessions (jupyter_client starts them with
``start_new_session``), so they are looked up as children of the server first.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
STARTUP_TIMEOUT = 120.0
# Screenshots are part of the documentation (README and the docs site show them): every run
# of the browser tests takes them again, so they always show what the code does now.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# JupyterLab user settings for the run: no news or update checks (their notifications would
# cover the page), and every cell rendered (no windowing), so widgets are always in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False, "fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass
class Lab:
    url: str
    port: int
    root: Path
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer {url} within {STARTUP_TIMEOUT:.0f} s:\n"
                f"{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> list[int]:
    """Stop the server's process group and every descendant (kernels); returns survivors."""
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # the server shuts its kernels down itself
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    _gone, alive = psutil.wait_procs(descendants, timeout=10)
    for child in alive:  # a kernel the server did not stop: kill it by its own pid
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    _gone, alive = psutil.wait_procs(alive, timeout=10)
    return [p.pid for p in alive]


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium; run "
                    "`make test` (or `make chromium`), which installs it", pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1:<free port>, no token, rooted in a temporary directory."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    settings = base / "settings"
    for name, values in LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_DATA_DIR": str(base / "data"),  # the notebook-signing key goes here
        "IPYTHONDIR": str(base / "ipython"),
    }
    port = _free_port()
    log = base / "jupyter.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.token=", "--ServerApp.password=", "--allow-root",
               "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env, cwd=root,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/lab", process, log)
        yield Lab(url, port, root, process, log)
    finally:
        survivors = _stop(process)
        assert not survivors, f"processes survived JupyterLab's shutdown: {survivors}"


@pytest.fixture
def browser_page(chromium_path: Path) -> Iterator[Any]:
    """A fresh Chromium page (1400x1000)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path),
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            yield page
            context.close()
        finally:
            browser.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
