"""The read pipeline: one source of pages, one stage that accounts for them, and sinks.

    prepare(query) -> Read           planned once and frozen: requests, cursor, scan guard
    _fetched(...)                     the source: responses per segment, in threads ahead of
                                      the caller; Query/Scan bodies raw, their next request
                                      sent as soon as the LastEvaluatedKey is read off the
                                      bytes (`wire.peek_last_key`)
    _pages(...) -> Page               parses each body (orjson, or pyarrow for the Arrow sink),
                                      checks the peeked key, cuts at the limit, keeps the
                                      cursor state and the Stats, shows progress
    sinks                             `run` (a Result of objects/dicts/items), `run_pages`,
                                      `frame` (a DataFrame), `arrow` (a pyarrow Table), `count`

Every sink returns its data with the read's `Stats` (items read and returned, consumed
capacity, pages, time): on the Result, in a frame's ``.attrs``, in an Arrow table's schema
metadata, and as the transport's ``last_stats`` for all of them. A cursor resumes after the
last item handed out (not the page's end), so resuming never skips an item; with parallel
segments a page counts as seen only when the caller takes it.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Any

from .._core.codec import decode_item, key_identity
from .._core.cursor import decode_cursor, encode_cursor, fingerprint
from .._core.gcpause import paused_gc
from .._core.planner import Plan, plan
from .._core.query import Query
from .._core.rate import Limiter, divided, limiter_for
from .._core.results import Page, Stats
from ..errors import ScanRefused, ValidationError
from .batch import get_chunks
from .progress import Progress
from .results import Result, frame_spec
from .samples import SAMPLE, basis, held_profile
from .tables import described
from .transport import Transport
from .wire import binary_items, binary_keys, parse_body, peek_last_key

__all__ = ["Chunk", "Read", "arrow", "chunks", "count", "frame", "iter_batches", "iter_frames",
           "prepare", "run", "run_pages", "with_stats"]

# A response as the source hands it on: its segment, the raw body (bytes, parsed by the
# consumer) or the parsed response, what the source peeked (the LastEvaluatedKey), the state.
Fetched = tuple[int, "bytes | dict[str, Any]", dict[str, Any], dict[str, Any]]


@dataclass(frozen=True)
class Read:
    """A planned read, built once: the plan, the requests (one per cursor state), what a
    cursor needs, and the options that shape the pages."""

    query: Query
    plan: Plan
    requests: tuple[dict[str, Any], ...]
    parallel: bool  # Scan segments, each its own request stream
    key_names: tuple[str, ...]
    hidden: tuple[str, ...]
    fingerprint: str
    start: tuple[dict[str, Any], ...]
    cursor_key: bytes
    capacity: bool = True

    @property
    def operation(self) -> str:
        return self.plan.operation

    @property
    def keyed(self) -> bool:
        """GetItem or BatchGetItem: keys, not pages of a Query or Scan."""
        return self.operation in ("GetItem", "BatchGetItem")


@dataclass
class _State:
    """What one run of a Read has done so far: per-segment states, stats, the clock."""

    read: Read
    states: list[dict[str, Any]]
    stats: Stats
    started: float = field(default_factory=time.perf_counter)
    limiter: Limiter | None = None  # the read's rate limit, shared by its segments

    def cursor(self) -> str | None:
        if all(s.get("done") for s in self.states):
            return None
        return encode_cursor(self.read.fingerprint, self.states, self.read.cursor_key)

    def finish(self, transport: Transport) -> Stats:
        self.stats.elapsed = time.perf_counter() - self.started
        transport.last_stats = self.stats
        return self.stats


def prepare(transport: Transport, query: Query) -> Read:
    """Plan a query (the scan guard applied) and decode its cursor: everything fixed before
    the first request."""
    spec = query.spec
    name = query.schema.name
    transport.history.append(query)
    chosen = plan(query.plan_request(basis=basis(transport, name)))
    if chosen.operation == "Scan":
        item_count, size = transport.table_stats(name)
        guard = transport.scan_guard
        guarded = not spec.scan and not spec.allow_scan and guard is not None
        if guarded and not item_count:  # ItemCount lags writes by hours: count a sample
            held_profile(transport, name, sample=SAMPLE)
        known = basis(transport, name)
        chosen = plan(query.plan_request(item_count=item_count, size_bytes=size, basis=known))
        holds = item_count or (known.items if known is not None else None)
        if guarded and guard is not None and holds is not None and holds > guard:
            told = (f"it holds {holds:,} items" if item_count else
                    f"it holds about {holds:,} items ({known.source if known else ''})")
            raise ScanRefused(
                f"refusing to Scan {name}: {told}, over the "
                f"scan guard of {guard:,}. {chosen.sentence}. "
                + (f"Suggestion: {chosen.suggestion}. " if chosen.suggestion else "")
                + "To scan anyway: .allow_scan() in Python, --allow-scan in %%dynamo, or "
                "connect(scan_guard=None).",
                table=name, plan=chosen)
    table = query.schema
    key_names = list(table.key_names)
    if chosen.index is not None:
        key_names += [k for k in table.index(chosen.index).key_names if k not in key_names]
    per_partition = chosen.extra.get("requests")
    parallel = chosen.operation == "Scan" and spec.segments > 1 and not per_partition
    requests = tuple(per_partition) if per_partition else tuple(
        [chosen.request] * (spec.segments if parallel else 1))
    if spec.part is not None:  # one segment of a parallel Scan (or, if not a Scan, all of
        index, total = spec.part  # the read in segment 0 and nothing in the others)
        if chosen.operation == "Scan" and not per_partition:
            requests = ({**chosen.request, "Segment": index, "TotalSegments": total},)
        elif index > 0:
            requests = ()
    if chosen.extra.get("empty"):  # the key condition admits no item: nothing to send
        requests = ()
    signed = fingerprint(per_partition or chosen.request, len(requests))
    if spec.cursor is not None:
        states = decode_cursor(spec.cursor, signed, transport.cursor_key)
        if not isinstance(states, list) or len(states) != len(requests):
            raise ValidationError("the cursor does not match this query's segments")
    else:
        states = [{"key": None, "done": False, "offset": 0} for _ in requests]
    return Read(query, chosen, requests, parallel, tuple(key_names),
                tuple(chosen.extra.get("hidden", ())), signed, tuple(states),
                transport.cursor_key)


def _begin(transport: Transport, read: Read) -> _State:
    predicted = read.plan.chosen.predicted
    name = read.query.schema.name
    return _State(read, [dict(s) for s in read.start],
                  Stats(read.operation, name, read.plan.index,
                        segments=len(read.requests),
                        predicted_items=predicted.items if predicted else None,
                        predicted_rcu=predicted.rcu if predicted else None),
                  limiter=limiter_for(read.query.spec.rate, lambda: described(transport, name),
                                      "read"))


# --- the source -------------------------------------------------------------------------------

def _key_source(transport: Transport, run: _State) -> Generator[Fetched]:
    """GetItem, or BatchGetItem in chunks of 100 keys (unprocessed keys retried)."""
    read, state = run.read, run.states[0]
    if state.get("done"):
        return
    request = read.plan.request
    capacity = {"ReturnConsumedCapacity": "INDEXES"} if read.capacity else {}
    if read.operation == "GetItem":
        response = transport.call("GetItem", {**request, **capacity}, parse="json")
        item = response.get("Item")
        yield 0, {**response, "Items": [item] if item else [], "ScannedCount": int(bool(item))},\
            {}, {"done": True}
        return
    offset = state.get("offset", 0)
    keys = request["Keys"][offset:]
    extra = {k: v for k, v in request.items() if k not in ("TableName", "Keys")}
    for found, response in get_chunks(transport, request["TableName"], keys, extra=extra,
                                      policy=transport.retry_policy, fast=True):
        chunk, keys = keys[:100], keys[100:]
        offset += len(chunk)
        ordered = _in_key_order(found, chunk, read.query.schema.key_names)
        yield 0, {**response, "Items": ordered}, {}, {"offset": offset, "done": not keys}


def _in_key_order(found: list[dict[str, Any]], keys: list[dict[str, Any]],
                  names: tuple[str, ...]) -> list[dict[str, Any]]:
    def ident(item: dict[str, Any]) -> tuple[Any, ...]:
        return key_identity({n: item[n] for n in names if n in item})

    by_key = {ident(item): item for item in found}
    return [by_key[ident(k)] for k in keys if ident(k) in by_key]


@dataclass(frozen=True)
class _Paging:
    """How a sink wants its Query/Scan pages: their parser (orjson's, or pyarrow's for the
    Arrow sink), the first request's Limit (a small first page lets pyarrow learn the schema
    from few items), and whether to read ahead."""

    parse: Callable[[bytes], dict[str, Any]] = parse_body
    first_page: int | None = None
    ahead: bool = True


def _segment(transport: Transport, run: _State, segment: int,
             paging: _Paging) -> Generator[Fetched]:
    """One segment (or one partition value's Query): raw bodies, the next request sent as
    soon as this page's LastEvaluatedKey is read off its bytes."""
    read, spec = run.read, run.read.query.spec
    state = run.states[segment]
    if state.get("done"):
        return
    params = dict(read.requests[segment])
    if read.capacity:
        params["ReturnConsumedCapacity"] = "INDEXES"
    if read.parallel:
        params.update(Segment=segment, TotalSegments=len(read.requests))
    page_size = spec.page_size
    if spec.limit is not None and read.plan.chosen.filter is None:
        page_size = min(page_size or spec.limit, spec.limit)
    first = paging.first_page if not page_size else None
    start = state.get("key")
    while True:
        if first:
            params["Limit"], first = first, None
        elif page_size:
            params["Limit"] = page_size
        else:
            params.pop("Limit", None)
        if start:
            params["ExclusiveStartKey"] = start
        limiter = run.limiter
        if limiter is not None:
            limiter.wait()
            throttles = transport.throttles
        body = transport.call(read.operation, params, parse="raw")["Body"]
        sure, guess = peek_last_key(body) if paging.ahead else (False, None)
        payload: bytes | dict[str, Any] = body
        if not sure or limiter is not None:  # parsed here: its key decides the next request
            parsed = paging.parse(body)
            payload, guess = parsed, parsed.get("LastEvaluatedKey")
            if limiter is not None:
                limiter.spend(_units(parsed))
                if transport.throttles != throttles:
                    limiter.throttled()
        start = binary_keys(guess)
        yield segment, payload, {"guess": guess}, {"key": start, "done": not start}
        if not start:
            return


def _units(response: dict[str, Any]) -> float:
    """The capacity units a parsed Query/Scan response says it consumed."""
    consumed = response.get("ConsumedCapacity") or {}
    return float(consumed.get("CapacityUnits", 0.0)) if isinstance(consumed, dict) else 0.0


def _fetched(transport: Transport, run: _State, paging: _Paging, *,
             threaded: bool) -> Generator[Fetched]:
    """Every response of the read, in the order the caller gets them: key reads, one Query
    per partition value in value order, or segments (each in its own thread when
    `threaded`, which also fetches ahead of a caller reading one segment)."""
    read = run.read
    if read.keyed:
        return _key_source(transport, run)
    streams = [_segment(transport, run, s, paging) for s in range(len(read.requests))]
    if read.parallel or (threaded and len(streams) == 1):
        return _ahead(streams)
    return (page for stream in streams for page in stream)


def _ahead(streams: list[Generator[Fetched]]) -> Generator[Fetched]:
    """Run each stream in its own thread; responses reach the caller through a bounded
    queue (two per stream), so the server works on the next while this one is used."""
    pages: queue.Queue[Any] = queue.Queue(maxsize=2 * len(streams))
    stop = threading.Event()
    finished = object()

    def work(source: Generator[Fetched]) -> None:
        try:
            for page in source:
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

    threads = [threading.Thread(target=work, args=(s,), daemon=True, name=f"read-{n}")
               for n, s in enumerate(streams)]
    for thread in threads:
        thread.start()
    running = len(threads)
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


# --- the accounting stage -----------------------------------------------------------------------

class _MisreadAhead(Exception):
    """A page's LastEvaluatedKey, read ahead from its bytes, was not the parsed one."""


def _pages(transport: Transport, run: _State, *, paging: _Paging = _Paging(),
           threaded: bool = False) -> Iterator[Page]:
    """Each page parsed, checked, cut at the limit, accounted for (stats, progress, cursor
    state) and handed out with the cursor that resumes after it. ``Page.raw`` holds the
    page's items as parsed (wire dicts, or an Arrow struct array from pyarrow's parser)."""
    read = run.read
    remaining = read.query.spec.limit
    desc = f"{read.operation} {read.query.schema.name}"
    source = _fetched(transport, run, paging, threaded=threaded)
    with Progress(total=read.plan.extra.get("item_count"), desc=desc,
                  enabled=read.query.spec.progress) as progress, closing(source):
        for segment, payload, meta, page_state in source:
            if isinstance(payload, bytes):
                response = paging.parse(payload)
                if response.get("LastEvaluatedKey") != meta.get("guess"):
                    raise _MisreadAhead
            else:
                response = payload
            items = response.get("Items", [])
            cut = remaining is not None and len(items) >= remaining
            kept = items[:remaining] if cut else items
            run.stats.add(response, returned=len(kept))
            progress.update(response.get("ScannedCount", len(kept)))
            state = page_state
            if cut and len(kept) and len(kept) < len(items):
                state = _state_after(read, kept[-1])
            before = [dict(s) for s in run.states]
            run.states[segment] = state
            run.stats.elapsed = time.perf_counter() - run.started
            yield Page(kept, kept, run.cursor(), len(kept),
                       response.get("ScannedCount", len(kept)), segment,
                       _resumer(read, before, segment, kept))
            if remaining is not None:
                remaining -= len(kept)
                if remaining <= 0:
                    return


def _resumer(read: Read, before: list[dict[str, Any]], segment: int,
             raw: Any) -> Callable[[int], str] | None:
    """A function giving the cursor that resumes after item i of a page."""
    if not isinstance(raw, list):
        return None
    # Projections drop added key attributes from the items later: keep the keys first then.
    keys = ([{k: item[k] for k in read.key_names if k in item} for item in raw]
            if read.hidden else list(raw))

    def resume(index: int) -> str:
        states = [dict(s) for s in before]
        states[segment] = _state_after(read, keys[index])
        return encode_cursor(read.fingerprint, states, read.cursor_key)

    return resume


def _state_after(read: Read, last: dict[str, Any]) -> dict[str, Any]:
    """Cursor state that resumes right after `last` (a limit stopped inside a page)."""
    if read.operation == "BatchGetItem":
        keys = [key_identity(k) for k in read.plan.request["Keys"]]
        position = keys.index(key_identity({k: last[k] for k in read.query.schema.key_names})) + 1
        return {"offset": position, "done": position >= len(keys)}
    return {"key": binary_keys({k: last[k] for k in read.key_names if k in last}),
            "done": False}


def _read_ahead(build: Callable[[bool], Any]) -> Any:
    """`build(True)` reads ahead (see `_segment`). Every page is checked against its parse;
    on a mismatch (only an item attribute named LastEvaluatedKey can mislead the peek) the
    read starts again without reading ahead, so the result is always the plain one."""
    try:
        return build(True)
    except _MisreadAhead:
        return build(False)


def _hide(read: Read, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the key attributes a projection added only for the cursor."""
    for item in items if read.hidden else ():
        for name in read.hidden:
            item.pop(name, None)
    return items


# --- the sinks ----------------------------------------------------------------------------------

def _decoder(query: Query) -> Callable[[dict[str, Any]], Any] | None:
    shape, model = query.spec.shape, query.model
    if shape == "model" and model is not None:
        from_item: Callable[[dict[str, Any]], Any] = model.from_item
        return from_item
    if shape == "wire":
        return None
    return decode_item


def _item_pages(transport: Transport, query: Query, *, threaded: bool,
                ) -> tuple[_State, Iterator[Page]]:
    """Pages whose items are the query's shape (objects, dicts or wire items with bytes)."""
    decode = _decoder(query)
    wire = query.spec.shape == "wire"

    def pages(run: _State, ahead: bool) -> Iterator[Page]:
        for page in _pages(transport, run, paging=_Paging(ahead=ahead), threaded=threaded):
            raw = binary_items(page.raw) if wire else page.raw
            kept = _hide(run.read, raw)
            items = kept if decode is None else [decode(item) for item in kept]
            yield replace(page, items=items, raw=kept, count=len(items))

    run = _begin(transport, prepare(transport, query))
    return run, _restarting(transport, query, run, pages)


def _restarting(transport: Transport, query: Query, run: _State,
                pages: Callable[[_State, bool], Iterator[Page]]) -> Iterator[Page]:
    """Pages read ahead; after a misread, the same read again without reading ahead (pages
    already handed out are not handed out twice: the new run resumes from the states)."""
    try:
        yield from pages(run, True)
    except _MisreadAhead:
        again = _State(replace(run.read, start=tuple(dict(s) for s in run.states)),
                       run.states, run.stats, run.started)
        yield from pages(again, False)


def run(transport: Transport, query: Query) -> Result:
    """Every item of a query (up to its limit), as a Result with plan, stats and cursor."""
    state, pages = _item_pages(transport, query, threaded=query.spec.limit is None)
    items: list[Any] = []
    raw: list[dict[str, Any]] = []
    with paused_gc():
        for page in pages:
            items.extend(page.items)
            raw.extend(page.raw)
    stats = state.finish(transport)
    return Result(items, raw, plan=state.read.plan, stats=stats, cursor=state.cursor(),
                  query=query)


def run_pages(transport: Transport, query: Query) -> Iterator[Page]:
    """Pages of a query, each with the cursor that resumes after it (fetched as the caller
    asks, but for parallel segments, which run in threads)."""
    state, pages = _item_pages(transport, query, threaded=False)
    yield from pages
    state.finish(transport)


def frame(transport: Transport, query: Query, *, flatten: bool = False,
          numbers: str = "exact") -> Any:
    """Every item of a query as a DataFrame, built page by page from the wire items (no
    per-item dicts or objects on the way); ``.attrs`` holds the plan's sentence and the
    read's Stats."""
    from ..frames import FrameBuilder

    spec = frame_spec(query, flatten, numbers)
    read = prepare(transport, query)

    def build(ahead: bool) -> Any:
        state = _begin(transport, read)
        builder = FrameBuilder(spec)
        with paused_gc():
            for page in _pages(transport, state, paging=_Paging(ahead=ahead),
                               threaded=query.spec.limit is None):
                builder.add(_hide(read, page.raw))
            built = builder.finish()
        built.attrs.update(plan=read.plan.sentence, stats=state.finish(transport))
        return built

    return _read_ahead(build)


def arrow(transport: Transport, query: Query, *, numbers: str = "exact") -> Any:
    """Every item of a query as a pyarrow Table, the Stats in its schema metadata: response
    bodies parsed by pyarrow and typed by Arrow compute (see `frames`); key reads and limits
    take the Python path to the same table."""
    from ..frames import ArrowReader, arrow_from_items, table_from_chunks

    spec = frame_spec(query, False, numbers)
    projection = query.spec.projection
    columns = (list(dict.fromkeys(str(p.elements[0]) for p in projection))
               if projection else None)
    read = prepare(transport, query)
    streams = not read.keyed and query.spec.limit is None

    def build(ahead: bool) -> Any:
        state = _begin(transport, read)
        if not streams:
            items = [item for page in _pages(transport, state) for item in page.raw]
            table = arrow_from_items(_hide(read, items), columns=columns, kinds=spec.kinds,
                                     numbers=numbers)
        else:
            # pyarrow infers the schema from the first page, and a page whose strings it took
            # for timestamps is parsed again: make that a page of a few items
            paging = _Paging(first_page=100, ahead=ahead)
            paging = replace(paging, parse=ArrowReader().read)
            chunks = [page.raw for page in _pages(transport, state, paging=paging,
                                                  threaded=True)]
            table = table_from_chunks(chunks, columns=columns, drop=read.hidden,
                                      kinds=spec.kinds, numbers=numbers)
        return with_stats(table, read.plan.sentence, state.finish(transport))

    return _read_ahead(build)


def with_stats(table: Any, sentence: str, stats: Stats) -> Any:
    """An Arrow table carrying the plan's sentence and the read's Stats in its metadata."""
    metadata = dict(table.schema.metadata or {})
    metadata.update({b"dynamorm_lab.plan": sentence.encode(),
                     b"dynamorm_lab.stats": stats.to_json().encode()})
    return table.replace_schema_metadata(metadata)


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


def count(transport: Transport, query: Query) -> int:
    """How many items match, counted by DynamoDB (Select=COUNT), across pages and segments;
    the Stats are the transport's ``last_stats``."""
    read = prepare(transport, query)
    state = _begin(transport, read)
    if read.keyed:
        total = sum(len(page.raw) for page in _pages(transport, state))
    else:
        counting = replace(read, requests=tuple(_counting(r) for r in read.requests))
        state = _begin(transport, counting)
        total = 0
        for segment, payload, _meta, page_state in _fetched(
                transport, state, _Paging(ahead=False), threaded=False):
            response = payload if isinstance(payload, dict) else parse_body(payload)
            total += int(response.get("Count", 0))
            state.stats.add(response, returned=int(response.get("Count", 0)))
            state.states[segment] = page_state
    state.finish(transport)
    return total


# --- streamed sinks: constant memory ----------------------------------------------------------

@dataclass
class Chunk:
    """Part of a streamed read: a pyarrow Table or a DataFrame of at least the rows asked
    for (the last may hold fewer), the segment it came from when read per segment, the
    per-segment cursor states after it, and the read's Stats so far."""

    data: Any
    segment: int | None
    states: list[dict[str, Any]]
    cursor: str | None
    stats: Stats


def chunks(transport: Transport, query: Query, *, rows: int, numbers: str = "exact",
           frames: bool = False, flatten: bool = False,
           per_segment: bool = False) -> Iterator[Chunk]:
    """The read in chunks of `rows` items (the last may hold fewer), each converted as soon
    as it is full (`frames`: a DataFrame, else a pyarrow Table), so that memory holds one
    chunk and a page. A chunk's cursor resumes right after it (None when it ends inside an
    Arrow page, which has no per-item cursor). `per_segment`: chunks of whole pages that
    never mix segments, at least `rows` items or a segment's last (an export writes each
    segment's own files and commits the states after them)."""
    from ..frames import ArrowReader, FrameBuilder, table_from_chunks

    spec = frame_spec(query, flatten, numbers)
    projection = query.spec.projection
    columns = (list(dict.fromkeys(str(p.elements[0]) for p in projection))
               if projection else None)
    read = prepare(transport, query)
    state = _begin(transport, read)
    paging = _Paging(ahead=False) if frames else _Paging(
        parse=ArrowReader().read, first_page=100, ahead=False)
    held: dict[int | None, list[Any]] = {}
    counts: dict[int | None, int] = {}

    def convert(pages: list[Any]) -> Any:
        if frames:
            builder = FrameBuilder(spec)
            for items in pages:
                builder.add(_hide(read, items))
            return builder.finish()
        if read.keyed or not pages or isinstance(pages[0], list):
            items = [item for page in pages for item in page]
            from ..frames import arrow_from_items

            return arrow_from_items(_hide(read, items), columns=columns, kinds=spec.kinds,
                                    numbers=numbers)
        return table_from_chunks(pages, columns=columns, drop=read.hidden, kinds=spec.kinds,
                                 numbers=numbers)

    def ready(where: int | None, cursor: str | None) -> Chunk:
        data = convert(held.pop(where))
        counts[where] = 0
        stats = replace(state.stats, elapsed=time.perf_counter() - state.started)
        return Chunk(data, where, [dict(s) for s in state.states], cursor, stats)

    for page in _pages(transport, state, paging=paging, threaded=read.parallel):
        where = page.segment if per_segment else None
        if per_segment:  # whole pages: an export commits the states after a page
            held.setdefault(where, []).append(page.raw)
            counts[where] = counts.get(where, 0) + len(page.raw)
            if counts[where] >= rows or state.states[page.segment].get("done"):
                yield ready(where, state.cursor())
            continue
        taken = 0
        while taken < len(page.raw):  # a page cut where a chunk fills up
            size = min(rows - counts.get(where, 0), len(page.raw) - taken)
            held.setdefault(where, []).append(page.raw[taken:taken + size])
            counts[where] = counts.get(where, 0) + size
            taken += size
            if counts[where] >= rows:
                inside = taken < len(page.raw) and page.resume_after is not None
                yield ready(where, page.cursor_after(taken - 1) if inside
                            else page.cursor if taken == len(page.raw) else None)
    state.finish(transport)
    for where in list(held):
        if counts.get(where):
            yield ready(where, state.cursor())


def iter_frames(transport: Transport, query: Query, *, rows: int, flatten: bool = False,
                numbers: str = "exact") -> Iterator[Any]:
    """DataFrames of about `rows` rows; ``.attrs`` holds the Stats so far and the cursor
    that resumes after the frame."""
    for chunk in chunks(transport, query, rows=rows, numbers=numbers, frames=True,
                        flatten=flatten):
        chunk.data.attrs.update(stats=chunk.stats, cursor=chunk.cursor)
        yield chunk.data


def iter_batches(transport: Transport, query: Query, *, rows: int,
                 numbers: str = "exact") -> Iterator[Any]:
    """pyarrow RecordBatches of about `rows` rows, Stats and cursor in the metadata."""
    for chunk in chunks(transport, query, rows=rows, numbers=numbers):
        table = with_stats(chunk.data, "", chunk.stats)
        if chunk.cursor is not None:
            metadata = dict(table.schema.metadata or {})
            metadata[b"dynamorm_lab.cursor"] = chunk.cursor.encode()
            table = table.replace_schema_metadata(metadata)
        yield from table.combine_chunks().to_batches()


def frame_meta(transport: Transport, query: Query) -> Any:
    """An empty DataFrame with the columns and types the query's frames have: built from
    the connection's sample of the table (read once), shaped by the query's model and
    projection (the ``meta`` of a dask frame)."""
    from ..frames import FrameBuilder

    profile = held_profile(transport, query.schema.name, sample=SAMPLE)
    builder = FrameBuilder(frame_spec(query, False, "exact"))
    builder.add(profile.items)
    return builder.finish().iloc[:0]


def divided_rate(transport: Transport, query: Query, parts: int) -> Any:
    """The query's read rate split into `parts` equal limits (readers in other processes)."""
    name = query.schema.name
    return divided(query.spec.rate, lambda: described(transport, name), "read", parts)
