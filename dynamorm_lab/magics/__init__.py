"""IPython magics: ``%load_ext dynamorm_lab`` registers ``%dynamo``/``%%dynamo`` and ``%ddb``,
and their Tab completion.

A face: it imports only the public API (`dynamorm_lab.api`) and `dynamorm_lab.frames`.
`usage_markdown` gives the magic's usage as Markdown tables (for the README and the docs).
"""

from __future__ import annotations

from typing import Any

from ._args import usage_markdown

__all__ = ["load_ipython_extension", "usage_markdown"]


def load_ipython_extension(shell: Any) -> None:
    """Register the magics (and the short alias ``%ddb``) on an IPython shell, and the
    completer of their text (replacing one an earlier load registered)."""
    from ._complete import MATCHER_ID, matcher
    from ._magic import DynamoMagic

    magic = DynamoMagic(shell)
    shell.register_magics(magic)
    shell.magics_manager.register_alias("ddb", "dynamo", "line")
    shell.magics_manager.register_alias("ddb", "dynamo", "cell")
    matchers = shell.Completer.custom_matchers
    matchers[:] = [m for m in matchers if getattr(m, "matcher_identifier", None) != MATCHER_ID]
    matchers.append(matcher(magic))
