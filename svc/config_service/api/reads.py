"""Reads of one resource: from the worker's cache when it may answer, and held for a change
when the client asks (`If-None-Match` with `Prefer: wait=S`)."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from email.utils import format_datetime

from fastapi import Request, Response
from pydantic import BaseModel

from config_service.api.bodies import JSON
from config_service.api.conditional import none_match
from config_service.cache.read_cache import Entry
from config_service.domain.access import Access, Principal
from config_service.feed.worker import Loaded, Predicate, WorkerFeed

MAX_WAIT_SECONDS = 60
# Held requests also look at the database this often, in case the listener is down.
RECHECK_SECONDS = 1.0
PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,9})(?:\s*(?:[,;]|$))", re.IGNORECASE)


def encoded(model: BaseModel, version: int, modified, application_id: str) -> Entry:
    """A representation as the cache keeps it: the body encoded once, with its validators."""
    return Entry(model.model_dump_json().encode(), version, format_datetime(modified, usegmt=True), application_id)


def prefer_wait(request: Request) -> int | None:
    """Seconds of `Prefer: wait=S` (RFC 7240), at most 60; None without one."""
    header = request.headers.get("prefer")
    match = PREFER_WAIT.search(header) if header else None
    return min(int(match.group(1)), MAX_WAIT_SECONDS) if match else None


def answer(request: Request, entry: Entry, headers: dict | None = None) -> Response:
    """200 with the entry and its validators, or 304 when If-None-Match names its version."""
    validators = {"ETag": f'"{entry.version}"', "Last-Modified": entry.last_modified, **(headers or {})}
    if none_match(request.headers.get("if-none-match"), entry.version):
        return Response(status_code=304, headers=validators)
    return Response(entry.body, media_type=JSON, headers=validators)


async def read_or_watch(
    request: Request,
    feed: WorkerFeed,
    caller: Principal,
    access: Access,
    key: tuple,
    load: Callable[[], Awaitable[Loaded]],
    encode: Callable[[Loaded], Entry],
    changes_it: Predicate,
) -> Response:
    """Answer a GET; with If-None-Match naming the current version and Prefer: wait=S, hold
    it (on the event loop: no connection, no thread) until the resource changes or S passes.

    A held request ends with 401 within a second of its token's revocation or expiry, and
    never answers with what was read after it.

    The hot path of the service: the route passes the feed, the caller and their access, taken
    with the fast accessors of api/dependencies.py rather than as FastAPI dependencies."""
    wait = prefer_wait(request)
    fresh = "no-cache" in request.headers.get("cache-control", "")
    after = feed.seen  # taken before the read: a change applied after it is never missed
    entry = await feed.read_through(key, load, encode, access, fresh)
    header = request.headers.get("if-none-match")
    if wait is None or not none_match(header, entry.version):
        return answer(request, entry)
    applied = {"Preference-Applied": f"wait={wait}"}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while (remaining := deadline - loop.time()) > 0 and not feed.draining:
        await feed.wait(after, changes_it, min(remaining, feed.hold_limit(caller, RECHECK_SECONDS)), key)
        after = feed.seen
        # A cached entry reflects no more than the hub applied; a fresh read may reflect a later
        # commit, which only the database can check the token against (upto None).
        cached, upto = feed.cached(key), None
        try:
            entry = await feed.read_through(key, load, encode, access, fresh)  # NotFound once it is deleted
            if entry is cached:
                upto = max(after, feed.seen)
        finally:  # after the read, whatever it found: a revoked token learns not even of a delete
            await feed.require_usable(caller, upto)
        if not none_match(header, entry.version):
            return answer(request, entry, applied)
    await feed.require_usable(caller, feed.seen)
    return answer(request, entry, applied)
