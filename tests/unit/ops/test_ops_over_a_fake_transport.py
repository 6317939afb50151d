"""The operations, unit-tested over a fake transport (no server): what they send, how they
follow pages, cut at a limit, resume from a cursor, retry unprocessed items, and refuse
writes on a read-only transport before anything is sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from helpers import FakeTransport

import dynamorm_lab as dl
from dynamorm_lab._ops import crud, reads
from dynamorm_lab._ops.backfill import backfill
from dynamorm_lab._ops.batch import WriteRequest, write_requests


class Note(dl.Model, table="notes"):
    pk: str = dl.field(partition_key=True)
    sk: int = dl.field(sort_key=True)
    text: str = ""
    price: Decimal = Decimal(0)


def note(sk: int, pk: str = "p") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "text": {"S": f"note {sk}"},
            "price": {"N": f"{sk}.50"}}


def paged(items: list[dict[str, Any]], size: int) -> Any:
    """A handler serving Query/Scan pages of `size` items, following ExclusiveStartKey."""
    def handler(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        assert operation in ("Query", "Scan"), operation
        start = params.get("ExclusiveStartKey")
        begin = 0 if start is None else next(
            i for i, item in enumerate(items) if item["sk"] == start["sk"]) + 1
        limit = min(size, params.get("Limit", size))
        page = items[begin:begin + limit]
        response: dict[str, Any] = {"Items": page, "Count": len(page),
                                    "ScannedCount": len(page),
                                    "ConsumedCapacity": {"TableName": "notes",
                                                         "CapacityUnits": 0.5}}
        if begin + limit < len(items):
            response["LastEvaluatedKey"] = {k: page[-1][k] for k in ("pk", "sk")}
        return response

    return handler


ITEMS = [note(sk) for sk in range(10)]


def test_a_query_follows_every_page_and_counts_what_it_read() -> None:
    fake = FakeTransport(paged(ITEMS, 3))
    result = reads.run(fake, Note.query(Note.pk == "p"))
    assert [n.sk for n in result] == list(range(10))
    assert result[3].price == Decimal("3.50") and result.cursor is None
    assert fake.operations() == ["Query"] * 4
    assert all(parse == "raw" for _op, _params, parse in fake.calls)
    assert (result.stats.pages, result.stats.scanned, result.stats.returned) == (4, 10, 10)
    assert result.stats.capacity == 2.0 and fake.last_stats is result.stats
    sent = fake.calls[0][1]
    assert sent["KeyConditionExpression"] and sent["ReturnConsumedCapacity"] == "INDEXES"


def test_a_limit_cuts_inside_a_page_and_the_cursor_resumes_right_after() -> None:
    fake = FakeTransport(paged(ITEMS, 4))
    query = Note.query(Note.pk == "p").page_size(4)
    first = reads.run(fake, query.limit(6))
    assert [n.sk for n in first] == list(range(6))
    assert first.cursor is not None
    rest = reads.run(fake, query.after(first.cursor))
    assert [n.sk for n in rest] == list(range(6, 10))


def test_every_sink_returns_the_same_items_and_stats() -> None:
    query = Note.query(Note.pk == "p")
    frame = reads.frame(FakeTransport(paged(ITEMS, 3)), query)
    table = reads.arrow(FakeTransport(paged(ITEMS, 3)), query)
    result = reads.run(FakeTransport(paged(ITEMS, 3)), query)
    assert list(frame["sk"]) == table.column("sk").to_pylist() == [n.sk for n in result]
    assert list(frame["price"]) == [n.price for n in result]  # exact, never floats
    for stats in (dl.Stats.of(frame), dl.Stats.of(table), dl.Stats.of(result)):
        assert (stats.operation, stats.returned, stats.scanned) == ("Query", 10, 10)
    counted = FakeTransport(lambda _op, params: {"Count": 4, "ScannedCount": 4})
    assert reads.count(counted, query) == 4 and counted.calls[0][1]["Select"] == "COUNT"


def test_a_page_an_item_attribute_misleads_is_read_again_without_reading_ahead() -> None:
    """An attribute named LastEvaluatedKey can fool the peek at the raw bytes: the page's
    parse tells, and the read is done again the plain way, with the same answer."""
    tricky = [{**note(sk), "LastEvaluatedKey": {"M": {"pk": {"S": "x"}}}} for sk in range(5)]
    fake = FakeTransport(paged(tricky, 2))
    frame = reads.frame(fake, Note.query(Note.pk == "p"))
    assert list(frame["sk"]) == list(range(5))


def test_get_reads_one_item_and_leaves_its_stats() -> None:
    def handler(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        assert (operation, params["Key"]) == ("GetItem", {"pk": {"S": "p"}, "sk": {"N": "3"}})
        return {"Item": note(3), "ConsumedCapacity": {"CapacityUnits": 0.5}}

    fake = FakeTransport(handler)
    found = crud.get(fake, Note, ("p", 3), {}, consistent=False, attributes=None)
    assert (found.sk, found.text) == (3, "note 3")
    assert fake.last_stats.capacity == 0.5 and fake.calls[0][2] == "json"
    missing = FakeTransport(lambda _op, _params: {})
    with pytest.raises(dl.ItemNotFound, match="no Note with key"):
        crud.get(missing, Note, ("p", 4), {}, consistent=False, attributes=None)


def test_unprocessed_items_are_sent_again_until_written() -> None:
    answers = iter([2, 1, 0])  # items left unprocessed by each request

    def handler(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        sent = params["RequestItems"]["notes"]
        left = sent[:next(answers)]
        return {"UnprocessedItems": {"notes": left} if left else {}}

    fake = FakeTransport(handler)
    requests = [WriteRequest("notes", {"PutRequest": {"Item": item}}, {"pk": item["pk"],
                                                                        "sk": item["sk"]})
                for item in ITEMS[:5]]
    report = write_requests(fake, requests, policy=fake.retry_policy)
    assert (report.written, report.requests, report.retried) == (5, 3, 3) and report.ok
    assert [len(params["RequestItems"]["notes"]) for _op, params, _p in fake.calls] == [5, 2, 1]


def test_a_read_only_transport_refuses_writes_before_sending() -> None:
    fake = FakeTransport(lambda _op, _params: pytest.fail("nothing may be sent"), read_only=True)
    with pytest.raises(dl.ReadOnlyError):
        write_requests(fake, [WriteRequest("notes", {"PutRequest": {"Item": note(1)}},
                                           {"pk": note(1)["pk"], "sk": note(1)["sk"]})])
    with pytest.raises(dl.ReadOnlyError):
        crud.save(fake, Note(pk="p", sk=1), None)
    with pytest.raises(dl.ReadOnlyError, match="backfill"):
        backfill(fake, Note, lambda n: n)
    assert fake.calls == []
