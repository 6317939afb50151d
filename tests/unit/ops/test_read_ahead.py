"""Reading a page's LastEvaluatedKey from its raw bytes, before the page is parsed.

Streamed reads (`to_pandas()`, `to_arrow()`) send the next request as soon as the key is
found in the body; the page is parsed afterwards and the key checked against the parse (an
item attribute of that name on a last page can still mislead the peek: the integration test
in test_fast_frames covers the read done again). Here: the peek finds the real key in
DynamoDB-shaped bodies, and says when it cannot tell.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamorm_lab._ops.wire import parse_body, peek_last_key

ITEMS = [{"pk": {"S": "a"}, "n": {"N": "1"}}, {"pk": {"S": "b\"}"}, "m": {"M": {"x": {"L": []}}}}]
KEY = {"pk": {"S": "b\"}"}, "sk": {"B": base64.b64encode(b"\x00\xff").decode()}}


def body(members: list[tuple[str, Any]]) -> bytes:
    """A compact JSON response body with its top-level members in the given order."""
    return json.dumps(dict(members), separators=(",", ":")).encode()


@pytest.mark.parametrize("members", [
    # DynamoDB's order, and dynalite's (the key before the items)
    [("Count", 2), ("Items", ITEMS), ("LastEvaluatedKey", KEY), ("ScannedCount", 2)],
    [("ScannedCount", 2), ("LastEvaluatedKey", KEY), ("Items", ITEMS), ("Count", 2)],
])
def test_the_key_is_found_wherever_it_stands(members: list[tuple[str, Any]]) -> None:
    raw = body(members)
    assert peek_last_key(raw) == (True, KEY)
    assert parse_body(raw)["LastEvaluatedKey"] == KEY


def test_whitespace_between_members_is_allowed() -> None:
    """moto writes ``"name": value`` with a space; DynamoDB and dynalite write none."""
    raw = json.dumps({"Items": ITEMS, "LastEvaluatedKey": KEY}).encode()
    assert b'": {' in raw
    assert peek_last_key(raw) == (True, KEY)


def test_a_last_page_has_no_key() -> None:
    assert peek_last_key(body([("Count", 2), ("Items", ITEMS), ("ScannedCount", 2)])) == (
        True, None)
    assert peek_last_key(b"") == (True, None)


def test_an_attribute_named_like_the_key_makes_the_peek_unsure() -> None:
    """With the name twice in the body (an attribute and the real key), the bytes alone do
    not say which is which: the reader parses the page before the next request."""
    items = [*ITEMS, {"pk": {"S": "c"}, "LastEvaluatedKey": {"S": "not the key"}}]
    raw = body([("Items", items), ("LastEvaluatedKey", KEY)])
    assert peek_last_key(raw) == (False, None)


def test_odd_bodies_make_the_peek_unsure() -> None:
    assert peek_last_key(b'{"LastEvaluatedKey":') == (False, None)
    assert peek_last_key(b'{"LastEvaluatedKey":"text"}') == (False, None)
    assert peek_last_key(b'{"LastEvaluatedKey":{}}') == (False, None)
    truncated = b'{"LastEvaluatedKey":{"pk":{"S":"' + b"x" * (1 << 17) + b'"}}}'
    assert peek_last_key(truncated) == (False, None)


KEY_VALUES = st.one_of(
    st.text(max_size=20).map(lambda s: {"S": s}),
    st.integers(-10**20, 10**20).map(lambda n: {"N": str(n)}),
    st.binary(max_size=12).map(lambda b: {"B": base64.b64encode(b).decode()}))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["pk", "sk", "gpk", "ü"]), KEY_VALUES, min_size=1,
                       max_size=4),
       st.lists(st.dictionaries(st.text(max_size=5), KEY_VALUES, max_size=3), max_size=4),
       st.booleans(), st.booleans())
def test_a_sure_peek_is_always_the_parsed_key(key: dict[str, Any], items: list[Any],
                                              key_first: bool, last_page: bool) -> None:
    members: list[tuple[str, Any]] = [("Items", items), ("Count", len(items))]
    if not last_page:
        members.insert(0 if key_first else 2, ("LastEvaluatedKey", key))
    raw = body(members)
    sure, guess = peek_last_key(raw)
    if sure:
        assert guess == parse_body(raw).get("LastEvaluatedKey")
    else:  # only an attribute of that very name can make it unsure here
        assert any("LastEvaluatedKey" in item for item in items)
