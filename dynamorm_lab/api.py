"""The public API: every name of ``dynamorm_lab.__all__`` but the IPython hook.

``dynamorm_lab`` re-exports this module, and adds ``load_ipython_extension`` (which loads the
magics). The faces (magics, widgets) import this module, not the package, so that the
package's front door can name them without a circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import errors
from ._connection import Connection, connect, default_connection, use
from ._core.bulk import decode_items, encode_items
from ._core.expr import Condition, Path, Placeholders, UpdateAction, attr, path
from ._core.fields import Field, field
from ._core.model import Model, Registry, fields, registry, schema
from ._core.patterns import (
    AccessPattern,
    PatternReport,
    assert_access_patterns,
    check_access_patterns,
    pattern,
)
from ._core.planner import Candidate, Plan
from ._core.query import Query
from ._core.rate import Limiter
from ._core.reserved import RESERVED_WORDS, is_reserved
from ._core.results import Page, Stats
from ._core.schema import Index, IndexSpec, KeyAttribute, TableSchema, gsi
from ._core.types import Kind, TypeNode
from ._ops.advise import Advice
from ._ops.backfill import BackfillReport
from ._ops.batch import RejectedRow, RetryPolicy, SampleLoad, WriteFailure, WriteReport
from ._ops.export import ExportReport
from ._ops.migrate import Change, MigrationPlan, SchemaDiff
from ._ops.results import Result
from ._ops.samples import Profile
from ._ops.transactions import CancelledAction, Transaction
from ._ops.writes import BatchGetResult, BatchWriter
from .errors import (
    AccessPatternError,
    BatchIncomplete,
    CodecError,
    ConditionFailed,
    ConnectionFailed,
    DynamoDBError,
    DynamormError,
    ExpressionError,
    ItemAlreadyExists,
    ItemNotFound,
    ModelDefinitionError,
    ParseError,
    ReadOnlyError,
    RowsRejected,
    ScanRefused,
    TableNotFound,
    Throttled,
    TransactionCancelled,
    ValidationError,
    VersionConflict,
)

if TYPE_CHECKING:  # the lazily loaded names (LAZY), for type checkers
    from .lang._parser import KEYWORDS, StatementWrite, parse, statement_writes
    from .lang._run import StatementResult, advise, execute, query_of
    from .samples import SAMPLES, export_json, import_json, import_workbench_model, load_sample

__all__ = [  # noqa: RUF022 - plain sorted(); with the hook, dynamorm_lab.__all__
    "AccessPattern",
    "AccessPatternError",
    "Advice",
    "BackfillReport",
    "BatchGetResult",
    "BatchIncomplete",
    "BatchWriter",
    "CancelledAction",
    "Candidate",
    "Change",
    "CodecError",
    "Condition",
    "ConditionFailed",
    "Connection",
    "ConnectionFailed",
    "DynamoDBError",
    "DynamormError",
    "ExportReport",
    "ExpressionError",
    "Field",
    "Index",
    "IndexSpec",
    "ItemAlreadyExists",
    "ItemNotFound",
    "KEYWORDS",
    "KeyAttribute",
    "Kind",
    "Limiter",
    "MigrationPlan",
    "Model",
    "ModelDefinitionError",
    "Page",
    "ParseError",
    "Path",
    "PatternReport",
    "Placeholders",
    "Plan",
    "Profile",
    "Query",
    "RESERVED_WORDS",
    "ReadOnlyError",
    "RejectedRow",
    "Registry",
    "Result",
    "RetryPolicy",
    "RowsRejected",
    "SAMPLES",
    "SampleLoad",
    "ScanRefused",
    "SchemaDiff",
    "StatementResult",
    "StatementWrite",
    "Stats",
    "TableNotFound",
    "TableSchema",
    "Throttled",
    "Transaction",
    "TransactionCancelled",
    "TypeNode",
    "UpdateAction",
    "ValidationError",
    "VersionConflict",
    "WriteFailure",
    "WriteReport",
    "advise",
    "assert_access_patterns",
    "attr",
    "check_access_patterns",
    "connect",
    "decode_items",
    "default_connection",
    "encode_items",
    "errors",
    "execute",
    "export_json",
    "field",
    "fields",
    "gsi",
    "import_json",
    "import_workbench_model",
    "is_reserved",
    "load_sample",
    "parse",
    "path",
    "pattern",
    "query_of",
    "registry",
    "schema",
    "statement_writes",
    "use",
]

LAZY = {  # public too, loaded on first use: not needed to import the ORM
    "SAMPLES": "samples", "export_json": "samples", "import_json": "samples",
    "import_workbench_model": "samples", "load_sample": "samples",
    "execute": "lang._run", "StatementResult": "lang._run", "parse": "lang._parser",
    "advise": "lang._run", "query_of": "lang._run",
    "KEYWORDS": "lang._parser", "StatementWrite": "lang._parser",
    "statement_writes": "lang._parser",
}


def __getattr__(name: str) -> object:
    if name in LAZY:
        import importlib

        value = getattr(importlib.import_module(f"dynamorm_lab.{LAZY[name]}"), name)
        if "._" in getattr(value, "__module__", ""):
            value.__module__ = "dynamorm_lab"
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dynamorm_lab' has no attribute {name!r}")


for _name in __all__:  # show public names where they are meant to be imported from
    if _name in LAZY:
        continue
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("dynamorm_lab._"):
        _obj.__module__ = "dynamorm_lab"
del _name, _obj
