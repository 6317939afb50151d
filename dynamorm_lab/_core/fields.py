"""Field declarations: `field()` options, and the resolved `Field` each model keeps.

`field()` is the Python form of the Go DynamORM's struct tags (``pk``, ``sk``,
``index:name,pk``, ``lsi:name``, ``version``, ``ttl``, ``created_at``, ``updated_at``,
``set``, ``json``, ``omitempty``, ``attr:name``, ``-``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import CodecError
from .codec import Decoder, Encoder, decoder_for, encoder_for, ttl_decoder, ttl_encoder
from .expr import Path
from .types import Kind, TypeNode

__all__ = ["MISSING", "Field", "FieldSpec", "field"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
KEY_KINDS = frozenset({Kind.STR, Kind.INT, Kind.DECIMAL, Kind.BYTES, Kind.DATETIME, Kind.DATE,
                       Kind.UUID, Kind.ENUM})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """The options given to `field()`, before the annotation is known."""

    default: Any = MISSING
    default_factory: Callable[[], Any] | None = None
    name: str | None = None
    partition_key: bool = False
    sort_key: bool = False
    gsi_partition: tuple[str, ...] = ()
    gsi_sort: tuple[str, ...] = ()
    lsi_sort: tuple[str, ...] = ()
    version: bool = False
    ttl: bool = False
    created_at: bool = False
    updated_at: bool = False
    as_set: bool = False
    as_json: bool = False
    omit_empty: bool = False
    stored: bool = True
    doc: str | None = None


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def field(
    default: Any = MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    name: str | None = None,
    partition_key: bool = False,
    sort_key: bool = False,
    gsi_partition: str | Sequence[str] = (),
    gsi_sort: str | Sequence[str] = (),
    lsi_sort: str | Sequence[str] = (),
    version: bool = False,
    ttl: bool = False,
    created_at: bool = False,
    updated_at: bool = False,
    as_set: bool = False,
    as_json: bool = False,
    omit_empty: bool = False,
    stored: bool = True,
    doc: str | None = None,
) -> Any:
    """Declare a model field's default and its DynamoDB role.

    Args:
        default: the value a new object gets when none is passed.
        default_factory: called for that value instead (for lists, dicts, ...).
        name: the DynamoDB attribute name, when it differs from the Python name.
        partition_key: this field is the table's partition key.
        sort_key: this field is the table's sort key.
        gsi_partition: this field is the partition key of the named global secondary
            index(es); declare projections with the class keyword ``projections=``.
        gsi_sort: this field is the sort key of the named global secondary index(es).
        lsi_sort: this field is the sort key of the named local secondary index(es).
        version: an int incremented on every write, checked for optimistic locking.
        ttl: an aware datetime stored as epoch seconds, DynamoDB's time-to-live attribute.
        created_at: an aware datetime set by the library when the item is first written.
        updated_at: an aware datetime set by the library on every write.
        as_set: store a list of str/int/Decimal/bytes as a DynamoDB set (order is not kept).
        as_json: store the value as a JSON string (numbers kept exact).
        omit_empty: do not store empty strings, lists, maps or sets.
        stored: False for a field that lives only on the Python object.
    """
    return FieldSpec(
        default, default_factory, name, partition_key, sort_key, _names(gsi_partition),
        _names(gsi_sort), _names(lsi_sort), version, ttl, created_at, updated_at, as_set,
        as_json, omit_empty, stored, doc,
    )


# The types omit_empty (and sets, always) leave out when empty.
EMPTY_TYPES = (str, bytes, list, dict, set, frozenset, tuple)


def is_empty(value: Any) -> bool:
    return isinstance(value, EMPTY_TYPES) and not value


class Field:
    """A resolved model field: names, type node, role and prepared codec."""

    __slots__ = (
        "attr_name", "decode", "encode", "model_name", "node", "omit", "on_none", "path",
        "py_name", "spec",
    )

    def __init__(self, model_name: str, py_name: str, node: TypeNode, spec: FieldSpec) -> None:
        self.model_name = model_name
        self.py_name = py_name
        self.attr_name = spec.name or py_name
        self.node = node
        self.spec = spec
        if spec.ttl:
            self.encode: Encoder = ttl_encoder
            self.decode: Decoder = ttl_decoder
        else:
            self.encode = encoder_for(node, as_set=spec.as_set, as_json=spec.as_json)
            self.decode = decoder_for(node, as_set=spec.as_set, as_json=spec.as_json)
        if self.is_index_key:
            self.encode = _non_empty_key(self.encode, self.attr_name)
        if spec.omit_empty or node.kind is Kind.SET or spec.as_set:
            self.omit: Callable[[Any], bool] | None = is_empty
        else:
            self.omit = None
        self.path = Path((self.attr_name,), node, self.encode)
        self.on_none = self._none_rule()

    def _none_rule(self) -> str:
        """What a None value means when written: "omit", "null" or "refuse".

        None is left out (so sparse indexes stay sparse) unless the field's default is not
        None, in which case NULL is written so that the None reads back as None.
        """
        s = self.spec
        auto = s.version or s.created_at or s.updated_at or s.ttl
        if not (self.node.optional or auto or self.node.kind in (Kind.ANY, Kind.NONE)):
            return "refuse"
        index_key = self.is_index_key
        has_value_default = s.default_factory is not None or (
            s.default is not MISSING and s.default is not None)
        if has_value_default and not index_key and not auto:
            return "null"
        return "omit"

    def __repr__(self) -> str:
        roles = ", ".join(self.roles)
        alias = f" as {self.attr_name!r}" if self.attr_name != self.py_name else ""
        return (f"<Field {self.model_name}.{self.py_name}{alias}: {self.node.describe()}"
                f"{' [' + roles + ']' if roles else ''}>")

    @property
    def roles(self) -> list[str]:
        """The roles of this field, in words (for reprs, explain output and widgets)."""
        s = self.spec
        roles = [r for r, on in (("partition key", s.partition_key), ("sort key", s.sort_key),
                                 ("version", s.version), ("ttl", s.ttl),
                                 ("created_at", s.created_at), ("updated_at", s.updated_at),
                                 ("set", s.as_set), ("json", s.as_json),
                                 ("omit empty", s.omit_empty), ("not stored", not s.stored))
                 if on]
        roles += [f"{i} partition key" for i in s.gsi_partition]
        roles += [f"{i} sort key" for i in s.gsi_sort + s.lsi_sort]
        return roles

    @property
    def is_key(self) -> bool:
        return self.spec.partition_key or self.spec.sort_key

    @property
    def is_index_key(self) -> bool:
        """A key of the table or of an index (stored values cannot be empty)."""
        s = self.spec
        return bool(self.is_key or s.gsi_partition or s.gsi_sort or s.lsi_sort)

    @property
    def required(self) -> bool:
        """True when a new object must be given a value for this field."""
        s = self.spec
        return (s.default is MISSING and s.default_factory is None and not self.node.optional
                and not (s.version or s.created_at or s.updated_at or s.ttl))

    def make_default(self) -> Any:
        if self.spec.default_factory is not None:
            return self.spec.default_factory()
        if self.spec.default is not MISSING:
            return self.spec.default
        return None

    def missing_value(self) -> Any:
        """The value an object read from DynamoDB gets when the attribute is absent."""
        if self.node.kind is Kind.SET and not self.spec.as_json:
            return set()
        if self.spec.as_set:
            return []
        return self.make_default()


def _non_empty_key(encode: Encoder, attr_name: str) -> Encoder:
    def encode_key(value: Any) -> dict[str, Any]:
        av = encode(value)
        if av.get("S") == "" or av.get("B") == b"":
            raise CodecError(f"key attribute {attr_name} cannot be empty")
        return av
    return encode_key


def check_role_type(node: TypeNode, spec: FieldSpec) -> str | None:
    """The reason a field's type does not fit its role, or None when it fits."""
    if spec.partition_key and spec.sort_key:
        return "one field cannot be both the partition key and the sort key"
    if (spec.partition_key or spec.sort_key) and node.optional:
        return "a primary key attribute cannot be Optional (every item has its key)"
    if (spec.partition_key or spec.sort_key or spec.gsi_partition or spec.gsi_sort
            or spec.lsi_sort) and node.kind not in KEY_KINDS:
        if node.kind is Kind.FLOAT:
            return ("a key attribute cannot be a float: keys are matched exactly, and a float "
                    "is not exact in decimal; use int or Decimal")
        return f"a key attribute must be a string, number or bytes type, not {node.describe()}"
    if spec.version and node.kind is not Kind.INT:
        return f"a version field must be int, not {node.describe()}"
    if (spec.ttl or spec.created_at or spec.updated_at) and node.kind is not Kind.DATETIME:
        return f"a ttl/created_at/updated_at field must be a datetime, not {node.describe()}"
    if spec.as_set:
        element = node.args[0].kind if node.kind is Kind.LIST and node.args else None
        if element not in (Kind.STR, Kind.INT, Kind.DECIMAL, Kind.BYTES):
            return "as_set=True needs a list of str, int, Decimal or bytes"
    if spec.as_json and spec.as_set:
        return "as_json and as_set cannot be combined"
    return None


def now_utc() -> _dt.datetime:
    """The current time as an aware UTC datetime (what timestamps are set to)."""
    return _dt.datetime.now(_dt.UTC)

