"""Claim: credentials never appear in a repr, an error, a log line or a notebook output.

Fake AWS credentials in the environment are looked for in reprs, errors and tracebacks,
the library's log records and botocore's DEBUG dumps, magic outputs, widget HTML and an
executed notebook's outputs. Runs on moto and dynalite.
"""


import json
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import unique

import dynamorm_lab as dl

pytestmark = pytest.mark.integration


SECRET = "wJalrFAKEsecretKEY/K7MDENG/bPxRfiCYEXAMPLE"
TOKEN = "FAKEsessionTOKEN0123456789"
KEY_ID = "AKIAFAKEKEYID0SECTEST"

def make_doc(table: str) -> Any:
    class SecDoc(dl.Model, table=table):
        pk: str = dl.field(partition_key=True)
        label: str = ""
        info: dict[str, Any] = dl.field(default_factory=dict)
        tags: set[str] = dl.field(default_factory=set)
        blob: bytes = b""

    return SecDoc


# === 4. credentials never appear anywhere ========================================================

@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)


def leaks(text: str) -> list[str]:
    """Which secrets (or a 12-character piece of one) appear in `text`."""
    found = []
    for label, secret in (("secret key", SECRET), ("session token", TOKEN)):
        pieces = {secret[i:i + 12] for i in range(0, len(secret) - 11, 6)}
        if secret in text or any(piece in text for piece in pieces):
            found.append(label)
    return found


def error_texts(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), repr(exc.args), repr(vars(exc)),
             "".join(traceback.format_exception(exc))]
    return "\n".join(parts)


@pytest.fixture
def secret_table(conn: dl.Connection) -> Iterator[Any]:
    Doc = make_doc(unique("sec_cred"))
    conn.create_table(Doc)
    conn.create(Doc(pk="a", label="first"))
    yield Doc
    conn.delete_table(Doc)


def test_no_credential_in_reprs_errors_or_library_logs(
        server: Any, fake_credentials: None, secret_table: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the library's and botocore's
    Doc = secret_table
    texts: list[str] = []
    conn = dl.connect(server.endpoint_url, make_default=False)
    ro = dl.connect(server.endpoint_url, make_default=False, read_only=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    nowhere = dl.connect(f"http://127.0.0.1:{closed_port}", make_default=False, max_attempts=1,
                         connect_timeout=1, read_timeout=1)
    try:
        credentials = conn.client._request_signer._credentials  # really in use
        assert (credentials.access_key, credentials.secret_key, credentials.token) == (
            KEY_ID, SECRET, TOKEN)
        texts += [repr(conn), str(conn), repr(ro), repr(nowhere), repr(Doc.get("a",
                                                                             connection=conn))]
        failing: dict[type, Callable[[], Any]] = {
            dl.ConditionFailed: lambda: conn.update(Doc, Doc.label.set("x"), key="a",
                                                    condition=Doc.label == "nope"),
            dl.ItemAlreadyExists: lambda: conn.create(Doc(pk="a")),
            dl.TableNotFound: lambda: conn.describe(unique("missing")),
            dl.ValidationError: lambda: conn.call("GetItem", {
                "TableName": Doc.__table__, "Key": {"wrong": {"S": "x"}}}),
            dl.ReadOnlyError: lambda: ro.create(Doc(pk="b")),
            dl.ConnectionFailed: nowhere.tables,
            dl.ItemNotFound: lambda: conn.get(Doc, "nobody"),
        }
        for error, call in failing.items():
            with pytest.raises(error) as caught:
                call()
            texts.append(error_texts(caught.value))
        records = list(caplog.records)
    finally:
        for connection in (conn, ro, nowhere):
            connection.close()
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    library = [formatter.format(r) for r in records if r.name.startswith("dynamorm_lab")]
    for text in texts + library:
        assert not leaks(text), text[:500]
        assert KEY_ID not in text, text[:500]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_no_credential_in_botocore_debug_logs(
        server: Any, fake_credentials: None, secret_table: Any,
        record_property: Callable[[str, Any], None]) -> None:
    """README: credentials never appear in a log line. botocore logs requests at DEBUG,
    signed headers included; the secret key is never sent, but the session token is a
    header (X-Amz-Security-Token) and the access key id is in the Authorization header.
    (Records are kept here, not propagated: pytest would print thousands of lines.)"""
    handler = _Records()
    loggers = [logging.getLogger(name) for name in ("botocore", "urllib3", "dynamorm_lab")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.propagate = False
        lg.addHandler(handler)
    Doc = secret_table
    conn = dl.connect(server.endpoint_url, make_default=False)
    try:
        conn.get(Doc, "a")
        Doc.scan().using(conn).all()
        with pytest.raises(dl.ConditionFailed):
            conn.create(Doc(pk="a"))
    finally:
        conn.close()
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    botocore_lines = [formatter.format(r) for r in handler.records
                      if r.name.startswith(("botocore", "urllib3"))]
    assert botocore_lines, "botocore logged nothing at DEBUG"
    everything = "\n".join(botocore_lines)
    key_id_lines = [line for line in botocore_lines if KEY_ID in line]
    record_property("access_key_id_in_botocore_debug_lines", len(key_id_lines))
    assert SECRET not in everything
    token_lines = [line.split("\n")[0][:120] for line in botocore_lines if TOKEN in line]
    assert not token_lines, (f"the session token is in {len(token_lines)} botocore DEBUG "
                             f"log record(s), e.g. {token_lines[:2]}")


def test_no_credential_in_magic_outputs(server: Any, fake_credentials: None,
                                        secret_table: Any, shell: Any) -> None:
    from IPython.core.error import UsageError
    from IPython.utils.capture import capture_output

    Doc = secret_table
    magic = shell.magics_manager.registry["DynamoMagic"]
    texts: list[str] = []
    try:
        made = shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias cred")
        assert made.client._request_signer._credentials.token == TOKEN
        shell.run_line_magic("dynamo", f"connect {server.endpoint_url} --alias cred_ro "
                                       "--read-only")
        shell.run_line_magic("dynamo", "connect cred")
        frame = shell.run_line_magic("dynamo", "connections")
        texts += [frame.to_string(), frame.to_html(), repr(frame.to_dict())]
        shown = shell.run_cell_magic("dynamo", "", f"SELECT * FROM \"{Doc.__table__}\" "
                                                   "WHERE pk = 'a'")
        texts += [repr(shown), shown._repr_html_()]
        with capture_output() as captured:
            texts += [repr(shell.run_line_magic("dynamo", "tables")),
                      repr(shell.run_line_magic("dynamo", f"describe {Doc.__table__}")),
                      repr(shell.run_cell_magic("dynamo", "", f"EXPLAIN SELECT * FROM "
                                                f"\"{Doc.__table__}\" WHERE label = 'x'"))]
            shell.run_line_magic("dynamo", f"model {Doc.__table__}")
        texts += [captured.stdout, captured.stderr]
        failing = [
            ("", f"INSERT INTO \"{Doc.__table__}\" VALUE {{'pk': 'a'}}"),  # exists
            ("", 'SELECT * FROM "no_such_table_here"'),
            ("", f"UPDATE \"{Doc.__table__}\" SET label = 'x' WHERE pk = 'nobody'"),
            ("-c cred_ro", f"INSERT INTO \"{Doc.__table__}\" VALUE {{'pk': 'z'}}"),
            ("", "SELEC nonsense"),
        ]
        for options, cell in failing:
            with pytest.raises(UsageError) as caught:
                shell.run_cell_magic("dynamo", options, cell)
            texts.append(error_texts(caught.value))
        shell.run_line_magic("config", "DynamoMagic.short_errors = False")
        try:
            with pytest.raises(dl.DynamormError) as full:
                shell.run_cell_magic("dynamo", "", 'SELECT * FROM "no_such_table_here"')
            texts.append(error_texts(full.value))
        finally:
            shell.run_line_magic("config", "DynamoMagic.short_errors = True")
    finally:
        for alias in ("cred", "cred_ro"):
            if alias in magic.connections:
                magic.connections.pop(alias).close()
        magic.current = None
    assert texts
    for text in texts:
        assert not leaks(text) and KEY_ID not in text, text[:500]


def widget_texts(widget: Any) -> list[str]:
    """Every text a widget tree shows: values, descriptions, options, placeholders."""
    out: list[str] = []
    for name in ("value", "description", "placeholder", "tooltip"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            out.append(value)
    options = getattr(widget, "options", None)
    if options:
        out += [str(option) for option in options]
    for child in getattr(widget, "children", ()) or ():
        out += widget_texts(child)
    return out


def test_no_credential_in_widget_html(server: Any, fake_credentials: None,
                                      secret_table: Any) -> None:
    from dynamorm_lab.widgets import build, explore

    Doc = secret_table
    conn = dl.connect(server.endpoint_url, make_default=False)
    try:
        builder = build(conn, Doc.__table__)
        builder.partition_attr.value = "pk"
        builder.partition.value = "a"
        builder.run_button.click()
        assert len(builder.frame) == 1
        explorer = explore(conn, Doc.__table__)
        assert "first" in explorer.items.value
        builder.partition.value = "x" * 3
        builder.run_button.click()
        texts = widget_texts(builder.widget) + widget_texts(explorer.widget)
        texts += [v.value for v in builder.code.values()]
    finally:
        conn.close()
    assert any("first" in t for t in texts)
    for text in texts:
        assert not leaks(text) and KEY_ID not in text, text[:300]


def test_no_credential_in_a_notebook_run(server: Any, secret_table: Any,
                                         tmp_path: Path) -> None:
    """A real kernel runs a notebook that puts the credentials in its environment, connects,
    queries, fails in several ways and logs at DEBUG; no output holds a secret."""
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    table = secret_table.__table__
    url = server.endpoint_url
    cells = [
        f"import os\nos.environ.update({{'AWS_ACCESS_KEY_ID': {KEY_ID!r}, "
        f"'AWS_SECRET_ACCESS_KEY': {SECRET!r}, 'AWS_SESSION_TOKEN': {TOKEN!r}}})",
        "import logging, sys\nlogging.basicConfig(stream=sys.stdout)\n"
        "logging.getLogger('dynamorm_lab').setLevel(logging.DEBUG)",
        f"%load_ext dynamorm_lab\n%dynamo connect {url} --alias nb",
        "%dynamo connections",
        f"import dynamorm_lab as dl\nconn = dl.connect({url!r}, make_default=False)\n"
        "print(repr(conn))\nprint(conn.client._request_signer._credentials.token == "
        "os.environ['AWS_SESSION_TOKEN'])\nconn",
        f"%%dynamo\nSELECT * FROM \"{table}\" WHERE pk = 'a'",
        "%dynamo tables",
        f"%%dynamo\nINSERT INTO \"{table}\" VALUE {{'pk': 'a'}}",
        '%%dynamo\nSELECT * FROM "no_such_table_here"',
        "conn.describe('no_such_table_here')",
        "%config DynamoMagic.short_errors = False",
        '%%dynamo\nSELECT * FROM "no_such_table_here"',
        f"%dynamo model {table}",
    ]
    notebook = new_notebook(cells=[new_code_cell(source) for source in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    text = nbformat.writes(notebook)
    (tmp_path / "ran.ipynb").write_text(text)

    outputs = [out for c in notebook.cells for out in c.get("outputs", [])]
    joined = json.dumps(outputs)
    assert "True" in joined  # the kernel really used the credentials
    assert "first" in joined  # the query ran
    assert "TableNotFound" in joined and "ItemAlreadyExists" in joined  # the errors ran
    assert sum(out.get("output_type") == "error" for out in outputs) >= 2
    assert not leaks(joined), leaks(joined)
    assert KEY_ID not in joined
