"""Run planned reads: pages, limits, exact cursors, parallel segments, counts, the scan guard.

The executor sends the request the plan built, follows LastEvaluatedKey, and keeps the state
that a cursor needs: per segment, the key to resume after. When a limit stops a page halfway,
the cursor resumes after the last item handed out (its key, not the page's end), so resuming
never skips an item. Parallel segments run in threads; a page counts as seen only when the
caller takes it, so a cursor never claims pages the caller did not get.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._core.codec import decode_item
from .._core.cursor import decode_cursor, encode_cursor, fingerprint
from .._core.gcpause import paused_gc
from .._core.planner import Plan, plan
from .._core.results import Page, Result, Stats
from ..errors import ScanRefused, ValidationError
from .batch import get_chunks
from .progress import Progress
from .wire import binary_keys, parse_body, peek_last_key, raw_bodies

if TYPE_CHECKING:
    from .._connection import Connection
    from .._core.query import Query

__all__ = ["arrow", "count", "frame", "run", "run_pages"]


@dataclass
class _Run:
    plan: Plan
    query: Query
    decode: Callable[[dict[str, Any]], Any] | None  # None: hand out the wire items
    hidden: tuple[str, ...]
    key_names: tuple[str, ...]
    fingerprint: str
    stats: Stats
    states: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    fast: bool = False  # read through the data-plane client (binary as base64 text)
    parse: Callable[[bytes], dict[str, Any]] | None = None  # set: read raw bodies, parse so
    ahead: bool = False  # send the next request before this page is parsed (see _read_ahead)
    capacity: bool = True  # ask for ConsumedCapacity (the stats; it costs the server work)
    first_page: int | None = None  # a Limit for each segment's first request only
    cursor_key: bytes = b""  # the connection's key for signing cursors

    def cursor(self) -> str | None:
        if all(s.get("done") for s in self.states):
            return None
        return encode_cursor(self.fingerprint, self.states, self.cursor_key)

    def take(self, raw: list[dict[str, Any]]) -> list[Any]:
        if self.hidden:
            for item in raw:
                for name in self.hidden:
                    item.pop(name, None)
        decode = self.decode
        return raw if decode is None else [decode(item) for item in raw]


def _decoder(query: Query) -> Callable[[dict[str, Any]], Any] | None:
    shape = query.spec.shape
    model = query.model
    if shape == "model" and model is not None:
        return model.from_item
    if shape == "wire":
        return None
    return decode_item


def _prepare(conn: Connection, query: Query, *, decode: bool = True) -> _Run:
    spec = query.spec
    chosen = plan(query.plan_request())
    if chosen.operation == "Scan":
        item_count, size = conn.table_stats(query.schema.name)
        chosen = plan(query.plan_request(item_count=item_count, size_bytes=size))
        guard = conn.scan_guard
        if (not spec.scan and not spec.allow_scan and guard is not None
                and item_count is not None and item_count > guard):
            raise ScanRefused(
                f"refusing to Scan {query.schema.name}: it holds {item_count:,} items, over the "
                f"scan guard of {guard:,}. {chosen.sentence}. "
                + (f"Suggestion: {chosen.suggestion}. " if chosen.suggestion else "")
                + "To scan anyway: .allow_scan() in Python, --allow-scan in %%dynamo, or "
                "connect(scan_guard=None).",
                table=query.schema.name, plan=chosen)
    table = query.schema
    key_names = list(table.key_names)
    if chosen.index is not None:
        key_names += [k for k in table.index(chosen.index).key_names if k not in key_names]
    segments = spec.segments if chosen.operation == "Scan" else 1
    if chosen.extra.get("requests"):
        segments = len(chosen.extra["requests"])  # one state per partition's Query
    run = _Run(chosen, query, _decoder(query) if decode else None,
               tuple(chosen.extra.get("hidden", ())),
               tuple(key_names), fingerprint(chosen.extra.get("requests") or chosen.request,
                                             segments),
               Stats(chosen.operation, table.name, chosen.index, segments=segments))
    run.fast = spec.shape != "wire" or not decode
    run.capacity = decode  # frames and tables (decode=False) hand out no stats
    run.cursor_key = conn.cursor_key
    if spec.cursor is not None:
        run.states = decode_cursor(spec.cursor, run.fingerprint, run.cursor_key)
        if not isinstance(run.states, list) or len(run.states) != segments:
            raise ValidationError("the cursor does not match this query's segments")
    else:
        run.states = [{"key": None, "done": False, "offset": 0} for _ in range(segments)]
    return run


def run_pages(conn: Connection, query: Query) -> Iterator[Page]:
    """Pages of a query, each with the cursor that resumes after it."""
    run = _prepare(conn, query)
    yield from _pages(conn, run)


def _pages(conn: Connection, run: _Run) -> Iterator[Page]:
    operation = run.plan.operation
    spec = run.query.spec
    remaining = spec.limit
    total = run.plan.extra.get("item_count")
    desc = f"{operation} {run.query.schema.name}"
    with Progress(total=total, desc=desc, enabled=spec.progress) as progress:
        source = (_key_pages(conn, run) if operation in ("GetItem", "BatchGetItem")
                  else _scan_pages(conn, run))
        for segment, page_items, response, page_state in source:
            cut = remaining is not None and len(page_items) >= remaining
            raw = page_items[:remaining] if cut else page_items
            run.stats.add(response, returned=len(raw))
            progress.update(response.get("ScannedCount", len(raw)))
            state = page_state
            if cut and raw and len(raw) < len(page_items):
                state = _state_after(run, raw[-1])
            before = [dict(s) for s in run.states]
            run.states[segment] = state
            run.stats.elapsed = time.perf_counter() - run.started
            resume = _resumer(run, before, segment, list(raw))
            items = run.take(raw)
            if remaining is not None:
                remaining -= len(items)
            yield Page(items, raw, run.cursor(), len(items), response.get("ScannedCount",
                                                                              len(items)),
                       segment, resume)
            if remaining is not None and remaining <= 0:
                if hasattr(source, "close"):
                    source.close()
                return


def _resumer(run: _Run, before: list[dict[str, Any]], segment: int,
             raw: list[dict[str, Any]]) -> Callable[[int], str]:
    """A function giving the cursor that resumes after item i of a page."""
    # Projections drop added key attributes from the items later: keep the keys first then.
    keys = ([{k: item[k] for k in run.key_names if k in item} for item in raw]
            if run.hidden else raw)

    def resume(index: int) -> str:
        states = [dict(s) for s in before]
        states[segment] = _state_after(run, keys[index])
        return encode_cursor(run.fingerprint, states, run.cursor_key)

    return resume


def _state_after(run: _Run, last: dict[str, Any]) -> dict[str, Any]:
    """Cursor state that resumes right after `last` (a limit stopped inside a page)."""
    if run.plan.operation == "BatchGetItem":
        keys = run.plan.request["Keys"]
        key = binary_keys({k: last[k] for k in run.query.schema.key_names})
        position = keys.index(key) + 1
        return {"offset": position, "done": position >= len(keys)}
    return {"key": binary_keys({k: last[k] for k in run.key_names if k in last}),
            "done": False}


def _key_pages(conn: Connection, run: _Run) -> Iterator[tuple[int, list[Any], dict[str, Any],
                                                              dict[str, Any]]]:
    request = run.plan.request
    state = run.states[0]
    if state.get("done"):
        return
    if run.plan.operation == "GetItem":
        params = dict(request, ReturnConsumedCapacity="INDEXES")
        response = conn.call("GetItem", params, fast=run.fast)
        item = response.get("Item")
        yield 0, [item] if item else [], {**response, "ScannedCount": 1 if item else 0}, {
            "done": True}
        return
    keys = request["Keys"][state.get("offset", 0):]
    extra = {k: v for k, v in request.items() if k not in ("TableName", "Keys")}
    offset = state.get("offset", 0)
    for found, response in get_chunks(conn, request["TableName"], keys, extra=extra,
                                      policy=conn.retry_policy, fast=run.fast):
        chunk = keys[:100]
        keys = keys[100:]
        offset += len(chunk)
        ordered = _in_key_order(found, chunk, run.query.schema.key_names)
        yield 0, ordered, response, {"offset": offset, "done": not keys}


def _in_key_order(found: list[dict[str, Any]], keys: list[dict[str, Any]],
                  names: tuple[str, ...]) -> list[dict[str, Any]]:
    def ident(item: dict[str, Any]) -> tuple[Any, ...]:
        key = binary_keys({n: item[n] for n in names if n in item}) or {}
        return tuple(repr(key.get(n)) for n in names)

    by_key = {ident(item): item for item in found}
    return [by_key[ident(k)] for k in keys if ident(k) in by_key]


def _segment(conn: Connection, run: _Run, segment: int,
             ) -> Iterator[tuple[int, list[Any], dict[str, Any], dict[str, Any]]]:
    spec = run.query.spec
    per_partition = run.plan.extra.get("requests")
    base = per_partition[segment] if per_partition else run.plan.request
    params = dict(base, ReturnConsumedCapacity="INDEXES") if run.capacity else dict(base)
    total = len(run.states)
    if total > 1 and not per_partition:
        params.update(Segment=segment, TotalSegments=total)
    page_size = spec.page_size
    if spec.limit is not None and run.plan.chosen.filter is None:
        page_size = min(page_size or spec.limit, spec.limit)
    if page_size:
        params["Limit"] = page_size
    start = run.states[segment].get("key")
    if run.states[segment].get("done"):
        return
    first = run.first_page if not page_size else None
    while True:
        if first:
            params["Limit"], first = first, None
        elif not page_size:
            params.pop("Limit", None)
        if start:
            params["ExclusiveStartKey"] = start
        if run.parse is not None:
            with raw_bodies():
                body = conn.call(run.plan.operation, params, fast=True)["Body"]
            sure, guess = peek_last_key(body) if run.ahead else (False, None)
            if sure:  # the consumer parses it, while the next request is on its way
                start = binary_keys(guess)
                yield segment, body, {"guess": guess}, {"key": start, "done": not start}
                if not start:
                    return
                continue
            response = run.parse(body)
        else:
            response = conn.call(run.plan.operation, params, fast=run.fast)
        start = binary_keys(response.get("LastEvaluatedKey"))
        yield segment, response.get("Items", []), response, {"key": start, "done": not start}
        if not start:
            return


def _scan_pages(conn: Connection, run: _Run,
                ) -> Generator[tuple[int, list[Any], dict[str, Any], dict[str, Any]]]:
    if len(run.states) == 1:
        yield from _segment(conn, run, 0)
        return
    if run.plan.extra.get("requests"):  # one Query per partition value, in order
        for index in range(len(run.states)):
            yield from _segment(conn, run, index)
        return
    yield from _parallel(conn, run)


def _parallel(conn: Connection, run: _Run,
              ) -> Generator[tuple[int, list[Any], dict[str, Any], dict[str, Any]]]:
    """Run every segment in its own thread; pages reach the caller through a bounded queue."""
    segments = len(run.states)
    pages: queue.Queue[Any] = queue.Queue(maxsize=2 * segments)
    stop = threading.Event()
    finished = object()

    def work(segment: int) -> None:
        try:
            for page in _segment(conn, run, segment):
                while not stop.is_set():
                    try:
                        pages.put(page, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:
            pages.put(exc)
        finally:
            pages.put(finished)

    threads = [threading.Thread(target=work, args=(s,), daemon=True, name=f"scan-seg-{s}")
               for s in range(segments)]
    for thread in threads:
        thread.start()
    running = segments
    try:
        while running:
            page = pages.get()
            if page is finished:
                running -= 1
            elif isinstance(page, BaseException):
                raise page
            else:
                yield page
    finally:
        stop.set()
        while any(t.is_alive() for t in threads):
            try:
                pages.get(timeout=0.05)
            except queue.Empty:
                continue
        for thread in threads:
            thread.join()


def run(conn: Connection, query: Query) -> Result:
    """Every item of a query (up to its limit)."""
    prepared = _prepare(conn, query)
    items: list[Any] = []
    raw: list[dict[str, Any]] = []
    cursor = prepared.cursor()
    with paused_gc():
        for page in _pages(conn, prepared):
            items.extend(page.items)
            raw.extend(page.raw)
            cursor = page.cursor
    model = query.model if query.spec.shape == "model" else None
    return Result(items, raw, plan=prepared.plan, stats=prepared.stats, cursor=cursor,
                  frame=_frame_maker(model, query), table=_table_maker(model, query))


def frame(conn: Connection, query: Query, *, flatten: bool = False,
          numbers: str = "exact") -> Any:
    """Every item of a query as a DataFrame, built page by page from the wire items (no
    per-item dicts or objects on the way), with the GC paused; ``.attrs`` holds the plan's
    sentence and the read's Stats."""
    model = query.model if query.spec.shape == "model" else None
    spec = _frame_spec(model, query, flatten, numbers)
    from ..frames._pandas import FrameBuilder, frame_from_items

    def build(ahead: bool) -> Any:
        prepared = _prepare(conn, query, decode=False)
        if not _streams(prepared):
            built = frame_from_items(_wire_items(conn, prepared), spec)
        else:
            prepared.parse, prepared.ahead = parse_body, ahead
            builder = FrameBuilder(spec)
            with paused_gc():
                for items in _streamed(conn, prepared):
                    for item in items if prepared.hidden else ():
                        for name in prepared.hidden:
                            item.pop(name, None)
                    builder.add(items)
                built = builder.finish()
        prepared.stats.elapsed = time.perf_counter() - prepared.started
        built.attrs.update(plan=prepared.plan.sentence, stats=prepared.stats)
        return built

    return _read_ahead(build)


def arrow(conn: Connection, query: Query, *, numbers: str = "exact") -> Any:
    """Every item of a query as a pyarrow Table: response bodies parsed by pyarrow, columns
    typed by Arrow compute (see `_arrow`); key reads and limits take the Python path."""
    from ..frames._arrow import arrow_from_items, table_from_chunks

    projection = query.spec.projection
    columns = (list(dict.fromkeys(str(p.elements[0]) for p in projection))
               if projection else None)
    model = query.model if query.spec.shape == "model" else None
    kinds = _frame_spec(model, query, False, numbers).kinds

    def build(ahead: bool) -> Any:
        prepared = _prepare(conn, query, decode=False)
        if not _streams(prepared):
            return arrow_from_items(_wire_items(conn, prepared), columns=columns, kinds=kinds,
                                    numbers=numbers)
        return table_from_chunks(_arrow_pages(conn, prepared, ahead=ahead), columns=columns,
                                 drop=prepared.hidden, kinds=kinds, numbers=numbers)

    return _read_ahead(build)


class _MisreadAhead(Exception):
    """A page's LastEvaluatedKey, read ahead from its bytes, was not the parsed one."""


def _read_ahead(build: Callable[[bool], Any]) -> Any:
    """`build(True)`: each page's next request goes out as soon as its LastEvaluatedKey is
    found in the raw bytes (`peek_last_key`), before the page is parsed, taking the parse
    off the path between one request and the next. Every page is checked against its parse;
    on a mismatch (only an item attribute of that very name can mislead the peek) the read
    starts again without reading ahead, so the result is always the plain one."""
    try:
        return build(True)
    except _MisreadAhead:
        return build(False)


def _streams(prepared: _Run) -> bool:
    """Whether the Arrow path applies: Query/Scan pages taken whole (no limit to cut them)."""
    return (prepared.plan.operation not in ("GetItem", "BatchGetItem")
            and prepared.query.spec.limit is None)


def _wire_items(conn: Connection, prepared: _Run) -> list[dict[str, Any]]:
    raw: list[dict[str, Any]] = []
    with paused_gc():
        for page in _pages(conn, prepared):
            raw.extend(page.raw)
    return raw


def _arrow_pages(conn: Connection, prepared: _Run, *, ahead: bool) -> list[Any]:
    """Each response page's items as an Arrow struct array (stats and progress kept)."""
    from ..frames._arrow import ArrowReader

    prepared.parse, prepared.ahead = ArrowReader().read, ahead
    # pyarrow infers the schema from the first page, and a page whose strings it took for
    # timestamps is parsed again: make that a page of a few items, not of a megabyte
    prepared.first_page = 100
    return list(_streamed(conn, prepared))


def _streamed(conn: Connection, prepared: _Run) -> Iterator[Any]:
    """Each Query/Scan page's items as they arrive, stats and progress kept. Pages are
    fetched ahead in a thread (one per segment), so the server works on the next page
    while the caller decodes this one."""
    source = (_scan_pages(conn, prepared) if prepared.plan.extra.get("requests")
              else _parallel(conn, prepared))
    desc = f"{prepared.plan.operation} {prepared.query.schema.name}"
    with Progress(total=prepared.plan.extra.get("item_count"), desc=desc,
                  enabled=prepared.query.spec.progress) as progress, closing(source):
        # (closing: on an error the reader threads stop now, not when the traceback goes)
        for _segment, page, answer, _state in source:
            items, response = _parsed(prepared, page, answer)
            prepared.stats.add(response, returned=len(items))
            progress.update(response.get("ScannedCount", len(items)))
            yield items


def _parsed(prepared: _Run, page: Any, response: dict[str, Any],
            ) -> tuple[Any, dict[str, Any]]:
    """A page's items and response; a page read ahead (its raw body) is parsed here and its
    LastEvaluatedKey checked against the one its next request used."""
    if isinstance(page, bytes) and prepared.parse is not None:
        guess = response["guess"]
        response = prepared.parse(page)
        if response.get("LastEvaluatedKey") != guess:
            raise _MisreadAhead
        page = response.get("Items", [])
    return page, response


def _frame_kind(f: Any) -> str | None:
    """The frames kind of a model field whose decoding a whole-column conversion reproduces
    (plain scalars, not TTL or JSON fields); None for the others."""
    from ..frames._pandas import FRAME_KINDS

    kind = f.node.kind.value
    return kind if kind in FRAME_KINDS and not (f.spec.ttl or f.spec.as_json) else None


def _frame_spec(model: Any, query: Query, flatten: bool, numbers: str = "exact") -> Any:
    from ..frames._pandas import FrameSpec

    projection = query.spec.projection
    columns = list(dict.fromkeys(str(p) for p in projection)) if projection else None
    nested = bool(projection) and any(len(p.elements) > 1 for p in projection or ())
    if model is None:
        return FrameSpec(flatten=flatten or nested, columns=columns, only=columns,
                         numbers=numbers)
    attrs = model.__dynamorm_attrs__
    return FrameSpec(
        flatten=flatten, columns=columns or list(attrs),
        decoders={name: f.decode for name, f in attrs.items()},
        names={name: f.py_name for name, f in attrs.items()},
        kinds={name: kind for name, f in attrs.items() if (kind := _frame_kind(f)) is not None},
        numbers=numbers)


def _frame_maker(model: Any, query: Query) -> Callable[..., Any]:
    from ..frames._pandas import frame_from_items

    return lambda raw, flatten=False, numbers="exact": frame_from_items(
        raw, _frame_spec(model, query, flatten, numbers))


def _table_maker(model: Any, query: Query) -> Callable[..., Any]:
    from ..frames._arrow import arrow_from_items

    def table(raw: list[dict[str, Any]], numbers: str = "exact") -> Any:
        return arrow_from_items(raw, kinds=_frame_spec(model, query, False, numbers).kinds,
                                numbers=numbers)

    return table


def _counting(request: dict[str, Any]) -> dict[str, Any]:
    """The request with Select=COUNT and no projection (nor the names only it used)."""
    counting = {k: v for k, v in request.items() if k != "ProjectionExpression"}
    counting["Select"] = "COUNT"
    names = counting.get("ExpressionAttributeNames")
    if names is not None and "ProjectionExpression" in request:
        used = set(re.findall(r"#n\d+", " ".join(str(counting.get(k, "")) for k in (
            "KeyConditionExpression", "FilterExpression"))))
        counting["ExpressionAttributeNames"] = {k: v for k, v in names.items() if k in used}
        if not counting["ExpressionAttributeNames"]:
            del counting["ExpressionAttributeNames"]
    return counting


def count(conn: Connection, query: Query) -> int:
    """How many items match, counted by DynamoDB (Select=COUNT), across pages and segments."""
    prepared = _prepare(conn, query)
    if prepared.plan.operation in ("GetItem", "BatchGetItem"):
        return sum(len(page.raw) for page in _pages(conn, prepared))
    plan = prepared.plan
    extra = dict(plan.extra)
    if extra.get("requests"):
        extra["requests"] = [_counting(r) for r in extra["requests"]]
    counting = Plan(plan.table, plan.chosen, plan.candidates, _counting(plan.request),
                    plan.suggestion, None, extra)
    prepared.plan = counting
    total = 0
    for _segment, _items, response, _state in _scan_pages(conn, prepared):
        total += int(response.get("Count", 0))
        prepared.stats.add(response, returned=int(response.get("Count", 0)))
    return total
