"""Claim: bad input gets a clear error and changes nothing.

DynamoDB's item rules (at most 400 KB, at most 32 levels of lists and maps, non-empty map
keys, valid Unicode text) are checked before anything is sent, so a bad value is refused with
a `CodecError`/`ValidationError` naming where it is, on every write path: a model's
create/save/update, the connection's update by key, batch writes and the batch writer,
transactions, ``%%dynamo`` INSERT and UPDATE, imports and backfills. After each refusal the
table is exactly as before (a raw snapshot) and no write request was sent. The edges pass: an
item of exactly 409,600 bytes and 32 levels of nesting are stored and read back. Runs on moto
and on dynalite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import raw_scan
from helpers import canonical, sent_operations

import dynamorm_lab as dl
from dynamorm_lab._core.limits import MAX_DEPTH, MAX_ITEM_BYTES, item_size
from dynamorm_lab._ops.boundary import WRITE_OPERATIONS

pytestmark = pytest.mark.integration


def nest(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def make_doc(table: str) -> Any:
    class Doc(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        body: dict[str, Any] = dl.field(default_factory=dict)
        text: str = ""
        version: int = dl.field(version=True)

    return Doc


@pytest.fixture
def doc(db: dl.Connection, table_name: str) -> Iterator[Any]:
    Doc = make_doc(table_name)
    db.create_table(Doc)
    Doc(pk="kept", body={"n": 1}, text="as written").create()
    yield Doc
    db.delete_table(table_name)


# What DynamoDB refuses, as a value of the `body` map (or of `text` for the size), with the
# error the library raises and the path it names.
BAD: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "33 levels": ({"body": nest(MAX_DEPTH + 1)}, dl.CodecError, "32 levels"),
    "5000 levels": ({"body": nest(5000)}, dl.CodecError, "32 levels"),
    "a lone surrogate": ({"body": {"note": "ok \ud800"}}, dl.CodecError, "surrogate"),
    "a lone surrogate in text": ({"text": "\udfff"}, dl.CodecError, "surrogate"),
    "an empty map key": ({"body": {"": 1}}, dl.CodecError, "non-empty"),
    "an empty nested map key": ({"body": {"x": [{"": "y"}]}}, dl.CodecError, "non-empty"),
    "over 400 KB": ({"text": "x" * (MAX_ITEM_BYTES - 5)}, dl.ValidationError,
                    "bytes by DynamoDB's rule; an item is at most 409,600 bytes"),
}
# An update's size is the stored item's after the update, which only DynamoDB knows: the
# server refuses it (nothing changes), so the request itself is sent.
SERVER_SIZE = "maximum allowed size"
UPDATES = ("Model.update", "db.update by key", "%%dynamo UPDATE")


def _update_actions(Doc: Any, values: dict[str, Any]) -> list[Any]:
    return [getattr(Doc, name).set(value) for name, value in values.items()]


def _partiql_value(values: dict[str, Any]) -> str:
    return "{'pk': 'new', " + ", ".join(f"'{k}': :{k}" for k in values) + "}"


def _execute(conn: dl.Connection, text: str, values: dict[str, Any]) -> Any:
    return dl.execute(text, conn, variables=values)


def _json_line(item: dict[str, Any]) -> str:
    """Plain JSON for an item (lone surrogates escaped as JSON allows; deep nesting written
    out, since Python's own encoder stops at its recursion limit)."""
    body = item.get("body")
    if isinstance(body, dict) and body.keys() == {"a"} and _depth(body) > 100:
        rest = {k: v for k, v in item.items() if k != "body"}
        levels = _depth(body)
        return json.dumps(rest)[:-1] + ', "body": ' + '{"a": ' * levels + "1" + "}" * levels + "}"
    return json.dumps(item)


def _depth(value: Any) -> int:
    levels = 0
    while isinstance(value, dict) and "a" in value:
        value, levels = value["a"], levels + 1
    return levels


def _import(conn: dl.Connection, Doc: Any, values: dict[str, Any], tmp: Path) -> Any:
    path = tmp / "bad.jsonl"
    bad = {"pk": "imp-bad", **values}
    lines = [_json_line({"pk": f"imp{n}", "text": "fine"}) for n in range(30)]
    path.write_text("\n".join([*lines, _json_line(bad)]), encoding="utf-8")
    return dl.import_json(path, conn, table=Doc.__table__)


def _batch_writer(conn: dl.Connection, Doc: Any, values: dict[str, Any]) -> Any:
    """A batch writer streams: a bad item is refused by `put()` itself, before it is queued
    (what was put before it and already sent stays written: see test_batches.py)."""
    with conn.batch_writer() as writer:
        writer.put(Doc(pk="bw-bad", **values))
        for n in range(30):
            writer.put(Doc(pk=f"bw{n}"))
    return writer.report


def _backfill(conn: dl.Connection, Doc: Any, values: dict[str, Any]) -> Any:
    """A backfill reports each item it could not write; raised here as one error to check
    its words (the run itself goes on past a bad item)."""
    def change(obj: Any) -> Any:
        for name, value in values.items():
            setattr(obj, name, value)
        return obj

    report = conn.backfill(Doc, change)
    assert report.changed == 0 and len(report.failed) == 1, report
    raise dl.ValidationError(report.failed[0][1])


PATHS: dict[str, Callable[[dl.Connection, Any, dict[str, Any], Path], Any]] = {
    "Model.create": lambda c, D, v, _t: D(pk="new", **v).create(connection=c),
    "Model.save": lambda c, D, v, _t: D(pk="new", **v).save(connection=c),
    "Model.save of an existing item": lambda c, D, v, _t: _save_existing(c, D, v),
    "Model.update": lambda c, D, v, _t: c.get(D, "kept").update(*_update_actions(D, v),
                                                                 connection=c),
    "db.update by key": lambda c, D, v, _t: c.update(D, *_update_actions(D, v), key="kept"),
    "db.batch_write": lambda c, D, v, _t: c.batch_write(
        [D(pk=f"b{n}") for n in range(30)] + [D(pk="b-bad", **v)]),
    "db.batch_writer": lambda c, D, v, _t: _batch_writer(c, D, v),
    "transaction put": lambda c, D, v, _t: _transaction(c, D, v),
    "backfill": lambda c, D, v, _t: _backfill(c, D, v),
    "%%dynamo INSERT": lambda c, D, v, _t: _execute(
        c, f'INSERT INTO "{D.__table__}" VALUE {_partiql_value(v)}', v),
    "%%dynamo UPDATE": lambda c, D, v, _t: _execute(
        c, f'UPDATE "{D.__table__}" SET ' + ", ".join(f"{k} = :{k}" for k in v)
        + " WHERE pk = 'kept'", v),
    "import_json": _import,
}


def _save_existing(conn: dl.Connection, Doc: Any, values: dict[str, Any]) -> Any:
    obj = conn.get(Doc, "kept")
    for name, value in values.items():
        setattr(obj, name, value)
    return obj.save(connection=conn)


def _transaction(conn: dl.Connection, Doc: Any, values: dict[str, Any]) -> Any:
    with conn.transaction() as tx:
        tx.put(Doc(pk="tx-good"))
        tx.put(Doc(pk="tx-bad", **values))


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("path", [
    pytest.param(p, marks=pytest.mark.needs("transactions")) if p.startswith("transaction")
    else p for p in PATHS])
def test_a_value_dynamodb_refuses_is_refused_before_sending_and_nothing_changes(
        db: dl.Connection, doc: Any, path: str, case: str, tmp_path: Path) -> None:
    values, error_type, says = BAD[case]
    server_decides = path in UPDATES and says.endswith("bytes")
    before = canonical(raw_scan(db, doc.__table__))
    kept = db.get(doc, "kept", consistent=True)
    sent = sent_operations(db)
    # an import names the line, a statement the column, and a backfill reports each item
    # (raised here as one error): a ValidationError whatever the value's own error
    reported = path in ("import_json", "backfill") or path.startswith("%%dynamo")
    with pytest.raises((dl.ValidationError, error_type) if reported else error_type) as refused:
        PATHS[path](db, doc, values, tmp_path)
    assert (SERVER_SIZE if server_decides else says) in str(refused.value), str(refused.value)
    if not server_decides:
        assert [op for op in sent if op in WRITE_OPERATIONS] == [], sent
    assert canonical(raw_scan(db, doc.__table__)) == before
    assert db.get(doc, "kept", consistent=True) == kept


def test_the_edges_are_stored_and_read_back(db: dl.Connection, doc: Any) -> None:
    """Exactly 409,600 bytes by DynamoDB's rule, and 32 levels of maps, pass the check and
    are stored by the server as they are."""
    base = doc(pk="edge", body={}, text="", version=1).to_item()
    text = "x" * (MAX_ITEM_BYTES - item_size(base))
    full = doc(pk="edge", text=text).create()
    assert item_size(full.to_item()) == MAX_ITEM_BYTES
    assert db.get(doc, "edge", consistent=True).text == text
    deep = doc(pk="deep", body=nest(MAX_DEPTH)).create()
    assert db.get(doc, "deep", consistent=True).body == deep.body
    db.batch_write([doc(pk="edg2", text=text), doc(pk="deep2", body=nest(MAX_DEPTH))])
    assert db.get(doc, "edg2", consistent=True).text == text
