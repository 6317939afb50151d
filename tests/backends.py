"""The local servers the integration suite runs against, and what each cannot do.

`make test` runs the integration tests twice: on moto's threaded server (in this process) and
on dynalite (node, in-memory, in its own process group), which validates requests strictly as
DynamoDB does. A test that needs a feature a server lacks declares it with
``@pytest.mark.needs("feature")`` and is reported as skipped *with the reason below* on that
server; nothing is skipped silently.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

BACKEND_VARIABLE = "DYNAMORM_TEST_BACKEND"

# What each server lacks, and why a test needing it cannot run there.
UNSUPPORTED: dict[str, dict[str, str]] = {
    "moto": {
        "list_index_projection": "moto 5.2.5 wrongly reports #name in a projection such as "
                                 "#n1.#n2[0] as unused and refuses the request (DynamoDB and "
                                 "dynalite accept it)",
    },
    "dynalite": {
        "transactions": "dynalite 4.0 has no TransactWriteItems / TransactGetItems",
        "ttl": "dynalite 4.0 has no UpdateTimeToLive / DescribeTimeToLive",
        "gsi_update": "dynalite 4.0 cannot add or delete a GSI with UpdateTable",
        "return_old_on_failure": "dynalite 4.0 ignores ReturnValuesOnConditionCheckFailure",
        "embedded": "the test starts or inspects the embedded moto server itself",
        "item_count": "dynalite 4.0 reports ItemCount 0, as DynamoDB does for about six hours "
                      "after writes, so the scan guard reads a bounded sample to count first",
        "multi_attribute_gsi": "dynalite 4.0 predates multi-attribute GSI keys (November 2025) "
                               "and refuses them at CreateTable (\"Invalid KeySchema: The "
                               "second KeySchemaElement is not a RANGE key type\")",
    },
}

ROOT = Path(__file__).resolve().parents[1]
# The public sample data sets: ../shared/datasets beside the checkout (as CI lays it out).
DATASETS = ROOT.parent / "shared" / "datasets"
DYNALITE = ROOT / "tools" / "node_modules" / ".bin" / "dynalite"


def backend() -> str:
    name = os.environ.get(BACKEND_VARIABLE, "moto")
    if name not in UNSUPPORTED:
        raise RuntimeError(f"{BACKEND_VARIABLE}={name!r}: use one of {', '.join(UNSUPPORTED)}")
    return name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Dynalite:
    """dynalite in its own process group on 127.0.0.1; stopped by its process id."""

    def __init__(self) -> None:
        if not DYNALITE.exists() or shutil.which("node") is None:
            raise RuntimeError("dynalite is not installed: run `make test` (it runs npm ci "
                               "in tools/)")
        self.port = _free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            ["node", str(DYNALITE), "--host", "127.0.0.1", "--port", str(self.port),
             "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.endpoint_url, timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers (400 for a bare GET): it is up
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dynalite did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def reset(self) -> None:
        raise RuntimeError("dynalite keeps its data until stopped")


SAMPLE_NAMES = ("movies", "battle-royale", "online-shop", "product-catalog")


def count_sends(connection: Any) -> list[str]:
    """The event name of every HTTP request the connection sends from now on, through any of
    its clients (reads go through the data-plane client)."""
    sent: list[str] = []

    def hook(request: Any, **kwargs: Any) -> None:
        sent.append(kwargs.get("event_name", "?"))

    connection.on("before-send.dynamodb", hook)
    return sent


def raw_scan(connection: Any, table: str) -> list[dict[str, Any]]:
    """Every item of `table` read with the plain botocore client (consistent, all pages): what
    is really stored, independent of the library's read path."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = connection.client.scan(**params)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
