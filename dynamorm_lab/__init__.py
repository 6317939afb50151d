"""dynamorm_lab: a DynamoDB ORM with a Jupyter layer on top.

>>> import dynamorm_lab as dl
>>> db = dl.connect("local")     # the embedded server; dl.connect() uses AWS if configured
>>> class Movie(dl.Model, table="Movies"):
...     year: int = dl.field(partition_key=True)
...     title: str = dl.field(sort_key=True)

The house, its layers from the top down (a module imports only from its own layer or below;
tests/unit/test_layers.py holds the code to it):

    dynamorm_lab            this front door: the API below, and %load_ext's hook
    magics/  widgets/       faces: IPython magics and ipywidgets, over `api` and `frames` only
    api                     the public names, re-exported here
    lang/  samples/         %%dynamo statements run through the facade; sample data sets
    _connection             the facade: Connection, connect(), use(); thin delegations
    _ops/                   the only I/O: operations over a transport (one botocore client)
    local/                  the embedded DynamoDB-compatible server (moto, 127.0.0.1)
    frames/                 wire items to pandas DataFrames and Arrow tables
    _core/                  pure: models, codec, expressions, schema, planner, queries
    errors                  the exception tree (see `dynamorm_lab.errors`)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import api

if TYPE_CHECKING:  # every public name, for type checkers (at run time: __getattr__ below)
    from .api import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [*api.__all__, "load_ipython_extension"]  # noqa: PLE0604 - the API, and the hook
__all__.sort()


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext dynamorm_lab``: register ``%dynamo``/``%%dynamo`` and ``%ddb``."""
    from .magics import load_ipython_extension as load

    load(shell)


def __getattr__(name: str) -> object:
    """The public names of `api`, each looked up once (samples and the statement language
    load only when first used)."""
    if name in api.__all__:
        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dynamorm_lab' has no attribute {name!r}")
