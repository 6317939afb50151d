"""Helpers shared by test modules: unique names, canonical snapshots, request recorders."""

from __future__ import annotations

import collections
import enum
import json
import uuid
from typing import Any

# --- enums the model and codec tests declare fields with ----------------------------------------

class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 9


class Shade(enum.StrEnum):
    LIGHT = "light"
    DARK = "dark"


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Mixed(enum.Enum):
    """Neither all-str nor all-int values: not a DynamoDB scalar."""

    TEXT = "a"
    NUMBER = 1


class Flags(enum.Enum):
    """bool values: neither str nor int values."""

    ON = True
    OFF = False


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def canonical(items: list[dict[str, Any]]) -> list[str]:
    """Items as sorted canonical JSON, to compare two snapshots of a table."""
    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    return sorted(json.dumps(norm(item), sort_keys=True, default=repr) for item in items)


def sent_operations(connection: Any) -> list[str]:
    """Every operation `connection` sends from now on (through any of its clients)."""
    sent: list[str] = []

    def hook(**kwargs: Any) -> None:
        sent.append(kwargs["event_name"].rsplit(".", 1)[-1])

    connection.on("before-send.dynamodb", hook)
    return sent


# --- a transport without a server --------------------------------------------------------------

def _base64(value: Any) -> str:
    import base64

    return base64.b64encode(value).decode()


class FakeTransport:
    """The operations' `Transport`, answering from a handler instead of a server (in the
    spirit of httpx's MockTransport): ``handler(operation, params)`` returns the response
    (a dict, as DynamoDB's JSON would parse) or raises. Every call sent is recorded in
    `calls` (a write on a read-only transport is refused, as the real one does, unsent).
    Query/Scan bodies asked for raw are served as their JSON bytes, as botocore would."""

    def __init__(self, handler: Any, *, read_only: bool = False, scan_guard: int | None = None,
                 retry_policy: Any = None, item_count: int | None = None) -> None:
        import dynamorm_lab as dl

        self.handler = handler
        self.read_only = read_only
        self.scan_guard = scan_guard
        self.retry_policy = retry_policy or dl.RetryPolicy(attempts=5, base_delay=0,
                                                           max_delay=0)
        self.cursor_key = b"k" * 32
        self.item_count = item_count
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.samples: dict[tuple[str, int], Any] = {}
        self.history: collections.deque[Any] = collections.deque(maxlen=1000)
        self.throttles = 0
        self._last: Any = None

    def call(self, operation: str, params: dict[str, Any], *,
             parse: str = "botocore", body: bytes | None = None) -> dict[str, Any]:
        from dynamorm_lab._ops.boundary import WRITE_OPERATIONS
        from dynamorm_lab.errors import ReadOnlyError

        if self.read_only and operation in WRITE_OPERATIONS:
            raise ReadOnlyError(f"{operation} refused: this connection is read-only")
        if body is not None:  # the bytes sent must be exactly the params, as DynamoDB JSON
            assert json.loads(body) == json.loads(json.dumps(params, default=_base64)), \
                f"{operation}: the body sent is not its params"
        self.calls.append((operation, json.loads(json.dumps(params, default=repr)), parse))
        response: dict[str, Any] = self.handler(operation, params)
        if parse == "raw" and operation in ("Query", "Scan"):
            return {"Body": json.dumps(response).encode()}
        return response

    def table_stats(self, name: str, *, max_age: float = 60.0) -> tuple[int | None, int | None]:
        return self.item_count, None

    def forget_stats(self, name: str) -> None:
        pass

    def cached_table(self, name: str) -> dict[str, Any] | None:
        return None

    @property
    def last_stats(self) -> Any:
        return self._last

    @last_stats.setter
    def last_stats(self, stats: Any) -> None:
        self._last = stats

    def operations(self) -> list[str]:
        return [operation for operation, _params, _parse in self.calls]


# --- what a browsable (itables/DataTables) result table holds -----------------------------------

def datatable(fragment: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of the one browsable table in an HTML output, as the browser
    gets them: DataTables' options hold the header as HTML (`table_html`) and the rows as a
    JSON text (`data_json`) whose cells are HTML (entities decoded here)."""
    import html
    import re

    found = re.findall(r'"(table_html|data_json)": ("(?:[^"\\]|\\.)*")', fragment)
    options = {name: json.loads(text) for name, text in found}
    assert set(options) == {"table_html", "data_json"} and len(found) == 2, fragment[:300]
    header = [html.unescape(cell) for cell in
              re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", options["table_html"], flags=re.S)]
    rows = [[html.unescape(cell) for cell in row] for row in json.loads(options["data_json"])]
    return header, rows


# --- what an HTML output shows a person -------------------------------------------------------

def html_tables(fragment: str) -> list[list[list[str]]]:
    """Every <table> of an HTML fragment: its rows (header rows included), each a list of
    its cells' texts (entities decoded), in order."""
    from html.parser import HTMLParser

    class Tables(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.tables: list[list[list[str]]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "table":
                self.tables.append([])
            elif tag == "tr" and self.tables:
                self.tables[-1].append([])
            elif tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag: str) -> None:
            if tag in ("td", "th") and self.cell is not None and self.tables:
                self.tables[-1][-1].append("".join(self.cell))
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

    parser = Tables()
    parser.feed(fragment)
    parser.close()
    return parser.tables
