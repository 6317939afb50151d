"""connect(): targets, read-only connections, secrets, the local notice and failures.

The embedded shared server that `connect()`/`connect("local")` start is stopped when this
module ends. Tables are created with unique names and deleted by the `cleanup` fixture.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from backends import count_sends

import dynamorm_lab as dl
import dynamorm_lab._connection as connection_module
import dynamorm_lab._core.session as session_module
import dynamorm_lab.local._server as server_module
from dynamorm_lab.local import LocalServer

pytestmark = pytest.mark.integration

SECRET_KEY = "fakeSecretValue123/xyz"
SESSION_TOKEN = "fakeSessionToken999"


@pytest.fixture(scope="module", autouse=True)
def _stop_shared_server() -> Iterator[None]:
    """Stop the embedded server connect() may start, once this module is done."""
    yield
    shared = server_module._shared
    if shared is not None:
        shared.stop()
        server_module._shared = None
        assert not shared.running


@pytest.fixture
def cleanup() -> Iterator[Callable[[dl.Connection, str], None]]:
    """Register (connection, table) pairs; each table still there at the end is deleted."""
    tables: list[tuple[dl.Connection, str]] = []

    def register(connection: dl.Connection, name: str) -> None:
        tables.append((connection, name))

    yield register
    for connection, name in tables:
        if connection.table_exists(name):
            connection.delete_table(name)


def make_thing(table: str) -> Any:
    class Thing(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        value: int = 0
        version: int = dl.field(version=True)

    return Thing


def raw_client(endpoint_url: str) -> Any:
    """An independent botocore client, for reading back what the library wrote."""
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint_url, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local")




def clear_aws_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "no-home"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


# --- endpoint --------------------------------------------------------------------------------

def test_connect_to_an_endpoint_url(server: LocalServer, cleanup: Any, table_name: str) -> None:
    conn = dl.connect(server.endpoint_url)
    try:
        assert conn.target == "endpoint"
        assert conn.endpoint_url == server.endpoint_url
        assert not conn.read_only
        Thing = make_thing(table_name)
        cleanup(conn, table_name)
        conn.create_table(Thing)
        Thing(pk="a", value=5).create()  # the new connection is the default one
        raw = raw_client(server.endpoint_url)
        assert table_name in raw.list_tables()["TableNames"]
        item = raw.get_item(TableName=table_name, Key={"pk": {"S": "a"}},
                            ConsistentRead=True)["Item"]
        assert item == {"pk": {"S": "a"}, "value": {"N": "5"}, "version": {"N": "1"}}
        raw.close()
    finally:
        conn.close()


def test_connect_local_uses_the_embedded_server(cleanup: Any, table_name: str) -> None:
    conn = dl.connect("local")
    try:
        assert conn.target == "local"
        assert conn.is_local
        assert conn.endpoint_url is not None
        assert conn.endpoint_url.startswith("http://127.0.0.1:")
        assert server_module._shared is not None and server_module._shared.running
        Thing = make_thing(table_name)
        cleanup(conn, table_name)
        conn.create_table(Thing)
        conn.create(Thing(pk="x", value=2))
        raw = raw_client(conn.endpoint_url)
        assert raw.get_item(TableName=table_name, Key={"pk": {"S": "x"}})["Item"]["value"] == {
            "N": "2"}
        raw.close()
        assert dl.connect("local", make_default=False).endpoint_url == conn.endpoint_url
    finally:
        conn.close()


# --- read-only -------------------------------------------------------------------------------

def test_read_only_refuses_every_write_and_changes_nothing(db: dl.Connection,
                                                           server: LocalServer,
                                                           cleanup: Any,
                                                           table_name: str) -> None:
    Thing = make_thing(table_name)
    cleanup(db, table_name)
    db.create_table(Thing)
    existing = db.create(Thing(pk="kept", value=1))
    other_table = f"{table_name}_never"
    Other = make_thing(other_table)
    cleanup(db, other_table)

    ro = dl.connect(server.endpoint_url, read_only=True, make_default=False)
    try:
        assert ro.read_only
        assert "read-only" in repr(ro)
        sent = count_sends(ro)
        before = db.client.get_item(TableName=table_name, Key={"pk": {"S": "kept"}},
                                    ConsistentRead=True)["Item"]

        newcomer = Thing(pk="new", value=9)
        with pytest.raises(dl.ReadOnlyError):
            ro.create(newcomer)
        with pytest.raises(dl.ReadOnlyError):
            newcomer.create(connection=ro)
        assert newcomer.version is None
        existing.value = 2
        with pytest.raises(dl.ReadOnlyError):
            ro.save(existing)
        with pytest.raises(dl.ReadOnlyError):
            existing.save(connection=ro)
        assert existing.version == 1
        with pytest.raises(dl.ReadOnlyError):
            ro.update(existing, Thing.value.set(3))
        with pytest.raises(dl.ReadOnlyError):
            ro.update(Thing, Thing.value.set(3), key="kept", must_exist=False)
        with pytest.raises(dl.ReadOnlyError):
            ro.delete(existing)
        with pytest.raises(dl.ReadOnlyError):
            ro.delete(Thing, key="kept")
        with pytest.raises(dl.ReadOnlyError):
            ro.create_table(Other)
        with pytest.raises(dl.ReadOnlyError):
            Other.create_table(connection=ro)
        with pytest.raises(dl.ReadOnlyError):
            ro.delete_table(Thing)
        with pytest.raises(dl.ReadOnlyError):
            Thing.delete_table(connection=ro)
        assert sent == []  # refused before anything was sent

        # reads still work, and the hook does see requests that are sent
        assert ro.get(Thing, "kept").value == 1
        assert table_name in ro.tables()
        assert len(sent) == 2
    finally:
        ro.close()

    after = db.client.get_item(TableName=table_name, Key={"pk": {"S": "kept"}},
                               ConsistentRead=True)["Item"]
    assert after == before
    assert "Item" not in db.client.get_item(TableName=table_name, Key={"pk": {"S": "new"}},
                                            ConsistentRead=True)
    assert db.table_exists(table_name)
    assert not db.table_exists(other_table)


# --- secrets ---------------------------------------------------------------------------------

def _assert_no_secret(text: str) -> None:
    assert SECRET_KEY not in text
    assert SESSION_TOKEN not in text


def _assert_error_has_no_secret(exc: BaseException) -> None:
    assert isinstance(exc, dl.DynamormError)
    _assert_no_secret(str(exc))
    _assert_no_secret(repr(exc))
    _assert_no_secret(repr(exc.args))
    _assert_no_secret(repr(exc.request))
    _assert_no_secret(repr(vars(exc)))
    _assert_no_secret("".join(traceback.format_exception(exc)))


def test_no_secret_in_repr_or_errors(server: LocalServer, monkeypatch: pytest.MonkeyPatch,
                                     cleanup: Any, table_name: str,
                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    caplog.set_level(logging.DEBUG, logger="dynamorm_lab")

    conn = dl.connect(server.endpoint_url, make_default=False)
    try:
        # the connection really uses the environment's credentials
        credentials = conn.client._request_signer._credentials
        assert credentials.secret_key == SECRET_KEY
        assert credentials.token == SESSION_TOKEN
        _assert_no_secret(repr(conn))
        _assert_no_secret(str(conn))

        Thing = make_thing(table_name)
        cleanup(conn, table_name)
        conn.create_table(Thing)
        conn.create(Thing(pk="a", value=1))

        with pytest.raises(dl.ItemAlreadyExists) as already:
            conn.create(Thing(pk="a", value=2))
        _assert_error_has_no_secret(already.value)

        with pytest.raises(dl.ConditionFailed) as condition:
            conn.update(Thing, Thing.value.set(5), key="a", condition=Thing.value > 100)
        _assert_error_has_no_secret(condition.value)

        with pytest.raises(dl.TableNotFound) as missing:
            conn.describe(f"{table_name}_missing")
        _assert_error_has_no_secret(missing.value)

        with pytest.raises(dl.ItemNotFound) as not_found:
            conn.get(Thing, "nobody")
        _assert_error_has_no_secret(not_found.value)

        for record in caplog.records:
            if record.name.startswith("dynamorm_lab"):
                _assert_no_secret(record.getMessage())
    finally:
        conn.close()


# --- connect() with no AWS configuration ------------------------------------------------------

def test_connect_without_aws_configuration_uses_local_and_says_so_once(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    clear_aws_configuration(monkeypatch, tmp_path)
    monkeypatch.setattr(connection_module, "_told_local", False)
    caplog.set_level(logging.INFO, logger="dynamorm_lab")

    first = dl.connect()
    notices = [r for r in caplog.records if r.name == "dynamorm_lab"]
    assert first.target == "local"
    assert first.is_local
    assert first.endpoint_url is not None
    assert first.endpoint_url.startswith("http://127.0.0.1:")
    assert len(notices) == 1
    assert notices[0].levelno >= logging.INFO
    assert "local" in notices[0].getMessage()
    assert first.endpoint_url in notices[0].getMessage()
    assert isinstance(first.tables(), list)  # the server answers

    second = dl.connect()
    assert second.target == "local"
    assert second.endpoint_url == first.endpoint_url
    assert [r for r in caplog.records if r.name == "dynamorm_lab"] == notices
    first.close()
    second.close()


# --- invalid use -----------------------------------------------------------------------------

@pytest.mark.parametrize("target", [None, "aws"])
def test_a_bad_aws_profile_is_named_with_where_it_came_from(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, target: str | None) -> None:
    clear_aws_configuration(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    default_before = session_module._default
    with pytest.raises(dl.ConnectionFailed) as refused:
        dl.connect(target, region="eu-west-1")
    message = str(refused.value)
    assert "AWS profile 'no-such-profile' (from $AWS_PROFILE)" in message, message
    assert "profile None" not in message and "profile=" in message
    with pytest.raises(dl.ConnectionFailed, match="AWS profile 'other'"):
        dl.connect("aws", profile="other", region="eu-west-1")
    assert session_module._default is default_before


@pytest.mark.parametrize("target", ["nonsense", 42, "ftp://127.0.0.1:1", ""])
def test_invalid_targets_raise_validation_error(target: Any) -> None:
    default_before = session_module._default
    with pytest.raises(dl.ValidationError):
        dl.connect(target)
    assert session_module._default is default_before


def test_model_methods_without_a_connection_tell_to_call_connect(
        monkeypatch: pytest.MonkeyPatch, table_name: str) -> None:
    monkeypatch.setattr(session_module, "_default", None)
    Thing = make_thing(table_name)
    obj = Thing(pk="a")
    calls: list[Callable[[], Any]] = [
        lambda: Thing.get("a"),
        obj.create,
        obj.save,
        lambda: obj.update(Thing.value.set(1)),
        obj.delete,
        obj.refresh,
        Thing.create_table,
        Thing.delete_table,
    ]
    for call in calls:
        with pytest.raises(dl.ConnectionFailed) as caught:
            call()
        assert "connect()" in str(caught.value)
    assert obj.version is None


def test_a_closed_port_raises_connection_failed_on_the_first_call(table_name: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conn = dl.connect(f"http://127.0.0.1:{port}", max_attempts=1, connect_timeout=1,
                      read_timeout=1, make_default=False)
    try:
        with pytest.raises(dl.ConnectionFailed):
            conn.tables()
        Thing = make_thing(table_name)
        with pytest.raises(dl.ConnectionFailed):
            Thing.get("a", connection=conn)
        with pytest.raises(dl.ConnectionFailed):
            conn.create(Thing(pk="a"))
    finally:
        conn.close()
