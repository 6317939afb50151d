"""Claim: the embedded server listens on 127.0.0.1 only, on a free port."""


import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

import dynamorm_lab as dl
import dynamorm_lab.local._server as server_module

pytestmark = pytest.mark.integration


# === 5. the embedded server listens on 127.0.0.1 only ===========================================

@pytest.fixture(scope="module")
def embedded() -> Iterator[Any]:
    """The embedded server `connect("local")` starts; stopped at the end of the module."""
    conn = dl.connect("local", make_default=False)
    yield conn
    conn.close()
    shared = server_module._shared
    if shared is not None:
        shared.stop()
        server_module._shared = None


def refused(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        try:
            probe.connect((address, port))
        except ConnectionRefusedError:
            return True
        except OSError as exc:  # unreachable or filtered: not accepted either
            return exc.errno is not None
        return False


def other_ipv4_addresses() -> list[str]:
    """This machine's own IPv4 addresses outside 127.0.0.0/8."""
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    try:
        import psutil

        for addresses in psutil.net_if_addrs().values():
            found |= {a.address for a in addresses if a.family == socket.AF_INET}
    except ImportError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


@pytest.mark.needs("embedded")
def test_the_embedded_server_listens_on_loopback_only(embedded: dl.Connection) -> None:
    endpoint = urlsplit(embedded.endpoint_url or "")
    assert endpoint.hostname == "127.0.0.1"
    assert embedded.server is not None and embedded.server.host == "127.0.0.1"
    assert isinstance(embedded.tables(), list)  # it answers on 127.0.0.1
    assert endpoint.port is not None
    # Another loopback address reaches this machine too: only a wildcard bind would answer.
    assert refused("127.0.0.2", endpoint.port)


@pytest.mark.needs("embedded")
def test_the_embedded_server_is_not_reachable_on_other_addresses(
        embedded: dl.Connection) -> None:
    port = urlsplit(embedded.endpoint_url or "").port
    assert port is not None
    addresses = other_ipv4_addresses()
    if not addresses:
        pytest.skip(reason="this machine has no IPv4 address besides loopback to try")
    for address in addresses:  # this machine's own addresses: nothing leaves the host
        assert refused(address, port), f"the embedded server accepts connections on {address}"
