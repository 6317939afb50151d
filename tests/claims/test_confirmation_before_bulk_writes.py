"""Claim: an UPDATE or DELETE whose WHERE is not a full key writes nothing without --yes.

With ``yes=True`` (``--yes``) it writes exactly the items the WHERE matches, each write
re-checking the WHERE; ``--dry-run`` shows them and writes nothing. Runs on moto and dynalite.
"""


from collections.abc import Callable
from typing import Any

import pytest
from backends import raw_scan
from helpers import canonical, sent_operations, unique

import dynamorm_lab as dl
from dynamorm_lab._ops.boundary import WRITE_OPERATIONS

pytestmark = pytest.mark.integration


def rows(statement: Any) -> list[dict[str, Any]]:
    """The decoded rows of a `dl.execute` SELECT result."""
    return statement.rows


# === 3. destructive statements need explicit confirmation ======================================

DESTRUCTIVE_WHERES = [
    "band = 'B'",  # the partition key alone
    "plays > 5",  # no key at all
    "band = 'B' OR band = 'C'",  # keys combined with OR are not one key
    "band = 'B' AND title = 'one' OR plays > 100",  # a full key inside an OR
    "NOT (band <> 'B') AND title = 'one'",  # a negated key
    "band IN ['B', 'C'] AND title = 'one'",  # several keys
    "title = 'one'",  # the sort key alone
    "band = :band",  # a variable whose text looks like an always-true condition
]


@pytest.mark.parametrize("where", DESTRUCTIVE_WHERES)
@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
def test_a_write_whose_where_is_not_a_full_key_needs_yes(
        conn: dl.Connection, server: Any, make_table: Callable[[Any], Any], verb: str,
        where: str) -> None:
    name = unique("sec_confirm")
    make_table(dl.TableSchema(name, dl.KeyAttribute("band", "S"), dl.KeyAttribute("title", "S")))
    for band, title, plays in (("B", "one", 1), ("B", "two", 8), ("C", "one", 20),
                               ("D", "x", 3)):
        conn.client.put_item(TableName=name, Item={
            "band": {"S": band}, "title": {"S": title}, "plays": {"N": str(plays)}})
    before = canonical(raw_scan(conn, name))
    hooked = dl.connect(server.endpoint_url, make_default=False)
    sent = sent_operations(hooked)
    statement = (f'UPDATE "{name}" SET hit = true WHERE {where}' if verb == "UPDATE"
                 else f'DELETE FROM "{name}" WHERE {where}')
    variables = {"band": "B' OR '1'='1"}

    try:
        with pytest.raises(dl.ValidationError, match="--yes"):
            dl.execute(statement, hooked, variables=variables, allow_scan=True)
        dry = dl.execute(statement, hooked, variables=variables, allow_scan=True, dry_run=True)
    finally:
        hooked.close()
    assert dry[0].kind == "dry_run" and "nothing was written" in dry[0].summary
    assert sent, "the hook saw nothing: the check proves nothing"
    assert [op for op in sent if op in WRITE_OPERATIONS] == []
    assert canonical(raw_scan(conn, name)) == before


def test_yes_writes_exactly_the_items_the_where_matches(conn: dl.Connection,
                                                       make_table: Callable[[Any], Any]) -> None:
    name = unique("sec_yes")
    make_table(dl.TableSchema(name, dl.KeyAttribute("band", "S"), dl.KeyAttribute("title", "S")))
    rows = [("B", "one", 1), ("B", "two", 8), ("C", "one", 20), ("D", "x", 3)]
    for band, title, plays in rows:
        conn.client.put_item(TableName=name, Item={
            "band": {"S": band}, "title": {"S": title}, "plays": {"N": str(plays)}})
    dl.execute(f"UPDATE \"{name}\" SET hit = true WHERE band = :b OR plays > 10", conn,
               variables={"b": "B"}, yes=True, allow_scan=True)
    hit = {(i["band"]["S"], i["title"]["S"]) for i in raw_scan(conn, name) if "hit" in i}
    assert hit == {("B", "one"), ("B", "two"), ("C", "one")}
    dl.execute(f"DELETE FROM \"{name}\" WHERE band = :b", conn, variables={"b": "B' OR '1'='1"},
               yes=True, allow_scan=True)
    assert len(raw_scan(conn, name)) == 4  # no band has that text: nothing deleted
