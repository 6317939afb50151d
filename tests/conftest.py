"""Shared fixtures: the suite starts its own local server once per session and stops it.

The server is moto's (in this process) unless DYNAMORM_TEST_BACKEND=dynalite, in which case
it is dynalite (strict validation, its own process). Tests needing a feature one server lacks
say so with ``@pytest.mark.needs("feature")``; see tests/backends.py for the table.
"""

from __future__ import annotations

import builtins
import itertools
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from backends import SAMPLE_NAMES, UNSUPPORTED, Dynalite, backend
from faults import FaultProxy

import dynamorm_lab as dl
from dynamorm_lab._core import session as _session
from dynamorm_lab.local import start_server

_names = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(feature): the test needs a server feature "
                            "(see UNSUPPORTED in tests/backends.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    lacking = UNSUPPORTED[backend()]
    for item in items:
        for marker in item.iter_markers("needs"):
            for feature in marker.args:
                known = set().union(*(set(v) for v in UNSUPPORTED.values()))
                if feature not in known:
                    raise pytest.UsageError(f"{item.nodeid}: unknown feature {feature!r}")
                if feature in lacking:
                    item.add_marker(pytest.mark.skip(
                        reason=f"not on {backend()}: {lacking[feature]}"))


def pytest_report_header(config: pytest.Config) -> str:
    return f"DynamoDB-compatible server for integration tests: {backend()}"


@pytest.fixture(scope="session")
def server() -> Iterator[Any]:
    """A local DynamoDB-compatible server on 127.0.0.1 (free port), owned by the session."""
    running: Any = Dynalite() if backend() == "dynalite" else start_server()
    yield running
    running.stop()


@pytest.fixture
def db(server: Any) -> Iterator[dl.Connection]:
    """A connection to the session's server, made the default for model methods."""
    connection = dl.connect(server.endpoint_url, make_default=True)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def samples(server: Any) -> tuple[str, ...]:
    """Every bundled sample data set, loaded into the session's server once."""
    connection = dl.connect(server.endpoint_url, make_default=False)
    try:
        for name in SAMPLE_NAMES:
            report = dl.load_sample(name, connection, progress=False)
            assert all(r.ok for r in report.values()), f"sample {name} did not load: {report}"
    finally:
        connection.close()
    return SAMPLE_NAMES


@pytest.fixture(scope="module")
def conn(server: Any) -> Iterator[dl.Connection]:
    """A connection of the module's own to the session's server (not the default one)."""
    connection = dl.connect(server.endpoint_url, make_default=False)
    yield connection
    connection.close()


@pytest.fixture
def make_table(conn: dl.Connection) -> Iterator[Callable[..., Any]]:
    """Create a model's (or a schema's) table now; every table made this way is deleted at
    the end of the test."""
    made: list[str] = []

    def create(model: Any, **options: Any) -> Any:
        made.append(model.name if isinstance(model, dl.TableSchema) else dl.schema(model).name)
        conn.create_table(model, **options)
        return model

    yield create
    for name in made:
        if conn.table_exists(name):
            conn.delete_table(name)


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses."""
    return f"t{next(_names)}_table"


@pytest.fixture
def proxy_seed() -> int:
    """The fault proxy's random seed (a module may override it)."""
    return 7


@pytest.fixture
def proxy(server: Any, proxy_seed: int) -> Iterator[FaultProxy]:
    """A fault-injecting HTTP proxy on 127.0.0.1 in front of the session's server."""
    with FaultProxy(server.endpoint_url, seed=proxy_seed) as running:
        yield running


@pytest.fixture
def via_proxy(proxy: FaultProxy) -> Iterator[Callable[..., dl.Connection]]:
    """Connections whose requests go through the proxy (closed at the end)."""
    made: list[dl.Connection] = []

    def connect(max_attempts: int = 5, **options: Any) -> dl.Connection:
        conn = dl.connect(proxy.url, max_attempts=max_attempts, make_default=False, **options)
        made.append(conn)
        return conn

    yield connect
    for conn in made:
        conn.close()


@pytest.fixture(scope="module")
def shell() -> Iterator[Any]:
    """A real IPython shell with the extension loaded, for one module. Cleared afterwards:
    its magic's connections closed, __main__, builtins and the default connection as they
    were."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    assert not InteractiveShell.initialized(), "another module left its IPython shell"
    main_module = sys.modules.get("__main__")
    names_before = set(vars(builtins))
    default_before = _session.current()
    config = Config()
    config.HistoryManager.enabled = False
    instance = InteractiveShell.instance(config=config)
    try:
        instance.run_line_magic("load_ext", "dynamorm_lab")
        yield instance
    finally:
        for connection in instance.magics_manager.registry["DynamoMagic"].connections.values():
            connection.close()
        InteractiveShell.clear_instance()
        if main_module is not None:
            sys.modules["__main__"] = main_module
        for name in set(vars(builtins)) - names_before:
            delattr(builtins, name)
        _session.set_default(default_before)


@pytest.fixture(scope="module")
def magic(ip: Any) -> Any:
    """The ``%dynamo`` magic registered in the module's shell (its ``ip`` fixture says which
    connections it holds)."""
    return ip.magics_manager.registry["DynamoMagic"]
