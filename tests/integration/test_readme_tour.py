"""README: the tour runs top to bottom in a fresh kernel, and again in the same kernel.

The tour's cells (each ```python and ```sql block under "## A tour") run in a fresh Python
process through IPython's own shell, so `%load_ext` and `%%dynamo` cells work as they do in a
notebook, against the embedded server `dl.connect("local")` starts in that process. Then they
run a second time in the same process, as a reader who pastes them again would: the Movies
sample is loaded by then, and the tour's own item written.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.needs("embedded")]

README = Path(__file__).resolve().parents[2] / "README.md"

# Runs the cells it is given (JSON on stdin) twice through one IPython shell; exits 1 at the
# first cell that fails (IPython has printed its traceback by then).
RUNNER = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell

cells = json.load(sys.stdin)
shell = InteractiveShell.instance()
for round_number in (1, 2):
    for cell_number, cell in enumerate(cells, 1):
        if not shell.run_cell(cell).success:
            print(f"round {round_number}, cell {cell_number} failed", file=sys.stderr)
            sys.exit(1)
"""


def tour_cells(readme: str) -> list[str]:
    """The code blocks of the README's "## A tour" section, in order."""
    section = re.search(r"^## A tour\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## A tour' section followed by another section"
    return re.findall(r"^```(?:python|sql)\n(.*?)^```", section.group(1),
                      re.MULTILINE | re.DOTALL)


def test_the_tour_is_the_cells_the_readme_promises() -> None:
    code = "\n".join(tour_cells(README.read_text(encoding="utf-8")))
    assert 'dl.connect("local")' in code  # never a real account by accident
    assert "%%dynamo" in code
    assert "except dl.VersionConflict as exc:" in code  # the conflict is shown, not raised


def test_the_tour_runs_twice_in_one_fresh_process_without_a_traceback(tmp_path: Path) -> None:
    cells = tour_cells(README.read_text(encoding="utf-8"))
    done = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps(cells), capture_output=True,
        text=True, check=False, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "IPYTHONDIR": str(tmp_path)})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    # the optimistic-locking conflict happened, and was caught, in both rounds
    assert output.count("nothing was written") == 2, output[-4000:]
