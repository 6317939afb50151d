"""ipywidgets faces over the public API: a table explorer, a query builder, a write runner.

Standard ipywidgets only (no front-end build), so they render in JupyterLab, Notebook 7 and
VS Code. Every widget has stable CSS classes (``dynamorm-...``) and escapes every value.
A face: it imports only the public API (`dynamorm_lab.api`) and `dynamorm_lab.frames`.
"""

from ._builder import Builder, build
from ._explorer import Explorer, explore
from ._writes import WriteRunner, write_runner

__all__ = ["Builder", "Explorer", "WriteRunner", "build", "explore", "write_runner"]
