"""/api/v1/changes: the change feed, by long-poll and as a server-sent event stream."""

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from config_service.api.bodies import JSON, next_link
from config_service.api.dependencies import Caller, ChangeFeed
from config_service.api.problems import problem_responses
from config_service.api.schemas import ChangeList, ChangeOut, Id, Limit
from config_service.domain.access import Principal, access_of
from config_service.domain.rows import ChangeRow
from config_service.feed.worker import Topic, WorkerFeed, matching

PREFIX = "/api/v1/changes"
router = APIRouter(prefix=PREFIX, tags=["changes"])
MAX_WAIT_SECONDS = 60
RECHECK_SECONDS = 1.0  # a held request also looks at the table this often (the listener may be down)
HEARTBEAT_SECONDS = 15.0
STREAM_PAGE = 500
Seq = Annotated[int, Query(ge=0, le=2**62)]
PAGES_REMEMBERED, EVENTS_REMEMBERED = 16, 1024  # a page holds up to 1,000 changes; an event one


class EncodedChanges:
    """Pages and stream events as last encoded: the long-polls and streams one change wakes
    (thousands, at times) send the same bytes, encoded once. A change never changes once
    committed and is named by its seq and time (a database restored from a backup may hand out
    a seq again, never with the same clock time), so they make the same page or event, whoever
    asks."""

    def __init__(self, pages: int = PAGES_REMEMBERED, events: int = EVENTS_REMEMBERED):
        self._pages, self._events = Remembered(pages), Remembered(events)

    def page(self, items: list[ChangeRow], last_seq: int) -> bytes:
        def encode() -> bytes:
            changes = [ChangeOut.model_construct(**item) for item in items]
            return ChangeList.model_construct(changes=changes, last_seq=last_seq).model_dump_json().encode()

        return self._pages.get((last_seq, *(_identity(item) for item in items)), encode)

    def event(self, item: ChangeRow) -> str:
        return self._events.get(
            _identity(item),
            lambda: (
                f"id: {item['seq']}\nevent: change\ndata: {ChangeOut.model_construct(**item).model_dump_json()}\n\n"
            ),
        )


def _identity(change: ChangeRow) -> tuple:
    return change["seq"], change["changed_at"]


class Remembered:
    """The last `size` values made, by key (least recently made first out)."""

    def __init__(self, size: int):
        self._values: OrderedDict[Any, Any]
        self._size, self._values = size, OrderedDict()

    def get(self, key, make):
        value = self._values.get(key)
        if value is None:
            value = self._values[key] = make()
            if len(self._values) > self._size:
                self._values.popitem(last=False)
        return value


_encoded = EncodedChanges()  # per worker; used on its event loop only


def _topic(application_id: str | None) -> Topic:
    return ("application", application_id) if application_id else None


@router.get(
    "",
    response_model=ChangeList,
    summary="Changes after a seq, held until one comes (long-poll)",
    responses=problem_responses(401, 422, 503),
)
async def list_changes(
    feed: ChangeFeed,
    caller: Caller,
    after: Seq = 0,
    application_id: Id | None = None,
    limit: Limit = 100,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
):
    """Committed changes with seq above `after`, ascending (of one application with
    `application_id`), and `last_seq`: follow with `after=last_seq` and nothing is ever missed
    or repeated. With `wait` (seconds, up to 60) and nothing new, the request is held until a
    matching change commits or `wait` passes (then 200 with no changes). An `after` above the
    newest seq (a restored database) answers at once with no changes and the real `last_seq`,
    as does a held request when this worker finds the database restored meanwhile. A held
    request whose token is revoked or expires answers 401 (within a second).
    `Link: rel="next"` while more follow.
    """
    owner = str(application_id) if application_id else None
    access, restarts = access_of(caller), feed.restarts
    items, last_seq, more = await feed.page(after, owner, access, limit)
    if not items and after > feed.seen and after > (head := await feed.head()):
        items, last_seq, wait = [], head, 0  # a restored database: the client starts over
    if not items and wait > 0:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while (
            not items and (remaining := deadline - loop.time()) > 0 and feed.restarts == restarts and not feed.draining
        ):
            await feed.wait(
                last_seq,
                matching(owner, access),
                min(remaining, feed.hold_limit(caller, RECHECK_SECONDS)),
                _topic(owner),
            )
            await feed.require_usable(caller, last_seq)
            items, last_seq, more = await feed.page(last_seq, owner, access, limit)
        await feed.require_usable(caller, last_seq)  # nothing written after the token went
    if feed.restarts != restarts:  # what was read may be of the history the database lost
        items, last_seq, more = [], feed.restarted_at, False
    headers = {"Link": next_link(PREFIX, limit, last_seq, application_id=owner)} if more else {}
    return Response(_encoded.page(items, last_seq), media_type=JSON, headers=headers)


@router.get(
    "/stream",
    summary="Every change as a server-sent event",
    responses={200: {"content": {"text/event-stream": {}}}, **problem_responses(422, 503)},
)
async def stream_changes(
    request: Request, feed: ChangeFeed, caller: Caller, after: Seq = 0, application_id: Id | None = None
):
    """`text/event-stream`: each change as `id: <seq>`, `event: change`, `data: <the item>`.
    `Last-Event-ID` resumes after that seq (it wins over `after`). A comment after 15 s without
    events (within a few seconds more) keeps proxies from closing the stream. An `after` above
    the newest seq sends one `event: reset` with `{"last_seq": M}` and ends the stream: start
    over; so does a stream open when this worker finds the database restored. The stream ends
    within a second of its token's revocation or expiry.
    """
    resume = request.headers.get("last-event-id", "")
    start = int(resume) if resume.isascii() and resume.isdigit() and len(resume) < 19 else after
    owner = str(application_id) if application_id else None
    head = await feed.head()
    events = _events(feed, caller, start, owner, head)
    return StreamingResponse(
        events, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


def _reset(last_seq: int) -> str:
    return f"event: reset\ndata: {json.dumps({'last_seq': last_seq})}\n\n"


async def _events(
    feed: WorkerFeed, caller: Principal, sent: int, application_id: str | None, head: int
) -> AsyncIterator[str]:
    if sent > head:
        yield _reset(head)
        return
    queue = feed.stream(_topic(application_id))  # first: what is applied from here on arrives in it
    restarts = feed.restarts
    access = access_of(caller)
    predicate = matching(application_id, access)
    try:
        while True:  # the backlog, from memory or the table
            items, last_seq, more = await feed.page(sent, application_id, access, STREAM_PAGE)
            if not await feed.token_usable(caller, last_seq):
                return
            if feed.restarts != restarts:
                yield _reset(feed.restarted_at)
                return
            for item in items:
                yield _encoded.event(item)
            sent = last_seq
            if not more:
                break
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while True:
            try:
                # While the listener is up and the token does not expire, no timer per stream: the
                # hub's heartbeat wakes every stream now and then (a timer each, re-armed on every
                # wake, cost ten thousand streams more than the rest of a fan-out).
                limit = feed.hold_limit(caller, RECHECK_SECONDS)
                if limit == float("inf"):
                    batch = await queue.get()
                else:
                    quiet_for = max(0.0, HEARTBEAT_SECONDS - (loop.time() - quiet_since))
                    batch = await asyncio.wait_for(queue.get(), min(limit, quiet_for))
            except TimeoutError:
                batch = []
                if not feed.listening:  # nothing arrives by the queue then: read the table
                    batch, last_seq, _ = await feed.page(sent, application_id, access, STREAM_PAGE)
                    if not batch:
                        sent = max(sent, last_seq)
            if batch is None:
                return  # too far behind: the client resumes with Last-Event-ID
            upto = batch[-1]["seq"] if batch else sent
            usable = feed.known_usable(caller, upto)  # at once, on the hot path of a fan-out
            if not (usable if usable is not None else await feed.token_usable(caller, upto)):
                return  # its token went
            if feed.restarts != restarts:  # the database lost history this stream may have sent
                yield _reset(feed.restarted_at)
                return
            events = [item for item in batch if item["seq"] > sent and predicate(item)]
            for item in events:
                yield _encoded.event(item)
                sent = item["seq"]
            if batch:
                sent = max(sent, batch[-1]["seq"])
            if events:
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= HEARTBEAT_SECONDS:
                yield ": keep-alive\n\n"
                quiet_since = loop.time()
    finally:
        feed.end_stream(queue)
