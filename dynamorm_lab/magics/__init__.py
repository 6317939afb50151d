"""IPython magics: ``%load_ext dynamorm_lab`` registers ``%dynamo``/``%%dynamo`` and ``%ddb``.

A face: it imports only the public API (`dynamorm_lab.api`) and `dynamorm_lab.frames`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension"]


def load_ipython_extension(shell: Any) -> None:
    """Register the magics (and the short alias ``%ddb``) on an IPython shell."""
    from ._magic import DynamoMagic

    magic = DynamoMagic(shell)
    shell.register_magics(magic)
    shell.magics_manager.register_alias("ddb", "dynamo", "line")
    shell.magics_manager.register_alias("ddb", "dynamo", "cell")
