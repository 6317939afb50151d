"""What the browser tests do in JupyterLab the way a person does: open a notebook, run it from
the menu, watch for errors, and take screenshots."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CELL_WAIT = 200_000  # ms: kernel start, loading a sample, every cell's output (2 busy cores)

# Console errors that are JupyterLab's own and unrelated to the library; each needs a reason.
# (None are known: the run is expected to be free of console errors.)
IGNORED_CONSOLE_ERRORS: list[re.Pattern[str]] = []


@dataclass
class Watch:
    """Console errors, page errors and dialogs seen on a page (dialogs are dismissed)."""

    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> Watch:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        page.on("dialog", self._dialog)
        return self

    def _console(self, message: Any) -> None:
        if message.type == "error" and not any(
                p.search(message.text) for p in IGNORED_CONSOLE_ERRORS):
            self.console_errors.append(f"console: {message.text} ({message.location})")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def assert_quiet(self, page: Any) -> None:
        page.wait_for_timeout(500)  # let late console messages and dialogs arrive
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.console_errors == [], "\n".join(self.console_errors)


def open_notebook(page: Any, url: str, cells: int) -> None:
    """Open a notebook alone (``?reset``: no documents restored from an earlier page's
    workspace) and wait for its kernel to be idle."""
    from playwright.sync_api import expect

    page.goto(f"{url}?reset")
    expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(cells, timeout=CELL_WAIT)
    expect(page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')).to_be_visible(
        timeout=CELL_WAIT)


def run_all_cells(page: Any) -> None:
    """Run > Run All Cells, from the menu bar, once the kernel is connected (a Run All sent
    while the kernel is still starting can be dropped after the first cell)."""
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                && panel.sessionContext.session.kernel;
            return kernel && kernel.connectionStatus === "connected" && kernel.status === "idle";
        }""", timeout=CELL_WAIT)
    page.locator(".lm-MenuBar-itemLabel").get_by_text("Run", exact=True).click()
    page.locator(".lm-Menu").get_by_text("Run All Cells", exact=True).click()


def wait_until_all_ran(page: Any, code_cells: int) -> None:
    """Wait until every code cell shows an execution count and the kernel is idle; fail at
    once on a cell error, or when the kernel sits idle for 30 s with cells not run."""
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt")
    idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
    deadline = time.monotonic() + CELL_WAIT / 1000
    done, stalled_since = -1, None
    while time.monotonic() < deadline:
        errors = page.locator('[data-mime-type="application/vnd.jupyter.error"]')
        if errors.count():
            raise AssertionError(f"a cell failed:\n{errors.first.inner_text()}")
        texts = prompts.all_inner_texts()
        done = sum(bool(re.fullmatch(r"\[\d+\]:", t.strip())) for t in texts)
        waiting = sum(t.strip() == "[*]:" for t in texts)
        if done == code_cells and idle.count():
            return
        if waiting or not idle.count():
            stalled_since = None
        elif stalled_since is None:
            stalled_since = time.monotonic()
        elif time.monotonic() - stalled_since > 30:
            raise AssertionError(f"the kernel is idle with {code_cells - done} of "
                                 f"{code_cells} cells not run")
        page.wait_for_timeout(250)
    raise AssertionError(f"the notebook did not finish in time ({done} of {code_cells} ran)")


def screenshot(page: Any, element: Any, path: Path) -> None:
    """A screenshot of the whole element (the viewport grows to hold it, then is restored)."""
    size = page.viewport_size
    height = element.bounding_box()["height"]
    if height + 200 > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": int(height) + 400})
        page.wait_for_timeout(300)
    element.scroll_into_view_if_needed()
    element.screenshot(path=str(path))
    page.set_viewport_size(size)
    assert path.stat().st_size > 1000


def notebook_screenshot(page: Any, path: Path) -> None:
    """The whole open notebook, top to bottom: the viewport is made tall enough for every
    cell (up to 16,000 px), the picture is cut at the last cell, then the size is restored."""
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    notebook = page.locator(f"{panel} .jp-Notebook").first
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 16_000})
    page.wait_for_timeout(800)
    page.evaluate("""(selector) => {
        for (const n of document.querySelectorAll(selector)) n.scrollTop = 0;
    }""", f"{panel} .jp-Notebook, {panel} .jp-WindowedPanel-outer")
    page.wait_for_timeout(300)
    box = notebook.bounding_box()
    last = page.locator(f"{panel} .jp-Notebook .jp-Cell").last.bounding_box()
    bottom = min(last["y"] + last["height"] + 16, box["y"] + box["height"])
    page.screenshot(path=str(path), clip={"x": box["x"], "y": box["y"], "width": box["width"],
                                          "height": bottom - box["y"]})
    page.set_viewport_size(size)
    assert path.stat().st_size > 1000


def shut_down_kernels(page: Any) -> None:
    """Close every document and stop every kernel the page's JupyterLab started (the next
    test starts clean, with both cores free)."""
    page.evaluate("""async () => {
        await window.jupyterapp.commands.execute("application:close-all");
        await window.jupyterapp.serviceManager.sessions.shutdownAll();
    }""")
