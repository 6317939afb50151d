"""Tests for annotation analysis (``dynamorm_lab._core.types.analyze``).

The expected DynamoDB type letters are DynamoDB's own AttributeValue types: S, N, B, BOOL,
NULL, L, M and the sets SS, NS, BS. DynamoDB sets hold only strings, numbers or binary, and
map keys are strings; the README lists the Python types the library maps onto them.
"""

import datetime as dt
import enum
import typing
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from helpers import Color, Flags, Level, Mixed, Priority, Shade

import dynamorm_lab as dl
from dynamorm_lab._core.types import Kind, TypeNode, analyze


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, dl.Model)


def node(annotation: Any) -> TypeNode:
    return analyze(annotation, is_model=is_model)














class Empty(enum.Enum):
    pass


class Address(dl.Model):
    street: str
    zip: str | None = None


# --- scalars ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("annotation", "kind", "dynamo_type"),
    [
        (str, Kind.STR, "S"),
        (int, Kind.INT, "N"),
        (Decimal, Kind.DECIMAL, "N"),
        (float, Kind.FLOAT, "N"),
        (bool, Kind.BOOL, "BOOL"),
        (bytes, Kind.BYTES, "B"),
        (type(None), Kind.NONE, "NULL"),
        (dt.datetime, Kind.DATETIME, "S"),  # ISO-8601 text
        (dt.date, Kind.DATE, "S"),
        (uuid.UUID, Kind.UUID, "S"),
    ],
)
def test_scalars(annotation: Any, kind: Kind, dynamo_type: str) -> None:
    result = node(annotation)
    assert result.kind is kind
    assert result.dynamo_type == dynamo_type
    assert result.optional is False


def test_any_has_no_fixed_dynamo_type() -> None:
    result = node(Any)
    assert result.kind is Kind.ANY
    assert result.dynamo_type == ""


# --- containers ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("annotation", "element"),
    [
        (list[int], Kind.INT),
        (list[str], Kind.STR),
        (list[Decimal], Kind.DECIMAL),
        (tuple[int, ...], Kind.INT),
        (list[Address], Kind.MODEL),
    ],
)
def test_lists_are_L(annotation: Any, element: Kind) -> None:
    result = node(annotation)
    assert result.kind is Kind.LIST
    assert result.dynamo_type == "L"
    assert [a.kind for a in result.args] == [element]


def test_nested_containers_keep_their_element_nodes() -> None:
    result = node(list[dict[str, set[int]]])
    assert result.kind is Kind.LIST
    inner = result.args[0]
    assert inner.kind is Kind.DICT and inner.dynamo_type == "M"
    assert inner.args[0].kind is Kind.SET and inner.args[0].dynamo_type == "NS"
    assert inner.args[0].args[0].kind is Kind.INT


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (dict[str, Decimal], Kind.DECIMAL),
        (dict[str, Any], Kind.ANY),
        (dict[str, list[int]], Kind.LIST),
        (dict[str, Address], Kind.MODEL),
    ],
)
def test_str_keyed_dicts_are_M(annotation: Any, value: Kind) -> None:
    result = node(annotation)
    assert result.kind is Kind.DICT
    assert result.dynamo_type == "M"
    assert result.args[0].kind is value


@pytest.mark.parametrize(
    ("annotation", "dynamo_type"),
    [(list, "L"), (dict, "M")],
)
def test_bare_list_and_dict_hold_any(annotation: Any, dynamo_type: str) -> None:
    result = node(annotation)
    assert result.dynamo_type == dynamo_type
    assert [a.kind for a in result.args] == [Kind.ANY]


@pytest.mark.parametrize(
    ("annotation", "element", "dynamo_type"),
    [
        (set[str], Kind.STR, "SS"),
        (set[int], Kind.INT, "NS"),
        (set[Decimal], Kind.DECIMAL, "NS"),
        (set[bytes], Kind.BYTES, "BS"),
        (frozenset[str], Kind.STR, "SS"),
        (frozenset[int], Kind.INT, "NS"),
        (frozenset[bytes], Kind.BYTES, "BS"),
    ],
)
def test_sets(annotation: Any, element: Kind, dynamo_type: str) -> None:
    result = node(annotation)
    assert result.kind is Kind.SET
    assert result.dynamo_type == dynamo_type
    assert [a.kind for a in result.args] == [element]


# --- Optional and Union ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("annotation", "kind", "dynamo_type"),
    [
        (int | None, Kind.INT, "N"),
        (typing.Optional[str], Kind.STR, "S"),  # noqa: UP045 - the old spelling must work too
        (typing.Union[Decimal, None], Kind.DECIMAL, "N"),  # noqa: UP007
        (None | bytes, Kind.BYTES, "B"),
        (list[int] | None, Kind.LIST, "L"),
        (dict[str, int] | None, Kind.DICT, "M"),
        (set[str] | None, Kind.SET, "SS"),
        (Color | None, Kind.ENUM, "S"),
        (Address | None, Kind.MODEL, "M"),
        (dt.datetime | None, Kind.DATETIME, "S"),
    ],
)
def test_optional_keeps_the_inner_kind(annotation: Any, kind: Kind, dynamo_type: str) -> None:
    result = node(annotation)
    assert result.kind is kind
    assert result.optional is True
    assert result.dynamo_type == dynamo_type


def test_optional_list_describes_itself() -> None:
    assert node(list[int] | None).describe() == "list[int] | None"
    assert node(list[int]).describe() == "list[int]"


def test_union_of_two_types() -> None:
    result = node(int | str)
    assert result.kind is Kind.UNION
    assert result.optional is False
    assert [a.kind for a in result.args] == [Kind.INT, Kind.STR]
    assert result.dynamo_type == ""  # depends on the value


def test_optional_union() -> None:
    result = node(int | str | None)
    assert result.kind is Kind.UNION
    assert result.optional is True
    assert [a.kind for a in result.args] == [Kind.INT, Kind.STR]


def test_annotated_is_its_first_argument() -> None:
    result = node(Annotated[int, "some metadata"])
    assert result.kind is Kind.INT
    assert result.dynamo_type == "N"


# --- Enum and nested models ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("annotation", "dynamo_type"),
    [(Color, "S"), (Shade, "S"), (Level, "N"), (Priority, "N")],
)
def test_enums(annotation: Any, dynamo_type: str) -> None:
    result = node(annotation)
    assert result.kind is Kind.ENUM
    assert result.py is annotation
    assert result.dynamo_type == dynamo_type


def test_nested_model_is_a_map() -> None:
    result = node(Address)
    assert result.kind is Kind.MODEL
    assert result.py is Address
    assert result.dynamo_type == "M"


def test_a_model_is_only_recognised_through_is_model() -> None:
    with pytest.raises(TypeError):
        analyze(Address, is_model=lambda annotation: False)


# --- unsupported annotations -----------------------------------------------------------------

@pytest.mark.parametrize(
    "annotation",
    [
        set[float],  # DynamoDB sets hold only strings, numbers or binary: no float opt-in here
        set[bool],
        set[int | None],
        set[list[int]],
        set[dt.datetime],
        frozenset[float],
        dict[int, str],  # DynamoDB map keys are strings
        dict[bytes, int],
        Literal["a", "b"],
        tuple[int, str],
        tuple[int],
        Mixed,  # an Enum mixing str and int values
        Flags,  # bool values are neither str nor int values
        Empty,
        complex,
        list[complex],
        dict[str, set[float]],
    ],
)
def test_unsupported_annotations_raise_type_error(annotation: Any) -> None:
    with pytest.raises(TypeError):
        node(annotation)


def test_a_model_with_a_set_of_floats_names_class_and_field() -> None:
    with pytest.raises(dl.ModelDefinitionError) as info:

        class Readings(dl.Model):
            values: set[float]

    assert isinstance(info.value, TypeError)
    assert "Readings" in str(info.value)
    assert "values" in str(info.value)
