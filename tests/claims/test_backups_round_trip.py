"""Claim: an export is a backup. `export_json` writes every attribute of every item, and
`import_json` of that file into an empty table gives back exactly the same items.

And an import never half-writes: the whole file is read and checked against the table (keys
present and of the table's types, DynamoDB's item limits) before the first write; a bad line
is refused naming the line and the attribute, a malformed file with a `ParseError` giving its
line and column, and either way the table stays empty. Items of every DynamoDB type (exact
numbers, binary, sets, nested lists and maps), plain and gzipped files, a bundled sample.
Runs on moto and on dynalite.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import raw_scan
from helpers import unique
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dynamorm_lab as dl

pytestmark = pytest.mark.integration

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])

SCHEMA_KEYS = (dl.KeyAttribute("pk", "S"), dl.KeyAttribute("sk", "N"))


def snapshot(conn: dl.Connection, table: str) -> list[str]:
    """What the table holds, independent of order (set members sorted, binary as base64)."""
    def norm(av: Any) -> Any:
        [(tag, payload)] = av.items()
        if tag == "B":
            return {"B": base64.b64encode(payload).decode()}
        if tag == "BS":
            return {"BS": sorted(base64.b64encode(p).decode() for p in payload)}
        if tag in ("SS", "NS"):
            return {tag: sorted(payload)}
        if tag == "L":
            return {"L": [norm(v) for v in payload]}
        if tag == "M":
            return {"M": {k: norm(v) for k, v in payload.items()}}
        return av

    return sorted(json.dumps({k: norm(v) for k, v in item.items()}, sort_keys=True)
                  for item in raw_scan(conn, table))


@pytest.fixture
def fresh_table(db: dl.Connection) -> Iterator[Any]:
    """A factory of empty tables keyed pk (S) + sk (N); all deleted afterwards."""
    made: list[str] = []

    def make() -> str:
        name = unique("claims_backup")
        db.create_table(dl.TableSchema(name, *SCHEMA_KEYS))
        made.append(name)
        return name

    yield make
    for name in made:
        db.delete_table(name)


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)
NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=4)
NUMBERS = st.one_of(st.integers(-10**20, 10**20), st.decimals(
    allow_nan=False, allow_infinity=False, places=4, min_value=-10**9, max_value=10**9))
LEAVES = st.one_of(TEXT, NUMBERS, st.booleans(), st.none(), st.binary(max_size=6),
                   st.frozensets(NAMES, min_size=1, max_size=3),
                   st.frozensets(st.integers(-99, 99), min_size=1, max_size=3),
                   st.frozensets(st.binary(min_size=1, max_size=3), min_size=1, max_size=3))
VALUES = st.recursive(LEAVES, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.dictionaries(NAMES, kids, max_size=3)),
    max_leaves=8)
ITEMS = st.lists(st.dictionaries(st.sampled_from(["a", "b", "info", "year", "ü", "S"]), VALUES,
                                 max_size=5), min_size=1, max_size=12)


def write(conn: dl.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    items = dl.encode_items([{"pk": f"p{n % 3}", "sk": n, **row} for n, row in enumerate(rows)])
    for item in items:
        conn.call("PutItem", {"TableName": table, "Item": item})


@SETTINGS
@given(rows=ITEMS, gz=st.booleans())
def test_an_export_imported_into_an_empty_table_gives_the_same_items(
        db: dl.Connection, fresh_table: Any, tmp_path: Path, rows: list[dict[str, Any]],
        gz: bool) -> None:
    source, target = fresh_table(), fresh_table()
    write(db, source, rows)
    path = tmp_path / f"{source}.jsonl{'.gz' if gz else ''}"
    assert dl.export_json(source, path, db) == len(rows)
    with gzip.open(path, "rt") if gz else path.open() as handle:
        lines = handle.read().splitlines()
    assert len(lines) == len(rows)
    assert all(set(json.loads(line)) == {"Item"} for line in lines)
    reports = dl.import_json(path, db, table=target)
    assert reports[target].written == len(rows) and reports[target].ok
    assert snapshot(db, target) == snapshot(db, source)


def test_a_bundled_sample_survives_export_and_import(db: dl.Connection, tmp_path: Path) -> None:
    dl.load_sample("battle-royale", db)
    schema = db.describe("battle-royale")
    copy = unique("claims_battle")
    db.create_table(dl.TableSchema(copy, schema.partition, schema.sort, schema.indexes))
    try:
        path = tmp_path / "battle.jsonl"
        count = dl.export_json("battle-royale", path, db)
        assert count == len(raw_scan(db, "battle-royale"))
        dl.import_json(path, db, table=copy)
        assert snapshot(db, copy) == snapshot(db, "battle-royale")
    finally:
        db.delete_table(copy)


# --- an import refuses a bad file whole -----------------------------------------------------------

def test_a_line_whose_key_has_the_wrong_type_refuses_the_whole_file(
        db: dl.Connection, fresh_table: Any, tmp_path: Path) -> None:
    table = fresh_table()
    good = [json.dumps({"pk": f"k{n}", "sk": n, "v": n}) for n in range(40)]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join([*good, json.dumps({"pk": 5, "sk": 99})]))
    with pytest.raises(dl.ValidationError, match=r"line 41: key attribute 'pk'.*type S, got N"):
        dl.import_json(path, db, table=table)
    assert raw_scan(db, table) == []
    path.write_text("\n".join([*good[:10], json.dumps({"pk": "x"}), *good[10:]]))
    with pytest.raises(dl.ValidationError, match=r"line 11: .*lacks key attribute\(s\) sk"):
        dl.import_json(path, db, table=table)
    assert raw_scan(db, table) == []


def test_a_truncated_or_malformed_file_is_a_parse_error_with_its_line(
        db: dl.Connection, fresh_table: Any, tmp_path: Path) -> None:
    table = fresh_table()
    path = tmp_path / "items.jsonl"
    good = [json.dumps({"pk": f"k{n}", "sk": n}) for n in range(5)]
    cases = {
        "\n".join([*good, '{"pk": "k9", "sk": 9']): (6, 21),  # cut off at the end
        "\n".join([*good[:2], "{not json}", *good[2:]]): (3, 2),
        '[{"pk": "a", "sk": 1},\n {"pk": "b", "sk": 2}\n {"pk": "c"}]': (3, 2),
    }
    for text, (line, col) in cases.items():
        path.write_text(text)
        with pytest.raises(dl.ParseError) as refused:
            dl.import_json(path, db, table=table)
        assert (refused.value.line, refused.value.col) == (line, col), str(refused.value)
        assert "^" in str(refused.value)
        assert raw_scan(db, table) == []


def test_a_malformed_typed_value_is_refused_naming_its_line(
        db: dl.Connection, fresh_table: Any, tmp_path: Path) -> None:
    table = fresh_table()
    path = tmp_path / "items.jsonl"
    good = [json.dumps({"Item": {"pk": {"S": f"k{n}"}, "sk": {"N": str(n)}}}) for n in range(3)]
    for bad, says in ((json.dumps({"Item": {"pk": {"S": "x"}, "sk": {"N": "1"},
                                            "b": {"B": "not base64!"}}}), "line 4"),
                      (json.dumps({"Item": {"pk": {"X": "x"}, "sk": {"N": "1"}}}), "line 4"),
                      (json.dumps({"Item": {"pk": {"S": "x"}}}), "line 4")):
        path.write_text("\n".join([*good, bad]))
        with pytest.raises(dl.ValidationError, match=says):
            dl.import_json(path, db, table=table)
        assert raw_scan(db, table) == []
