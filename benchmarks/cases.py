"""The benchmark cases, each the same work done by dynamorm_lab and by the tools it replaces.

In-memory cases: (a) decode, (b) encode, (f) import time, (g) parse + plan. Server cases, on a
dynalite started by the suite: (c) Scan to a DataFrame, (d) the same in 4 parallel segments,
(e) batch get and batch write.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import awswrangler as wr
import boto3
import data
import pandas as pd
from boto3.dynamodb.conditions import Attr, ConditionExpressionBuilder, Key
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from measure import Contender, Sample, in_child, interleave, per_call
from report import Case
from servers import ROOT

import dynamorm_lab as dl
from dynamorm_lab._core.codec import decode_item, encode_item
from dynamorm_lab.lang import Select
from dynamorm_lab.lang._compile import Bindings, condition, path

REGION = "us-east-1"
CLIENT = "boto3 client"


@dataclass(frozen=True)
class Sizes:
    items: int
    batch_get: int
    batch_write: int
    repeats: int  # in-memory cases
    server_repeats: int  # cases that talk to dynalite
    import_runs: int
    plan_calls: int


FULL = Sizes(items=20_000, batch_get=1_000, batch_write=5_000, repeats=5, server_repeats=6,
             import_runs=15, plan_calls=1_000)
QUICK = Sizes(items=2_000, batch_get=200, batch_write=500, repeats=2, server_repeats=2,
              import_runs=3, plan_calls=200)


def count_is(expected: int) -> Callable[[Any], None]:
    """A check that the output has `expected` rows (a count, or items, objects, frame rows)."""
    def check(out: Any) -> None:
        got = out if isinstance(out, int) else len(out)
        if got != expected:
            raise AssertionError(f"expected {expected:,} results, got {got:,}")
    return check


# --- (a) decode and (b) encode --------------------------------------------------------------

def decode_case(wire: list[dict[str, Any]], sizes: Sizes) -> Case:
    deserializer = TypeDeserializer()
    pynamo = data.pynamo_model(data.READ_TABLE, None)
    model = data.Item
    n = len(wire)
    contenders = [
        Contender("dynamorm_lab decode_item → dict", lambda: [decode_item(w) for w in wire],
                  count_is(n), ours=True),
        Contender("dynamorm_lab Model.from_item → model",
                  lambda: [model.from_item(w) for w in wire], count_is(n), ours=True),
        Contender("dynamorm_lab dl.decode_items (bulk) → dicts",
                  lambda: dl.decode_items(wire), count_is(n), ours=True),
        Contender("dynamorm_lab Model.from_items (bulk) → models",
                  lambda: model.from_items(wire), count_is(n), ours=True),
        Contender(CLIENT, lambda: [{k: deserializer.deserialize(v) for k, v in w.items()}
                                   for w in wire], count_is(n)),
        Contender("PynamoDB Model.from_raw_data → model",
                  lambda: [pynamo.from_raw_data(w) for w in wire], count_is(n)),
    ]
    interleave(contenders, sizes.repeats)
    return Case("a", f"Decode {n:,} wire items", (
        f"AttributeValue maps, as botocore's client returns them, to Python. The baseline, "
        f"`{CLIENT}`, is `TypeDeserializer().deserialize` per attribute into dicts. "
        f"n = {sizes.repeats}."), contenders, unit="ms",
        notes=["The bulk forms convert a whole list with the cyclic GC paused (items hold no "
               "reference cycles); the per-item forms are what a loop over single calls costs.",
               "TypeDeserializer reads every number as `Decimal` and B as a `Binary` wrapper; "
               "dynamorm_lab reads integral numbers as `int`; PynamoDB reads numbers as "
               "`int`/`float` (11-place decimals lose exactness)."])


def encode_case(items: list[dict[str, Any]], sizes: Sizes) -> Case:
    serializer = TypeSerializer()
    pynamo = data.pynamo_model(data.READ_TABLE, None)
    dl_objects = data.dl_objects(items)
    pynamo_objects = data.pynamo_objects(pynamo, items)
    n = len(items)
    contenders = [
        Contender("dynamorm_lab Model.to_item (model)", lambda: [o.to_item() for o in dl_objects],
                  count_is(n), ours=True),
        Contender("dynamorm_lab encode_item (dict)", lambda: [encode_item(i) for i in items],
                  count_is(n), ours=True),
        Contender("dynamorm_lab Model.to_items (bulk, models)",
                  lambda: data.Item.to_items(dl_objects), count_is(n), ours=True),
        Contender("dynamorm_lab dl.encode_items (bulk, dicts)",
                  lambda: dl.encode_items(items), count_is(n), ours=True),
        Contender(CLIENT, lambda: [{k: serializer.serialize(v) for k, v in i.items()}
                                   for i in items], count_is(n)),
        Contender("PynamoDB Model.serialize (model)",
                  lambda: [o.serialize() for o in pynamo_objects], count_is(n)),
    ]
    interleave(contenders, sizes.repeats)
    return Case("b", f"Encode {n:,} objects to wire items", (
        f"The same values as model objects (dynamorm_lab, PynamoDB) or plain dicts "
        f"(dynamorm_lab's generic codec, boto3's `TypeSerializer`), to AttributeValue maps. "
        f"n = {sizes.repeats}."), contenders, unit="ms",
        notes=["The bulk forms convert a whole list with the cyclic GC paused (items hold no "
               "reference cycles); the per-item forms are what a loop over single calls costs.",
               "dynamorm_lab checks every number against DynamoDB's 38-digit and range rules; "
               "it and PynamoDB leave a None `note` out of the item where TypeSerializer "
               "writes NULL; PynamoDB's objects hold floats (it cannot store a Decimal)."])


# --- (f) import time and (g) parse + plan ---------------------------------------------------

def import_case(sizes: Sizes) -> Case:
    def importer(module: str) -> Callable[[], Any]:
        code = f"import {module}" if module else "pass"
        return lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                                      stdout=subprocess.DEVNULL)

    contenders = [
        Contender("import dynamorm_lab", importer("dynamorm_lab"), ours=True),
        Contender("import boto3", importer("boto3")),
        Contender("import pynamodb.models", importer("pynamodb.models")),
        Contender("import awswrangler", importer("awswrangler")),
        Contender("python -c pass (interpreter start, for reference)", importer(""),
                  reference=True),
    ]
    interleave(contenders, sizes.import_runs, measure=in_child)
    return Case("f", "Import time", (
        f"Each import in a fresh `python -c` subprocess (bytecode already cached); wall time "
        f"of the subprocess and its CPU (user + system). n = {sizes.import_runs}."),
        contenders, baseline="import boto3", unit="ms",
        notes=["Each row includes the interpreter's own start-up (the last row)."])


PARTIQL = ("SELECT pk, qty, created FROM \"bench_planner\" WHERE city = 'Porto' "
           "AND created BETWEEN '2024-01-01' AND '2024-06-30' AND qty > 10")


def _parse(text: str) -> Select:
    statement = dl.parse(text)[0]
    if not isinstance(statement, Select):
        raise TypeError("the benchmark statement is a SELECT")
    return statement


def _plan(statement: Select) -> dl.Plan:
    where = () if statement.where is None else (condition(statement.where, Bindings()),)
    query = dl.Query(data.PlannerItem, *where).as_dicts()
    if statement.projection is not None:
        query = query.select(*(path(p) for p in statement.projection))
    return query.explain()


def _boto3_expressions() -> Any:
    builder = ConditionExpressionBuilder()
    key = (Key("city").eq("Porto") & Key("created").between("2024-01-01", "2024-06-30"))
    return (builder.build_expression(key, is_key_condition=True),
            builder.build_expression(Attr("qty").gt(10)))


def plan_case(sizes: Sizes) -> Case:
    parsed = _parse(PARTIQL)

    def chose_index(out: Any) -> None:
        if out.index != "ByCity":
            raise AssertionError(f"expected a Query on ByCity, got: {out.sentence}")

    reference = "boto3 ConditionExpressionBuilder (hand-picked index)"
    contenders = [
        Contender("dynamorm_lab parse + plan", lambda: _plan(_parse(PARTIQL)), chose_index,
                  ours=True),
        Contender("dynamorm_lab parse only", lambda: _parse(PARTIQL), ours=True),
        Contender("dynamorm_lab compile + plan (parsed statement)", lambda: _plan(parsed),
                  chose_index, ours=True),
        Contender(reference, _boto3_expressions),
    ]
    per_call(contenders, sizes.plan_calls)
    plan = _plan(parsed)
    return Case("g", "Parse and plan a `%%dynamo` SELECT", (
        f"`{PARTIQL}` on a model with two GSIs and an LSI: `dl.parse`, the language's "
        f"compiler (`lang._compile.condition`), then `Query(...).explain()`, which lists and "
        f"judges every access path. Median of {sizes.plan_calls:,} single calls, contenders "
        f"alternating call by call. Plan: {plan.sentence}."), contenders,
        baseline=reference, unit="µs", cpu=False,
        notes=["The reference row is not the same work: it is what a boto3 user runs to build "
               "the KeyConditionExpression and FilterExpression after choosing the index "
               "by hand (the resource API does this inside `Table.query`)."])


# --- the server cases -----------------------------------------------------------------------

@dataclass
class Server:
    """Everything the server cases talk through, made once (outside any timing)."""

    url: str
    conn: dl.Connection
    client: Any
    session: boto3.Session
    pynamo_read: Any
    pynamo_write: Any

    @classmethod
    def open(cls, url: str) -> Server:
        session = boto3.Session(region_name=REGION, aws_access_key_id="local",
                                aws_secret_access_key="local")
        wr.config.dynamodb_endpoint_url = url
        return cls(url, dl.connect(url, region=REGION), session.client("dynamodb",
                   endpoint_url=url), session, data.pynamo_model(data.READ_TABLE, url),
                   data.pynamo_model(data.WRITE_TABLE, url))

    def table(self, name: str) -> Any:
        """A resource Table (resources are not thread-safe: one per thread)."""
        return self.session.resource("dynamodb", endpoint_url=self.url).Table(name)

    def load(self, wire: list[dict[str, Any]]) -> None:
        """Create both tables and fill the read table (plain boto3 client calls)."""
        for name in (data.READ_TABLE, data.WRITE_TABLE):
            self.client.create_table(TableName=name, **data.key_schema())
            self._wait_active(name)
        _client_write(self.client, data.READ_TABLE, wire)

    def _wait_active(self, name: str, timeout: float = 30.0) -> None:
        """Poll briefly (boto3's waiter sleeps 20 s between polls)."""
        deadline = time.monotonic() + timeout
        while self.client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise RuntimeError(f"table {name} is not ACTIVE after {timeout:.0f} s")
            time.sleep(0.05)


def _client_write(client: Any, table: str, wire: list[dict[str, Any]]) -> int:
    for start in range(0, len(wire), 25):
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": item}}
                                           for item in wire[start:start + 25]]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
    return len(wire)


def _client_rows(client: Any, table: str, segment: int = 0, total: int = 1,
                 ) -> list[dict[str, Any]]:
    deserializer = TypeDeserializer()
    params: dict[str, Any] = {"TableName": table}
    if total > 1:
        params.update(Segment=segment, TotalSegments=total)
    rows = []
    for page in client.get_paginator("scan").paginate(**params):
        rows += [{k: deserializer.deserialize(v) for k, v in item.items()}
                 for item in page["Items"]]
    return rows


def _resource_rows(table: Any, segment: int = 0, total: int = 1) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"Segment": segment, "TotalSegments": total} if total > 1 else {}
    rows: list[dict[str, Any]] = []
    while True:
        page = table.scan(**params)
        rows += page["Items"]
        if "LastEvaluatedKey" not in page:
            return rows
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _in_threads(segments: int, work: Callable[[int], list[Any]]) -> list[Any]:
    """One thread per segment; the rows of all segments, segment by segment."""
    if segments == 1:
        return work(0)
    with ThreadPoolExecutor(segments) as pool:
        parts = list(pool.map(work, range(segments)))
    return [row for part in parts for row in part]


def scan_case(server: Server, sizes: Sizes, segments: int, *, warm: bool = False) -> Case:
    """A full scan to a DataFrame; `warm`: every code path already ran (no warm-up needed,
    the output is checked on the timed runs)."""
    n = sizes.items
    table = data.READ_TABLE
    schema = server.conn.describe(table)
    conn, client, pynamo = server.conn, server.client, server.pynamo_read
    tables = [server.table(table) for _ in range(segments)]

    scan = dl.Query(schema, scan=True).as_dicts().using(conn).allow_scan().segments(segments)
    model_scan = data.Item.scan().using(conn).allow_scan().segments(segments)

    def dl_python() -> Any:
        return scan.to_pandas()

    def dl_arrow() -> Any:
        return scan.to_arrow()

    def dl_model() -> Any:
        return model_scan.to_pandas()

    def dl_dicts_first() -> Any:
        return scan.all().to_pandas()

    def dl_select() -> Any:
        (select,) = dl.execute(f'SELECT * FROM "{table}"', conn, allow_scan=True)
        return select.to_pandas()

    def boto3_client() -> Any:
        return pd.DataFrame(_in_threads(segments, lambda s: _client_rows(
            client, table, s, segments)))

    def boto3_resource() -> Any:
        return pd.DataFrame(_in_threads(segments, lambda s: _resource_rows(
            tables[s], s, segments)))

    def pynamodb() -> Any:
        def rows(segment: int) -> list[Any]:
            found = pynamo.scan(segment=segment if segments > 1 else None,
                                total_segments=segments if segments > 1 else None)
            return [item.attribute_values for item in found]
        return pd.DataFrame(_in_threads(segments, rows))

    def awswrangler() -> Any:
        return wr.dynamodb.read_items(table_name=table, allow_full_scan=True,
                                      boto3_session=server.session,
                                      use_threads=segments if segments > 1 else False)

    check = count_is(n)
    contenders = [
        Contender("dynamorm_lab Query.to_pandas() (pure Python)", dl_python, check, ours=True),
        Contender("dynamorm_lab Query.to_arrow() (Arrow path)", dl_arrow, check, ours=True),
        Contender("dynamorm_lab Model.scan().to_pandas()", dl_model, check, ours=True),
        Contender("dynamorm_lab Query.all().to_pandas() (dicts first)", dl_dicts_first, check,
                  ours=True),
        *([Contender('dynamorm_lab %%dynamo SELECT * (dl.execute, to a frame)', dl_select,
                     check, ours=True)] if segments == 1 else []),
        Contender(CLIENT, boto3_client, check),
        Contender("boto3 resource Table.scan", boto3_resource, check),
        Contender("PynamoDB Model.scan", pynamodb, check),
        Contender("awswrangler read_items", awswrangler, check),
    ]
    interleave(contenders, sizes.server_repeats, warmups=0 if warm else 1)
    if segments == 1:
        key, title = "c", f"Scan {n:,} items to a DataFrame"
        how = (f"`{CLIENT}` is the scan paginator + `TypeDeserializer` + `pd.DataFrame(rows)`;"
               " the resource pages with `ExclusiveStartKey`; PynamoDB builds the frame from "
               "each object's `attribute_values`; awswrangler with `use_threads=False`")
    else:
        key, title = "d", f"Parallel Scan of {n:,} items in {segments} segments to a DataFrame"
        how = (f"dynamorm_lab `.segments({segments})`; boto3 (client and resource) and "
               f"PynamoDB run one thread per segment; awswrangler with "
               f"`use_threads={segments}`")
    if warm:
        how += "; no separate warm-up (case c ran every code path just before)"
    return Case(key, title, (
        f"A full Scan through dynalite, ending in a pandas DataFrame of {n:,} rows. {how}. "
        f"n = {sizes.server_repeats}."), contenders, unit="s",
        notes=["dynalite runs on the same 2 cores, so wall time includes the server's work "
               "competing with the client's; client CPU is the client's alone.",
               "`to_pandas()` builds the frame straight from the wire items (one JSON parse per "
               "page, no per-item dicts); `to_arrow()` has pyarrow parse the pages and returns "
               "a pyarrow Table (Arrow types: "
               "lists and structs for L/SS/M, not Python objects); `.all().to_pandas()` first "
               "makes a dict per item, as a user iterating the items would; a `%%dynamo` "
               "SELECT parses, samples the table (200 items, to learn its attributes), plans "
               "and goes to the same frame sink as `to_pandas()`.",
               "dynamorm_lab's frames type their columns (`int64`, exact `int`/`Decimal` "
               "objects for other numbers, `boolean`, NA for missing); the others leave "
               "numbers as Decimal/float objects (awswrangler converts through Arrow)."])


def batch_case(server: Server, items: list[dict[str, Any]], sizes: Sizes) -> list[Case]:
    gets, writes = sizes.batch_get, sizes.batch_write
    step = max(1, len(items) // gets)
    keys = [(item["pk"], item["sk"]) for item in items[::step][:gets]]
    wire_keys = [{"pk": {"S": pk}, "sk": {"N": str(sk)}} for pk, sk in keys]
    plain_keys = [{"pk": pk, "sk": Decimal(sk)} for pk, sk in keys]
    conn, client = server.conn, server.client
    service = server.session.resource("dynamodb", endpoint_url=server.url)
    table_name = data.READ_TABLE

    def client_get() -> list[dict[str, Any]]:
        deserializer = TypeDeserializer()
        rows = []
        for start in range(0, len(wire_keys), 100):
            request: dict[str, Any] = {table_name: {"Keys": wire_keys[start:start + 100]}}
            while request:
                response = client.batch_get_item(RequestItems=request)
                rows += [{k: deserializer.deserialize(v) for k, v in item.items()}
                         for item in response["Responses"].get(table_name, [])]
                request = response.get("UnprocessedKeys") or {}
        return rows

    def resource_get() -> list[dict[str, Any]]:
        rows = []
        for start in range(0, len(plain_keys), 100):
            request: dict[str, Any] = {table_name: {"Keys": plain_keys[start:start + 100]}}
            while request:
                response = service.batch_get_item(RequestItems=request)
                rows += response["Responses"].get(table_name, [])
                request = response.get("UnprocessedKeys") or {}
        return rows

    check = count_is(len(keys))
    get_contenders = [
        Contender("dynamorm_lab conn.batch_get → models",
                  lambda: conn.batch_get(data.Item, keys).items, check, ours=True),
        Contender(CLIENT, client_get, check),
        Contender("boto3 resource batch_get_item", resource_get, check),
        Contender("PynamoDB Model.batch_get → models",
                  lambda: list(server.pynamo_read.batch_get(keys)), check),
    ]
    interleave(get_contenders, sizes.server_repeats)

    to_write = items[:writes]
    dl_objects = data.dl_objects(to_write, data.WriteItem)

    def dl_write() -> int:
        report = conn.batch_write(dl_objects)
        return report.written

    write_contenders = [
        Contender("dynamorm_lab conn.batch_write (models)", dl_write, count_is(len(to_write)),
                  ours=True),
        *_their_writes(server, to_write),
    ]
    interleave(write_contenders, sizes.server_repeats)
    return [
        Case("e1", f"Batch get of {len(keys):,} keys", (
            f"Keys spread over the table, 100 per BatchGetItem. `{CLIENT}`: `batch_get_item` "
            f"in chunks with `UnprocessedKeys` retried, then `TypeDeserializer`. "
            f"n = {sizes.server_repeats}."), get_contenders, unit="ms",
            notes=["dynamorm_lab also removes duplicate keys, returns the items in the "
                   "callers' key order and lists missing keys."]),
        Case("e2", f"Batch write of {len(to_write):,} items", (
            f"Puts into an empty-then-overwritten table, 25 per BatchWriteItem, encoding "
            f"included. `{CLIENT}`: `TypeSerializer` + `batch_write_item` with "
            f"`UnprocessedItems` resent. n = {sizes.server_repeats}."), write_contenders,
            unit="ms",
            notes=["dynamorm_lab validates every item (size, keys, duplicate keys) before the "
                   "first request."]),
    ]


def _their_writes(server: Server, items: list[dict[str, Any]]) -> list[Contender]:
    """boto3's client and resource and PynamoDB putting `items` into the write table."""
    client, table = server.client, data.WRITE_TABLE
    serializer = TypeSerializer()
    pynamo_objects = data.pynamo_objects(server.pynamo_write, items)
    write_table = server.table(table)

    def client_write() -> int:
        wire = [{k: serializer.serialize(v) for k, v in item.items()} for item in items]
        return _client_write(client, table, wire)

    def resource_write() -> int:
        with write_table.batch_writer() as writer:
            for item in items:
                writer.put_item(Item=item)
        return len(items)

    def pynamo_write() -> int:
        with server.pynamo_write.batch_write() as batch:
            for obj in pynamo_objects:
                batch.save(obj)
        return len(pynamo_objects)

    check = count_is(len(items))
    return [Contender(CLIENT, client_write, check),
            Contender("boto3 resource batch_writer", resource_write, check),
            Contender("PynamoDB Model.batch_write", pynamo_write, check)]


def bulk_write_case(server: Server, items: list[dict[str, Any]], sizes: Sizes) -> Case:
    """Writes from data: dicts and a DataFrame into a table, against every tool's bulk put."""
    conn = server.conn
    table = data.WRITE_TABLE
    frame = pd.DataFrame(items)
    objects = data.dl_objects(items, data.WriteItem)
    repeats = max(2, sizes.server_repeats // 2)

    def wrangler_write() -> int:
        wr.dynamodb.put_df(frame, table_name=table, boto3_session=server.session)
        return len(frame)

    check = count_is(len(items))
    contenders = [
        Contender("dynamorm_lab db.put_items (dicts)",
                  lambda: conn.put_items(table, items).written, check, ours=True),
        Contender("dynamorm_lab db.put_items, workers=4",
                  lambda: conn.put_items(table, items, workers=4).written, check, ours=True),
        Contender("dynamorm_lab db.put_frame (DataFrame)",
                  lambda: conn.put_frame(table, frame).written, check, ours=True),
        Contender("dynamorm_lab db.batch_write (models)",
                  lambda: conn.batch_write(objects).written, check, ours=True),
        *_their_writes(server, items),
        Contender("awswrangler put_df", wrangler_write, check),
    ]
    interleave(contenders, repeats)
    return Case("h", f"Bulk write of {len(items):,} mixed items", (
        f"The same {len(items):,} items (strings, exact numbers, sets, lists, maps, binary, "
        f"nulls) put into one table, 25 per BatchWriteItem, encoding included; "
        f"`{CLIENT}`: `TypeSerializer` + `batch_write_item` with `UnprocessedItems` resent; "
        f"awswrangler `put_df` of the same DataFrame. n = {repeats}."), contenders,
        unit="s",
        notes=["dynamorm_lab checks every row against the live table (key types, 400 KB, "
               "nesting, duplicate keys) before the first request, encodes each item once "
               "and sends the request body it built (botocore still signs and retries it).",
               "botocore's per-request work (signing, HTTP, hooks) is the same for every "
               "tool and is most of what dynamorm_lab's writes cost: see the note in "
               "docs/performance.md."])


def export_memory_case(url: str, sizes: Sizes) -> Case:
    """Peak memory of an export against a read into memory, at two table sizes."""
    small, large = sizes.items, sizes.items * 10
    script = ROOT / "benchmarks" / "memory.py"
    for count in (small, large):  # tables filled first, by a process of their own
        subprocess.run([sys.executable, str(script), url, "fill", str(count)], check=True,
                       capture_output=True)
    contenders = []
    runs = [(small, "baseline"), *((c, m) for c in (small, large) for m in ("parquet", "pandas"))]
    for count, mode in runs:
        label = {"parquet": f"dynamorm_lab Query.to_parquet, {count:,} items",
                 "pandas": f"dynamorm_lab Query.to_pandas, {count:,} items",
                 "baseline": "the same process, reading nothing"}[mode]

        def run(mode: str = mode, count: int = count) -> int:
            out = subprocess.run([sys.executable, str(script), url, mode, str(count)],
                                 check=True, capture_output=True, text=True)
            return int(out.stdout.split()[-1])

        contenders.append(Contender(label, run, None, ours=mode == "parquet",
                                    reference=mode != "parquet"))
    for contender in contenders:
        contender.samples = [Sample(None, contender.run() / 1024)]  # KB to MB
    return Case("i", "Peak memory of an export", (
        f"Peak resident memory (MB, `VmHWM`) of a fresh process that scans a table of "
        f"{small:,} or {large:,} items into a Parquet file (`to_parquet`, a chunk of 10,000 "
        "rows at a time) or into memory (`to_pandas`), beside the same process with the same "
        "imports reading nothing. One run each."), contenders, unit="MB", cpu=False,
        baseline=contenders[1].tool,
        notes=["Constant memory: the export of ten times the items peaks at about the same "
               "memory; the frame grows with the table."])
