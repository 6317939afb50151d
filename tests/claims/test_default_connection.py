"""Claim: the default connection changes only when you say so.

The first `connect()` becomes the default for model methods; a later `connect()` (another
account, a read-only view, the magic's `%dynamo connect`) never redirects models; `dl.use(conn)`,
`connect(..., make_default=True)` and `%dynamo use ALIAS` switch it, each said once in the
output; a closed default stops being one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from backends import count_sends

import dynamorm_lab as dl
from dynamorm_lab._core import session as _session

pytestmark = pytest.mark.integration


@pytest.fixture
def no_default() -> Iterator[None]:
    """Start with no default connection; put the suite's default back afterwards."""
    before = _session.current()
    _session.set_default(None)
    yield
    _session.set_default(before)


def item_model(table: str) -> Any:
    class Thing(dl.Model, table=table):
        k: str = dl.field(partition_key=True)
        n: int = 0
    return Thing


def notices(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "by default" in r.getMessage()]


def test_a_later_connect_does_not_redirect_models(server: Any, table_name: str,
                                                  no_default: None,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dynamorm_lab")
    first = dl.connect(server.endpoint_url)
    assert dl.default_connection() is first
    later = dl.connect(server.endpoint_url)
    read_only = dl.connect(server.endpoint_url, read_only=True)
    assert dl.default_connection() is first
    assert len(notices(caplog)) == 1 and str(first.endpoint_url) in notices(caplog)[0]

    sent_first, sent_later = count_sends(first), count_sends(later)
    sent_read_only = count_sends(read_only)
    Thing = item_model(table_name)
    Thing.create_table()
    Thing(k="a", n=1).save()
    assert Thing.get("a").n == 1
    assert sent_first and not sent_later and not sent_read_only
    Thing.delete_table()


def test_use_switches_the_default_and_says_so_once(server: Any, table_name: str,
                                                   no_default: None,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    first = dl.connect(server.endpoint_url)
    second = dl.connect(server.endpoint_url)
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="dynamorm_lab")
    assert dl.use(second) is second
    assert dl.use(second) is second  # already the default: nothing more is said
    assert dl.default_connection() is second
    assert notices(caplog) == [notices(caplog)[0]]
    assert str(second.endpoint_url) in notices(caplog)[0]

    sent_first, sent_second = count_sends(first), count_sends(second)
    Thing = item_model(table_name)
    Thing.create_table()
    assert sent_second and not sent_first
    third = dl.connect(server.endpoint_url, make_default=True)
    assert dl.default_connection() is third
    Thing.delete_table()


def test_make_default_false_never_becomes_the_default(server: Any, no_default: None) -> None:
    dl.connect(server.endpoint_url, make_default=False)
    assert _session.current() is None
    with pytest.raises(dl.ConnectionFailed, match="no connection yet"):
        _session.resolve(None)


def test_a_closed_default_gives_way_to_the_next_connect(server: Any, no_default: None) -> None:
    first = dl.connect(server.endpoint_url)
    first.close()
    assert _session.current() is None
    second = dl.connect(server.endpoint_url)
    assert dl.default_connection() is second


@pytest.mark.parametrize("wrong", [None, "local", 42, object()])
def test_use_takes_only_a_connection(server: Any, wrong: Any) -> None:
    before = _session.current()
    with pytest.raises(dl.ValidationError, match="Connection"):
        dl.use(wrong)
    assert _session.current() is before
