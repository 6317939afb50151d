"""dynamorm_lab: a DynamoDB ORM with a Jupyter layer on top.

>>> import dynamorm_lab as dl
>>> db = dl.connect()            # AWS if configured, else an embedded local server
>>> class Movie(dl.Model, table="Movies"):
...     year: int = dl.field(partition_key=True)
...     title: str = dl.field(sort_key=True)
"""

from __future__ import annotations

from . import errors
from ._connection import Connection, connect
from ._expr import Condition, Path, Placeholders, UpdateAction, attr, path
from ._fields import Field, field
from ._model import Model, Registry, fields, registry, schema
from ._reserved import RESERVED_WORDS, is_reserved
from ._schema import Index, KeyAttribute, TableSchema
from ._types import Kind, TypeNode
from .errors import (
    CodecError,
    ConditionFailed,
    ConnectionFailed,
    DynamoDBError,
    DynamormError,
    ExpressionError,
    ItemAlreadyExists,
    ItemNotFound,
    ModelDefinitionError,
    ReadOnlyError,
    TableNotFound,
    Throttled,
    TransactionCancelled,
    ValidationError,
    VersionConflict,
)

__version__ = "0.1.0"

__all__ = [
    "RESERVED_WORDS",
    "CodecError",
    "Condition",
    "ConditionFailed",
    "Connection",
    "ConnectionFailed",
    "DynamoDBError",
    "DynamormError",
    "ExpressionError",
    "Field",
    "Index",
    "ItemAlreadyExists",
    "ItemNotFound",
    "KeyAttribute",
    "Kind",
    "Model",
    "ModelDefinitionError",
    "Path",
    "Placeholders",
    "ReadOnlyError",
    "Registry",
    "TableNotFound",
    "TableSchema",
    "Throttled",
    "TransactionCancelled",
    "TypeNode",
    "UpdateAction",
    "ValidationError",
    "VersionConflict",
    "attr",
    "connect",
    "errors",
    "field",
    "fields",
    "is_reserved",
    "path",
    "registry",
    "schema",
]

for _name in __all__:  # show public names where they are meant to be imported from
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("dynamorm_lab._"):
        _obj.__module__ = "dynamorm_lab"
del _name, _obj
