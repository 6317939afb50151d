"""Shared test fixtures: the embedded server is started once per session and stopped by us."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

import dynamorm_lab as dl
from dynamorm_lab.local import LocalServer, start_server

_names = itertools.count()


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    """A moto server on 127.0.0.1 (free port), owned by the test session."""
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def db(server: LocalServer) -> Iterator[dl.Connection]:
    """A connection to the session's server, made the default for model methods."""
    connection = dl.connect(server.endpoint_url)
    yield connection
    connection.close()


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses."""
    return f"t{next(_names)}_table"
