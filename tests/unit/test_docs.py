"""README and docs: every relative link and image points at a file that exists.

`make docs` (mkdocs build --strict) checks the links between the site's pages; this test
covers what it does not see: README.md (read on GitHub and PyPI, not part of the site) and
links from the pages to files outside the site's folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

_FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
_MARKDOWN_TARGET = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML_TARGET = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")


def relative_targets(text: str) -> list[str]:
    """The relative link and image targets of a Markdown page, outside code."""
    prose = _CODE_SPAN.sub("", _FENCED.sub("", text))
    targets = _MARKDOWN_TARGET.findall(prose) + _HTML_TARGET.findall(prose)
    return [target for target in targets
            if not re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE)  # http:, mailto:
            and not target.startswith(("#", "/"))]


def test_targets_are_found_in_links_images_and_html_but_not_in_code() -> None:
    text = ("[guide](docs/guide.md#models) ![shot](pic.png) <img src=\"a/b.png\" width=3>\n"
            "[site](https://example.org) [top](#top) `[not](code.md)`\n"
            "```python\nx = [a](b)\n```\n")
    assert relative_targets(text) == ["docs/guide.md#models", "pic.png", "a/b.png"]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_and_image_points_at_a_file_that_exists(page: Path) -> None:
    missing = []
    for target in relative_targets(page.read_text(encoding="utf-8")):
        path = unquote(target.split("#", 1)[0])
        if path and not (page.parent / path).exists():
            missing.append(target)
    assert not missing, f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_the_readme_shows_three_screenshots_and_links_the_docs() -> None:
    targets = relative_targets((ROOT / "README.md").read_text(encoding="utf-8"))
    screenshots = [t for t in targets if t.startswith("docs/screenshots/")]
    assert len(screenshots) == 3, screenshots
    assert "docs/getting-started.md" in targets


def test_every_public_name_is_in_the_api_reference(tmp_path: Path) -> None:
    """The site builds without a warning (as `make docs` does) and its API reference
    documents every name `import dynamorm_lab as dl` offers, those loaded on first use too."""
    import os
    import subprocess
    import sys

    import dynamorm_lab as dl

    site = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir",
         str(site)], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    assert "WARNING" not in built.stderr, built.stderr[-3000:]
    reference = (site / "reference" / "dynamorm_lab" / "index.html").read_text()
    documented = set(re.findall(r'id="dynamorm_lab(?:\.api)?\.([A-Za-z_]\w*)"', reference))
    missing = sorted(set(dl.__all__) - documented)
    assert not missing, f"not in docs/reference/dynamorm_lab.md: {missing}"
