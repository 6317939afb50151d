"""MkDocs hooks (`hooks:` in mkdocs.yml): text a page takes from the library itself.

A page that holds the marker ``<!-- %dynamo usage -->`` gets the magic's usage tables there,
built by `dynamorm_lab.magics.usage_markdown` from the parsers ``%dynamo --help`` prints, so
the reference never drifts from the magic.
"""

from __future__ import annotations

from typing import Any

from dynamorm_lab.magics import usage_markdown

USAGE_MARKER = "<!-- %dynamo usage -->"


def on_page_markdown(markdown: str, **_context: Any) -> str:
    """Put the usage tables where a page asks for them."""
    if USAGE_MARKER not in markdown:
        return markdown
    return markdown.replace(USAGE_MARKER, usage_markdown())
