"""Condition, update and projection expressions as plain data, and their one renderer.

Nodes are small frozen dataclasses. Values are encoded when a node is built (so a bad value
fails where it is written, naming its path) and rendered only through a `Placeholders`
allocator, one per request: every name becomes ``#nK`` and every value ``:vK``. Nothing a user
supplies is ever spliced into expression text, so reserved words and injection cannot matter.

Two ways to write a path: from a model (``Movie.year``, ``Movie.info["actors"][0]``) or by
name when it is only known at run time (``path("info.actors[0]")``, ``attr("odd.name")``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import CodecError, ExpressionError
from .codec import AttributeValue, Encoder, decode_value, encode_value, encoder_for
from .limits import check_values
from .types import Kind, TypeNode

__all__ = [
    "And", "Arithmetic", "Between", "Call", "Compare", "Condition", "IfNotExists", "In",
    "ListAppend", "Not", "Operand", "Or", "Path", "Placeholders", "Size", "UpdateAction",
    "Value", "attr", "compile_condition", "compile_projection", "compile_update", "path",
    "value_order",
]

ATTRIBUTE_TYPES = frozenset({"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"})
MAX_IN_VALUES = 100


@functools.lru_cache(maxsize=512)
def _encoder(node: TypeNode) -> Encoder:
    return encoder_for(node)


def _accepts(node: TypeNode, value: Any) -> bool:
    if value is None:
        return node.optional or node.kind in (Kind.NONE, Kind.ANY)
    if node.kind in (Kind.INT, Kind.DECIMAL, Kind.FLOAT) and isinstance(value, bool):
        return False
    if node.kind is Kind.ENUM:
        return isinstance(value, node.py) or value in {m.value for m in node.py}
    return isinstance(value, node.python_types)


class Operand:
    """Anything that can stand on either side of a comparison."""

    __slots__ = ()

    def _value(self, value: Any, *, strict: bool = False) -> Operand:
        if isinstance(value, Operand):
            return value
        if isinstance(value, Condition):
            raise ExpressionError("a condition cannot be used as a value")
        try:
            return Value(encode_value(value))
        except CodecError as exc:
            raise exc.at(str(self)) from None

    def _compare(self, op: str, other: Any) -> Compare:
        right = self._value(other, strict=True)
        if isinstance(right, Path) and isinstance(self, Path) and right.same_as(self):
            raise ExpressionError(f"{self} {op} {right}: DynamoDB refuses comparing an attribute "
                                  "with itself")
        return Compare(op, self, right)

    def __eq__(self, other: object) -> Compare:  # type: ignore[override]
        return self._compare("=", other)

    def __ne__(self, other: object) -> Compare:  # type: ignore[override]
        return self._compare("<>", other)

    def __lt__(self, other: Any) -> Compare:
        return self._compare("<", other)

    def __le__(self, other: Any) -> Compare:
        return self._compare("<=", other)

    def __gt__(self, other: Any) -> Compare:
        return self._compare(">", other)

    def __ge__(self, other: Any) -> Compare:
        return self._compare(">=", other)

    __hash__ = None  # type: ignore[assignment]

    def between(self, low: Any, high: Any) -> Between:
        """``self BETWEEN low AND high`` (both ends included)."""
        first, last = self._value(low, strict=True), self._value(high, strict=True)
        if isinstance(first, Value) and isinstance(last, Value):
            if first.tag != last.tag:
                raise ExpressionError(f"BETWEEN needs two bounds of one type, got {first.tag} "
                                      f"and {last.tag}")
            if first.tag in ("S", "N", "B") and value_order(first) > value_order(last):
                raise ExpressionError(f"BETWEEN bounds are reversed: {describe_value(first)} "
                                      f"is above {describe_value(last)}")
        return Between(self, first, last)

    def is_in(self, values: Iterable[Any]) -> In:
        """``self IN (v1, v2, ...)``: true when equal to one of 1 to 100 values."""
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise ExpressionError("is_in() takes a list of values, for example is_in([1, 2])")
        options = tuple(self._value(v, strict=True) for v in values)
        if not 1 <= len(options) <= MAX_IN_VALUES:
            raise ExpressionError(f"IN takes 1 to {MAX_IN_VALUES} values, got {len(options)}")
        return In(self, options)


def value_order(value: Value) -> Any:
    """A scalar value as DynamoDB orders it: numbers by value, text by code point (the
    order of its UTF-8 bytes), binary by its bytes."""
    payload = value.av[value.tag]
    return Decimal(payload) if value.tag == "N" else payload


def describe_value(value: Value) -> str:
    return literal(decode_value(value.av))


class Path(Operand):
    """A document path such as ``info.actors[0]``, optionally typed by the model field."""

    __slots__ = ("elements", "encoder", "node")

    def __init__(
        self,
        elements: Sequence[str | int],
        node: TypeNode | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        if not elements or not isinstance(elements[0], str):
            raise ExpressionError("a path must start with an attribute name")
        for element in elements:
            if isinstance(element, bool) or not isinstance(element, str | int):
                raise ExpressionError(f"path elements are names or list indexes, not {element!r}")
            if isinstance(element, str) and not element:
                raise ExpressionError("an attribute name cannot be empty")
            if isinstance(element, int) and element < 0:
                raise ExpressionError(f"list index {element} cannot be negative")
        self.elements: tuple[str | int, ...] = tuple(elements)
        self.node = node
        self.encoder = encoder

    def __repr__(self) -> str:
        return f"Path({str(self)!r})"

    def __str__(self) -> str:
        text = ""
        for element in self.elements:
            text += f"[{element}]" if isinstance(element, int) else (
                f".{element}" if text else element)
        return text

    @property
    def name(self) -> str:
        """The top-level attribute name."""
        return self.elements[0]  # type: ignore[return-value]

    def same_as(self, other: Path) -> bool:
        """True when both paths name the same document element."""
        return self.elements == other.elements

    def overlaps(self, other: Path) -> bool:
        """True when one path is the other or lies inside it, or when the two treat the same
        element as a list and as a map (DynamoDB calls both a conflict)."""
        shorter = min(len(self.elements), len(other.elements))
        if self.elements[:shorter] == other.elements[:shorter]:
            return True
        for mine, theirs in zip(self.elements, other.elements, strict=False):
            if mine != theirs:
                return isinstance(mine, int) != isinstance(theirs, int)
        return False

    # --- navigation ---
    def __getitem__(self, key: str | int) -> Path:
        child: TypeNode | None = None
        encoder: Encoder | None = None
        node = self.node
        if node is not None and node.kind is Kind.MODEL and isinstance(key, str):
            field = node.py.__dynamorm_attrs__.get(key)
            if field is not None:
                child, encoder = field.node, field.encode
        elif node is not None and (
            (node.kind is Kind.DICT and isinstance(key, str))
            or (node.kind is Kind.LIST and isinstance(key, int))
        ):
            child = node.args[0]
        return Path((*self.elements, key), child, encoder)

    def __getattr__(self, name: str) -> Path:
        node = object.__getattribute__(self, "node")
        if not name.startswith("_") and node is not None and node.kind is Kind.MODEL:
            field = node.py.__dynamorm_fields__.get(name)
            if field is not None:
                return Path((*self.elements, field.attr_name), field.node, field.encode)
        raise AttributeError(
            f"{type(self).__name__} {self} has no attribute {name!r}; "
            f"use [{name!r}] for a map key"
        )

    # --- values typed by the field ---
    def _value(self, value: Any, *, strict: bool = False) -> Operand:
        if isinstance(value, Operand | Condition):
            return super()._value(value)
        node = self.node
        if node is not None and node.kind not in (Kind.ANY, Kind.UNION):
            if _accepts(node, value):
                try:
                    if value is None:
                        return Value({"NULL": True})
                    return Value((self.encoder or _encoder(node))(value))
                except CodecError as exc:
                    raise exc.at(str(self)) from None
            if strict:
                raise ExpressionError(
                    f"{self} holds {node.describe()}; cannot compare it with "
                    f"{type(value).__name__} {value!r:.60}"
                )
        return super()._value(value)

    # --- condition functions ---
    def begins_with(self, prefix: str | bytes) -> Call:
        """``begins_with(self, prefix)``: strings and binary only."""
        if not isinstance(prefix, str | bytes):
            raise ExpressionError("begins_with() takes a str or bytes prefix")
        return Call("begins_with", (self, Value(encode_value(prefix))))

    def contains(self, value: Any) -> Call:
        """``contains(self, value)``: a substring, a set member or a list element."""
        return Call("contains", (self, super()._value(value)))

    def exists(self) -> Call:
        """``attribute_exists(self)``."""
        return Call("attribute_exists", (self,))

    def not_exists(self) -> Call:
        """``attribute_not_exists(self)``."""
        return Call("attribute_not_exists", (self,))

    def is_type(self, type_letter: str) -> Call:
        """``attribute_type(self, :t)`` with a DynamoDB type letter ('S', 'N', 'SS', 'M', ...)."""
        if type_letter not in ATTRIBUTE_TYPES:
            raise ExpressionError(
                f"attribute type must be one of {', '.join(sorted(ATTRIBUTE_TYPES))}, "
                f"got {type_letter!r}"
            )
        return Call("attribute_type", (self, Value({"S": type_letter})))

    def size(self) -> Size:
        """``size(self)``, an operand to compare with a number."""
        return Size(self)

    # --- update actions ---
    def set(self, value: Any) -> UpdateAction:
        """``SET self = value`` (value may be an operand: ``Movie.n + 1``, ``if_not_exists``)."""
        return UpdateAction("SET", self, self._value(value, strict=True))

    def remove(self) -> UpdateAction:
        """``REMOVE self``."""
        return UpdateAction("REMOVE", self, None)

    def add(self, value: Any) -> UpdateAction:
        """``ADD self value``: add to a number, or add elements to a set."""
        operand = self._value(value)
        if not isinstance(operand, Value) or operand.tag not in ("N", "SS", "NS", "BS"):
            raise ExpressionError(f"ADD {self} takes a number or a non-empty set")
        return UpdateAction("ADD", self, operand)

    def delete(self, value: Any) -> UpdateAction:
        """``DELETE self value``: remove elements from a set."""
        operand = self._value(value)
        if not isinstance(operand, Value) or operand.tag not in ("SS", "NS", "BS"):
            raise ExpressionError(f"DELETE {self} takes a non-empty set of elements to remove")
        return UpdateAction("DELETE", self, operand)

    def if_not_exists(self, default: Any) -> IfNotExists:
        """``if_not_exists(self, default)``, for use in ``set()``."""
        return IfNotExists(self, self._value(default))

    def list_append(self, values: Any) -> ListAppend:
        """``list_append(self, values)``: self with `values` appended."""
        return ListAppend(self, _list_operand(self._value(values)))

    def list_prepend(self, values: Any) -> ListAppend:
        """``list_append(values, self)``: self with `values` put in front."""
        return ListAppend(_list_operand(self._value(values)), self)

    def __add__(self, other: Any) -> Arithmetic:
        return Arithmetic("+", self, _number_operand(self._value(other)))

    def __sub__(self, other: Any) -> Arithmetic:
        return Arithmetic("-", self, _number_operand(self._value(other)))


def _number_operand(operand: Operand) -> Operand:
    if isinstance(operand, Value) and operand.tag != "N":
        raise ExpressionError(f"arithmetic needs a number, got {operand.tag} "
                              f"{describe_value(operand)}")
    return operand


def _list_operand(operand: Operand) -> Operand:
    if isinstance(operand, Value) and operand.tag != "L":
        raise ExpressionError(f"list_append needs a list, got {operand.tag} "
                              f"{describe_value(operand)}")
    return operand


@dataclass(frozen=True, slots=True, eq=False)
class Value(Operand):
    """An encoded value, rendered as a ``:vK`` placeholder."""

    av: AttributeValue

    @property
    def tag(self) -> str:
        return next(iter(self.av))


@dataclass(frozen=True, slots=True, eq=False)
class Size(Operand):
    """``size(path)``."""

    path: Path


@dataclass(frozen=True, slots=True, eq=False)
class IfNotExists(Operand):
    """``if_not_exists(path, default)`` (update expressions only)."""

    path: Path
    default: Operand

    def __add__(self, other: Any) -> Arithmetic:
        return Arithmetic("+", self, self.path._value(other))

    def __sub__(self, other: Any) -> Arithmetic:
        return Arithmetic("-", self, self.path._value(other))


@dataclass(frozen=True, slots=True, eq=False)
class ListAppend(Operand):
    """``list_append(a, b)`` (update expressions only)."""

    first: Operand
    second: Operand


@dataclass(frozen=True, slots=True, eq=False)
class Arithmetic(Operand):
    """``a + b`` or ``a - b`` (update expressions only)."""

    op: str
    left: Operand
    right: Operand


class Condition:
    """Base of condition nodes: combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def __and__(self, other: Condition) -> And:
        return And((self, _require_condition(other)))

    def __or__(self, other: Condition) -> Or:
        return Or((self, _require_condition(other)))

    def __invert__(self) -> Not:
        return Not(self)

    def __bool__(self) -> bool:
        raise ExpressionError(
            "a condition has no truth value: combine conditions with &, | and ~ "
            "(not `and`, `or`, `not`), and compare paths only inside queries and conditions"
        )


def _require_condition(value: Any) -> Condition:
    if not isinstance(value, Condition):
        raise ExpressionError(f"expected a condition, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True, eq=False)
class Compare(Condition):
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True, eq=False)
class Between(Condition):
    subject: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True, eq=False)
class In(Condition):
    subject: Operand
    options: tuple[Operand, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Call(Condition):
    function: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True, eq=False)
class And(Condition):
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Or(Condition):
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Not(Condition):
    part: Condition


@dataclass(frozen=True, slots=True, eq=False)
class UpdateAction:
    """One clause item of an update expression."""

    action: str  # SET, REMOVE, ADD, DELETE
    path: Path
    operand: Operand | None

    def __bool__(self) -> bool:
        raise ExpressionError("an update action has no truth value; pass it to update()")


# --- names known only at run time --------------------------------------------------------

_NAME = re.compile(r"[^.\[\]]+")


def _path_error(text: str, position: int, expected: str) -> ExpressionError:
    return ExpressionError(
        f"cannot read path {text!r} at column {position + 1}: expected {expected}\n"
        f"  {text}\n  {' ' * position}^"
    )


def path(text: str) -> Path:
    """Parse a document path such as ``info.actors[0].name`` (untyped)."""
    if not isinstance(text, str):
        raise ExpressionError(f"path() takes a string such as 'info.rating', got "
                              f"{type(text).__name__}")
    if not text:
        raise _path_error(text, 0, "an attribute name (the path is empty)")
    elements: list[str | int] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "[":
            close = text.find("]", position)
            digits = text[position + 1:close] if close > 0 else ""
            if not elements:
                raise _path_error(text, position, "an attribute name first")
            if not (digits.isascii() and digits.isdecimal()):
                raise _path_error(text, position + 1, "a list index such as [0]")
            elements.append(int(digits))
            position = close + 1
            continue
        if elements:
            if char != ".":
                raise _path_error(text, position, "'.' or '['")
            position += 1
        match = _NAME.match(text, position)
        if match is None:
            raise _path_error(text, position, "an attribute name")
        elements.append(match.group())
        position = match.end()
    return Path(elements)


def attr(name: str) -> Path:
    """A top-level attribute taken literally, even if it contains '.' or '['."""
    if not isinstance(name, str) or not name:
        raise ExpressionError("attr() takes a non-empty attribute name")
    return Path((name,))


# --- rendering ----------------------------------------------------------------------------

class Placeholders:
    """Allocates ``#nK`` and ``:vK`` placeholders for one request.

    One allocator serves a request's key condition, filter, condition, projection and update,
    so their placeholder maps never collide.
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValue] = {}
        self._by_name: dict[str, str] = {}

    def name(self, name: str) -> str:
        placeholder = self._by_name.get(name)
        if placeholder is None:
            placeholder = f"#n{len(self._by_name)}"
            self._by_name[name] = placeholder
            self.names[placeholder] = name
        return placeholder

    def value(self, av: AttributeValue) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = av
        return placeholder

    def into(self, request: dict[str, Any]) -> dict[str, Any]:
        """Add the name and value maps to `request` (only the non-empty ones), refusing
        values DynamoDB would refuse (nesting, empty map keys, invalid text) unsent."""
        if self.names:
            request["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            check_values(self.values, request.get("TableName"))
            request["ExpressionAttributeValues"] = dict(self.values)
        return request


def _render_path(node: Path, ph: Placeholders) -> str:
    out = []
    for element in node.elements:
        if isinstance(element, int):
            out.append(f"[{element}]")
        else:
            out.append(("." if out else "") + ph.name(element))
    return "".join(out)


def _render_operand(node: Operand, ph: Placeholders, *, update: bool = False) -> str:
    if isinstance(node, Path):
        return _render_path(node, ph)
    if isinstance(node, Value):
        return ph.value(node.av)
    if isinstance(node, Size):
        if update:
            raise ExpressionError("size() cannot be used in an update expression")
        return f"size({_render_path(node.path, ph)})"
    if not update:
        raise ExpressionError(
            f"{type(node).__name__} (arithmetic, if_not_exists, list_append) is only "
            "allowed in update expressions"
        )
    if isinstance(node, IfNotExists):
        return (f"if_not_exists({_render_path(node.path, ph)}, "
                f"{_render_operand(node.default, ph, update=True)})")
    if isinstance(node, ListAppend):
        return (f"list_append({_render_operand(node.first, ph, update=True)}, "
                f"{_render_operand(node.second, ph, update=True)})")
    if isinstance(node, Arithmetic):
        return (f"{_render_operand(node.left, ph, update=True)} {node.op} "
                f"{_render_operand(node.right, ph, update=True)}")
    raise ExpressionError(f"cannot render {node!r}")


def _group(node: Condition, ph: Placeholders) -> str:
    text = _render_condition(node, ph)
    return f"({text})" if isinstance(node, And | Or) else text


def _render_condition(node: Condition, ph: Placeholders) -> str:
    renderer = _CONDITION_RENDERERS.get(type(node))
    if renderer is None:
        raise ExpressionError(f"not a condition: {node!r}")
    return renderer(node, ph)


_CONDITION_RENDERERS: dict[type, Callable[[Any, Placeholders], str]] = {
    Compare: lambda n, ph: (
        f"{_render_operand(n.left, ph)} {n.op} {_render_operand(n.right, ph)}"),
    Between: lambda n, ph: (
        f"{_render_operand(n.subject, ph)} BETWEEN {_render_operand(n.low, ph)} "
        f"AND {_render_operand(n.high, ph)}"),
    In: lambda n, ph: (
        f"{_render_operand(n.subject, ph)} IN "
        f"({', '.join(_render_operand(o, ph) for o in n.options)})"),
    Call: lambda n, ph: (
        f"{n.function}({', '.join(_render_operand(a, ph) for a in n.args)})"),
    And: lambda n, ph: " AND ".join(_group(p, ph) for p in n.parts),
    Or: lambda n, ph: " OR ".join(_group(p, ph) for p in n.parts),
    Not: lambda n, ph: f"NOT ({_render_condition(n.part, ph)})",
}


def compile_condition(condition: Condition, ph: Placeholders) -> str:
    """Render a condition tree with `ph`'s placeholders."""
    return _render_condition(_require_condition(condition), ph)


def compile_projection(paths: Iterable[Path | str], ph: Placeholders) -> str:
    """Render a projection expression (strings are read as paths)."""
    parsed = [p if isinstance(p, Path) else path(p) for p in paths]
    if not parsed:
        raise ExpressionError("a projection needs at least one attribute")
    for index, one in enumerate(parsed):
        for earlier in parsed[:index]:
            if one.overlaps(earlier):
                raise ExpressionError(f"projection paths {earlier} and {one} overlap; "
                                      "DynamoDB refuses that (keep the shorter one)")
    rendered = [_render_path(p, ph) for p in parsed]
    return ", ".join(rendered)


_CLAUSE_ORDER = ("SET", "REMOVE", "ADD", "DELETE")


def compile_update(actions: Sequence[UpdateAction], ph: Placeholders) -> str:
    """Render update actions as ``SET ... REMOVE ... ADD ... DELETE ...``.

    Two actions on the same or overlapping paths are refused, as DynamoDB would refuse them.
    """
    if not actions:
        raise ExpressionError("an update needs at least one action")
    for index, action in enumerate(actions):
        if not isinstance(action, UpdateAction):
            raise ExpressionError(
                f"update actions are built from paths (Movie.rating.set(5)), got {action!r:.60}"
            )
        for earlier in actions[:index]:
            if action.path.overlaps(earlier.path):
                raise ExpressionError(
                    f"two update actions touch overlapping paths: {earlier.path} and {action.path}"
                )
    clauses = []
    for clause in _CLAUSE_ORDER:
        items = []
        for action in actions:
            if action.action != clause:
                continue
            target = _render_path(action.path, ph)
            if clause == "REMOVE":
                items.append(target)
            elif clause == "SET":
                assert action.operand is not None
                items.append(f"{target} = {_render_operand(action.operand, ph, update=True)}")
            else:
                assert action.operand is not None
                items.append(f"{target} {_render_operand(action.operand, ph, update=True)}")
        if items:
            clauses.append(f"{clause} {', '.join(items)}")
    return " ".join(clauses)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def literal(value: Any) -> str:
    """A value as PartiQL literal text: 'text', 12, TRUE, NULL, <<'a'>>, [..], {..}
    (bytes, which PartiQL cannot write, are shown as Python would)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bytes):
        return repr(value)
    if isinstance(value, set | frozenset):
        return "<<" + ", ".join(sorted(literal(v) for v in value)) + ">>"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return str(value)


class Readable(Placeholders):
    """An allocator that writes real names and literal values: for explanations, never sent."""

    def name(self, name: str) -> str:
        return name if _IDENTIFIER.fullmatch(name) else '"' + name.replace('"', '""') + '"'

    def value(self, av: AttributeValue) -> str:
        return literal(decode_value(av))


def describe(node: Condition | Sequence[UpdateAction] | Path) -> str:
    """Human text for a condition, update or path, with names and values written out."""
    if isinstance(node, Path):
        return _render_path(node, Readable())
    if isinstance(node, Condition):
        return compile_condition(node, Readable())
    return compile_update(node, Readable())
