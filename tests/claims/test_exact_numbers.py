"""Claim: numbers are exact. No path a user can reach turns an int or a Decimal into a float.

What goes in (`int` up to 38 digits and beyond int64, `Decimal` with a scale, exponents at the
edges of DynamoDB's range, numbers nested in maps and in untyped fields) comes back equal,
as `int`/`Decimal`, through: model get/query/scan objects, dict reads and wire items;
``to_pandas()`` and ``to_arrow()``, from a Query and from a Result, flattened
frames; untyped reads (a TableSchema, an introspected model); ``%%dynamo`` cell results
(``.to_pandas()`` and ``autopandas``); batch_write + batch_get; transactions. A frame's cell is
the very value the Python API gives for it (same type, same text). A float appears only in
a field declared ``float`` or when the caller asks with ``numbers="float"``.

DynamoDB may normalise number text: moto keeps what was sent ("0.10", "1E+2"), dynalite
answers as DynamoDB does ("0.1", "100"). What a user can rely on is the value (Decimal
equality) and the type; the text a frame shows is the text the server returned, exactly as
the model objects show it. Runs on moto and on dynalite.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from IPython.core.interactiveshell import InteractiveShell

import dynamorm_lab as dl
from dynamorm_lab._core.codec import encode_number
from dynamorm_lab.errors import CodecError, ValidationError
from dynamorm_lab.frames import frame_from_items

pytestmark = pytest.mark.integration

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


# --- numbers as DynamoDB can hold them ------------------------------------------------------

def _storable(value: int | Decimal) -> bool:
    try:
        encode_number(value)
    except CodecError:
        return False
    return True


INTEGERS = st.one_of(
    st.integers(-(10**38) + 1, 10**38 - 1),
    st.integers(-10**6, 10**6),
    st.builds(lambda m, e: m * 10**e, st.integers(-999, 999), st.integers(19, 122)),
    st.sampled_from([10**30, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**37]),
).filter(_storable)
DECIMALS = st.one_of(
    st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False,
                allow_infinity=False),
    st.builds(lambda digits, exponent, negative:
              Decimal(f"{'-' if negative else ''}{digits}E{exponent}"),
              st.integers(0, 10**38 - 1), st.integers(-160, 100), st.booleans()),
    st.sampled_from([Decimal(t) for t in (
        "0.10", "19.99", "20.00", "1E+2", "-0.0010", "0.1", "0.5", "1E-130", "9.99E+125",
        "12345678901234567890123456789012345678", "0.12345678901234567890")]),
).filter(_storable)
NUMBERS = st.one_of(INTEGERS, DECIMALS)
FLOATS = st.one_of(st.sampled_from([0.1, 2.5, 1e-130, 1e125, -3.0]),
                   st.floats(allow_nan=False, allow_infinity=False).filter(
                       lambda f: f == 0 or 1e-130 <= abs(f) < 9.99e125))
ROWS = st.lists(st.fixed_dictionaries({
    "big": INTEGERS, "price": DECIMALS, "amount": NUMBERS, "count": INTEGERS,
    "misc": NUMBERS, "ratio": FLOATS}), min_size=1, max_size=4)

# the defect's own numbers: 10**30 and 0.10 became floats in every frame
DEFECT = [{"big": 10**30, "price": Decimal("0.10"), "amount": Decimal("19.99"),
           "count": 10**30, "misc": Decimal("0.10"), "ratio": 0.1},
          {"big": 10**30, "price": Decimal("19.99"), "amount": Decimal("0.10"), "count": 7,
           "misc": Decimal("20.00"), "ratio": 2.5}]


def ledger_model(table: str) -> Any:
    class Ledger(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        sk: int = dl.field(sort_key=True)
        big: int
        price: Decimal
        extra: dict[str, Any] = dl.field(default_factory=dict)
        misc: Any = None
        ratio: float | None = None

    return Ledger


def objects(model: Any, run: str, rows: list[dict[str, Any]]) -> list[Any]:
    return [model(pk=run, sk=sk, big=row["big"], price=row["price"], misc=row["misc"],
                  extra={"amount": row["amount"], "count": row["count"]}, ratio=row["ratio"])
            for sk, row in enumerate(rows)]


@pytest.fixture
def ledger(db: dl.Connection, table_name: str) -> Iterator[Any]:
    model = ledger_model(table_name)
    model.create_table()
    yield model
    model.delete_table()


# --- exact comparisons ------------------------------------------------------------------------

def typed(value: Any) -> Any:
    """A value with its type spelled out: 1, Decimal(1) and 1.0 are equal in Python, but a
    frame must hold what the API gives, and a Decimal's text (its scale) is kept."""
    if isinstance(value, dict):
        return ("dict", frozenset((k, typed(v)) for k, v in value.items()))
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    return (type(value).__name__, value)


def assert_written(obj: Any, row: dict[str, Any]) -> None:
    """A model object holds the numbers written: equal values, int or Decimal, never float."""
    assert type(obj.big) is int and obj.big == row["big"]
    assert type(obj.price) is Decimal and obj.price == row["price"]
    for got, want in ((obj.extra["amount"], row["amount"]), (obj.extra["count"], row["count"]),
                      (obj.misc, row["misc"])):
        assert type(got) in (int, Decimal) and got == want, (got, want)
    assert type(obj.ratio) is float and obj.ratio == row["ratio"]


def no_floats(values: Sequence[Any]) -> bool:
    return not any(isinstance(v, float) for v in values)


def assert_frame_is_the_api(frame: pd.DataFrame, rows: Sequence[dict[str, Any]],
                            columns: Sequence[str], floats: Sequence[str] = ()) -> None:
    """Every cell of `columns` is exactly the API's value in `rows` (a dict per item, by
    column name); the columns in `floats` are float64 and equal."""
    frame = frame.sort_values("sk", kind="stable").reset_index(drop=True)
    for name in columns:
        cells = frame[name].tolist()
        want = [row[name] for row in rows]
        if name in floats:
            assert frame[name].dtype == "float64", name
            assert cells == want, name
            continue
        assert frame[name].dtype in ("int64", "Int64", object), (name, frame[name].dtype)
        assert no_floats(cells), (name, cells)
        assert [typed(c) for c in cells] == [typed(w) for w in want], name


def same_number(got: Any, want: Any) -> bool:
    """An Arrow value (int, Decimal of the column's scale, or the text) equals the number."""
    return not isinstance(got, float) and Decimal(got) == Decimal(want)


def float_free(kind: Any) -> bool:
    if pa.types.is_floating(kind):
        return False
    if pa.types.is_struct(kind):
        return all(float_free(f.type) for f in kind)
    if pa.types.is_list(kind):
        return float_free(kind.value_type)
    return True


def assert_table_is_exact(table: Any, rows: Sequence[dict[str, Any]],
                          floats: Sequence[str] = ()) -> None:
    """No float type anywhere but the `floats` columns; every number equal to the API's."""
    table = table.sort_by("sk")
    for field in table.schema:
        assert (field.name in floats) or float_free(field.type), (field.name, field.type)
    for name in table.column_names:
        got = table.column(name).to_pylist()
        for cell, row in zip(got, rows, strict=True):
            want = row[name]
            if isinstance(want, dict):
                assert all(same_number(cell[k], v) for k, v in want.items()), (name, cell)
            elif isinstance(want, int | Decimal) and not isinstance(want, bool):
                assert same_number(cell, want), (name, cell, want)
            else:
                assert cell == want, (name, cell, want)


def api_rows(objs: Sequence[Any]) -> list[dict[str, Any]]:
    """Model objects as dicts by Python name (the model frame's columns)."""
    return [{"pk": o.pk, "sk": o.sk, "big": o.big, "price": o.price, "extra": o.extra,
             "misc": o.misc, "ratio": o.ratio} for o in objs]


def flat_rows(objs: Sequence[Any]) -> list[dict[str, Any]]:
    return [{**row, "extra.amount": row["extra"]["amount"],
             "extra.count": row["extra"]["count"]} for row in api_rows(objs)]


MODEL_COLUMNS = ("sk", "big", "price", "extra", "misc")
FLAT_COLUMNS = ("sk", "big", "price", "extra.amount", "extra.count", "misc")


def assert_every_frame_is_exact(query: Any, objs: Sequence[Any]) -> None:
    """Query and Result, flattened or not, and the Arrow tables."""
    rows, flat = api_rows(objs), flat_rows(objs)
    result = query.all()
    for frame in (query.to_pandas(), result.to_pandas()):
        assert_frame_is_the_api(frame, rows, MODEL_COLUMNS, floats=("ratio",))
    for frame in (query.to_pandas(flatten=True), result.to_pandas(flatten=True)):
        assert_frame_is_the_api(frame, flat, FLAT_COLUMNS, floats=("ratio",))
    for table in (query.to_arrow(), result.to_arrow()):
        assert_table_is_exact(table, rows, floats=("ratio",))
        assert pa.types.is_decimal(table.schema.field("price").type) or pa.types.is_string(
            table.schema.field("price").type)  # the model said Decimal: never int64


# --- the Python API and every frame of a model --------------------------------------------------

@SETTINGS
@given(rows=ROWS)
@example(rows=DEFECT)
def test_model_objects_dicts_wire_items_and_every_frame_are_exact(
        ledger: Any, rows: list[dict[str, Any]]) -> None:
    run = f"run-{uuid.uuid4().hex}"
    for obj in objects(ledger, run, rows):
        obj.save()
    query = ledger.query(ledger.pk == run)
    objs = list(query.all())
    assert [o.sk for o in objs] == list(range(len(rows)))
    for obj, row in zip(objs, rows, strict=True):
        assert_written(obj, row)
        assert typed(ledger.get(run, obj.sk).price) == typed(obj.price)
    scanned = sorted(ledger.scan(ledger.pk == run).all(), key=lambda o: o.sk)
    assert [typed(o.price) for o in scanned] == [typed(o.price) for o in objs]
    for item, row in zip(query.as_items().all(), rows, strict=True):  # the wire: N texts
        assert Decimal(item["price"]["N"]) == row["price"]
        assert Decimal(item["big"]["N"]) == row["big"]
        assert Decimal(item["extra"]["M"]["amount"]["N"]) == row["amount"]
    for read, obj in zip(query.as_dicts().all(), objs, strict=True):  # untyped: int or Decimal
        assert no_floats([read["price"], read["big"], *read["extra"].values()])
        assert (read["price"], read["big"]) == (obj.price, obj.big)
        assert typed(read["extra"]) == typed(obj.extra)
    assert_every_frame_is_exact(query, objs)
    assert_every_frame_is_exact(ledger.scan(ledger.pk == run), objs)


@SETTINGS
@given(rows=ROWS)
@example(rows=DEFECT)
def test_untyped_reads_frames_and_tables_are_exact(db: dl.Connection, ledger: Any,
                                                   rows: list[dict[str, Any]]) -> None:
    """A TableSchema query (dicts) and an introspected model: each frame cell is the value
    the dict read or the introspected object gives (int when the text is integral, else
    Decimal); no float anywhere, not even for the float field, which nothing declares here."""
    run = f"run-{uuid.uuid4().hex}"
    for obj in objects(ledger, run, rows):
        obj.save()
    schema = db.describe(ledger.__table__)
    untyped = dl.Query(schema, dl.attr("pk") == run)
    introspected = db.model(ledger.__table__)
    for query in (untyped, dl.Query(introspected, dl.attr("pk") == run)):
        result = query.all()
        reads = [r if isinstance(r, dict) else r.to_dict() for r in result]
        for read, row in zip(reads, rows, strict=True):
            assert read["price"] == row["price"] and read["big"] == row["big"]
            assert no_floats([read["price"], read["big"], read["misc"], read["ratio"],
                              *read["extra"].values()])
        columns = ("sk", "big", "price", "extra", "misc", "ratio")
        for frame in (query.to_pandas(), result.to_pandas()):
            assert_frame_is_the_api(frame, reads, columns)
        flat = [{**r, "extra.amount": r["extra"]["amount"], "extra.count": r["extra"]["count"]}
                for r in reads]
        for frame in (query.to_pandas(flatten=True), result.to_pandas(flatten=True)):
            assert_frame_is_the_api(frame, flat, ("sk", "big", "price", "extra.amount",
                                                  "extra.count", "misc", "ratio"))
        for table in (query.to_arrow(), result.to_arrow()):
            assert_table_is_exact(table, reads)
    frame = frame_from_items(untyped.as_items().all().to_items())
    assert_frame_is_the_api(frame, [dict(r) for r in untyped.all()], ("big", "price", "misc"))


# --- %%dynamo cells ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ip(server: Any, shell: InteractiveShell) -> InteractiveShell:
    """The module's IPython shell with a connection to the server."""
    shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias exact")
    return shell


@SETTINGS
@given(rows=ROWS)
@example(rows=DEFECT)
def test_dynamo_cell_results_are_exact(ip: InteractiveShell, ledger: Any,
                                       rows: list[dict[str, Any]]) -> None:
    run = f"run-{uuid.uuid4().hex}"
    for obj in objects(ledger, run, rows):
        obj.save()
    reads = sorted(ledger.query(ledger.pk == run).as_dicts().all(), key=lambda r: r["sk"])
    select = f'SELECT * FROM "{ledger.__table__}" WHERE "pk" = \'{run}\''
    shown = ip.run_cell_magic("dynamo", "", select)
    assert len(shown) == len(rows)
    columns = ("sk", "big", "price", "extra", "misc", "ratio")
    assert_frame_is_the_api(shown.to_pandas(), reads, columns)
    ip.run_line_magic("config", "DynamoMagic.autopandas = True")
    try:
        frame = ip.run_cell_magic("dynamo", "", select)
    finally:
        ip.run_line_magic("config", "DynamoMagic.autopandas = False")
    assert isinstance(frame, pd.DataFrame)
    assert_frame_is_the_api(frame, reads, columns)


# --- the widgets ------------------------------------------------------------------------------

def test_the_widgets_frames_and_exports_are_exact(db: dl.Connection, ledger: Any,
                                                 shell: InteractiveShell) -> None:
    """The explorer's page, what it saves to the notebook, and the builder's result: the
    values the Python API gives, no float (untyped reads: int or Decimal)."""
    from dynamorm_lab.widgets import build, explore

    run = f"run-{uuid.uuid4().hex}"
    for obj in objects(ledger, run, DEFECT):
        obj.save()
    reads = sorted(ledger.query(ledger.pk == run).as_dicts().all(), key=lambda r: r["sk"])
    explorer = explore(db, ledger.__table__, page_size=50)
    mine = explorer.frame[explorer.frame["pk"] == run]
    assert_frame_is_the_api(mine, reads, ("big", "price", "misc"))
    explorer.export_name.value = "exact_page"
    explorer.export_button.click()
    saved = shell.user_ns["exact_page"]
    assert_frame_is_the_api(saved[saved["pk"] == run], reads, ("big", "price", "misc"))
    builder = build(db, ledger.__table__)
    builder.partition_attr.value = "pk"
    builder.partition.value = run
    builder.run()
    assert_frame_is_the_api(builder.frame, reads, ("sk", "big", "price", "extra", "misc"))


# --- batches and transactions -----------------------------------------------------------------

@SETTINGS
@given(rows=ROWS)
@example(rows=DEFECT)
def test_batch_write_then_batch_get_is_exact(db: dl.Connection, ledger: Any,
                                             rows: list[dict[str, Any]]) -> None:
    run = f"run-{uuid.uuid4().hex}"
    report = db.batch_write(puts=objects(ledger, run, rows))
    assert report.ok and report.written == len(rows)
    found = db.batch_get(ledger, [(run, sk) for sk in range(len(rows))])
    assert not found.missing
    for obj, row in zip(found.items, rows, strict=True):
        assert_written(obj, row)
    keys = ledger.query(ledger.pk == run, ledger.sk.is_in(list(range(len(rows)))))
    assert keys.explain().operation in ("BatchGetItem", "GetItem")
    assert_every_frame_is_exact(keys, found.items)


@pytest.mark.needs("transactions")
@SETTINGS
@given(rows=ROWS)
@example(rows=DEFECT)
def test_transaction_writes_and_reads_are_exact(db: dl.Connection, ledger: Any,
                                                rows: list[dict[str, Any]]) -> None:
    run = f"run-{uuid.uuid4().hex}"
    with db.transaction() as tx:
        for obj in objects(ledger, run, rows):
            tx.put(obj)
    got = db.transact_get([(ledger, (run, sk)) for sk in range(len(rows))])
    for obj, row in zip(got, rows, strict=True):
        assert_written(obj, row)
    one = ledger.query(ledger.pk == run, ledger.sk == 0)
    assert one.explain().operation == "GetItem"
    assert_every_frame_is_exact(one, got[:1])
    assert_every_frame_is_exact(ledger.query(ledger.pk == run), got)


# --- floats only when asked --------------------------------------------------------------------

@SETTINGS
@given(rows=ROWS)
@example(rows=DEFECT)
def test_numbers_float_gives_floats_only_when_asked(db: dl.Connection, ledger: Any,
                                                    rows: list[dict[str, Any]]) -> None:
    """``numbers="float"``: every number column that is not int64 becomes float64 (the
    float nearest the exact value); int64 columns stay int64. Without it: no float."""
    run = f"run-{uuid.uuid4().hex}"
    for obj in objects(ledger, run, rows):
        obj.save()
    query = ledger.query(ledger.pk == run)
    result = query.all()
    frames = [query.to_pandas(numbers="float"), result.to_pandas(numbers="float")]
    flats = [query.to_pandas(flatten=True, numbers="float"),
             result.to_pandas(flatten=True, numbers="float")]
    for unsorted in [*frames, *flats]:
        frame = unsorted.sort_values("sk").reset_index(drop=True)
        assert frame["price"].dtype == "float64"
        assert frame["price"].tolist() == [float(r["price"]) for r in rows]
        assert frame["ratio"].dtype == "float64"
        fits = all(-(2**63) <= r["big"] < 2**63 for r in rows)
        assert frame["big"].dtype == ("int64" if fits else "float64")
        assert frame["big"].tolist() == [r["big"] if fits else float(r["big"]) for r in rows]
    for flat in flats:
        assert flat["extra.amount"].dtype in ("int64", "float64")
        assert flat["extra.amount"].tolist() == [
            float(r["amount"]) if flat["extra.amount"].dtype == "float64" else r["amount"]
            for r in rows]
    for unsorted in (query.to_arrow(numbers="float"), result.to_arrow(numbers="float")):
        table = unsorted.sort_by("sk")
        assert table.schema.field("price").type == pa.float64()
        assert table.column("price").to_pylist() == [float(r["price"]) for r in rows]
        assert pa.types.is_floating(table.schema.field("extra").type.field("amount").type) or \
            table.schema.field("extra").type.field("amount").type == pa.int64()
    # and by default, not one float outside the float field
    assert_every_frame_is_exact(query, list(result))


@pytest.mark.parametrize("bad", ["floats", "Exact", None, 1, True])
def test_a_bad_numbers_option_is_refused(db: dl.Connection, ledger: Any, bad: Any) -> None:
    obj = objects(ledger, "bad", [DEFECT[0]])[0].save()
    query = ledger.query(ledger.pk == "bad")
    result = query.all()
    for call in (lambda: query.to_pandas(numbers=bad),
                 lambda: query.to_arrow(numbers=bad), lambda: result.to_pandas(numbers=bad),
                 lambda: result.to_arrow(numbers=bad),
                 lambda: frame_from_items(result.to_items(), numbers=bad)):
        with pytest.raises(ValidationError, match="numbers"):
            call()
    assert_every_frame_is_exact(query, [obj])
