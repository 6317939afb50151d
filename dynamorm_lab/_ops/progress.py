"""Progress bars for long work: tqdm.auto in notebooks, silent in scripts unless asked."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress", "in_notebook"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where a progress widget can render)."""
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ipython = shell.get_ipython()
    return ipython is not None and "IPKernelApp" in getattr(ipython, "config", {})


LONG_WORK = 2_000  # items: below this, a bar would only flicker


class Progress:
    """A progress bar, or nothing.

    ``enabled=None`` (the default) shows one only in notebooks and only for long work (a known
    total of at least 2,000 items); True always shows one; False never does.
    """

    def __init__(self, *, total: int | None, desc: str, unit: str = "item",
                 enabled: bool | None = None) -> None:
        if enabled is None:
            show = in_notebook() and total is not None and total >= LONG_WORK
        else:
            show = enabled
        self._bar: Any = None
        if show:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False)

    def update(self, count: int) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
