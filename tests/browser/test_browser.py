"""The widgets in a real JupyterLab, used from Chromium the way a person uses them.

The notebook loads battle-royale into the kernel's embedded server, shows a builder, an
explorer, and a table whose values are markup. The test selects and types in the builder,
runs it, compares the rows on the page with the raw file, checks that markup stays text, and
fails on any browser console error or dialog. Screenshots of each widget state go to
docs/screenshots/.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import nbformat
from backends import DATASETS
from lab_ui import (
    CELL_WAIT,
    Watch,
    open_notebook,
    run_all_cells,
    screenshot,
    shut_down_kernels,
)

DATASET = DATASETS / "battle-royale" / "items.json"
GREEN = "Green Grasslands"
OPEN_GAMES_SENTENCE = "Query on GSI OpenGamesIndex: partition key map = 'Green Grasslands'"
STATEMENT = ("SELECT * FROM \"battle-royale\" WHERE map = 'Green Grasslands' AND "
             "open_timestamp IS NOT MISSING")
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
PAGE_SIZE = 25

CELLS = [
    'import dynamorm_lab as dl\n'
    'from dynamorm_lab.widgets import build, explore\n'
    'db = dl.connect("local")\n'
    'dl.load_sample("battle-royale", db)',

    'b = build(db, "battle-royale")\n'
    'b',

    f'e = explore(db, "battle-royale", page_size={PAGE_SIZE})\n'
    'e',

    'class Hostile(dl.Model, table="hostile"):\n'
    '    pk: str = dl.field(partition_key=True)\n'
    '    img: str = ""\n'
    '    script: str = ""\n'
    '\n'
    'if not db.table_exists("hostile"):\n'
    '    db.create_table(Hostile)\n'
    f'db.save(Hostile(pk="h1", img={IMG!r}, script={SCRIPT!r}))\n'
    'hb = build(db, "hostile")\n'
    'hb.partition_attr.value = "pk"\n'
    'hb.partition.value = "h1"\n'
    'hb.run()\n'
    'display(explore(db, "hostile"), hb)',
]

UI_WAIT = 20_000  # ms: a widget round trip to the kernel and back


def open_games_on(map_name: str) -> list[dict[str, Any]]:
    with DATASET.open() as handle:
        items = [json.loads(line) for line in handle if line.strip()]
    return [i for i in items if i.get("map") == map_name and "open_timestamp" in i]


def write_notebook(root: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    path = root / "test.ipynb"
    nbformat.write(notebook, path)
    return path


def wait_for_outputs(page: Any) -> None:
    """Wait until every cell's widgets are on the page; fail early on a cell error.

    If nothing at all has appeared after a minute (Run All was clicked while the kernel was
    still starting, and JupyterLab dropped the request), run all cells once more: re-running
    replaces outputs, so the widget counts below are unaffected."""
    started = time.monotonic()
    deadline = started + CELL_WAIT / 1000
    retried = False
    while time.monotonic() < deadline:
        if (not retried and time.monotonic() - started > 60
                and page.locator(".dynamorm-builder").count() == 0):
            run_all_cells(page)
            retried = True
        errors = page.locator('[data-mime-type="application/vnd.jupyter.error"]')
        if errors.count():
            raise AssertionError(f"a cell failed:\n{errors.first.inner_text()}")
        if (page.locator(".dynamorm-builder").count() == 2
                and page.locator(".dynamorm-explorer").count() == 2
                and page.locator(".dynamorm-builder").nth(1)
                .locator(".dynamorm-results table").count() == 1):
            return
        page.wait_for_timeout(250)
    raise AssertionError("the notebook's widgets did not appear in time")


def test_widgets_in_jupyterlab(chromium_path: Path, lab: Any, browser_page: Any,
                               screenshots: Path) -> None:
    from playwright.sync_api import expect

    page = browser_page
    watch = Watch().attach(page)

    write_notebook(lab.root)
    open_notebook(page, f"{lab.url}/lab/tree/test.ipynb", len(CELLS))

    run_all_cells(page)
    wait_for_outputs(page)

    # --- the builder, used as a person would ---
    builder = page.locator(".dynamorm-builder").first
    screenshot(page, builder, screenshots / "builder-empty.png")
    plan = builder.locator(".dynamorm-plan-sentence")
    builder.locator(".dynamorm-pk-attr select").select_option("map")
    partition = builder.locator(".dynamorm-pk input")
    partition.click()
    partition.fill(GREEN)
    partition.press("Tab")
    expect(plan).to_contain_text("Scan of table battle-royale", timeout=UI_WAIT)
    expect(plan).to_contain_text("OpenGamesIndex")
    expect(plan).to_contain_text("open_timestamp")

    builder.locator(".dynamorm-add-filter").click()
    row = builder.locator(".dynamorm-filter-row")
    expect(row).to_have_count(1, timeout=UI_WAIT)
    row.locator(".dynamorm-filter-attr select").select_option("open_timestamp")
    row.locator(".dynamorm-filter-op select").select_option("exists")
    expect(plan.locator("b").first).to_have_text(OPEN_GAMES_SENTENCE, timeout=UI_WAIT)

    builder.locator(".dynamorm-run").click()
    expected = open_games_on(GREEN)
    assert len(expected) == 4
    result_rows = builder.locator(".dynamorm-results table tbody tr")
    expect(result_rows).to_have_count(len(expected), timeout=UI_WAIT)
    shown = builder.locator(".dynamorm-results table").inner_text()
    for item in expected:
        assert item["PK"] in shown
    expect(builder.locator(".dynamorm-stats")).to_contain_text(
        f"read {len(expected)} item(s), returned {len(expected)}")

    partiql = builder.locator(".dynamorm-code-partiql textarea")
    expect(partiql).to_have_value(re.compile("OpenGamesIndex|" + re.escape(STATEMENT)),
                                  timeout=UI_WAIT)
    builder.locator(".dynamorm-code .lm-TabBar-tab").get_by_text("boto3", exact=True).click()
    boto3_code = builder.locator(".dynamorm-code-boto3 textarea")
    expect(boto3_code).to_be_visible(timeout=UI_WAIT)
    assert "'IndexName': 'OpenGamesIndex'" in boto3_code.input_value()
    screenshot(page, builder, screenshots / "builder.png")

    # --- the explorer: schema, a page of items, the next page ---
    explorer = page.locator(".dynamorm-explorer").first
    schema = explorer.locator(".dynamorm-schema")
    expect(schema).to_contain_text("OpenGamesIndex")
    expect(schema).to_contain_text("InvertedIndex")
    items = explorer.locator(".dynamorm-items table tbody tr")
    expect(items).to_have_count(PAGE_SIZE)
    first_page = explorer.locator(".dynamorm-items").inner_text()
    explorer.locator(".dynamorm-next").click()
    expect(explorer.locator(".dynamorm-page")).to_have_text("page 2", timeout=UI_WAIT)
    expect(items).to_have_count(PAGE_SIZE)
    assert explorer.locator(".dynamorm-items").inner_text() != first_page
    expect(explorer.locator(".dynamorm-detail")).to_contain_text('"S"')
    screenshot(page, explorer, screenshots / "explorer.png")

    # --- markup in item values stays text ---
    hostile_cell = page.locator(".jp-Notebook .jp-CodeCell").nth(3)
    hostile_explorer = page.locator(".dynamorm-explorer").nth(1)
    hostile_builder = page.locator(".dynamorm-builder").nth(1)
    for place in (hostile_explorer.locator(".dynamorm-items"),
                  hostile_explorer.locator(".dynamorm-detail"),
                  hostile_builder.locator(".dynamorm-results")):
        expect(place).to_contain_text(IMG)
        expect(place).to_contain_text(SCRIPT)
        assert place.locator("img").count() == 0
        assert place.locator("script").count() == 0
    assert page.locator("img[onerror]").count() == 0
    assert IMG in page.locator("body").inner_text()
    screenshot(page, hostile_cell.locator(".jp-Cell-outputWrapper"),
               screenshots / "escaping.png")

    shut_down_kernels(page)
    watch.assert_quiet(page)
