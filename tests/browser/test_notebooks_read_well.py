"""Every example notebook, run in a real JupyterLab in Chromium, reads like a product: no red
stderr box, no raw repr, no NaN, no test marker; and the magic helps in the cell (``--help``,
Tab completion of table and attribute names through the kernel's ``complete_request``).

Each notebook is copied without its stored outputs, run from the menu (Run > Run All Cells) in
a fresh kernel, checked, and photographed whole into docs/screenshots/<notebook>.png, the
pictures the README and the docs site show.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from lab_ui import (
    Watch,
    notebook_screenshot,
    open_notebook,
    run_all_cells,
    shut_down_kernels,
    wait_until_all_ran,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))

# What a person should never see in an output: a library object's raw repr, Python's default
# repr, a dict of reports, a missing value shown as NaN/None in a table, or a test marker.
RAW_REPR = re.compile(
    r"<(WriteReport|StatementResult|Plan|MigrationPlan|SchemaDiff|BackfillReport|ExportReport"
    r"|TableDescription|Transaction\w*|Connection|SampleLoad|Advice)\b"
    r"|object at 0x[0-9a-f]+|\{'[^']+': <")
MISSING_SHOWN = re.compile(r"\bNaN\b|\bnan\b|<NA>")
TEST_MARKERS = re.compile(r"NBVAL|nbval")


def _without_outputs(source: Path, folder: Path) -> tuple[Path, int, int]:
    """A copy of the notebook as a person gets it before running: no outputs, no counts."""
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    target = folder / source.name
    nbformat.write(notebook, target)
    code = sum(cell.cell_type == "code" and bool(cell.source.strip())  # empty ones never run
               for cell in notebook.cells)
    return target, len(notebook.cells), code


def _outputs_text(page: Any) -> str:
    return "\n".join(page.locator(".jp-Notebook .jp-OutputArea").all_inner_texts())


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_example_notebook_reads_well(source: Path, lab: Any, browser_page: Any,
                                     screenshots: Path) -> None:
    page = browser_page
    watch = Watch().attach(page)
    folder = lab.root / "examples"
    folder.mkdir(exist_ok=True)
    copy, cells, code_cells = _without_outputs(source, folder)
    open_notebook(page, f"{lab.url}/lab/tree/examples/{copy.name}", cells)
    try:
        run_all_cells(page)
        wait_until_all_ran(page, code_cells)
        page.wait_for_timeout(1000)  # late displays (progress bars closing, plots)

        stderr = page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
        assert stderr.count() == 0, f"a red stderr box: {stderr.first.inner_text()[:500]}"
        shown = _outputs_text(page)
        assert not RAW_REPR.search(shown), f"a raw repr: {RAW_REPR.search(shown)}"
        missing = MISSING_SHOWN.search(shown)
        assert not missing, f"a missing value shown as {missing.group()!r}"
        everything = page.locator(".jp-Notebook").inner_text()
        assert not TEST_MARKERS.search(everything), "a test marker in the notebook"
        notebook_screenshot(page, screenshots / f"{source.stem}.png")
    finally:
        shut_down_kernels(page)
    watch.assert_quiet(page)


MAGIC_CELLS = [
    'import dynamorm_lab as dl\n'
    '%load_ext dynamorm_lab\n'
    'db = dl.connect("local")\n'
    'class Film(dl.Model, table="CompletionFilms"):\n'
    '    title: str = dl.field(partition_key=True)\n'
    '    release_year: int = 0\n'
    'if not db.table_exists(Film):\n'
    '    Film.create_table()\n'
    'db.batch_write([Film(title=f"film {n}", release_year=1980 + n) for n in range(20)]);',

    '%dynamo --help',

    '%dynamo connect --help',

    '%%dynamo\n'
    'SELECT title, release_year FROM "CompletionFilms" WHERE release_year = 1985',

    '',  # the cell the test types into
]


def _kernel_matches(page: Any, code: str) -> list[str]:
    """The kernel's own answer to a complete_request at the end of `code`."""
    matches: list[str] = page.evaluate(
        """async (code) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel.sessionContext.session.kernel;
            const reply = await kernel.requestComplete({code, cursor_pos: code.length});
            return reply.content.matches;
        }""", code)
    return matches


def test_magic_help_and_tab_completion(lab: Any, browser_page: Any, screenshots: Path) -> None:
    page = browser_page
    watch = Watch().attach(page)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in MAGIC_CELLS]
    nbformat.write(notebook, lab.root / "magic.ipynb")
    open_notebook(page, f"{lab.url}/lab/tree/magic.ipynb", len(MAGIC_CELLS))
    try:
        run_all_cells(page)
        wait_until_all_ran(page, len(MAGIC_CELLS) - 1)  # the empty cell is not run
        outputs = page.locator(".jp-Notebook .jp-CodeCell").locator(".jp-OutputArea")

        usage = outputs.nth(1).inner_text()
        for subcommand in ("connect", "use", "tables", "describe", "model", "sample",
                           "explore", "build", "load", "export"):
            assert re.search(rf"\b{subcommand}\b", usage), f"--help lacks {subcommand}"
        connect_usage = outputs.nth(2).inner_text()
        for option in ("--read-only", "--alias", "--profile", "--region"):
            assert option in connect_usage, f"connect --help lacks {option}"
        assert "1985" in outputs.nth(3).inner_text()

        # The kernel completes table names after FROM and the FROM table's attributes.
        assert '"CompletionFilms"' in _kernel_matches(
            page, '%%dynamo\nSELECT * FROM "Completion')
        assert "release_year" in _kernel_matches(
            page, '%%dynamo\nSELECT * FROM "CompletionFilms" WHERE relea')

        # And JupyterLab's Tab uses it: typed in the empty cell, Tab inserts the name.
        editor = page.locator(".jp-Notebook .jp-CodeCell").nth(4).locator(".cm-content")
        editor.click()
        page.keyboard.type('%%dynamo\nSELECT * FROM "CompletionFilms" WHERE relea')
        page.keyboard.press("Tab")
        completer = page.locator(".jp-Completer")
        for _ in range(80):  # inserted at once when it is the only match, else listed
            listed = completer.count() and "release_year" in completer.first.inner_text()
            if listed or "release_year" in editor.inner_text():
                break
            page.wait_for_timeout(250)
        else:
            raise AssertionError(f"Tab did not complete: {editor.inner_text()!r}")
        notebook_screenshot(page, screenshots / "magic-help.png")
    finally:
        shut_down_kernels(page)
    watch.assert_quiet(page)
