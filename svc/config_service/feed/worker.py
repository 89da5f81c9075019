"""The feed of one worker, as the API sees it: its read cache, its hub and its listener behind
one interface that decides the feed's policies (when the cache may answer, whether memory or
the table reports changes, what a held answer may still send)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from config_service.auth.registry import TokenRegistry
from config_service.cache.read_cache import Entry, ReadCache
from config_service.db.database import Database
from config_service.domain.access import Access, Principal
from config_service.domain.errors import Unauthenticated
from config_service.domain.rows import ChangeRow
from config_service.feed.hub import ChangeHub, Predicate, Topic
from config_service.feed.listener import ChangeListener
from config_service.services import changes
from config_service.services import tokens as token_service
from config_service.settings import Settings

# How long a held answer waits for the listener to vouch for its changes before asking the database.
VOUCH_WAIT_SECONDS = 1.0
Loaded = TypeVar("Loaded")  # what a read loads and the cache's entry is encoded from


class WorkerFeed:
    """Built by `open_feed`; it hears this worker's own writes first (read-your-writes)."""

    def __init__(
        self, cache: ReadCache, hub: ChangeHub, listener: ChangeListener, database: Database, tokens: TokenRegistry
    ):
        self.cache, self.hub, self.listener, self._database, self._tokens = cache, hub, listener, database, tokens
        self.cache_hits = self.cache_misses = 0  # cacheable reads so far, answered from the cache or not

    # What the database tells of this worker's writes (db.database.WriteObserver).
    def committed(self, changes: list[ChangeRow]) -> None:
        self.hub.apply(changes)

    def doubted(self) -> None:
        self.listener.request_catch_up()  # a write that may have committed: read the table

    def quiet_channel(self, touched: list[tuple[str, str | None]]) -> str | None:
        # This worker's writes need not wake its own listener while nothing here waits for what they touch.
        return None if self.hub.waits_for(touched) else self.listener.channel

    # Where the feed stands.
    @property
    def seen(self) -> int:
        """Every change up to this seq is applied here."""
        return self.hub.seen

    @property
    def listening(self) -> bool:
        """The listener is connected and caught up: memory and the cache may answer."""
        return self.hub.listening

    @property
    def restarts(self) -> int:
        return self.hub.restarts

    @property
    def draining(self) -> bool:
        """The server is stopping: streams end and held answers answer now."""
        return self.hub.draining

    def drain(self) -> None:
        self.hub.drain()

    @property
    def restarted_at(self) -> int:
        return self.hub.restarted_at

    async def head(self) -> int:
        """The newest seq in the table."""
        return await self._database.read(changes.head)

    # Reads of one resource.
    def cached(self, key: tuple) -> Entry | None:
        return self.cache.get(key)

    async def read_through(
        self,
        key: tuple,
        load: Callable[[], Awaitable[Loaded]],
        encode: Callable[[Loaded], Entry],
        access: Access,
        fresh: bool = False,
    ) -> Entry:
        """The cached entry, or a fresh read (its use case checks access) that fills the cache
        unless a change overtook it; a hit is checked by the same rule: NotFound for what the
        caller may not see. The cache answers only while the listener is up, and not when the
        caller asks for a `fresh` read."""
        usable = self.hub.listening and self.cache.enabled and not fresh
        entry = self.cache.get(key) if usable else None
        if entry is None:
            if usable:
                self.cache_misses += 1
            token = self.cache.fill_token()
            entry = encode(await load())
            if usable and self.hub.listening:
                self.cache.fill(key, entry, token)
            return entry
        self.cache_hits += 1
        access.require_sees(entry.application_id, key[0])
        return entry

    # The change feed.
    async def page(
        self, after: int, application_id: str | None, access: Access, limit: int
    ) -> tuple[list[ChangeRow], int, bool]:
        """Matching changes after `after`, the last_seq to follow, and whether more follow.

        Only changes this worker has applied are reported (its cache reflects them); with the
        listener down, the table's head bounds them instead (the cache is off then).
        """
        upto = self.hub.seen if self.hub.listening else await self.head()
        if after >= upto:
            return [], max(after, upto), False
        # Memory holds only what the hub has applied (up to seen): with the listener down, the
        # table's head may be further on, so the table answers.
        items = (
            self.hub.changes_after(after, matching(application_id, access), limit + 1) if self.hub.listening else None
        )
        if items is None:
            items = await self._database.read(
                lambda uow: changes.changes_after(uow, access, after, upto, application_id, limit + 1)
            )
        if len(items) > limit:
            return items[:limit], items[limit - 1]["seq"], True
        return items, upto, False

    async def wait(self, after: int, predicate: Predicate, timeout: float, topic: Topic = None) -> bool:
        """Until a matching change after `after` is applied (True) or `timeout` passes (False)."""
        return await self.hub.wait(after, predicate, timeout, topic)

    def hold_limit(self, caller: Principal, recheck_seconds: float) -> float:
        """How long a held answer may wait before it looks again: at its token's expiry, and
        every `recheck_seconds` while the listener is down (infinity otherwise)."""
        return min(self.hub.recheck_seconds(recheck_seconds), self._tokens.usable_for(caller))

    def stream(self, topic: Topic = None) -> asyncio.Queue:
        """A queue of the batches of applied changes of `topic` (None when it overflowed)."""
        return self.hub.subscribe(topic)

    def end_stream(self, queue: asyncio.Queue) -> None:
        self.hub.unsubscribe(queue)

    # What a held answer (a watch, a long-poll, a stream) may still send: nothing once its token
    # was revoked or expired, and nothing written after that, even when another worker or
    # instance revoked it.
    def known_usable(self, caller: Principal, upto: int | None) -> bool | None:
        """The answer when the worker's map can give it at once: AUTH=off, or a token the map holds
        while the listener already vouches for change `upto`; None when it cannot (ask `token_usable`)."""
        if caller.token_id is None:
            return True
        tokens = self._tokens
        if upto is not None and tokens.trusted and tokens.holds(caller) and self.listener.vouched >= upto:
            return tokens.still_usable(caller)
        return None

    async def token_usable(self, caller: Principal, upto: int | None) -> bool:
        """Whether the caller's token is usable as of change `upto`, the newest the answer carries
        (None: the answer was read from the database, so only the database can say).

        The worker's token map answers once the listener vouches that it held every revocation
        committed before that change (notifications arrive in commit order). The database decides
        for a token the map does not hold (new, or gone), while the map is not trusted (the
        listener is down), and when the listener cannot vouch within a second.
        """
        known = self.known_usable(caller, upto)
        if known is not None:
            return known
        tokens = self._tokens
        if upto is not None and tokens.trusted and tokens.holds(caller):
            if not tokens.still_usable(caller):
                return False
            if await self.listener.vouches_for(upto, VOUCH_WAIT_SECONDS) and tokens.trusted:
                return tokens.still_usable(caller)
        token_id = caller.token_id
        assert token_id is not None  # known_usable answered for a caller without a token
        return await self._database.read(lambda uow: token_service.is_usable(uow, token_id))

    async def require_usable(self, caller: Principal, upto: int | None) -> None:
        """401 unless the caller's token is usable as of change `upto`."""
        if not await self.token_usable(caller, upto):
            raise Unauthenticated("the token was revoked or has expired")


def matching(application_id: str | None, access: Access) -> Predicate:
    """Changes of `application_id` (every one for None) that the caller may see."""
    return lambda change: (
        (application_id is None or change["application_id"] == application_id) and access.sees(change["application_id"])
    )


@asynccontextmanager
async def open_feed(settings: Settings, database: Database, tokens: TokenRegistry) -> AsyncIterator[WorkerFeed]:
    """Start listening; this worker's own commits reach the hub at once (read-your-writes)."""
    cache = ReadCache(settings.read_cache_size, settings.read_cache_bytes)
    hub = ChangeHub(cache)
    listener = ChangeListener(settings, database, hub, tokens)
    feed = WorkerFeed(cache, hub, listener, database, tokens)
    stop_asking = hub.subscribe_listener(listener)
    stop_hearing = database.subscribe(feed)
    listener.start()
    try:
        yield feed
    finally:
        stop_hearing()
        stop_asking()
        await listener.stop()
