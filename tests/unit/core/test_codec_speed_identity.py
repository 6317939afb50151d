"""The fast codec paths give exactly the results and errors of a plain reference codec.

The reference below restates the codec's rules as they stood before the fast paths were
added: recursive, one step at a time, no caching and no generated code. Hypothesis feeds
both the same wire items, plain values and model objects, well-formed and malformed, and the
outcomes must be identical: a value with every nested type (int vs Decimal, a Decimal's
exponent, str subclasses), or an exception of the same type with the same message and path.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from helpers import Level, Mood
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl
from dynamorm_lab._core.codec import (
    decode_item,
    decode_number,
    decode_value,
    encode_item,
    encode_number,
    encode_value,
)
from dynamorm_lab._core.fields import MISSING, Field
from dynamorm_lab._core.types import Kind, TypeNode
from dynamorm_lab.errors import CodecError

# --- the reference codec ---------------------------------------------------------------------

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
ANY = TypeNode(Kind.ANY)


def ref_check_decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise CodecError(f"{value} cannot be stored: DynamoDB numbers must be finite")
    if value.is_zero():
        return "0"
    significant = max(len("".join(map(str, value.as_tuple().digits)).rstrip("0")), 1)
    if significant > 38:
        raise CodecError(f"{value} has {significant} significant digits; DynamoDB keeps at most 38")
    if not -130 <= value.adjusted() <= 125:
        raise CodecError(f"{value} is out of DynamoDB's number range (1E-130 to 9.99E+125)")
    return str(value)


def ref_encode_number(value: Any, float_ok: bool = False) -> str:
    if type(value) is int:
        return str(value) if abs(value) < 10**38 else ref_check_decimal(Decimal(value))
    if isinstance(value, float):
        text = repr(value)
        exact = Decimal(text)
        if not float_ok and exact.is_finite() and Decimal(value) != exact:
            raise CodecError(f"float {text} has no exact decimal form; pass Decimal({text!r}) "
                             "or declare the field as float")
        return ref_check_decimal(exact)
    if isinstance(value, Decimal):
        return ref_check_decimal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return ref_encode_number(int(value))
    raise CodecError(f"expected a number, got {type(value).__name__}")


def ref_decode_number(text: Any) -> Any:
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


def ref_decode_binary(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return base64.b64decode(payload)


def ref_decode_value(av: Any) -> Any:
    for tag, payload in av.items():  # the first key decides
        if tag == "S" or tag == "BOOL":
            return payload
        if tag == "N":
            return ref_decode_number(payload)
        if tag == "M":
            return {k: ref_decode_value(v) for k, v in payload.items()}
        if tag == "L":
            return [ref_decode_value(v) for v in payload]
        if tag == "NULL":
            return None
        if tag == "B":
            return ref_decode_binary(payload)
        if tag == "SS":
            return set(payload)
        if tag == "NS":
            return {ref_decode_number(n) for n in payload}
        if tag == "BS":
            return {ref_decode_binary(b) for b in payload}
        raise CodecError(f"unknown AttributeValue type {tag!r}")
    raise CodecError("an AttributeValue must have exactly one type key")


def ref_decode_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: ref_decode_value(v) for k, v in item.items()}


def ref_datetime_text(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CodecError(f"naive datetime {value.isoformat()} is ambiguous; attach a timezone "
                         "(for example datetime.now(timezone.utc))")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def ref_list(value: Any, encode: Callable[[Any], Any]) -> dict[str, Any]:
    out = []
    for index, element in enumerate(value):
        try:
            out.append(encode(element))
        except CodecError as exc:
            raise exc.at(f"[{index}]") from None
    return {"L": out}


def ref_map(value: dict[Any, Any], encode: Callable[[Any], Any]) -> dict[str, Any]:
    out = {}
    for key, element in value.items():
        if type(key) is not str:
            raise CodecError(f"map keys must be str, got {type(key).__name__} {key!r}")
        try:
            out[key] = encode(element)
        except CodecError as exc:
            raise exc.at(key) from None
    return {"M": out}


def ref_untyped_set(value: Any) -> dict[str, Any]:
    if not value:
        raise CodecError("an empty set cannot be stored in DynamoDB (omit the attribute instead)")
    kinds = {type(v) for v in value}
    if kinds == {str}:
        return {"SS": list(value)}
    if kinds <= {bytes}:
        return {"BS": list(value)}
    if kinds <= {int, Decimal, float}:
        return {"NS": [ref_encode_number(v) for v in value]}
    names = ", ".join(sorted(k.__name__ for k in kinds))
    raise CodecError(f"a set must hold only str, only numbers or only bytes, not {names}")


# (type, encoder) in the order the generic encoder tries subclasses
REF_GENERIC: list[tuple[type, Callable[[Any], Any]]] = [
    (str, lambda v: {"S": v}),
    (bool, lambda v: {"BOOL": v}),
    (int, lambda v: {"N": ref_encode_number(v)}),
    (Decimal, lambda v: {"N": ref_check_decimal(v)}),
    (float, lambda v: {"N": ref_encode_number(v)}),
    (type(None), lambda v: {"NULL": True}),
    (bytes, lambda v: {"B": v}),
    (bytearray, lambda v: {"B": bytes(v)}),
    (list, lambda v: ref_list(v, ref_encode_value)),
    (tuple, lambda v: ref_list(v, ref_encode_value)),
    (dict, lambda v: ref_map(v, ref_encode_value)),
    (set, ref_untyped_set),
    (frozenset, ref_untyped_set),
    (dt.datetime, lambda v: {"S": ref_datetime_text(v)}),
    (dt.date, lambda v: {"S": v.isoformat()}),
    (uuid.UUID, lambda v: {"S": str(v)}),
]


def ref_encode_value(value: Any) -> dict[str, Any]:
    for base, encode in REF_GENERIC:
        if type(value) is base:
            return encode(value)
    if isinstance(value, enum.Enum):
        return ref_encode_value(value.value)
    if hasattr(type(value), "__dynamorm_codec__"):
        return {"M": ref_model_encode(value)}
    for base, encode in REF_GENERIC:
        if isinstance(value, base) and base is not bool:
            return encode(value)
    raise CodecError(f"a value of type {type(value).__name__} cannot be stored in DynamoDB")


def ref_encode_item(item: dict[str, Any]) -> dict[str, Any]:
    return ref_map(item, ref_encode_value)["M"]  # type: ignore[no-any-return]


def ref_json_dumps(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float | Decimal):
        return ref_encode_number(value, float_ok=True)
    if isinstance(value, list | tuple):
        return "[" + ",".join(ref_json_dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if type(key) is not str:
                raise CodecError(f"JSON object keys must be str, got {type(key).__name__}")
            parts.append(json.dumps(key, ensure_ascii=False) + ":" + ref_json_dumps(item))
        return "{" + ",".join(parts) + "}"
    raise CodecError(f"a value of type {type(value).__name__} cannot be written as JSON")


def type_error(expected: str, value: Any) -> CodecError:
    return CodecError(f"expected {expected}, got {type(value).__name__} {value!r:.60}")


def tag_error(expected: str, av: Any) -> CodecError:
    got = next(iter(av), "nothing") if isinstance(av, dict) else type(av).__name__
    return CodecError(f"expected a {expected} attribute, got {got}")


# scalar kinds: (accepts the value?, its AttributeValue, the expected type in errors)
REF_CHECKED: dict[Kind, tuple[Callable[[Any], bool], Callable[[Any], Any], str]] = {
    Kind.STR: (lambda v: isinstance(v, str), lambda v: {"S": v}, "str"),
    Kind.BOOL: (lambda v: isinstance(v, bool), lambda v: {"BOOL": v}, "bool"),
    Kind.BYTES: (lambda v: isinstance(v, bytes | bytearray), lambda v: {"B": bytes(v)}, "bytes"),
    Kind.DATETIME: (lambda v: isinstance(v, dt.datetime),
                    lambda v: {"S": ref_datetime_text(v)}, "datetime"),
    Kind.DATE: (lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
                lambda v: {"S": v.isoformat()}, "date"),
    Kind.UUID: (lambda v: isinstance(v, uuid.UUID), lambda v: {"S": str(v)}, "UUID"),
    Kind.NONE: (lambda v: v is None, lambda v: {"NULL": True}, "None"),
}


def ref_encode_typed(node: TypeNode, v: Any) -> dict[str, Any]:
    if node.optional and v is None:
        return {"NULL": True}
    kind = node.kind
    if kind in REF_CHECKED:
        accepts, convert, expected = REF_CHECKED[kind]
        if accepts(v):
            return convert(v)
        raise type_error(expected, v)
    if kind in (Kind.INT, Kind.DECIMAL, Kind.FLOAT):
        if not isinstance(v, node.python_types) or isinstance(v, bool):
            raise type_error(kind.value, v)
        return {"N": ref_encode_number(v, float_ok=kind is Kind.FLOAT)}
    if kind is Kind.LIST:
        if not isinstance(v, list | tuple):
            raise type_error("list", v)
        return ref_list(v, lambda x: ref_encode_typed(node.args[0], x))
    if kind is Kind.DICT:
        if not isinstance(v, dict):
            raise type_error("dict", v)
        return ref_map(v, lambda x: ref_encode_typed(node.args[0], x))
    if kind is Kind.SET:
        return ref_encode_set(node.args[0], v, require_set=True)
    if kind is Kind.ENUM:
        if not isinstance(v, node.py):
            try:
                v = node.py(v)
            except ValueError:
                raise type_error(node.py.__name__, v) from None
        return ref_encode_value(v.value)
    if kind is Kind.MODEL:
        if not isinstance(v, node.py):
            raise type_error(node.py.__name__, v)
        return {"M": ref_model_encode(v)}
    if kind is Kind.UNION:
        if isinstance(v, node.python_types):
            return ref_encode_value(v)
        raise type_error(node.describe(), v)
    return ref_encode_value(v)


def ref_encode_set(element: TypeNode, v: Any, *, require_set: bool) -> dict[str, Any]:
    if require_set and not isinstance(v, set | frozenset):
        raise type_error("set", v)
    if not isinstance(v, set | frozenset | list | tuple):
        raise type_error("set or list", v)
    if not v:
        raise CodecError("an empty set cannot be stored in DynamoDB (omit the attribute)")
    if element.kind is Kind.ANY:
        return ref_untyped_set(set(v))
    texts = [next(iter(ref_encode_typed(element, x).values())) for x in v]
    if len(set(texts)) != len(texts):
        raise CodecError("a set cannot hold the same value twice")
    return {{Kind.STR: "SS", Kind.BYTES: "BS"}.get(element.kind, "NS"): texts}


def ref_ttl_encode(value: Any) -> dict[str, Any]:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise CodecError("a TTL datetime must be timezone-aware")
        return {"N": str((value - EPOCH) // dt.timedelta(seconds=1))}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"N": str(value)}
    raise type_error("datetime", value)


def is_index_key(f: Field) -> bool:
    s = f.spec
    return bool(s.partition_key or s.sort_key or s.gsi_partition or s.gsi_sort or s.lsi_sort)


def ref_field_encode(f: Field, value: Any) -> dict[str, Any]:
    s = f.spec
    if s.ttl:
        av = ref_ttl_encode(value)
    elif s.as_json:
        av = {"S": ref_json_dumps(value)}
    elif s.as_set:
        av = ref_encode_set(f.node.args[0] if f.node.args else ANY, value, require_set=False)
    else:
        av = ref_encode_typed(f.node, value)
    if is_index_key(f) and (av.get("S") == "" or av.get("B") == b""):
        raise CodecError(f"key attribute {f.attr_name} cannot be empty")
    return av


def ref_none_rule(f: Field) -> str:
    s = f.spec
    auto = s.version or s.created_at or s.updated_at or s.ttl
    if not (f.node.optional or auto or f.node.kind in (Kind.ANY, Kind.NONE)):
        return "refuse"
    has_value_default = s.default_factory is not None or (
        s.default is not MISSING and s.default is not None)
    if has_value_default and not is_index_key(f) and not auto:
        return "null"
    return "omit"


def ref_is_empty(value: Any) -> bool:
    return isinstance(value, str | bytes | list | dict | set | frozenset | tuple) and not value


def ref_model_encode(obj: Any) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for f in type(obj).__dynamorm_fields__.values():
        if not f.spec.stored:
            continue
        value = obj.__dict__.get(f.py_name)
        if value is None:
            rule = ref_none_rule(f)
            if rule == "null":
                item[f.attr_name] = {"NULL": True}
            elif rule == "refuse":
                raise CodecError(f"{type(obj).__name__}.{f.py_name} is not Optional, got None",
                                 path=f.attr_name)
            continue
        if (f.spec.omit_empty or f.node.kind is Kind.SET or f.spec.as_set) and ref_is_empty(value):
            continue
        try:
            item[f.attr_name] = ref_field_encode(f, value)
        except CodecError as exc:
            raise exc.at(f.attr_name) from None
    return item


def ref_int_from_text(text: Any) -> int:
    number = ref_decode_number(text)
    if isinstance(number, Decimal):
        if number != number.to_integral_value():
            raise CodecError(f"{text} is not an integer")
        return int(number)
    return number  # type: ignore[no-any-return]


def ref_scalar_from_text(node: TypeNode) -> Callable[[Any], Any]:
    return {Kind.INT: ref_int_from_text, Kind.DECIMAL: Decimal, Kind.STR: str,
            Kind.BYTES: ref_decode_binary, Kind.ANY: lambda x: x}.get(node.kind,
                                                                     ref_decode_number)


def ref_simple(av: Any, tag: str, convert: Callable[[Any], Any], expected: str) -> Any:
    try:
        payload = av[tag]
    except (KeyError, TypeError):
        raise tag_error(expected, av) from None
    try:
        return convert(payload)
    except (ValueError, ArithmeticError) as exc:
        raise CodecError(f"cannot read {payload!r} as {expected}: {exc}") from None


def ref_datetime_from_text(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


REF_SIMPLE: dict[Kind, tuple[str, Callable[[Any], Any], str]] = {
    Kind.STR: ("S", lambda x: x, "string (S)"),
    Kind.INT: ("N", ref_int_from_text, "number (N)"),
    Kind.DECIMAL: ("N", Decimal, "number (N)"),
    Kind.FLOAT: ("N", float, "number (N)"),
    Kind.BOOL: ("BOOL", lambda x: x, "boolean (BOOL)"),
    Kind.BYTES: ("B", ref_decode_binary, "binary (B)"),
    Kind.DATETIME: ("S", ref_datetime_from_text, "datetime string (S)"),
    Kind.DATE: ("S", dt.date.fromisoformat, "date string (S)"),
    Kind.UUID: ("S", uuid.UUID, "UUID string (S)"),
}


def ref_decode_typed(node: TypeNode, av: Any) -> Any:
    if node.optional and "NULL" in av:
        return None
    kind = node.kind
    if kind in REF_SIMPLE:
        return ref_simple(av, *REF_SIMPLE[kind])
    if kind is Kind.NONE:
        return None
    if kind is Kind.LIST:
        if "L" not in av:
            raise tag_error("list (L)", av)
        out = []
        for index, element in enumerate(av["L"]):
            try:
                out.append(ref_decode_typed(node.args[0], element))
            except CodecError as exc:
                raise exc.at(f"[{index}]") from None
        return out
    if kind is Kind.DICT:
        if "M" not in av:
            raise tag_error("map (M)", av)
        result = {}
        for key, element in av["M"].items():
            try:
                result[key] = ref_decode_typed(node.args[0], element)
            except CodecError as exc:
                raise exc.at(key) from None
        return result
    if kind is Kind.SET:
        if node.args[0].kind is Kind.ANY:
            return ref_decode_value(av)
        tag = node.dynamo_type
        convert = ref_scalar_from_text(node.args[0])
        return ref_simple(av, tag, lambda xs: {convert(x) for x in xs}, f"set ({tag})")
    if kind is Kind.ENUM:
        raw = ref_decode_value(av)
        try:
            return node.py(raw)
        except ValueError:
            raise CodecError(f"{raw!r} is not a value of {node.py.__name__}") from None
    if kind is Kind.MODEL:
        if "M" not in av:
            raise tag_error("map (M)", av)
        return ref_model_decode(node.py, av["M"])
    return ref_decode_value(av)


def ref_field_decode(f: Field, av: Any) -> Any:
    s = f.spec
    if s.ttl:
        if "N" not in av:
            raise tag_error("number (N) of epoch seconds", av)
        try:
            return EPOCH + dt.timedelta(seconds=int(Decimal(av["N"])))
        except (OverflowError, ArithmeticError, ValueError):
            raise CodecError(f"{av['N']} epoch seconds is not a representable datetime") from None
    if s.as_json:
        if "S" not in av:
            raise tag_error("JSON string (S)", av)
        return json.loads(av["S"], parse_float=Decimal)
    if s.as_set:
        convert = ref_scalar_from_text(f.node.args[0] if f.node.args else ANY)
        for tag in ("SS", "NS", "BS"):
            if tag in av:
                return [convert(x) for x in av[tag]]
        raise tag_error("set", av)
    return ref_decode_typed(f.node, av)


def ref_missing(f: Field) -> Any:
    if f.node.kind is Kind.SET and not f.spec.as_json:
        return set()
    if f.spec.as_set:
        return []
    if f.spec.default_factory is not None:
        return f.spec.default_factory()
    return None if f.spec.default is MISSING else f.spec.default


def ref_model_decode(model: type, item: Any) -> Any:
    fields = model.__dynamorm_fields__  # type: ignore[attr-defined]
    by_attr = {f.attr_name: f for f in fields.values() if f.spec.stored}
    obj = model.__new__(model)
    values = obj.__dict__
    for attr_name, av in item.items():
        f = by_attr.get(attr_name)
        if f is None:
            continue
        try:
            values[f.py_name] = ref_field_decode(f, av)
        except CodecError as exc:
            raise exc.at(attr_name) from None
    for f in fields.values():
        if f.py_name not in values:
            values[f.py_name] = ref_missing(f)
    return obj


# --- comparing outcomes ----------------------------------------------------------------------

def canon(value: Any) -> Any:
    """A form that is equal only for identical values: types, Decimal exponents, order."""
    kind = type(value)
    if kind is dict:
        return ("dict", [(canon(k), canon(v)) for k, v in value.items()])
    if kind in (list, tuple):
        return (kind.__name__, [canon(v) for v in value])
    if kind in (set, frozenset):
        return (kind.__name__, sorted(repr(canon(v)) for v in value))
    if kind is float:
        return ("float", repr(value))
    if kind is Decimal:
        return ("Decimal", str(value))
    if hasattr(kind, "__dynamorm_fields__"):
        return (kind.__qualname__, sorted((k, canon(v)) for k, v in value.__dict__.items()))
    return (kind.__qualname__, repr(value))


def outcome(call: Callable[..., Any], *args: Any) -> Any:
    try:
        result = call(*args)
    except Exception as exc:
        return ("raised", type(exc).__qualname__, str(exc), getattr(exc, "path", None),
                getattr(exc, "reason", None))
    return ("returned", canon(result))


def assert_identical(new: Callable[..., Any], ref: Callable[..., Any], *args: Any) -> None:
    expected = outcome(ref, *args)
    got = outcome(new, *args)
    assert got == expected, f"{args!r:.400}"


def assert_identical_or_malformed(new: Callable[..., Any], ref: Callable[..., Any],
                                  *args: Any, everywhere: bool = True) -> None:
    """As assert_identical, except that where the reference meets something that is not an
    AttributeValue at all and Python raises (TypeError, AttributeError...), the generic decoders
    must raise the library's CodecError saying so. With ``everywhere=False`` (a model, whose
    typed fields have decoders of their own), only the parts read by the generic decoders
    must: elsewhere the outcome stays the reference's."""
    expected = outcome(ref, *args)
    if expected[0] == "raised" and expected[1] != "CodecError":
        if not everywhere and outcome(new, *args) == expected:
            return
        with pytest.raises(CodecError, match=r"^not a valid AttributeValue: "):
            new(*args)
    else:
        assert_identical(new, ref, *args)


# --- odd values: subclasses and objects that claim another class -----------------------------

class MyStr(str):
    pass


class MyInt(int):
    pass


class MyFloat(float):
    pass


class MyDecimal(Decimal):
    pass


class MyList(list):  # type: ignore[type-arg]
    pass


class MyDict(dict):  # type: ignore[type-arg]
    pass


class ClaimsInt:
    """isinstance(x, int) is True through __class__; type(x) is not int."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return int

    def __int__(self) -> int:
        return 7

    def __repr__(self) -> str:
        return "ClaimsInt()"


class ClaimsStr:
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return str

    def __repr__(self) -> str:
        return "ClaimsStr()"






class Inner(dl.Model):
    label: str
    amount: Decimal = dl.field(name="amt", default=Decimal(0))
    tags: set[str] = dl.field(default_factory=set)
    note: str | None = None


class Kinds(dl.Model, table="speed_identity_kinds"):
    pk: str = dl.field(partition_key=True)
    sk: int = dl.field(sort_key=True)
    s: str = ""
    i: int = 0
    d: Decimal = Decimal(0)
    f: float = 0.0
    flag: bool = False
    raw: bytes = b""
    nothing: None = None
    anything: Any = None
    when: dt.datetime | None = None
    day: dt.date | None = None
    ident: uuid.UUID | None = None
    mood: Mood = Mood.HAPPY
    level: Level | None = None
    inner: Inner | None = None
    inners: list[Inner] = dl.field(default_factory=list)
    ints: list[int] = dl.field(default_factory=list)
    strs: list[str] = dl.field(default_factory=list)
    decs: list[Decimal] = dl.field(default_factory=list)
    floats: list[float] = dl.field(default_factory=list)
    bare_list: list = dl.field(default_factory=list)  # type: ignore[type-arg]
    maybe_ints: list[int | None] = dl.field(default_factory=list)
    by_name: dict[str, int] = dl.field(default_factory=dict)
    info: dict[str, Any] = dl.field(default_factory=dict)
    maybe_strs: dict[str, str | None] = dl.field(default_factory=dict)
    str_set: set[str] = dl.field(default_factory=set)
    int_set: set[int] = dl.field(default_factory=set)
    dec_set: set[Decimal] = dl.field(default_factory=set)
    byte_set: set[bytes] = dl.field(default_factory=set)
    bare_set: set = dl.field(default_factory=set)  # type: ignore[type-arg]
    frozen: frozenset[str] = dl.field(default_factory=frozenset)
    either: int | str = 0
    maybe_either: int | str | None = None
    opt_s: str | None = None
    opt_s_default: str | None = "x"
    opt_i: int | None = None
    opt_d: Decimal | None = None
    opt_f: float | None = None
    opt_b: bool | None = None
    opt_raw: bytes | None = None
    ranks: list[int] = dl.field(as_set=True, default_factory=list)
    names: list[str] = dl.field(as_set=True, default_factory=list)
    blob_list: list[bytes] = dl.field(as_set=True, default_factory=list)
    dec_list: list[Decimal] = dl.field(as_set=True, default_factory=list)
    doc: dict[str, Any] = dl.field(as_json=True, default_factory=dict)
    doc_ints: list[int] = dl.field(as_json=True, default_factory=list)
    expires: dt.datetime | None = dl.field(ttl=True, default=None)
    version: int = dl.field(version=True, default=0)
    created: dt.datetime | None = dl.field(created_at=True, default=None)
    alias: str = dl.field(name="AL", default="")
    alias_opt: int | None = dl.field(name="alias-opt", default=None)
    quoted: str = dl.field(name="it's \"q\"\n\\{x}", default="")
    omit_s: str = dl.field(omit_empty=True, default="")
    omit_ints: list[int] = dl.field(omit_empty=True, default_factory=list)
    gsi: str | None = dl.field(default=None, gsi_partition="GSI1")
    gsi_raw: bytes | None = dl.field(default=None, gsi_sort="GSI1")
    lsi: int = dl.field(default=0, lsi_sort="LSI1")
    transient: str = dl.field(stored=False, default="t")
    required_s: str


class BenchLike(dl.Model, table="speed_identity_bench"):
    """The shape of the benchmark item."""

    pk: str = dl.field(partition_key=True)
    sk: int = dl.field(sort_key=True)
    name: str
    qty: int
    price: Decimal
    ratio: Decimal
    active: bool
    note: str | None = None
    tags: set[str] = dl.field(default_factory=set)
    levels: set[int] = dl.field(default_factory=set)
    history: list[int] = dl.field(default_factory=list)
    info: dict[str, Any] = dl.field(default_factory=dict)
    blob: bytes = b""
    created: str = ""


class Guarded(dl.Model):
    """A model whose instances refuse attribute assignment (the codec writes __dict__)."""

    a: int = 0
    b: str | None = dl.field(name="B", default=None)
    c: list[int] = dl.field(default_factory=list)
    inner: Inner | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")


MODELS = (Kinds, BenchLike, Inner, Guarded)

# --- strategies ------------------------------------------------------------------------------

MAX_38 = 10**38 - 1
ints = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-MAX_38, MAX_38),
    st.builds(lambda m, e: m * 10**e, st.integers(-999, 999), st.integers(30, 130)),
    st.integers(-(10**45), 10**45),
)


@st.composite
def decimals(draw: st.DrawFn) -> Decimal:
    """Decimals with up to 40 digits and exponents a little past DynamoDB's range."""
    coefficient = draw(st.integers(0, 10**40))
    sign = draw(st.sampled_from("+-"))
    exponent = draw(st.integers(-175, 140))
    return Decimal(f"{sign}{coefficient}E{exponent}")


special_decimals = st.sampled_from([
    Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("-0"),
    Decimal("0E-200"), Decimal("0.000"), Decimal("1E+125"), Decimal("1E+126"),
    Decimal("1E-130"), Decimal("1E-131"), Decimal("9" * 38), Decimal("9" * 39),
    Decimal("1" + "0" * 40), Decimal("1.10"), MyDecimal("2.5"),
])
numbers_any = st.one_of(ints, decimals(), special_decimals)
floats = st.one_of(st.floats(), st.sampled_from([0.5, 0.1, 2.0, -0.0, 1e300, 5e-324]),
                   st.builds(MyFloat, st.floats(allow_nan=False)))
texts = st.one_of(st.text(max_size=6), st.sampled_from(["", "a", "happy", "sad"]),
                  st.builds(MyStr, st.text(max_size=3)))
aware = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
                     timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=-3))]))
naive = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))

scalars = st.one_of(
    texts, ints, numbers_any, floats, st.booleans(), st.none(), st.binary(max_size=6),
    st.builds(bytearray, st.binary(max_size=3)), aware, naive, st.dates(), st.uuids(),
    st.sampled_from(list(Mood) + list(Level)), st.builds(MyInt, st.integers()),
    st.sampled_from([ClaimsInt(), ClaimsStr(), object(), 1j]),
)
hashables = st.one_of(texts, ints, decimals(), st.binary(max_size=4), st.booleans(),
                      st.sampled_from([0.5, 0.1, float("nan")]))
sets = st.one_of(
    st.sets(st.text(max_size=3), max_size=4),
    st.sets(st.integers(-(10**40), 10**40), max_size=4),
    st.sets(decimals(), max_size=3),
    st.sets(st.binary(max_size=3), max_size=3),
    st.frozensets(hashables, max_size=3),
    st.sets(hashables, max_size=3),
)
untyped = st.recursive(
    st.one_of(scalars, sets),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.lists(children, max_size=3).map(MyList),
        st.dictionaries(st.text(max_size=3), children, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=2), st.integers(0, 3)), children,
                        max_size=2),
        st.dictionaries(st.text(max_size=3), children, max_size=2).map(MyDict),
    ),
    max_leaves=12,
)

# N texts: integral and decimal forms, exponents, and text int() or Decimal() refuse
n_texts = st.one_of(
    st.integers(-MAX_38, MAX_38).map(str),
    st.integers(-(10**45), 10**45).map(str),
    decimals().map(str),
    st.builds(lambda m, c, e: f"{m}{c}{e}", st.integers(-10**6, 10**6), st.sampled_from("eE"),
              st.integers(-150, 150)),
    st.sampled_from(["0", "-0", "1.0", "1e3", "1E3", "-1.5e-3", "00012", "+5", "1_000", " 7",
                     "7 ", "abc", "", "NaN", "Infinity", "-Infinity", "sNaN", "1.2.3", "١٢",
                     "0x10", ".5", "5.", "1e", "e5", "1.5E+7", "12.000", "-0.0", "²"]),
)
b_payloads = st.one_of(
    st.binary(max_size=6), st.binary(max_size=6).map(lambda b: base64.b64encode(b).decode()),
    st.builds(bytearray, st.binary(max_size=3)), st.sampled_from(["abc", "!!", "QQ=="]),
)
odd_payloads = st.sampled_from([None, 5, 1.5, True, b"12", ["1"], {"a": 1}, "x", MyStr("3")])
wire_scalars = st.one_of(
    st.builds(lambda s: {"S": s}, texts),
    st.builds(lambda n: {"N": n}, n_texts),
    st.builds(lambda b: {"B": b}, b_payloads),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda ss: {"SS": ss}, st.lists(texts, max_size=3)),
    st.builds(lambda ns: {"NS": ns}, st.lists(n_texts, max_size=3)),
    st.builds(lambda bs: {"BS": bs}, st.lists(b_payloads, max_size=3)),
)
malformed_wire = st.one_of(
    st.just({}),
    st.builds(lambda tag, p: {tag: p}, st.sampled_from(["X", "s", "n", "", "NULLS", 1]),
              odd_payloads),
    st.builds(lambda tag, p: {tag: p},
              st.sampled_from(["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"]),
              odd_payloads),
    st.builds(lambda a, b: {**a, **b}, wire_scalars, wire_scalars),
    st.sampled_from([None, "S", ["S"], 5]),
)
wire_values = st.recursive(
    st.one_of(wire_scalars, wire_scalars, malformed_wire),
    lambda children: st.one_of(
        st.builds(lambda xs: {"L": xs}, st.lists(children, max_size=3)),
        st.builds(lambda m: {"M": m}, st.dictionaries(st.text(max_size=3), children,
                                                      max_size=3)),
    ),
    max_leaves=10,
)
wire_items = st.dictionaries(st.text(max_size=4), wire_values, max_size=5)
well_formed_wire = st.recursive(
    wire_scalars.filter(lambda av: "N" not in av or av["N"] not in ("abc", "")),
    lambda children: st.one_of(
        st.builds(lambda xs: {"L": xs}, st.lists(children, max_size=3)),
        st.builds(lambda m: {"M": m}, st.dictionaries(st.text(max_size=3), children,
                                                      max_size=3)),
    ),
    max_leaves=10,
)


# values DynamoDB can store, for the happy paths
valid_ints = st.one_of(
    st.integers(-1000, 1000), st.integers(-MAX_38, MAX_38),
    st.builds(lambda m, e: m * 10**e, st.integers(-999, 999), st.integers(30, 120)),
)


@st.composite
def valid_decimals(draw: st.DrawFn) -> Decimal:
    """Finite Decimals with at most 38 significant digits and adjusted exponent -130..125."""
    coefficient = draw(st.integers(0, MAX_38))
    width = len(str(coefficient))
    exponent = draw(st.one_of(st.integers(-12, 3), st.integers(-130 - (width - 1),
                                                               125 - (width - 1))))
    return Decimal(f"{draw(st.sampled_from('+-'))}{coefficient}E{exponent}")


valid_floats = st.one_of(st.just(0.0), st.floats(min_value=1e-130, max_value=9.99e125),
                         st.floats(min_value=-9.99e125, max_value=-1e-130))
valid_untyped = st.recursive(
    st.one_of(
        texts, valid_ints, valid_decimals(), st.booleans(), st.none(), st.binary(max_size=4),
        st.sampled_from([0.5, 2.0, -0.25]), aware, st.dates(), st.uuids(),
        st.sampled_from(list(Mood) + list(Level)),
        st.sets(st.text(max_size=3), min_size=1, max_size=3),
        st.sets(st.one_of(valid_ints, valid_decimals()), min_size=1, max_size=3),
        st.sets(st.binary(max_size=3), min_size=1, max_size=3),
    ),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=3), children, max_size=3)),
    max_leaves=8,
)


valid_json = st.recursive(
    st.one_of(texts, valid_ints, valid_decimals(), st.booleans(), st.none(),
              st.sampled_from([0.5, 2.0, -0.25])),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=3), children, max_size=3)),
    max_leaves=8,
)


def typed_values(node: TypeNode, depth: int = 0, valid: bool = False) -> st.SearchStrategy[Any]:
    """Values of the declared type for one type node; unless `valid`, a few neighbours too
    (out-of-range numbers, naive datetimes, values that are not an enum's)."""
    kind = node.kind
    if kind is Kind.LIST:
        inner = typed_values(node.args[0], depth + 1, valid)
        strategy: st.SearchStrategy[Any] = st.one_of(st.lists(inner, max_size=3),
                                                     st.lists(inner, max_size=2).map(tuple))
    elif kind is Kind.DICT:
        strategy = st.dictionaries(st.text(max_size=3) if valid else texts,
                                   typed_values(node.args[0], depth + 1, valid), max_size=3)
    elif kind is Kind.SET:
        element = node.args[0].kind
        strategy = {
            Kind.STR: st.sets(texts, max_size=3),
            Kind.INT: st.sets(valid_ints if valid else ints, max_size=3),
            Kind.DECIMAL: st.sets(st.one_of(valid_decimals(), valid_ints) if valid
                                  else st.one_of(decimals(), ints), max_size=3),
            Kind.BYTES: st.sets(st.binary(max_size=3), max_size=3),
        }.get(element, st.sets(st.text(max_size=3), max_size=3) if valid else sets)
        strategy = st.one_of(strategy, strategy.map(frozenset))
    elif kind is Kind.MODEL:
        strategy = (model_objects(node.py, depth + 1, valid=valid) if depth < 2
                    else st.builds(node.py, label=texts))
    elif kind is Kind.ENUM:
        strategy = st.one_of(st.sampled_from(node.py),
                             st.sampled_from([m.value for m in node.py]
                                             + ([] if valid else ["nope", 99])))
    elif kind is Kind.UNION:
        strategy = st.one_of([typed_values(a, depth, valid) for a in node.args])
    elif valid:
        strategy = {
            Kind.STR: texts, Kind.INT: valid_ints,
            Kind.DECIMAL: st.one_of(valid_decimals(), valid_ints),
            Kind.FLOAT: st.one_of(valid_floats, valid_ints), Kind.BOOL: st.booleans(),
            Kind.BYTES: st.one_of(st.binary(max_size=5), st.builds(bytearray, st.binary())),
            Kind.NONE: st.none(), Kind.DATETIME: aware, Kind.DATE: st.dates(),
            Kind.UUID: st.uuids(), Kind.ANY: valid_untyped,
        }[kind]
    else:
        strategy = {
            Kind.STR: texts, Kind.INT: ints, Kind.DECIMAL: st.one_of(decimals(), ints),
            Kind.FLOAT: st.one_of(floats, ints), Kind.BOOL: st.booleans(),
            Kind.BYTES: st.one_of(st.binary(max_size=5), st.builds(bytearray, st.binary())),
            Kind.NONE: st.none(), Kind.DATETIME: st.one_of(aware, aware, naive),
            Kind.DATE: st.dates(), Kind.UUID: st.uuids(), Kind.ANY: untyped,
        }[kind]
    return st.one_of(strategy, st.none()) if node.optional else strategy


def stored_text(node: TypeNode, value: Any) -> str:
    """The text a set element is stored as (two equal texts make a refused set)."""
    try:
        return repr(next(iter(ref_encode_typed(node, value).values())))
    except CodecError as exc:
        return repr(exc)


def field_values(f: Field, depth: int, valid: bool) -> st.SearchStrategy[Any]:
    if f.spec.ttl:
        return st.one_of(aware, st.integers(0, 10**10), *([] if valid else [naive]), st.none())
    if f.spec.as_set:
        node = f.node.args[0]
        element = typed_values(node, depth, valid)
        unique = st.lists(element, max_size=3, unique_by=lambda x: stored_text(node, x))
        return unique if valid else st.one_of(unique, st.lists(element, max_size=3))
    if f.spec.as_json and valid:
        return (st.lists(valid_ints, max_size=3) if f.node.kind is Kind.LIST
                else st.dictionaries(st.text(max_size=3), valid_json, max_size=3))
    if valid and is_index_key(f):
        return typed_values(f.node, depth, valid).filter(lambda v: v != "" and v != b"")
    return typed_values(f.node, depth, valid)


@st.composite
def model_objects(draw: st.DrawFn, model: type, depth: int = 0, odd: bool = False,
                  valid: bool = False) -> Any:
    """An object with values drawn per field; some fields are left out of ``__dict__``.

    `valid` objects encode without error; `odd` ones may hold a value of any type."""
    obj = model.__new__(model)
    for f in model.__dynamorm_fields__.values():  # type: ignore[attr-defined]
        roll = draw(st.integers(0, 19))
        if roll == 0 and not (valid and ref_none_rule(f) == "refuse"):
            continue  # never set: reads as None
        if odd and roll == 1:
            obj.__dict__[f.py_name] = draw(untyped)
        else:
            obj.__dict__[f.py_name] = draw(field_values(f, depth, valid))
    return obj


@st.composite
def model_items(draw: st.DrawFn, model: type) -> dict[str, Any]:
    """A wire item: a good encoding of an object, then mutated: dropped, replaced, added."""
    item = ref_model_encode(draw(model_objects(model, valid=True)))
    attrs = [f.attr_name for f in model.__dynamorm_fields__.values()]  # type: ignore[attr-defined]
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.integers(0, 3))
        if action == 0 and item:
            item.pop(draw(st.sampled_from(sorted(item))))
        elif action == 1:
            item[draw(st.sampled_from(attrs))] = draw(wire_values)
        elif action == 2:
            item[draw(st.text(max_size=3))] = draw(wire_values)
        else:
            keys = list(item)
            draw(st.randoms()).shuffle(keys)
            item = {k: item[k] for k in keys}
    return item


SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.large_base_example])


def model_decode(model: type) -> Callable[[Any], Any]:
    return model.from_item  # type: ignore[attr-defined,no-any-return]


def model_encode(obj: Any) -> Any:
    return obj.to_item()


# --- numbers ---------------------------------------------------------------------------------

@SETTINGS
@given(n_texts)
def test_decode_number_is_identical(text: str) -> None:
    assert_identical(decode_number, ref_decode_number, text)


@SETTINGS
@given(st.one_of(ints, decimals(), special_decimals, floats, st.booleans(),
                 st.builds(MyInt, st.integers()), st.sampled_from([ClaimsInt(), "1", None])),
       st.booleans())
def test_encode_number_is_identical(value: Any, float_ok: bool) -> None:
    assert_identical(lambda v: encode_number(v, float_ok=float_ok),
                     lambda v: ref_encode_number(v, float_ok), value)


# --- untyped values and items ----------------------------------------------------------------

@SETTINGS
@given(st.one_of(wire_values, well_formed_wire))
def test_decode_value_is_identical(av: Any) -> None:
    assert_identical_or_malformed(decode_value, ref_decode_value, av)


@SETTINGS
@given(st.one_of(wire_items,
                 st.dictionaries(st.text(max_size=4), well_formed_wire, max_size=6)))
def test_decode_item_is_identical(item: dict[str, Any]) -> None:
    assert_identical_or_malformed(decode_item, ref_decode_item, item)


@SETTINGS
@given(untyped)
def test_encode_value_is_identical(value: Any) -> None:
    assert_identical(encode_value, ref_encode_value, value)


@SETTINGS
@given(st.dictionaries(st.one_of(st.text(max_size=4), st.integers(0, 2)), untyped, max_size=6))
def test_encode_item_is_identical(item: dict[Any, Any]) -> None:
    assert_identical(encode_item, ref_encode_item, item)


@SETTINGS
@given(st.one_of(*(model_objects(m) for m in MODELS)))
def test_encode_value_of_a_model_is_identical(obj: Any) -> None:
    assert_identical(encode_value, ref_encode_value, {"m": [obj]})


# --- models ----------------------------------------------------------------------------------

@SETTINGS
@given(st.one_of(*(model_objects(m, valid=True) for m in MODELS)))
def test_model_to_item_of_valid_objects_is_identical(obj: Any) -> None:
    assert_identical(model_encode, ref_model_encode, obj)


@SETTINGS
@given(st.one_of(*(model_objects(m) for m in MODELS)))
def test_model_to_item_is_identical(obj: Any) -> None:
    assert_identical(model_encode, ref_model_encode, obj)


@SETTINGS
@given(st.one_of(*(model_objects(m, odd=True) for m in MODELS)))
def test_model_to_item_with_odd_values_is_identical(obj: Any) -> None:
    assert_identical(model_encode, ref_model_encode, obj)


@SETTINGS
@given(st.sampled_from(MODELS).flatmap(lambda m: st.tuples(st.just(m), model_items(m))))
def test_model_from_item_is_identical(case: tuple[type, dict[str, Any]]) -> None:
    model, item = case
    assert_identical_or_malformed(model_decode(model), lambda i: ref_model_decode(model, i),
                                  item, everywhere=False)


@SETTINGS
@given(st.sampled_from(MODELS), st.one_of(wire_items, st.sampled_from([[], None, "x"])))
def test_model_from_random_item_is_identical(model: type, item: Any) -> None:
    assert_identical_or_malformed(model_decode(model), lambda i: ref_model_decode(model, i),
                                  item, everywhere=False)


@SETTINGS
@given(st.sampled_from(MODELS).flatmap(lambda m: model_objects(m, valid=True)))
def test_model_round_trip_is_identical(obj: Any) -> None:
    model = type(obj)
    item = ref_model_encode(obj)
    assert_identical(model_decode(model), lambda i: ref_model_decode(model, i), item)
