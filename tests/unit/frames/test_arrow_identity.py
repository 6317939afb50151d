"""The Arrow path reads DynamoDB's JSON bodies into the same table and frame as Python.

`ArrowReader` parses each Query/Scan response body with pyarrow (one reader across the pages
of a query); `table_from_chunks` types the columns with Arrow compute. The same items in
Python must give the identical table through `arrow_from_items` (`Table.equals`, schema
included). Hypothesis draws the items (see test_frames_identity), serialises them as
DynamoDB does (B as base64 text) and splits them into pages.
"""

from __future__ import annotations

import base64
import itertools
import json
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_frames_identity import SETTINGS, wire_items

from dynamorm_lab.frames import ArrowReader, arrow_from_items, table_from_chunks


def textual(av: dict[str, Any]) -> dict[str, Any]:
    """An AttributeValue as DynamoDB's JSON has it: binary as base64 text."""
    tag, payload = next(iter(av.items()))
    if tag == "B" and isinstance(payload, bytes):
        return {"B": base64.b64encode(payload).decode("ascii")}
    if tag == "BS":
        return {"BS": [base64.b64encode(p).decode("ascii") if isinstance(p, bytes) else p
                       for p in payload]}
    if tag == "L":
        return {"L": [textual(v) for v in payload]}
    if tag == "M":
        return {"M": {k: textual(v) for k, v in payload.items()}}
    return av


def as_bytes(av: dict[str, Any]) -> dict[str, Any]:
    """An AttributeValue as botocore's parser has it: binary as bytes."""
    tag, payload = next(iter(av.items()))
    if tag == "B":
        return {"B": base64.b64decode(payload)}
    if tag == "BS":
        return {"BS": [base64.b64decode(p) for p in payload]}
    if tag == "L":
        return {"L": [as_bytes(v) for v in payload]}
    if tag == "M":
        return {"M": {k: as_bytes(v) for k, v in payload.items()}}
    return av


def body(items: list[dict[str, Any]], last_key: dict[str, Any] | None = None) -> bytes:
    response: dict[str, Any] = {"Items": items, "Count": len(items),
                                "ScannedCount": len(items) + 1}
    if last_key is not None:
        response["LastEvaluatedKey"] = last_key
    return json.dumps(response).encode()


def paged(items: list[dict[str, Any]], cuts: list[int]) -> list[list[dict[str, Any]]]:
    bounds = [0, *sorted(cuts), len(items)]
    return [items[a:b] for a, b in itertools.pairwise(bounds)]


def read_pages(pages: list[list[dict[str, Any]]]) -> list[Any]:
    """Each page's item struct array, read by one reader as the executor does; the other
    members of each response come back as sent."""
    reader = ArrowReader()
    chunks = []
    for number, page in enumerate(pages):
        last = None  # a filtered read may send an empty page that is not the last
        if number < len(pages) - 1:
            last = {"pk": page[-1]["pk"] if page else {"S": "2020-01-01T00:00:00Z"}}
        response = reader.read(body(page, last))
        assert response["Count"] == len(page)
        assert response["ScannedCount"] == len(page) + 1
        assert response.get("LastEvaluatedKey") == last
        chunks.append(response["Items"])
    return chunks


def assert_same_table(got: Any, want: Any) -> None:
    assert got.equals(want), (f"\narrow path: {got.schema}\n{got.to_pylist()}"
                              f"\npython path: {want.schema}\n{want.to_pylist()}")


def check(pages: list[list[dict[str, Any]]]) -> None:
    """Every identity of the Arrow path on these pages (items as DynamoDB's JSON has them)."""
    items = [item for page in pages for item in page]
    chunks = read_pages(pages)
    table = table_from_chunks(chunks)
    assert_same_table(table, arrow_from_items(items))
    assert_same_table(arrow_from_items([{k: as_bytes(v) for k, v in i.items()} for i in items]),
                      table)
    assert table.num_rows == (len(items) if table.num_columns else 0)
    floats = table_from_chunks(chunks, numbers="float")
    assert_same_table(floats, arrow_from_items(items, numbers="float"))


@st.composite
def pages_of_items(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    items = [{k: textual(v) for k, v in item.items()} for item in draw(wire_items())]
    cuts = draw(st.lists(st.integers(0, len(items)), max_size=3))
    return paged(items, cuts)


@SETTINGS
@given(pages_of_items())
def test_arrow_path_matches_python_path(pages: list[list[dict[str, Any]]]) -> None:
    check(pages)


# --- the type rule on chosen cases ------------------------------------------------------------

def s(text: str) -> dict[str, Any]:
    return {"S": text}


def n(text: str) -> dict[str, Any]:
    return {"N": text}


def test_iso_timestamps_stay_strings() -> None:
    stamps = ["2020-01-01T10:11:12Z", "2020-01-01", "2020-01-01 10:11:12.123456",
              "2021-06-30T23:59:59.5+05:30"]
    items = [{"pk": s(t), "when": s(t), "info": {"M": {"at": s(t)}},
              "log": {"L": [s(t)]}, "seen": {"SS": [t]}} for t in stamps]
    pages = [items[:2], items[2:]]
    check(pages)
    table = table_from_chunks(read_pages(pages))
    assert table.schema.field("when").type == pa.string()
    assert table.column("when").to_pylist() == stamps
    assert table.column("info").to_pylist() == [{"at": t} for t in stamps]
    assert table.column("log").to_pylist() == [[t] for t in stamps]
    assert table.column("seen").to_pylist() == [[t] for t in stamps]


def test_a_later_page_adds_an_attribute_and_a_map_key() -> None:
    pages = [[{"pk": s("1"), "info": {"M": {"rating": n("7.5")}}}],
             [{"pk": s("2"), "info": {"M": {"plot": s("x"), "rating": n("8")}},
               "year": n("2013")}]]
    check(pages)
    table = table_from_chunks(read_pages(pages))
    assert table.column_names == ["pk", "info", "year"]
    assert table.schema.field("info").type == pa.struct(
        [("rating", pa.decimal128(38, 1)), ("plot", pa.string())])
    assert table.column("info").to_pylist() == [{"rating": Decimal("7.5"), "plot": None},
                                                {"rating": Decimal("8.0"), "plot": "x"}]
    assert table.column("year").to_pylist() == [None, 2013]


def test_an_empty_list_then_a_non_empty_one() -> None:
    pages = [[{"pk": s("1"), "l": {"L": []}, "m": {"M": {}}}],
             [{"pk": s("2"), "l": {"L": [s("a"), s("b")]}, "m": {"M": {"k": n("1")}}}],
             [{"pk": s("3"), "l": {"L": [n("1")]}}]]
    check(pages)
    table = table_from_chunks(read_pages(pages))
    assert table.column("l").to_pylist() == [[], ['{"S":"a"}', '{"S":"b"}'], ['{"N":"1"}']]
    assert table.column("m").to_pylist() == [{"k": None}, {"k": 1}, None]
    check(pages[:2])
    assert table_from_chunks(read_pages(pages[:2])).column("l").to_pylist() == [[], ["a", "b"]]


def test_empty_pages() -> None:
    reader = ArrowReader()
    empty = reader.read(b'{"Items": [], "Count": 0, "ScannedCount": 0}')
    assert (empty["Count"], empty["ScannedCount"], len(empty["Items"])) == (0, 0, 0)
    assert "LastEvaluatedKey" not in empty
    items = [{"pk": s("1"), "v": n("1")}]
    after = reader.read(body(items))
    later = reader.read(b'{"Items": [], "Count": 0, "ScannedCount": 5}')
    assert later["ScannedCount"] == 5
    chunks = [empty["Items"], after["Items"], later["Items"]]
    assert_same_table(table_from_chunks(chunks), arrow_from_items(items))
    nothing = [ArrowReader().read(b'{"Items": [], "Count": 0, "ScannedCount": 0}')["Items"]]
    assert_same_table(table_from_chunks(nothing), arrow_from_items([]))
    check([[], items, []])


@pytest.mark.parametrize(("texts", "kind", "values"), [
    (["1", "-2", str(2**63 - 1)], pa.int64(), [1, -2, 2**63 - 1]),
    (["0.1", "0.25", "7"], pa.decimal128(38, 2),
     [Decimal("0.10"), Decimal("0.25"), Decimal("7.00")]),
    (["1E-130", "1E+125"], pa.string(), ["1E-130", "1E+125"]),
    (["0.1", "0.12345678901234567890"], pa.decimal128(38, 20),
     [Decimal("0.1"), Decimal("0.12345678901234567890")]),
    (["1", str(2**64)], pa.decimal128(38, 0), [Decimal(1), Decimal(2**64)]),
    (["1", str(10**20)], pa.decimal128(38, 0), [Decimal(1), Decimal(10**20)]),
    (["1E+125", "0.1234567890123456789"], pa.string(), ["1E+125", "0.1234567890123456789"]),
])
def test_number_columns_are_exact(texts: list[str], kind: Any, values: list[Any]) -> None:
    """No number becomes a float by default: int64, decimal128 at the largest scale, or the
    exact text; the values are equal to the texts sent."""
    items = [{"pk": s(str(i)), "v": n(t), "l": {"L": [n(t)]}, "ns": {"NS": [t]}}
             for i, t in enumerate(texts)]
    for pages in ([items], [items[:1], items[1:]]):
        check(pages)
        table = table_from_chunks(read_pages(pages))
        assert table.schema.field("v").type == kind
        assert table.column("v").to_pylist() == values
        assert table.column("l").to_pylist() == [[v] for v in values]
        assert table.column("ns").to_pylist() == [[v] for v in values]
        assert all(Decimal(str(v)) == Decimal(t) for v, t in zip(
            table.column("v").to_pylist(), texts, strict=True))


@pytest.mark.parametrize("texts", [["0.1", "0.25", "7"], ["1", str(2**64)], ["1E-130", "2"]])
def test_numbers_float_gives_float64_where_not_int64(texts: list[str]) -> None:
    items = [{"pk": s(str(i)), "v": n(t), "l": {"L": [n(t)]}} for i, t in enumerate(texts)]
    for pages in ([items], [items[:1], items[1:]]):
        table = table_from_chunks(read_pages(pages), numbers="float")
        assert_same_table(table, arrow_from_items(items, numbers="float"))
        assert table.schema.field("v").type == pa.float64()
        assert table.column("v").to_pylist() == [float(t) for t in texts]
        assert table.column("l").to_pylist() == [[float(t)] for t in texts]


@pytest.mark.parametrize("texts", [[str(10**51)], ["1.5", str(10**37)], ["-" + "9" * 39],
                                   ["12345678901234567890.1234567890123456789"]])
@pytest.mark.parametrize("kind", ["any", "decimal", "int"])
def test_numbers_past_38_digits_stay_exact_text_for_every_kind(texts: list[str],
                                                               kind: str) -> None:
    """Arrow's cast to decimal128 does not check the precision (10**51 became
    -95697636645188304477050570048626753536): such columns must never reach it."""
    items = [{"pk": s(str(i)), "v": n(t)} for i, t in enumerate(texts)]
    kinds = {"v": kind}
    table = table_from_chunks(read_pages([items]), kinds=kinds)
    assert_same_table(table, arrow_from_items(items, kinds=kinds))
    assert table.schema.field("v").type == pa.string()
    assert table.column("v").to_pylist() == texts


def test_model_kinds_decide_top_level_numbers() -> None:
    """A model's float field gives float64 and its Decimal field never int64."""
    items = [{"pk": s(str(i)), "f": n(t), "d": n(t)} for i, t in enumerate(["1", "2", "0.5"])]
    kinds = {"f": "float", "d": "decimal"}
    table = table_from_chunks(read_pages([items]), kinds=kinds)
    assert_same_table(table, arrow_from_items(items, kinds=kinds))
    assert table.schema.field("f").type == pa.float64()
    assert table.schema.field("d").type == pa.decimal128(38, 1)
    ints = [{"pk": s("1"), "d": n("1")}, {"pk": s("2"), "d": n("20")}]
    table = table_from_chunks(read_pages([ints]), kinds=kinds)
    assert table.schema.field("d").type == pa.decimal128(38, 0)
    assert table.column("d").to_pylist() == [Decimal(1), Decimal(20)]


def test_several_types_in_one_attribute_are_json_text() -> None:
    items = [{"pk": s("1"), "v": n("1")}, {"pk": s("2"), "v": s("x")},
             {"pk": s("3"), "v": {"NULL": True}}, {"pk": s("4")},
             {"pk": s("5"), "v": {"B": "AAE="}}, {"pk": s("6"), "v": {"M": {"b": s("y")}}}]
    check([items[:3], items[3:]])
    table = table_from_chunks(read_pages([items[:3], items[3:]]))
    assert table.column("v").to_pylist() == [
        '{"N":"1"}', '{"S":"x"}', None, None, '{"B":"AAE="}', '{"M":{"b":{"S":"y"}}}']


def test_last_evaluated_key_comes_back_as_sent() -> None:
    reader = ArrowReader()
    keys = [
        {"pk": s("2020-01-01T10:11:12Z"), "sk": {"B": "AAEC/w=="}},
        {"pk": s("USER#ü"), "sk": {"B": base64.b64encode(b"\x00" * 5).decode()}},
        {"pk": s("2021-02-03"), "n": n("12345678901234567890123")},
    ]
    for key in keys:
        response = reader.read(body([{**key, "v": s("x")}], key))
        assert response["LastEvaluatedKey"] == key
    last = reader.read(body([{**keys[0], "v": s("y")}]))
    assert "LastEvaluatedKey" not in last
    first = ArrowReader().read(body([{"pk": s("a")}], keys[0]))
    assert first["LastEvaluatedKey"] == keys[0]


# --- what the executor passes: projections, dropped key attributes ------------------------

@SETTINGS
@given(pages_of_items(), st.data())
def test_projected_columns_and_dropped_keys(pages: list[list[dict[str, Any]]],
                                            data: st.DataObject) -> None:
    """A projection's columns (in its order, absent ones included) and the key attributes
    the cursor needed but the caller did not ask for (dropped) match on both paths."""
    items = [item for page in pages for item in page]
    seen = list(dict.fromkeys(name for item in items for name in item))
    columns = data.draw(st.lists(st.sampled_from([*seen, "absent"]), min_size=1, unique=True))
    chunks = read_pages(pages)
    assert_same_table(table_from_chunks(chunks, columns=columns),
                      arrow_from_items(items, columns=columns))
    assert table_from_chunks(chunks, columns=columns).column_names == columns
    assert_same_table(table_from_chunks(chunks, drop=["pk"]),
                      arrow_from_items(items, drop=["pk"]))


def test_consumed_capacity_and_counts_come_back_as_sent() -> None:
    """Members other than Items keep their values when a later page changes their JSON type
    (an integer capacity, then a fractional one)."""
    reader = ArrowReader()
    for units in (1, 0.5, 2, 128.5):
        sent = {"Items": [{"pk": s("a")}], "Count": 1, "ScannedCount": 3,
                "ConsumedCapacity": {"TableName": "t", "CapacityUnits": units,
                                     "Table": {"CapacityUnits": units}}}
        response = reader.read(json.dumps(sent).encode())
        assert response["ConsumedCapacity"] == sent["ConsumedCapacity"]
        assert (response["Count"], response["ScannedCount"]) == (1, 3)
        assert response["Items"].to_pylist() == [{"pk": {"S": "a"}}]
