"""The inspectable type tree: one `TypeNode` per annotation, built once per model field.

The tree feeds the codec (which builds an encoder/decoder per node), the table schema (key
attribute types) and, later, the widgets. Analysis raises plain `TypeError` with a short
reason; the model builder turns it into a `ModelDefinitionError` naming class and field.
"""

from __future__ import annotations

import datetime as _dt
import enum
import types
import typing
import uuid
from collections import abc
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Kind", "TypeNode", "analyze"]


class Kind(enum.Enum):
    """What a value is, as far as storing it in DynamoDB is concerned."""

    ANY = "any"
    STR = "str"
    INT = "int"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOL = "bool"
    BYTES = "bytes"
    NONE = "none"
    LIST = "list"
    DICT = "dict"
    SET = "set"
    DATETIME = "datetime"
    DATE = "date"
    UUID = "uuid"
    ENUM = "enum"
    MODEL = "model"
    UNION = "union"


# The DynamoDB type letter each scalar kind is stored as ("" where it depends on the value).
_DYNAMO_TYPE = {
    Kind.STR: "S", Kind.INT: "N", Kind.DECIMAL: "N", Kind.FLOAT: "N", Kind.BOOL: "BOOL",
    Kind.BYTES: "B", Kind.NONE: "NULL", Kind.LIST: "L", Kind.DICT: "M", Kind.DATETIME: "S",
    Kind.DATE: "S", Kind.UUID: "S", Kind.MODEL: "M",
}
_SET_TYPE = {Kind.STR: "SS", Kind.INT: "NS", Kind.DECIMAL: "NS", Kind.BYTES: "BS"}
_SIMPLE: dict[Any, Kind] = {
    str: Kind.STR, int: Kind.INT, Decimal: Kind.DECIMAL, float: Kind.FLOAT, bool: Kind.BOOL,
    bytes: Kind.BYTES, type(None): Kind.NONE, None: Kind.NONE, _dt.datetime: Kind.DATETIME,
    _dt.date: Kind.DATE, uuid.UUID: Kind.UUID, Any: Kind.ANY, object: Kind.ANY,
}


@dataclass(frozen=True, slots=True)
class TypeNode:
    """A field's type as the codec sees it.

    ``args`` holds the element type of lists and sets, the value type of dicts and the
    members of unions; ``py`` holds the Enum or Model class for those kinds.
    """

    kind: Kind
    optional: bool = False
    args: tuple[TypeNode, ...] = ()
    py: Any = None

    @property
    def dynamo_type(self) -> str:
        """The AttributeValue type letter ('S', 'N', 'SS', ...), or '' when it varies."""
        if self.kind is Kind.SET:
            return _SET_TYPE.get(self.args[0].kind, "")
        if self.kind is Kind.ENUM:
            return "N" if all(isinstance(m.value, int) for m in self.py) else "S"
        return _DYNAMO_TYPE.get(self.kind, "")

    @property
    def python_types(self) -> tuple[type, ...]:
        """The Python classes a value of this node may be (used to pick an encoder)."""
        return _python_types(self)

    def describe(self) -> str:
        """A short human form, such as ``list[int] | None``."""
        if self.kind in (Kind.ENUM, Kind.MODEL):
            text = self.py.__name__
        elif self.kind is Kind.UNION:
            text = " | ".join(a.describe() for a in self.args)
        elif self.args:
            text = f"{self.kind.value}[{', '.join(a.describe() for a in self.args)}]"
        else:
            text = self.kind.value
        return f"{text} | None" if self.optional else text


def _python_types(node: TypeNode) -> tuple[type, ...]:
    simple = {
        Kind.STR: (str,), Kind.INT: (int,), Kind.DECIMAL: (Decimal, int), Kind.FLOAT: (float, int),
        Kind.BOOL: (bool,), Kind.BYTES: (bytes, bytearray), Kind.NONE: (type(None),),
        Kind.LIST: (list, tuple), Kind.DICT: (dict,), Kind.SET: (set, frozenset),
        Kind.DATETIME: (_dt.datetime,), Kind.DATE: (_dt.date,), Kind.UUID: (uuid.UUID,),
        Kind.ANY: (object,),
    }
    if node.kind in (Kind.ENUM, Kind.MODEL):
        return (node.py,)
    if node.kind is Kind.UNION:
        return tuple(t for a in node.args for t in a.python_types)
    return simple[node.kind]


def analyze(annotation: Any, *, is_model: typing.Callable[[Any], bool]) -> TypeNode:
    """Turn an annotation into a TypeNode, or raise TypeError saying what is unsupported."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return analyze(typing.get_args(annotation)[0], is_model=is_model)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) == 1:
            inner = analyze(members[0], is_model=is_model)
            return TypeNode(inner.kind, True, inner.args, inner.py)
        nodes = tuple(analyze(m, is_model=is_model) for m in members)
        return TypeNode(Kind.UNION, optional, nodes)
    if origin in (list, tuple, abc.Sequence, abc.MutableSequence):
        args = typing.get_args(annotation)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            raise TypeError(f"{annotation!r} is not supported; use list[T] or tuple[T, ...]")
        item = analyze(args[0], is_model=is_model) if args else TypeNode(Kind.ANY)
        return TypeNode(Kind.LIST, args=(item,))
    if origin in (dict, abc.Mapping, abc.MutableMapping):
        args = typing.get_args(annotation)
        if args and args[0] is not str:
            raise TypeError(f"{annotation!r}: map keys must be str (DynamoDB map keys are strings)")
        value = analyze(args[1], is_model=is_model) if args else TypeNode(Kind.ANY)
        return TypeNode(Kind.DICT, args=(value,))
    if origin in (set, frozenset, abc.Set, abc.MutableSet):
        args = typing.get_args(annotation)
        element = analyze(args[0], is_model=is_model) if args else TypeNode(Kind.ANY)
        if (element.kind not in _SET_TYPE and element.kind is not Kind.ANY) or element.optional:
            raise TypeError(
                f"a set of {element.describe()} cannot be stored; DynamoDB sets hold only "
                "str, int, Decimal or bytes"
            )
        return TypeNode(Kind.SET, args=(element,))
    if origin is typing.Literal:
        raise TypeError("Literal types are not supported; use an Enum")
    if annotation in (list, dict, set, frozenset):
        return analyze({list: list[Any], dict: dict[str, Any], set: set[Any],
                        frozenset: frozenset[Any]}[annotation], is_model=is_model)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [m.value for m in annotation]
        if not values or not (all(type(v) is str for v in values)
                              or all(type(v) is int for v in values)):
            raise TypeError(f"enum {annotation.__name__} must have all-str or all-int values")
        return TypeNode(Kind.ENUM, py=annotation)
    if is_model(annotation):
        return TypeNode(Kind.MODEL, py=annotation)
    try:
        return TypeNode(_SIMPLE[annotation])
    except (KeyError, TypeError):
        raise TypeError(f"type {annotation!r} cannot be stored in DynamoDB") from None
