"""Exact conversion between Python values and DynamoDB AttributeValues.

Two ways in: `encode_value`/`decode_value` work on any supported value by its runtime type
(maps and lists of unknown shape), and `encoder_for`/`decoder_for` build a converter once for
a `TypeNode`. A model's codec is compiled from the same types (`encode_source`/
`decode_source` give the common ones as inline expressions) and keeps the prepared
converters for everything else and for the exact errors.

The number rule, stated once: DynamoDB numbers are decimal, finite, at most 38 significant
digits, magnitude between 1E-130 and 1E+126. `int` and `Decimal` are sent as they are.
A `float` is accepted where the field is declared `float` (sent as its shortest repr, which
reads back as the same float) and elsewhere only when that repr is its exact binary value
(0.5 yes, 0.1 no: pass `Decimal("0.1")`). Untyped numbers read back as `int` when the text
is integral and as `Decimal` otherwise, so nothing is rounded silently.
"""

from __future__ import annotations

import base64
import datetime as _dt
import enum
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from ..errors import CodecError
from .limits import too_deep
from .types import Kind, TypeNode

__all__ = [
    "PAYLOAD_DECODERS",
    "SOURCE_NAMES",
    "AttributeValue",
    "Decoder",
    "Encoder",
    "decode_binary",
    "decode_item",
    "decode_list",
    "decode_number",
    "decode_source",
    "decode_value",
    "decoder_for",
    "encode_item",
    "encode_number",
    "encode_source",
    "encode_value",
    "encoder_for",
    "json_dumps",
    "json_loads",
    "key_identity",
    "ttl_decoder",
    "ttl_encoder",
]

AttributeValue = dict[str, Any]
Encoder = Callable[[Any], AttributeValue]
Decoder = Callable[[AttributeValue], Any]

_MAX_DIGITS = 38
_MAX_ADJUSTED = 125
_MIN_ADJUSTED = -130
_INT_FAST_LIMIT = 10**38
_UTC = _dt.UTC
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_SECOND = _dt.timedelta(seconds=1)
_BINARY = (bytes, bytearray)


# --- numbers -------------------------------------------------------------------------------

def _check_decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise CodecError(f"{value} cannot be stored: DynamoDB numbers must be finite")
    if value.is_zero():
        return "0"
    if type(value) is Decimal:  # the common case, without building the digit tuple:
        text = str(value)  # it holds every coefficient digit, so a short text has few digits
        if len(text) <= _MAX_DIGITS and _MIN_ADJUSTED <= value.adjusted() <= _MAX_ADJUSTED:
            return text
    digits = value.as_tuple().digits
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:
        significant -= 1
    if significant > _MAX_DIGITS:
        raise CodecError(
            f"{value} has {significant} significant digits; DynamoDB keeps at most {_MAX_DIGITS}"
        )
    adjusted = value.adjusted()
    if adjusted > _MAX_ADJUSTED or adjusted < _MIN_ADJUSTED:
        raise CodecError(f"{value} is out of DynamoDB's number range (1E-130 to 9.99E+125)")
    return str(value)


def encode_number(value: int | Decimal | float, *, float_ok: bool = False) -> str:
    """The N text for a number, after checking DynamoDB's precision and range rules."""
    kind = type(value)
    if kind is int:
        if -_INT_FAST_LIMIT < value < _INT_FAST_LIMIT:
            return str(value)
        return _check_decimal(Decimal(value))
    if kind is float or isinstance(value, float):
        as_text = repr(value)
        exact = Decimal(as_text)
        if not float_ok and exact.is_finite() and Decimal(value) != exact:
            raise CodecError(
                f"float {as_text} has no exact decimal form; pass Decimal({as_text!r}) "
                "or declare the field as float"
            )
        return _check_decimal(exact)
    if isinstance(value, Decimal):
        return _check_decimal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return encode_number(int(value))
    raise CodecError(f"expected a number, got {type(value).__name__}")


def decode_number(text: str) -> int | Decimal:
    """Read N text as `int` when integral in form, otherwise as an exact `Decimal`."""
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


# --- generic (by runtime type) -------------------------------------------------------------

def _encode_list(value: Iterable[Any], item: Encoder) -> AttributeValue:
    """An L value, each element through `item`; errors name the index."""
    out = []
    for index, element in enumerate(value):
        try:
            out.append(item(element))
        except CodecError as exc:
            raise exc.at(f"[{index}]") from None
    return {"L": out}


def _encode_map(value: dict[Any, Any], item: Encoder) -> AttributeValue:
    """An M value, each value through `item`; keys must be str; errors name the key."""
    out = {}
    for key, element in value.items():
        if type(key) is not str:
            raise CodecError(f"map keys must be str, got {type(key).__name__} {key!r}")
        try:
            out[key] = item(element)
        except CodecError as exc:
            raise exc.at(key) from None
    return {"M": out}


def _enc_list(value: Iterable[Any]) -> AttributeValue:
    return _encode_list(value, _encode_any)


def _enc_map(value: dict[Any, Any]) -> AttributeValue:
    return _encode_map(value, _encode_any)


_ONLY_STR, _ONLY_BYTES, _ONLY_NUMBERS = {str}, {bytes}, {int, Decimal, float}


def _enc_set(value: set[Any] | frozenset[Any]) -> AttributeValue:
    if not value:
        raise CodecError("an empty set cannot be stored in DynamoDB (omit the attribute instead)")
    kinds = set(map(type, value))
    if kinds == _ONLY_STR:
        return {"SS": list(value)}
    if kinds <= _ONLY_BYTES:
        return {"BS": list(value)}
    if kinds <= _ONLY_NUMBERS:
        return {"NS": list(map(encode_number, value))}
    names = ", ".join(sorted(k.__name__ for k in kinds))
    raise CodecError(f"a set must hold only str, only numbers or only bytes, not {names}")


def _enc_model(value: Any) -> AttributeValue:
    return {"M": type(value).__dynamorm_codec__().encode(value)}


_GENERIC: dict[type, Encoder] = {
    str: lambda v: {"S": v},
    bool: lambda v: {"BOOL": v},
    int: lambda v: {"N": encode_number(v)},
    Decimal: lambda v: {"N": _check_decimal(v)},
    float: lambda v: {"N": encode_number(v)},
    type(None): lambda v: {"NULL": True},
    bytes: lambda v: {"B": v},
    bytearray: lambda v: {"B": bytes(v)},
    list: _enc_list,
    tuple: _enc_list,
    dict: _enc_map,
    set: _enc_set,
    frozenset: _enc_set,
    _dt.datetime: lambda v: {"S": _datetime_text(v)},
    _dt.date: lambda v: {"S": v.isoformat()},
    uuid.UUID: lambda v: {"S": str(v)},
}


def encode_value(value: Any) -> AttributeValue:
    """Encode any supported Python value by its runtime type."""
    try:
        return _encode_any(value)
    except RecursionError:  # far deeper than DynamoDB's 32 levels: say where, simply
        raise too_deep(value) from None


def _encode_any(value: Any) -> AttributeValue:
    kind = type(value)
    if kind is str:  # the commonest types without the table's extra call
        return {"S": value}
    if kind is int and -_INT_FAST_LIMIT < value < _INT_FAST_LIMIT:
        return {"N": str(value)}
    if kind is Decimal:
        return {"N": _check_decimal(value)}
    encoder = _GENERIC.get(kind)
    if encoder is not None:
        return encoder(value)
    if isinstance(value, enum.Enum):
        return _encode_any(value.value)
    if hasattr(type(value), "__dynamorm_codec__"):
        return _enc_model(value)
    for base, encoder in _GENERIC.items():  # subclasses of the supported types
        if isinstance(value, base) and base is not bool:
            return encoder(value)
    raise CodecError(f"a value of type {type(value).__name__} cannot be stored in DynamoDB")


def decode_value(av: AttributeValue) -> Any:
    """Decode any AttributeValue to plain Python (numbers by `decode_number`)."""
    try:
        return _decode_value(av)
    except CodecError:
        raise
    except _MALFORMED as exc:
        raise _malformed(av, exc) from None


# What Python raises when a decoder meets something that is not an AttributeValue at all.
_MALFORMED = (TypeError, AttributeError, ValueError, ArithmeticError, LookupError)


def _malformed(value: Any, exc: Exception) -> CodecError:
    return CodecError(f"not a valid AttributeValue: {value!r:.80} ({type(exc).__name__}: "
                      f"{exc})")


def _decode_value(av: AttributeValue) -> Any:
    for tag, payload in av.items():  # the first key decides
        if tag == "S":
            return payload
        if tag == "N":
            return decode_number(payload)
        decode = PAYLOAD_DECODERS.get(tag)
        if decode is None:
            raise _unknown_tag(tag)
        return decode(payload)
    raise CodecError("an AttributeValue must have exactly one type key")


def _unknown_tag(tag: Any) -> CodecError:
    return CodecError(f"unknown AttributeValue type {tag!r}")


# The two walks below read the commonest values in place (a map: S, N, BOOL, NULL, M and L;
# a list: S, N and M), as decode_value would, and other values by their tag's function: a
# call per value is most of the cost, and a membership test is cheaper than iterating a
# one-key map. (DynamoDB sends exactly one key per AttributeValue; any other map goes to
# decode_value.) Anything that is not an AttributeValue at all becomes a CodecError. A result
# map starts empty, not as a copy of the wire map: a copy would stay tracked by the cyclic
# collector even when it ends up holding only numbers and strings.

def _decode_map(payload: Mapping[str, AttributeValue]) -> dict[str, Any]:
    out = {}
    try:
        for key, av in payload.items():
            if len(av) != 1:
                out[key] = decode_value(av)  # the first key decides, or no key: raises
            elif "S" in av:
                out[key] = av["S"]
            elif "N" in av:  # decode_number, inlined
                value = av["N"]
                out[key] = (Decimal(value) if "." in value or "e" in value or "E" in value
                            else int(value))
            elif "BOOL" in av:
                out[key] = av["BOOL"]
            elif "NULL" in av:
                out[key] = None
            elif "M" in av:
                out[key] = _decode_map(av["M"])
            elif "L" in av:
                out[key] = _decode_list(av["L"])
            else:
                out[key] = _decode_other(av)
    except CodecError:
        raise
    except _MALFORMED as exc:
        raise _malformed(payload, exc) from None
    return out


def _decode_list(payload: Iterable[AttributeValue]) -> list[Any]:
    out = []
    try:
        for av in payload:
            if len(av) != 1:
                out.append(decode_value(av))
            elif "S" in av:
                out.append(av["S"])
            elif "N" in av:  # decode_number, inlined
                value = av["N"]
                out.append(Decimal(value) if "." in value or "e" in value or "E" in value
                           else int(value))
            elif "M" in av:
                out.append(_decode_map(av["M"]))
            else:
                out.append(_decode_other(av))
    except CodecError:
        raise
    except _MALFORMED as exc:
        raise _malformed(payload, exc) from None
    return out


def _decode_other(av: AttributeValue) -> Any:
    """A value of a tag the walks do not inline, by its payload decoder."""
    [(tag, value)] = av.items()
    decode = PAYLOAD_DECODERS.get(tag)
    if decode is None:
        raise _unknown_tag(tag)
    return decode(value)


def _decode_numbers(payload: Iterable[str]) -> set[int | Decimal]:
    return {Decimal(value) if "." in value or "e" in value or "E" in value else int(value)
            for value in payload}


def decode_binary(payload: Any) -> bytes:
    """B payloads are bytes from botocore's parser and base64 text from the fast read path."""
    if isinstance(payload, _BINARY):
        return bytes(payload)
    return base64.b64decode(payload)


# The payload of each AttributeValue type other than S and N, by tag.
PAYLOAD_DECODERS: dict[str, Callable[[Any], Any]] = {
    "M": _decode_map,
    "L": _decode_list,
    "BOOL": lambda payload: payload,
    "NULL": lambda payload: None,
    "B": decode_binary,
    "SS": set,
    "NS": _decode_numbers,
    "BS": lambda payload: set(map(decode_binary, payload)),
}


def key_identity(key: Mapping[str, AttributeValue]) -> tuple[tuple[str, Any], ...]:
    """A key (attribute name -> S, N or B value) as a hashable identity compared the way
    DynamoDB compares keys: numbers by value (``1990`` and ``1990.0`` are one key), binary as
    its bytes (whether it came as bytes or as base64 text)."""
    return tuple(sorted((name, _key_value(av)) for name, av in key.items()))


def _key_value(av: AttributeValue) -> Any:
    tag, payload = next(iter(av.items()))
    if tag == "N":
        return "N", Decimal(payload)  # equal numbers hash equal, whatever their text
    if tag == "B":
        return "B", decode_binary(payload)
    return tag, payload


def encode_item(item: dict[str, Any]) -> dict[str, AttributeValue]:
    """Encode a plain dict as an item (top-level names are attribute names)."""
    try:
        return _enc_map(item)["M"]  # type: ignore[no-any-return]
    except RecursionError:  # far deeper than DynamoDB's 32 levels: say where, simply
        raise too_deep(item) from None


decode_item: Callable[[dict[str, AttributeValue]], dict[str, Any]] = _decode_map
"""Decode a wire item to a plain dict (the map walk itself: one call frame fewer per item)."""

decode_list: Callable[[Iterable[AttributeValue]], list[Any]] = _decode_list
"""Decode AttributeValues one by one, as `decode_value` does (the list walk itself)."""


# --- text forms ----------------------------------------------------------------------------

def _datetime_text(value: _dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CodecError(
            f"naive datetime {value.isoformat()} is ambiguous; attach a timezone "
            "(for example datetime.now(timezone.utc))"
        )
    return value.astimezone(_UTC).isoformat(timespec="microseconds")


def _datetime_from_text(text: str) -> _dt.datetime:
    parsed = _dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)


def _emit_json(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int | float | Decimal):
        out.append(encode_number(value, float_ok=True))
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _emit_json(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if type(key) is not str:
                raise CodecError(f"JSON object keys must be str, got {type(key).__name__}")
            out.append(("," if index else "") + json.dumps(key, ensure_ascii=False) + ":")
            _emit_json(item, out)
        out.append("}")
    else:
        raise CodecError(f"a value of type {type(value).__name__} cannot be written as JSON")


def json_dumps(value: Any) -> str:
    """Compact JSON text with numbers written exactly (Decimals are never rounded)."""
    out: list[str] = []
    _emit_json(value, out)
    return "".join(out)


def json_loads(text: str) -> Any:
    """Parse JSON text, reading non-integral numbers as exact Decimals."""
    return json.loads(text, parse_float=Decimal)


# --- typed (built once per TypeNode) -------------------------------------------------------

def _type_error(expected: str, value: Any) -> CodecError:
    return CodecError(f"expected {expected}, got {type(value).__name__} {value!r:.60}")


def _tag_error(expected: str, av: AttributeValue) -> CodecError:
    got = next(iter(av), "nothing") if isinstance(av, dict) else type(av).__name__
    return CodecError(f"expected a {expected} attribute, got {got}")


def encoder_for(node: TypeNode, *, as_set: bool = False, as_json: bool = False) -> Encoder:
    """Build the encoder for one declared type (and the field's storage options)."""
    if as_json:
        return lambda v: {"S": json_dumps(v)}
    if as_set:
        return _set_encoder(node.args[0] if node.args else TypeNode(Kind.ANY))
    base = _base_encoder(node)
    if not node.optional:
        return base
    return lambda v: {"NULL": True} if v is None else base(v)


def _checked(accepts: Callable[[Any], bool], convert: Encoder, expected: str) -> Encoder:
    """An encoder that refuses values of the wrong type, naming what it expected."""
    def encode(v: Any) -> AttributeValue:
        if accepts(v):
            return convert(v)
        raise _type_error(expected, v)
    return encode


# Scalar kinds: (accepts the value?, its AttributeValue, the expected type in errors).
_CHECKED: dict[Kind, tuple[Callable[[Any], bool], Encoder, str]] = {
    Kind.STR: (lambda v: isinstance(v, str), lambda v: {"S": v}, "str"),
    Kind.BOOL: (lambda v: isinstance(v, bool), lambda v: {"BOOL": v}, "bool"),
    Kind.BYTES: (lambda v: isinstance(v, bytes | bytearray), lambda v: {"B": bytes(v)}, "bytes"),
    Kind.DATETIME: (lambda v: isinstance(v, _dt.datetime),
                    lambda v: {"S": _datetime_text(v)}, "datetime"),
    Kind.DATE: (lambda v: isinstance(v, _dt.date) and not isinstance(v, _dt.datetime),
                lambda v: {"S": v.isoformat()}, "date"),
    Kind.UUID: (lambda v: isinstance(v, uuid.UUID), lambda v: {"S": str(v)}, "UUID"),
    Kind.NONE: (lambda v: v is None, lambda v: {"NULL": True}, "None"),
}


def _base_encoder(node: TypeNode) -> Encoder:
    kind = node.kind
    if kind in _CHECKED:
        return _checked(*_CHECKED[kind])
    if kind in (Kind.INT, Kind.DECIMAL, Kind.FLOAT):
        allowed = node.python_types
        float_ok = kind is Kind.FLOAT
        def enc_num(v: Any) -> AttributeValue:
            if not isinstance(v, allowed) or isinstance(v, bool):
                raise _type_error(kind.value, v)
            return {"N": encode_number(cast("int | Decimal | float", v), float_ok=float_ok)}
        return enc_num
    if kind is Kind.LIST:
        item = encoder_for(node.args[0])
        def enc_list(v: Any) -> AttributeValue:
            if not isinstance(v, list | tuple):
                raise _type_error("list", v)
            return _encode_list(v, item)
        return enc_list
    if kind is Kind.DICT:
        value_enc = encoder_for(node.args[0])
        def enc_dict(v: Any) -> AttributeValue:
            if not isinstance(v, dict):
                raise _type_error("dict", v)
            return _encode_map(v, value_enc)
        return enc_dict
    if kind is Kind.SET:
        return _set_encoder(node.args[0], require_set=True)
    if kind is Kind.ENUM:
        enum_cls = node.py
        def enc_enum(v: Any) -> AttributeValue:
            if not isinstance(v, enum_cls):
                try:
                    v = enum_cls(v)
                except ValueError:
                    raise _type_error(enum_cls.__name__, v) from None
            return encode_value(v.value)
        return enc_enum
    if kind is Kind.MODEL:
        model_cls = node.py
        def enc_model(v: Any) -> AttributeValue:
            if not isinstance(v, model_cls):
                raise _type_error(model_cls.__name__, v)
            return {"M": model_cls.__dynamorm_codec__().encode(v)}
        return enc_model
    if kind is Kind.UNION:
        allowed_types = node.python_types
        def enc_union(v: Any) -> AttributeValue:
            if isinstance(v, allowed_types):
                return encode_value(v)
            raise _type_error(node.describe(), v)
        return enc_union
    return encode_value  # Kind.ANY


def _set_encoder(element: TypeNode, *, require_set: bool = False) -> Encoder:
    tag = {Kind.STR: "SS", Kind.BYTES: "BS"}.get(element.kind, "NS")
    element_enc = encoder_for(element) if element.kind is not Kind.ANY else None

    def enc_set(v: Any) -> AttributeValue:
        if require_set and not isinstance(v, set | frozenset):
            raise _type_error("set", v)
        if not isinstance(v, set | frozenset | list | tuple):
            raise _type_error("set or list", v)
        if not v:
            raise CodecError("an empty set cannot be stored in DynamoDB (omit the attribute)")
        if element_enc is None:
            return _enc_set(set(v))
        encoded = [element_enc(x) for x in v]
        texts = [next(iter(av.values())) for av in encoded]
        if len(set(texts)) != len(texts):
            raise CodecError("a set cannot hold the same value twice")
        return {tag: texts}
    return enc_set


def decoder_for(node: TypeNode, *, as_set: bool = False, as_json: bool = False) -> Decoder:
    """Build the decoder for one declared type (and the field's storage options)."""
    if as_json:
        def dec_json(av: AttributeValue) -> Any:
            if "S" not in av:
                raise _tag_error("JSON string (S)", av)
            return json_loads(av["S"])
        return dec_json
    if as_set:
        element = node.args[0] if node.args else TypeNode(Kind.ANY)
        element_dec = _scalar_from_text(element)
        def dec_set_list(av: AttributeValue) -> Any:
            for tag in ("SS", "NS", "BS"):
                if tag in av:
                    return [element_dec(x) for x in av[tag]]
            raise _tag_error("set", av)
        return dec_set_list
    base = _base_decoder(node)
    if not node.optional:
        return base
    return lambda av: None if "NULL" in av else base(av)


def _scalar_from_text(node: TypeNode) -> Callable[[Any], Any]:
    if node.kind is Kind.INT:
        return _int_from_text
    if node.kind is Kind.DECIMAL:
        return Decimal
    if node.kind is Kind.STR:
        return str
    if node.kind is Kind.BYTES:
        return decode_binary
    return decode_number if node.kind is not Kind.ANY else (lambda x: x)


def _int_from_text(text: str) -> int:
    number = decode_number(text)
    if isinstance(number, Decimal):
        if number != number.to_integral_value():
            raise CodecError(f"{text} is not an integer")
        return int(number)
    return number


def _simple_decoder(tag: str, convert: Callable[[Any], Any], expected: str) -> Decoder:
    def dec(av: AttributeValue) -> Any:
        try:
            payload = av[tag]
        except (KeyError, TypeError):
            raise _tag_error(expected, av) from None
        try:
            return convert(payload)
        except (ValueError, ArithmeticError) as exc:
            raise CodecError(f"cannot read {payload!r} as {expected}: {exc}") from None
    return dec


def _base_decoder(node: TypeNode) -> Decoder:
    kind = node.kind
    simple: dict[Kind, tuple[str, Callable[[Any], Any], str]] = {
        Kind.STR: ("S", lambda x: x, "string (S)"),
        Kind.INT: ("N", _int_from_text, "number (N)"),
        Kind.DECIMAL: ("N", Decimal, "number (N)"),
        Kind.FLOAT: ("N", float, "number (N)"),
        Kind.BOOL: ("BOOL", lambda x: x, "boolean (BOOL)"),
        Kind.BYTES: ("B", decode_binary, "binary (B)"),
        Kind.DATETIME: ("S", _datetime_from_text, "datetime string (S)"),
        Kind.DATE: ("S", _dt.date.fromisoformat, "date string (S)"),
        Kind.UUID: ("S", uuid.UUID, "UUID string (S)"),
    }
    if kind in simple:
        return _simple_decoder(*simple[kind])
    if kind is Kind.NONE:
        return lambda av: None
    if kind is Kind.LIST:
        item = decoder_for(node.args[0])
        def dec_list(av: AttributeValue) -> Any:
            if "L" not in av:
                raise _tag_error("list (L)", av)
            out = []
            for index, element in enumerate(av["L"]):
                try:
                    out.append(item(element))
                except CodecError as exc:
                    raise exc.at(f"[{index}]") from None
            return out
        return dec_list
    if kind is Kind.DICT:
        value_dec = decoder_for(node.args[0])
        def dec_dict(av: AttributeValue) -> Any:
            if "M" not in av:
                raise _tag_error("map (M)", av)
            out = {}
            for key, element in av["M"].items():
                try:
                    out[key] = value_dec(element)
                except CodecError as exc:
                    raise exc.at(key) from None
            return out
        return dec_dict
    if kind is Kind.SET:
        if node.args[0].kind is Kind.ANY:
            return decode_value
        tag = node.dynamo_type
        convert = _scalar_from_text(node.args[0])
        return _simple_decoder(tag, lambda xs: {convert(x) for x in xs}, f"set ({tag})")
    if kind is Kind.ENUM:
        enum_cls = node.py
        def dec_enum(av: AttributeValue) -> Any:
            raw = decode_value(av)
            try:
                return enum_cls(raw)
            except ValueError:
                raise CodecError(f"{raw!r} is not a value of {enum_cls.__name__}") from None
        return dec_enum
    if kind is Kind.MODEL:
        model_cls = node.py
        def dec_model(av: AttributeValue) -> Any:
            if "M" not in av:
                raise _tag_error("map (M)", av)
            return model_cls.__dynamorm_codec__().decode(av["M"])
        return dec_model
    return decode_value  # Kind.ANY and Kind.UNION


# --- inline source for compiled model codecs ----------------------------------------------
#
# A model's codec is compiled into one function per direction (see _model.ModelCodec), with the
# common field types written into it as the expressions below instead of a call per value.
# Each expression gives exactly what the prepared converter gives wherever it succeeds; where it
# cannot decide (an N text that is not plain int text, a value of an unexpected type) it calls
# that converter or raises, and the compiled codec then runs the prepared converters again for
# the exact result or error. The expressions use only these names and the generated locals.

SOURCE_NAMES: dict[str, Any] = {
    "Decimal": Decimal, "UUID": uuid.UUID, "INT_LIMIT": _INT_FAST_LIMIT,
    "check_decimal": _check_decimal, "decode_binary": decode_binary,
    "decode_value": decode_value, "decode_map": _decode_map, "decode_list": _decode_list,
    "int_from_text": _int_from_text,
    "datetime_from_text": _datetime_from_text, "date_from_text": _dt.date.fromisoformat,
}

# The value of the AttributeValue named {av}, by declared kind; {p} is a scratch local.
_DECODE_SOURCE = {
    Kind.STR: "{av}['S']",
    Kind.INT: "(int({p}) if type({p} := {av}['N']) is str else int_from_text({p}))",
    Kind.DECIMAL: "Decimal({av}['N'])",
    Kind.FLOAT: "float({av}['N'])",
    Kind.BOOL: "{av}['BOOL']",
    Kind.BYTES: "({p} if type({p} := {av}['B']) is bytes else decode_binary({p}))",
    Kind.DATETIME: "datetime_from_text({av}['S'])",
    Kind.DATE: "date_from_text({av}['S'])",
    Kind.UUID: "UUID({av}['S'])",
    Kind.ANY: "decode_value({av})",
    Kind.UNION: "decode_value({av})",
}
# One element {t} of a set's list of texts (as `_scalar_from_text`).
_TEXT_SOURCE = {
    Kind.STR: "str({t})",
    Kind.INT: "(int({t}) if type({t}) is str else int_from_text({t}))",
    Kind.DECIMAL: "Decimal({t})",
    Kind.BYTES: "decode_binary({t})",
}


def decode_source(node: TypeNode, av: str) -> str | None:
    """An expression decoding the AttributeValue named `av` as `decoder_for(node)` does, or
    None when the type has no inline form (enums, models, containers of those)."""
    if node.kind is Kind.NONE:
        return "None"
    if node.kind in (Kind.LIST, Kind.DICT) and node.args[0].kind is Kind.ANY:
        walk = "decode_list" if node.kind is Kind.LIST else "decode_map"
        inner = f"{walk}({av}[{node.dynamo_type!r}])"
    elif node.kind is Kind.LIST or node.kind is Kind.DICT:
        element = decode_source(node.args[0], f"{av}_e")
        if element is None:
            return None
        inner = (f"[{element} for {av}_e in {av}['L']]" if node.kind is Kind.LIST
                 else f"{{{av}_k: {element} for {av}_k, {av}_e in {av}['M'].items()}}")
    elif node.kind is Kind.SET:
        element_kind = node.args[0].kind
        if element_kind is Kind.ANY:
            inner = f"decode_value({av})"
        else:
            text = _TEXT_SOURCE[element_kind].format(t=f"{av}_t")
            inner = f"{{{text} for {av}_t in {av}[{node.dynamo_type!r}]}}"
    elif node.kind in _DECODE_SOURCE:
        inner = _DECODE_SOURCE[node.kind].format(av=av, p=f"{av}_p")
    else:
        return None
    return f"(None if 'NULL' in {av} else {inner})" if node.optional else inner


# A value {v} of the declared type, written inline when `guard` holds.
_ENCODE_SOURCE = {
    Kind.STR: ("type({v}) is str", "{{'S': {v}}}"),
    Kind.INT: ("type({v}) is int and -INT_LIMIT < {v} < INT_LIMIT", "{{'N': str({v})}}"),
    Kind.DECIMAL: ("type({v}) is Decimal", "{{'N': check_decimal({v})}}"),
    Kind.BOOL: ("type({v}) is bool", "{{'BOOL': {v}}}"),
    Kind.BYTES: ("type({v}) is bytes", "{{'B': {v}}}"),
}
# A non-empty set of str or of small ints, written inline when every element is one.
_SET_SOURCE = {
    Kind.STR: ("SS", "{x}", "type({x}) is str"),
    Kind.INT: ("NS", "str({x})", "type({x}) is int and -INT_LIMIT < {x} < INT_LIMIT"),
}


def encode_source(node: TypeNode, v: str, fallback: str, names: dict[str, Any], *,
                  non_empty: bool = False) -> str:
    """An expression encoding the value named `v` as `encoder_for(node)` does.

    `fallback` names that encoder, called for any value the inline form does not cover;
    encoders for list elements are added to `names`. `non_empty` (index keys) leaves empty
    strings and bytes to the fallback, which refuses them.
    """
    kind = node.kind
    if kind in _ENCODE_SOURCE:
        guard, fast = _ENCODE_SOURCE[kind]
        if non_empty and kind in (Kind.STR, Kind.BYTES):
            guard += " and {v}"
        inner = f"({fast} if {guard} else {fallback}({{v}}))".format(v=v)
    elif kind is Kind.LIST:
        element_fallback = f"{v}_enc"
        names[element_fallback] = encoder_for(node.args[0])
        element = encode_source(node.args[0], f"{v}_x", element_fallback, names)
        inner = f"({{'L': [{element} for {v}_x in {v}]}} if type({v}) is list else {fallback}({v}))"
    elif kind is Kind.SET and node.args[0].kind in _SET_SOURCE:
        tag, text, guard = _SET_SOURCE[node.args[0].kind]
        texts = (f"[{text} for {{x}} in {{v}} if {guard}]").format(x=f"{v}_x", v=v)
        inner = (f"({{'{tag}': {v}_t}} if type({v}) is set and {v} and "
                 f"len({v}_t := {texts}) == len({v}) else {fallback}({v}))")
    else:
        inner = f"{fallback}({v})"
    return f"({{'NULL': True}} if {v} is None else {inner})" if node.optional else inner


# --- TTL: an aware datetime stored as epoch seconds ----------------------------------------

def ttl_encoder(value: Any) -> AttributeValue:
    """Encode a TTL field: an aware datetime (or epoch seconds) as whole epoch seconds."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise CodecError("a TTL datetime must be timezone-aware")
        return {"N": str((value - _EPOCH) // _SECOND)}  # whole seconds, floored, no float
    if isinstance(value, int) and not isinstance(value, bool):
        return {"N": str(value)}
    raise _type_error("datetime", value)


def ttl_decoder(av: AttributeValue) -> Any:
    """Decode epoch seconds to an aware UTC datetime."""
    if "N" not in av:
        raise _tag_error("number (N) of epoch seconds", av)
    try:
        return _EPOCH + _dt.timedelta(seconds=int(Decimal(av["N"])))
    except (OverflowError, ArithmeticError, ValueError):
        raise CodecError(f"{av['N']} epoch seconds is not a representable datetime") from None
