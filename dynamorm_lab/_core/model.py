"""Declarative models: per-class work is done once, when the class statement runs.

``class Movie(Model, table="Movies")`` collects annotated fields, checks every role (keys,
indexes, version, TTL, timestamps) and reports mistakes naming the class and field, builds the
table schema and one codec, and registers the model. Instances keep their values in
``__dict__``; class attributes are typed paths, so ``Movie.year == 1985`` is a condition.
"""

from __future__ import annotations

import dataclasses
import inspect
import keyword
import linecache
import reprlib
import sys
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

from ..errors import CodecError, ModelDefinitionError, ValidationError
from . import session as _session
from .bulk import convert_all
from .codec import SOURCE_NAMES, AttributeValue, decode_source, encode_source
from .expr import Path, UpdateAction, path
from .fields import EMPTY_TYPES, MISSING, Field, FieldSpec, check_role_type, is_empty
from .limits import too_deep
from .query import Query
from .schema import (
    MAX_GSIS,
    MAX_LSIS,
    Index,
    IndexSpec,
    KeyAttribute,
    Projection,
    TableSchema,
    check_table_name,
)
from .types import Kind, TypeNode, analyze

__all__ = ["Model", "ModelCodec", "Registry", "fields", "registry", "schema"]

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60


class ModelCodec:
    """Encodes objects of one model to wire items and back.

    `encode` and `decode` are compiled for the model, once: one function per direction with
    the common field types written inline (see `_codec.encode_source`). When a value is not of
    a shape the inline code covers, or anything raises, the compiled function hands the whole
    object or item to `encode_prepared`/`decode_prepared`, which walk the fields' prepared
    converters and give the exact result or error (naming the attribute).
    """

    __slots__ = ("_decode", "_encode", "_missing", "decode", "encode", "model")

    def __init__(self, model: type[Model], stored: list[Field]) -> None:
        self.model = model
        self._encode = tuple((f.py_name, f.attr_name, f.encode, f.omit, f.on_none)
                             for f in stored)
        self._decode = {f.attr_name: (f.py_name, f.decode) for f in stored}
        self._missing = tuple(f for f in model.__dynamorm_fields__.values())
        self.encode: Callable[[Any], dict[str, AttributeValue]] = _compile_encoder(self, stored)
        self.decode: Callable[[Mapping[str, AttributeValue]], Any] = _compile_decoder(self,
                                                                                      stored)

    def encode_prepared(self, obj: Any) -> dict[str, AttributeValue]:
        """The wire item for `obj` (None and empty-set values are left out)."""
        values = obj.__dict__
        item: dict[str, AttributeValue] = {}
        for py_name, attr_name, encode, omit, on_none in self._encode:
            value = values.get(py_name)
            if value is None:
                if on_none == "null":
                    item[attr_name] = {"NULL": True}
                elif on_none == "refuse":
                    raise CodecError(f"{type(obj).__name__}.{py_name} is not Optional, got None",
                                     path=attr_name)
                continue
            if omit is not None and omit(value):
                continue
            try:
                item[attr_name] = encode(value)
            except CodecError as exc:
                raise exc.at(attr_name) from None
        return item

    def decode_prepared(self, item: Mapping[str, AttributeValue]) -> Any:
        """A model object from a wire item (absent attributes get their empty value)."""
        obj = self.model.__new__(self.model)
        values = obj.__dict__
        plan = self._decode
        for attr_name, av in item.items():
            entry = plan.get(attr_name)
            if entry is None:
                continue
            try:
                values[entry[0]] = entry[1](av)
            except CodecError as exc:
                raise exc.at(attr_name) from None
        if len(values) < len(self._missing):
            for f in self._missing:
                if f.py_name not in values:
                    values[f.py_name] = f.missing_value()
        return obj


# --- compiling a model's codec --------------------------------------------------------------
#
# The generated source holds no user text: attribute names, converters and defaults are
# passed in through the namespace (A3, enc3, missing3, ...); a Python name is written as
# ``o.name`` only when it is a plain identifier. Compiled once per model, like attrs' __init__.

class _Fallback(Exception):
    """Raised by compiled code to hand a value to the prepared converters."""


_ABSENT = object()  # an attribute the item does not have


def _compile(codec: ModelCodec, kind: str, lines: list[str],
             names: dict[str, Any]) -> Callable[[Any], Any]:
    filename = f"<dynamorm_lab {kind} {codec.model.__module__}.{codec.model.__qualname__}>"
    source = "\n".join(lines) + "\n"
    namespace = {**SOURCE_NAMES, **names, "Fallback": _Fallback, "model": codec.model}
    exec(compile(source, filename, "exec"), namespace)  # source built from names only
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return namespace[kind]  # type: ignore[no-any-return]


_EMPTY_TYPES = frozenset(EMPTY_TYPES)


def _inline_type(f: Field) -> TypeNode | None:
    """The field's type when its converters are those of the type alone; None for TTL, set
    and JSON fields, which the compiled code calls."""
    return None if f.spec.ttl or f.spec.as_set or f.spec.as_json else f.node


def _compile_encoder(codec: ModelCodec, stored: list[Field]) -> Callable[[Any], Any]:
    """``encode(obj)``: per field, the value's None rule, its omit rule, then its inline
    expression; a refusal or any error hands `obj` to `encode_prepared`."""
    names: dict[str, Any] = {"prepared": codec.encode_prepared, "EMPTY_TYPES": _EMPTY_TYPES}
    lines = ["def encode(obj):", "    try:", "        get = obj.__dict__.get",
             "        item = {}"]
    for i, f in enumerate(stored):
        v = f"v{i}"
        names.update({f"P{i}": f.py_name, f"A{i}": f.attr_name, f"enc{i}": f.encode,
                      f"omit{i}": f.omit})
        node = _inline_type(f)
        expr = (f"enc{i}({v})" if node is None else encode_source(
            dataclasses.replace(node, optional=False),  # None is handled before
            v, f"enc{i}", names, non_empty=f.is_index_key))
        lines.append(f"        {v} = get(P{i})")
        lines.append(f"        if {v} is None:")
        lines.append({"null": f"            item[A{i}] = {{'NULL': True}}",
                      "refuse": "            raise Fallback",
                      "omit": "            pass"}[f.on_none])
        if f.omit is is_empty:
            lines.append(f"        elif (not {v} if type({v}) in EMPTY_TYPES else omit{i}({v})):")
            lines.append("            pass")
        elif f.omit is not None:
            lines.append(f"        elif omit{i}({v}):")
            lines.append("            pass")
        lines.append("        else:")
        lines.append(f"            item[A{i}] = {expr}")
    lines += ["        return item", "    except Exception:", "        pass",
              "    return prepared(obj)"]
    return _compile(codec, "encode", lines, names)


def _compile_decoder(codec: ModelCodec, stored: list[Field]) -> Callable[[Any], Any]:
    """``decode(item)``: every stored field's value read into a local first (any error hands
    the item to `decode_prepared`), then the object made and every field set in field order,
    absent ones to their missing value, as `decode_prepared` does."""
    model = codec.model
    names: dict[str, Any] = {"prepared": codec.decode_prepared, "ABSENT": _ABSENT}
    lines = ["def decode(item):", "    if type(item) is dict:", "        try:",
             "            get = item.get"]
    for i, f in enumerate(stored):
        names.update({f"A{i}": f.attr_name, f"dec{i}": f.decode})
        node = _inline_type(f)
        expr = (None if node is None else decode_source(node, "av")) or f"dec{i}(av)"
        lines.append(f"            av = get(A{i}, ABSENT)")
        lines.append(f"            x{i} = ABSENT if av is ABSENT else {expr}")
    lines += ["        except Exception:", "            pass", "        else:",
              "            o = model.__new__(model)"]
    plain = _plain_attributes(model)
    if not plain:
        lines.append("            values = o.__dict__")
    position = {f.py_name: i for i, f in enumerate(stored)}
    for j, f in enumerate(model.__dynamorm_fields__.values()):
        names[f"P{j}"], names[f"missing{j}"] = f.py_name, f.missing_value
        target = f"o.{f.py_name}" if plain else f"values[P{j}]"
        k = position.get(f.py_name)
        value = (f"missing{j}()" if k is None
                 else f"missing{j}() if x{k} is ABSENT else x{k}")
        lines.append(f"            {target} = {value}")
    lines += ["            return o", "    return prepared(item)"]
    return _compile(codec, "decode", lines, names)


def _plain_attributes(model: type[Model]) -> bool:
    """Whether ``o.name = value`` stores into the instance just as ``o.__dict__[name]`` does.

    Then a decoded object keeps its values inline (CPython 3.11+) and never makes a
    ``__dict__`` unless asked for one: one object less for the cyclic collector per item.
    """
    if any("__setattr__" in vars(base) for base in model.__mro__ if base is not object):
        return False
    for name in model.__dynamorm_fields__:
        if type(name) is not str or not name.isidentifier() or keyword.iskeyword(name):
            return False
        attribute = inspect.getattr_static(model, name, None)
        if hasattr(type(attribute), "__set__") or hasattr(type(attribute), "__delete__"):
            return False
    return True


class _FieldAccessor:
    """Class access gives the field's typed path; instances read their own ``__dict__``."""

    __slots__ = ("field",)

    def __init__(self, field: Field) -> None:
        self.field = field

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self.field.path
        raise AttributeError(self.field.py_name)


class Model:
    """Base class of declared models.

    >>> class Movie(Model, table="Movies"):
    ...     year: int = field(partition_key=True)
    ...     title: str = field(sort_key=True)
    ...     info: dict[str, Any] = field(default_factory=dict)

    A model without ``table=`` is a nested model, stored as a map inside another model.

    Two class keywords state what the data guarantees, for the planner's sparse-index
    checks (``db.model_source`` writes them from what a sample showed):
    ``assumed_present=["genre"]`` names attributes every item has, and
    ``copresent={"GSI1-PK": ["GSI1-SK"]}`` says an item holding the first attribute holds
    the others too. Give attribute names (or the fields' Python names).
    """

    __table__: ClassVar[str | None] = None
    __dynamorm_fields__: ClassVar[dict[str, Field]] = {}
    __dynamorm_attrs__: ClassVar[dict[str, Field]] = {}
    __dynamorm_specs__: ClassVar[dict[str, tuple[Any, FieldSpec]]] = {}
    __dynamorm_schema__: ClassVar[TableSchema | None] = None
    __dynamorm_roles__: ClassVar[dict[str, Field]] = {}
    __dynamorm_assumed__: ClassVar[frozenset[str]] = frozenset()  # assumed_present=
    __dynamorm_copresent__: ClassVar[Mapping[str, frozenset[str]]] = {}  # copresent=
    _codec: ClassVar[ModelCodec | None] = None

    def __init_subclass__(
        cls,
        *,
        table: str | None = None,
        projections: Mapping[str, Projection | list[str] | tuple[str, ...]] | None = None,
        indexes: Mapping[str, IndexSpec] | None = None,
        assumed_present: Iterable[str] | None = None,
        copresent: Mapping[str, Iterable[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        _build_model(cls, table, dict(projections or {}), dict(indexes or {}))
        _state_presence(cls, assumed_present, copresent)

    def __init__(self, **values: Any) -> None:
        cls = type(self)
        own = self.__dict__
        missing = []
        for name, f in cls.__dynamorm_fields__.items():
            if name in values:
                own[name] = values.pop(name)
            elif f.required:
                missing.append(name)
            else:
                own[name] = f.make_default()
        if values:
            known = ", ".join(cls.__dynamorm_fields__)
            raise ValidationError(
                f"{cls.__name__}() got unknown field(s) {', '.join(map(repr, values))}; "
                f"its fields are: {known}"
            )
        if missing:
            raise ValidationError(
                f"{cls.__name__}() is missing required field(s): {', '.join(missing)}"
            )

    @classmethod
    def __dynamorm_codec__(cls) -> ModelCodec:
        codec = cls.__dict__.get("_codec")
        if codec is None:
            stored = [f for f in cls.__dynamorm_fields__.values() if f.spec.stored]
            codec = ModelCodec(cls, stored)
            cls._codec = codec
        return codec

    def __repr__(self) -> str:
        parts = []
        for name in type(self).__dynamorm_fields__:
            value = self.__dict__.get(name)
            parts.append(f"{name}={_repr.repr(value)}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        names = type(self).__dynamorm_fields__
        return all(self.__dict__.get(n) == other.__dict__.get(n) for n in names)

    __hash__ = None  # type: ignore[assignment]

    # --- conversions ---
    def to_item(self) -> dict[str, AttributeValue]:
        """This object as a DynamoDB wire item."""
        try:
            return type(self).__dynamorm_codec__().encode(self)
        except RecursionError:  # far deeper than DynamoDB's 32 levels: say where, simply
            raise too_deep(self.to_dict()) from None

    def to_dict(self) -> dict[str, Any]:
        """This object's field values by Python name (nested models stay objects)."""
        return {n: self.__dict__.get(n) for n in type(self).__dynamorm_fields__}

    @classmethod
    def from_item(cls, item: Mapping[str, AttributeValue]) -> typing.Self:
        """An object from a DynamoDB wire item."""
        return cls.__dynamorm_codec__().decode(item)  # type: ignore[no-any-return]

    @classmethod
    def to_items(cls, objects: Iterable[typing.Self]) -> list[dict[str, AttributeValue]]:
        """Many objects as wire items at once (the GC paused; see `_bulk`)."""
        encode = cls.__dynamorm_codec__().encode

        def one(obj: Any) -> dict[str, AttributeValue]:
            return encode(obj) if type(obj) is cls else obj.to_item()  # a subclass: its own

        return convert_all(objects, one, f"{cls.__name__} objects", kind=cls,
                           expected=f"a {cls.__name__}")

    @classmethod
    def from_items(cls, items: Iterable[Mapping[str, AttributeValue]]) -> list[typing.Self]:
        """Objects from many wire items at once (the GC paused; see `_bulk`)."""
        return convert_all(items, cls.__dynamorm_codec__().decode, "wire items", kind=Mapping,
                           expected="a wire item (a dict)")

    @classmethod
    def path(cls, text: str) -> Path:
        """A typed path from text, such as ``Movie.path("info.rating")``."""
        parsed = path(text)
        first = cls.__dynamorm_fields__.get(parsed.name) or cls.__dynamorm_attrs__.get(parsed.name)
        if first is None:
            return parsed
        result = first.path
        for element in parsed.elements[1:]:
            node = result.node
            nested = (node.py.__dynamorm_fields__ if node is not None and node.kind is Kind.MODEL
                      else {})
            if isinstance(element, str) and element in nested:
                result = getattr(result, element)
            else:
                result = result[element]
        return result

    # --- reads: a query is planned when it runs ---
    @classmethod
    def query(cls, *conditions: Any) -> Query:
        """A query the planner serves with GetItem, BatchGetItem, Query or (said) Scan."""
        return Query(cls, *conditions)

    @classmethod
    def scan(cls, *conditions: Any) -> Query:
        """An explicit Scan of the table, filtered by `conditions`."""
        return Query(cls, *conditions, scan=True)

    # --- active record: each delegates to a connection (the default one unless given) ---
    @classmethod
    def get(cls, *key: Any, consistent: bool = False, connection: Any = None,
            **named_key: Any) -> typing.Self:
        """Read one item by primary key; raises ItemNotFound when absent."""
        return _session.resolve(connection).get(  # type: ignore[no-any-return]
            cls, *key, consistent=consistent, **named_key)

    def create(self, *, condition: Any = None, connection: Any = None) -> typing.Self:
        """Write this object as a new item; raises ItemAlreadyExists if the key is taken."""
        _session.resolve(connection).create(self, condition=condition)
        return self

    def save(self, *, condition: Any = None, connection: Any = None) -> typing.Self:
        """Write this object (insert or update), with optimistic locking when versioned."""
        _session.resolve(connection).save(self, condition=condition)
        return self

    def update(self, *actions: UpdateAction, condition: Any = None,
               connection: Any = None) -> typing.Self:
        """Apply update actions to this item and refresh this object with the result."""
        _session.resolve(connection).update(self, *actions, condition=condition)
        return self

    def delete(self, *, condition: Any = None, connection: Any = None) -> None:
        """Delete this item (checking the version when versioned)."""
        _session.resolve(connection).delete(self, condition=condition)

    def refresh(self, *, connection: Any = None) -> typing.Self:
        """Reload this object's values from DynamoDB (a consistent read)."""
        _session.resolve(connection).refresh(self)
        return self

    @classmethod
    def put_frame(cls, frame: Any, *, connection: Any = None, **options: Any) -> Any:
        """Write a DataFrame's rows as objects of this model (see Connection.put_frame)."""
        return _session.resolve(connection).put_frame(cls, frame, **options)

    @classmethod
    def put_items(cls, items: Any, *, connection: Any = None, **options: Any) -> Any:
        """Write dicts of field values as objects of this model (see
        Connection.put_items)."""
        return _session.resolve(connection).put_items(cls, items, **options)

    @classmethod
    def create_table(cls, *, connection: Any = None, **options: Any) -> TableSchema:
        """Create this model's table (see Connection.create_table for options)."""
        return _session.resolve(connection).create_table(cls, **options)  # type: ignore[no-any-return]

    @classmethod
    def delete_table(cls, *, connection: Any = None) -> None:
        """Delete this model's table and wait until it is gone."""
        _session.resolve(connection).delete_table(cls)


_RESERVED_MEMBERS = frozenset(n for n in dir(Model) if not n.startswith("__")) | {"query", "scan"}
_SINGLE_ROLES = ("partition_key", "sort_key", "version", "ttl", "created_at", "updated_at")


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Model)


def _resolve_hints(cls: type) -> dict[str, Any]:
    """Evaluate the class's own annotations (strings under postponed evaluation)."""
    module = sys.modules.get(cls.__module__)
    globalns = dict(vars(module)) if module else {}
    localns = {cls.__name__: cls}
    hints = {}
    for name, written in inspect.get_annotations(cls).items():
        if not isinstance(written, str):
            hints[name] = written
            continue
        try:
            hints[name] = eval(written, globalns, localns)  # the user's own annotation text
        except NameError as exc:
            raise ModelDefinitionError(
                f"cannot resolve the annotation {written!r} ({exc}); define the type "
                "before the model, at module level", model=cls.__name__, field=name,
            ) from None
    return hints


def _build_model(cls: type[Model], table: str | None, projections: dict[str, Any],
                 declared: dict[str, IndexSpec] | None = None) -> None:
    name = cls.__name__
    declared = declared or {}
    if table is None:
        table = next((getattr(b, "__table__", None) for b in cls.__mro__[1:]
                      if getattr(b, "__table__", None)), None)
    if table is not None:
        try:
            check_table_name(table)
        except ValidationError as exc:
            raise ModelDefinitionError(f"table=: {exc}", model=name) from None
    hints = _resolve_hints(cls)
    specs: dict[str, tuple[Any, FieldSpec]] = {}
    for base in reversed(cls.__mro__[1:]):
        specs.update(getattr(base, "__dynamorm_specs__", {}))
    for py_name in hints:
        hint = hints[py_name]
        if py_name.startswith("_") or typing.get_origin(hint) is ClassVar or hint is ClassVar:
            continue
        if py_name in _RESERVED_MEMBERS:
            raise ModelDefinitionError(
                f"the name clashes with Model.{py_name}; use another Python name and "
                f"field(name={py_name!r}) to keep the attribute name", model=name, field=py_name)
        raw = cls.__dict__.get(py_name, FieldSpec())
        spec = raw if isinstance(raw, FieldSpec) else FieldSpec(default=raw)
        if spec.default_factory is not None and spec.default is not MISSING:
            raise ModelDefinitionError("give default or default_factory, not both",
                                       model=name, field=py_name)
        specs[py_name] = (hint, spec)
    _declare_indexes(name, specs, declared, projections)
    _check_patterns(name, cls.__dict__.get("access_patterns"))

    fields: dict[str, Field] = {}
    for py_name, (hint, spec) in specs.items():
        try:
            node = analyze(hint, is_model=_is_model)
        except TypeError as exc:
            raise ModelDefinitionError(str(exc), model=name, field=py_name) from None
        problem = check_role_type(node, spec)
        if problem:
            raise ModelDefinitionError(problem, model=name, field=py_name)
        fields[py_name] = Field(name, py_name, node, spec)

    attrs: dict[str, Field] = {}
    for f in fields.values():
        if not f.spec.stored:
            if f.roles != ["not stored"]:
                raise ModelDefinitionError("a field with a DynamoDB role must be stored",
                                           model=name, field=f.py_name)
            continue
        if f.attr_name in attrs:
            raise ModelDefinitionError(
                f"attribute name {f.attr_name!r} is used by {attrs[f.attr_name].py_name} too",
                model=name, field=f.py_name)
        attrs[f.attr_name] = f

    roles: dict[str, Field] = {}
    for role in _SINGLE_ROLES:
        holders = [f for f in fields.values() if getattr(f.spec, role)]
        if len(holders) > 1:
            raise ModelDefinitionError(
                f"only one field can be the {role.replace('_', ' ')}; "
                f"{', '.join(f.py_name for f in holders)} all are", model=name,
                field=holders[1].py_name)
        if holders:
            roles[role] = holders[0]

    cls.__table__ = table
    cls.__dynamorm_fields__ = fields
    cls.__dynamorm_attrs__ = attrs
    cls.__dynamorm_specs__ = specs
    cls.__dynamorm_roles__ = roles
    cls._codec = None
    cls.__dynamorm_schema__ = (_table_schema(cls, table, roles, projections, declared)
                               if table is not None else None)
    if table is None:
        for role in ("partition_key", "sort_key"):
            if role in roles:
                raise ModelDefinitionError(
                    f"{role.replace('_', ' ')} on a model without table=; give the class a "
                    "table, or it is a nested model (stored as a map)", model=name,
                    field=roles[role].py_name)
    for f in fields.values():
        if f.spec.stored:
            setattr(cls, f.py_name, _FieldAccessor(f))
        elif isinstance(cls.__dict__.get(f.py_name), FieldSpec):
            setattr(cls, f.py_name, f.make_default())
    if table is not None:
        registry.register(cls)


def _state_presence(cls: type[Model], assumed: Iterable[str] | None,
                    copresent: Mapping[str, Iterable[str]] | None) -> None:
    """Keep ``assumed_present=`` and ``copresent=`` as attribute names, where the planner
    reads them (inherited by subclasses unless they state their own)."""
    by_name = {**{f.attr_name: f.attr_name for f in cls.__dynamorm_attrs__.values()},
               **{f.py_name: f.attr_name for f in cls.__dynamorm_attrs__.values()}}

    def names(value: Any, keyword: str) -> frozenset[str]:
        if isinstance(value, str) or not isinstance(value, Iterable) or not all(
                isinstance(n, str) for n in value):
            raise ModelDefinitionError(f"{keyword} takes a list of attribute names, got "
                                       f"{value!r:.60}", model=cls.__name__)
        unknown = [n for n in value if n not in by_name]
        if unknown:
            raise ModelDefinitionError(
                f"{keyword} names {', '.join(map(repr, unknown))}, which the model does not "
                f"declare (its attributes: {', '.join(cls.__dynamorm_attrs__)})",
                model=cls.__name__)
        return frozenset(by_name[n] for n in value)

    if assumed is not None:
        cls.__dynamorm_assumed__ = names(assumed, "assumed_present=")
    if copresent is not None:
        if not isinstance(copresent, Mapping):
            raise ModelDefinitionError("copresent= takes a dict of attribute name to the "
                                       f"names always present with it, got {copresent!r:.60}",
                                       model=cls.__name__)
        cls.__dynamorm_copresent__ = {
            next(iter(names([k], "copresent="))): names(v, f"copresent[{k!r}]")
            for k, v in copresent.items()}


def _key_attribute(f: Field) -> KeyAttribute:
    return KeyAttribute(f.attr_name, f.node.dynamo_type)


def _check_patterns(model: str, patterns: Any) -> None:
    """``access_patterns``: names to functions returning a query (or dl.pattern(...))."""
    if patterns is None:
        return
    if not isinstance(patterns, Mapping) or not all(
            isinstance(k, str) and (callable(v) or callable(getattr(v, "build", None)))
            for k, v in patterns.items()):
        raise ModelDefinitionError(
            "access_patterns is a dict of names to functions returning a query, e.g. "
            "{'open games on a map': lambda map: Game.query(Game.map == map)}", model=model)


def _declare_indexes(model: str, specs: dict[str, tuple[Any, FieldSpec]],
                     declared: dict[str, IndexSpec], projections: dict[str, Any]) -> None:
    """Give each field named by ``indexes=`` its GSI role, as field(gsi_partition=...) would,
    and take the index's projection into `projections`."""
    for index_name, index in declared.items():
        if not isinstance(index, IndexSpec):
            raise ModelDefinitionError(f"indexes={{{index_name!r}: ...}} takes dl.gsi(...), got "
                                       f"{index!r:.60}", model=model)
        if index_name in projections:
            raise ModelDefinitionError(f"{index_name}: give its projection in dl.gsi(...), not "
                                       "also in projections=", model=model)
        projections[index_name] = index.projection
        flagged = [n for n, (_, spec) in specs.items()
                   if index_name in (*spec.gsi_partition, *spec.gsi_sort)]
        if flagged:
            raise ModelDefinitionError(
                f"index {index_name} is declared in indexes= and also by field flags on "
                f"{', '.join(flagged)}: declare it once", model=model, field=flagged[0])
        for partition, names in ((True, index.partition), (False, index.sort)):
            for py_name in names:
                if py_name not in specs:
                    raise ModelDefinitionError(
                        f"index {index_name} names {py_name!r}, which is not a field "
                        f"(fields: {', '.join(specs)})", model=model)
                hint, spec = specs[py_name]
                spec = (dataclasses.replace(spec, gsi_partition=(*spec.gsi_partition, index_name))
                        if partition else
                        dataclasses.replace(spec, gsi_sort=(*spec.gsi_sort, index_name)))
                specs[py_name] = (hint, spec)


def _table_schema(cls: type[Model], table: str, roles: dict[str, Field],
                  projections: dict[str, Any],
                  declared: dict[str, IndexSpec] | None = None) -> TableSchema:
    name = cls.__name__
    declared = declared or {}
    if "partition_key" not in roles:
        raise ModelDefinitionError(
            "has no partition key; mark one field with field(partition_key=True)", model=name)
    partition = _key_attribute(roles["partition_key"])
    sort = _key_attribute(roles["sort_key"]) if "sort_key" in roles else None
    gsi_parts: dict[str, dict[str, list[Field]]] = {}
    lsi_sorts: dict[str, Field] = {}
    fields = cls.__dynamorm_fields__
    for index_name, index in declared.items():  # several attributes each, in the order given
        gsi_parts[index_name] = {"partition": [fields[n] for n in index.partition],
                                 "sort": [fields[n] for n in index.sort]}
    for f in fields.values():
        for role, index_names in (("partition", f.spec.gsi_partition), ("sort", f.spec.gsi_sort)):
            for index_name in index_names:
                if index_name in declared:
                    continue
                slot = gsi_parts.setdefault(index_name, {"partition": [], "sort": []})
                if slot[role]:
                    raise ModelDefinitionError(
                        f"index {index_name} has two {role} keys: {slot[role][0].py_name} and "
                        f"{f.py_name}; a key of several attributes is declared on the class: "
                        f"indexes={{{index_name!r}: dl.gsi({role}=[...])}}", model=name,
                        field=f.py_name)
                slot[role].append(f)
        for index_name in f.spec.lsi_sort:
            if index_name in lsi_sorts:
                raise ModelDefinitionError(f"local index {index_name} has two sort keys",
                                           model=name, field=f.py_name)
            lsi_sorts[index_name] = f
    for index_name, owner in [*((n, (p["partition"] or p["sort"])[0])
                                for n, p in gsi_parts.items()), *lsi_sorts.items()]:
        try:
            check_table_name(index_name, "index")
        except ValidationError as exc:
            raise ModelDefinitionError(str(exc), model=name, field=owner.py_name) from None
    indexes = []
    for index_name, parts in gsi_parts.items():
        if not parts["partition"]:
            raise ModelDefinitionError(
                f"index {index_name} has a sort key but no partition key; mark a field "
                f"with field(gsi_partition={index_name!r})", model=name,
                field=parts["sort"][0].py_name)
        if index_name in lsi_sorts:
            raise ModelDefinitionError(f"{index_name} is declared both global and local",
                                       model=name, field=lsi_sorts[index_name].py_name)
        partitions = tuple(map(_key_attribute, parts["partition"]))
        sorts = tuple(map(_key_attribute, parts["sort"]))
        projection, include = _projection(cls, index_name, projections.pop(index_name, "ALL"))
        try:
            indexes.append(Index(index_name, "GSI", partitions[0], (sorts or (None,))[0],
                                 projection, include, partitions, sorts))
        except ValidationError as exc:
            raise ModelDefinitionError(str(exc), model=name) from None
    for index_name, f in lsi_sorts.items():
        if sort is None:
            raise ModelDefinitionError(
                f"local index {index_name} needs a table with a sort key (LSIs share the "
                "partition key and add another sort key)", model=name, field=f.py_name)
        projection, include = _projection(cls, index_name, projections.pop(index_name, "ALL"))
        indexes.append(Index(index_name, "LSI", partition, _key_attribute(f), projection,
                             include))
    if projections:
        raise ModelDefinitionError(
            f"projections= names unknown index(es): {', '.join(projections)}", model=name)
    if sum(i.kind == "GSI" for i in indexes) > MAX_GSIS:
        raise ModelDefinitionError(f"DynamoDB allows at most {MAX_GSIS} GSIs", model=name)
    if sum(i.kind == "LSI" for i in indexes) > MAX_LSIS:
        raise ModelDefinitionError(f"DynamoDB allows at most {MAX_LSIS} LSIs", model=name)
    ttl = roles["ttl"].attr_name if "ttl" in roles else None
    try:
        result = TableSchema(table, partition, sort,
                             tuple(sorted(indexes, key=lambda i: (i.kind, i.name))), ttl)
        result.attribute_definitions()
    except ValidationError as exc:
        raise ModelDefinitionError(str(exc), model=name) from None
    return result


def _projection(cls: type[Model], index_name: str,
                value: Any) -> tuple[Projection, tuple[str, ...]]:
    if value in ("ALL", "KEYS_ONLY"):
        return value, ()
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        fields = cls.__dynamorm_fields__
        return "INCLUDE", tuple(fields[v].attr_name if v in fields else v for v in value)
    raise ModelDefinitionError(
        f"projection of {index_name} must be 'ALL', 'KEYS_ONLY' or a list of attribute names",
        model=cls.__name__)


class Registry:
    """Every model with a table, by table; a notebook re-running a cell replaces its model."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, str], type[Model]] = {}

    def register(self, model: type[Model]) -> None:
        self._models[(model.__module__, model.__qualname__)] = model

    def __iter__(self) -> Iterator[type[Model]]:
        return iter(list(self._models.values()))

    def __len__(self) -> int:
        return len(self._models)

    def for_table(self, table: str) -> list[type[Model]]:
        """The models stored in `table` (several in a single-table design)."""
        return [m for m in self._models.values() if m.__table__ == table]

    def tables(self) -> list[str]:
        return sorted({m.__table__ for m in self._models.values() if m.__table__})

    def __repr__(self) -> str:
        return f"<Registry of {len(self)} models over tables {self.tables()}>"


registry = Registry()


def fields(model: type[Model] | Model) -> tuple[Field, ...]:
    """The resolved fields of a model class (or of an object's class)."""
    cls = model if isinstance(model, type) else type(model)
    return tuple(cls.__dynamorm_fields__.values())


def schema(model: type[Model] | Model) -> TableSchema:
    """The table schema a model declares (raises for nested models, which have none)."""
    cls = model if isinstance(model, type) else type(model)
    if cls.__dynamorm_schema__ is None:
        raise ValidationError(f"{cls.__name__} has no table; it can only be nested in a model")
    return cls.__dynamorm_schema__


def node_of(model: type[Model]) -> TypeNode:
    """The model as a type node (for nested use)."""
    return TypeNode(Kind.MODEL, py=model)
