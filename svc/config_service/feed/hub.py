"""A worker's view of the change feed: what it has seen, in seq order, and who waits for what.

Changes reach it from this worker's own commits (at once: read-your-writes) and from the
listener's reads of the changes table. A change is applied once, in seq order and without
gaps: its cache entries are invalidated first, then it is buffered, then waiters and
streams hear of it. So nothing is reported before the cache reflects it.

When the table's history is no longer the one applied (a restored database, a failover that
lost commits), the listener restarts the hub from the table's head: cache and memory are
dropped, every waiter wakes and every stream learns of it (`restarts` counts the restarts).
"""

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Literal, Protocol

from config_service.cache.read_cache import ReadCache
from config_service.domain.rows import ChangeRow

BUFFER_SIZE = 10_000  # recent changes answered from memory
STREAM_QUEUE_BATCHES = 1_000  # a stream further behind than this is ended (it resumes by Last-Event-ID)
# A change applied here that the listener has not vouched for within this long, while someone
# waits, asks for a ping: a write that woke this worker's listener is vouched for sooner.
PING_AFTER_SECONDS = 0.05
STREAM_WAKE_SECONDS = 5.0  # how often the listener wakes every stream (each sends its keep-alive if quiet)

Predicate = Callable[[ChangeRow], bool]
# What a waiter or stream waits for: one resource (a cache key), or every change (None). A
# change wakes only those of its own resources and those of every change.
Topic = tuple[str, str] | None
# What names a change: a seq handed out again by a restored database comes with another time.
IdentityField = Literal["seq", "changed_at", "application_id", "configuration_id", "change", "version"]
IDENTITY: tuple[IdentityField, ...] = ("seq", "changed_at", "application_id", "configuration_id", "change", "version")


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(False)


def identity(change: ChangeRow) -> tuple:
    """The fields that tell one committed change from another."""
    return tuple(change[name] for name in IDENTITY)


def cache_keys(change: ChangeRow) -> list[tuple]:
    """What a change can make stale: its configuration, and its application (version, configuration_ids)."""
    keys = [("application", change["application_id"])]
    if change["configuration_id"] is not None:
        keys.append(("configuration", change["configuration_id"]))
    return keys


class TableReader(Protocol):
    """What the hub asks of the worker's listener."""

    def request_catch_up(self) -> None:
        """Read the changes table soon (a gap, or a change the hub has not seen)."""

    def ping(self) -> None:
        """Send a ping through the database, so the listener vouches for what committed before it."""


class _NoListener:
    def request_catch_up(self) -> None:
        pass

    def ping(self) -> None:
        pass


_NO_LISTENER = _NoListener()


class ChangeHub:
    def __init__(self, cache: ReadCache):
        self.cache = cache
        self.seen = 0  # every change up to this seq is applied
        self.listening = False  # the listener is connected and caught up: the cache may answer
        self.restarts = 0  # how often the hub restarted from the table's head
        self.restarted_at = 0  # the head it last restarted from
        self.draining = False  # the server is stopping: nothing is held any more
        # Waiters and streams hear of changes only up to the seq the listener vouches for (the
        # token map held every revocation committed before it: feed/worker.py), so a held answer
        # woken by this worker's own write needs no second wait for the listener.
        self.vouched = 0
        self._announced = 0
        self._listener: TableReader = _NO_LISTENER  # asked to read the table, or for a ping
        self._buffer: deque[ChangeRow] = deque(maxlen=BUFFER_SIZE)
        self._ahead: dict[int, ChangeRow] = {}  # changes known beyond a gap, applied when it closes
        self._waiters: dict[Topic, dict[asyncio.Future, tuple[int, Predicate]]] = {}
        self._streams: dict[Topic, set[asyncio.Queue]] = {}
        self._topics: dict[asyncio.Queue, Topic] = {}  # each stream's

    def subscribe_listener(self, listener: TableReader) -> Callable[[], None]:
        """Ask `listener` to read the table or to ping from now on; returns the handle that stops it.
        A hub has one listener: a second is refused."""
        if self._listener is not _NO_LISTENER:
            raise RuntimeError("this hub has a listener already")
        self._listener = listener

        def unsubscribe() -> None:
            if self._listener is listener:
                self._listener = _NO_LISTENER

        return unsubscribe

    def apply(self, changes: list[ChangeRow]) -> None:
        """Take in committed changes (any order, repeats allowed); apply those that are next in seq order."""
        doubt = False
        for change in changes:
            if change["seq"] > self.seen:
                self._invalidate(change)
                self._ahead[change["seq"]] = change
            elif not self._applied_as(change):  # e.g. this worker's own write after a restore
                self._invalidate(change)
                doubt = True
        applied = []
        while self.seen + 1 in self._ahead:
            change = self._ahead.pop(self.seen + 1)
            self._buffer.append(change)
            self.seen = change["seq"]
            applied.append(change)
        if self._ahead or doubt:
            self._listener.request_catch_up()
        if applied:
            self._announce_vouched()
            if self.vouched < self.seen and not self.idle():
                asyncio.get_running_loop().call_later(PING_AFTER_SECONDS, self._ping_unless_vouched, self.seen)

    def _ping_unless_vouched(self, seq: int) -> None:
        if self.vouched < seq and not self.idle():
            self._listener.ping()  # a write that woke nobody here, and now someone waits

    def waits_for(self, touched: list[tuple[str, str | None]]) -> bool:
        """Whether a request or stream here waits for a change of these (application_id,
        configuration_id): every change, or one of their own. Asked from the executor thread
        (plain look-ups; a waiter that comes a moment later is covered by a ping)."""
        if None in self._waiters or None in self._streams:
            return True
        for application_id, configuration_id in touched:
            for topic in (("application", application_id), ("configuration", configuration_id)):
                if topic in self._waiters or topic in self._streams:
                    return True
        return False

    def idle(self) -> bool:
        """Whether no request or stream waits for a change."""
        return not self._waiters and not self._topics

    def latest(self) -> ChangeRow | None:
        """The newest change applied, while memory holds it."""
        return self._buffer[-1] if self._buffer else None

    def vouch(self, seq: int) -> None:
        """The listener vouches for the changes up to `seq`: announce those applied."""
        if seq > self.vouched:
            self.vouched = seq
            self._announce_vouched()

    def consistent(self, rows: list[ChangeRow]) -> bool:
        """Whether every row at or below `seen` is the change applied under its seq (as far as memory reaches)."""
        return all(row["seq"] > self.seen or self._applied_as(row, unknown=True) for row in rows)

    def restart(self, head: ChangeRow | None) -> None:
        """Forget the history applied and start after the table's `head` change (None: an empty table)."""
        self.cache.clear()  # and every fill begun before now is refused
        self._buffer.clear()
        self._ahead.clear()
        self.seen = self.restarted_at = self._announced = head["seq"] if head else 0
        self.restarts += 1
        self.recheck()

    def recheck(self) -> None:
        """Wake every waiter and stream to look again at what it may send (a restart, a revoked token)."""
        for waiters in self._waiters.values():
            for future in waiters:
                if not future.done():
                    future.set_result(True)
        for queue in list(self._topics):
            self._put(queue, [])

    def changes_after(self, after: int, predicate: Predicate, limit: int) -> list[ChangeRow] | None:
        """Matching changes after `after` up to `seen`, from memory; None when the buffer does not reach back."""
        if after < self.seen and (not self._buffer or self._buffer[0]["seq"] > after + 1):
            return None
        found = []
        for change in reversed(self._buffer):
            if change["seq"] <= after:
                break
            if predicate(change):
                found.append(change)
        found.reverse()
        return found[:limit]

    async def wait(self, after: int, predicate: Predicate, timeout: float, topic: Topic = None) -> bool:
        """Wait until a matching change after `after` (of `topic`) is applied; False when `timeout` passed first."""
        found = self.changes_after(after, predicate, 1)
        if found is None or found:  # one is there already (or the buffer cannot tell: look in the table)
            return True
        if self.draining:
            return False
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        waiters = self._waiters.setdefault(topic, {})
        waiters[future] = (after, predicate)
        # A plain timer rather than wait_for: ten thousand held requests each pay for one.
        timer = loop.call_later(timeout, _expire, future) if timeout != float("inf") else None
        try:
            return await future  # True when woken, False when the timer expired first
        finally:
            if timer is not None:
                timer.cancel()
            waiters.pop(future, None)
            if not waiters and self._waiters.get(topic) is waiters:
                del self._waiters[topic]

    def subscribe(self, topic: Topic = None) -> asyncio.Queue:
        """A queue that receives each batch of applied changes that holds one of `topic`; None is put
        when it overflowed."""
        queue: asyncio.Queue[list[ChangeRow] | None] = asyncio.Queue(STREAM_QUEUE_BATCHES + 1)
        if self.draining:
            queue.put_nowait(None)
            return queue
        self._streams.setdefault(topic, set()).add(queue)
        self._topics[queue] = topic
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        if queue not in self._topics:
            return
        topic = self._topics.pop(queue)
        streams = self._streams[topic]
        streams.discard(queue)
        if not streams:
            del self._streams[topic]

    def drain(self) -> None:
        """The server is stopping: end every stream as an overflow does (its client resumes with
        Last-Event-ID, elsewhere), wake every held request, and hold none from now on, so that
        open answers do not keep a stopping server up for its whole grace period."""
        self.draining = True
        for queue in list(self._topics):
            self.unsubscribe(queue)
            queue.put_nowait(None)  # there is room: a queue is unsubscribed before it fills up
        for waiters in self._waiters.values():
            for future in waiters:
                if not future.done():
                    future.set_result(False)

    @property
    def stream_count(self) -> int:
        """Streams open now."""
        return len(self._topics)

    @property
    def waiter_count(self) -> int:
        """Requests held for a change now (long-polls and watches)."""
        return sum(len(waiters) for waiters in self._waiters.values())

    def heartbeat(self) -> None:
        """Wake every stream with an empty batch: each may send its keep-alive."""
        for queue in list(self._topics):
            self._put(queue, [])

    def recheck_seconds(self, seconds: float) -> float:
        """How long a held request may wait before it looks at the table itself: forever while the
        listener is up (a revoked token, a restart and the listener's loss wake it: recheck)."""
        return float("inf") if self.listening else seconds

    def disconnected(self) -> None:
        """The listener lost its connection: changes may go unseen, so the cache must not answer,
        and every held request and stream looks at the table itself from now on."""
        self.listening = False
        self.cache.clear()
        self.recheck()

    def _invalidate(self, change: ChangeRow) -> None:
        for key in cache_keys(change):
            self.cache.invalidate(key)  # at once: invalidating early is always safe

    def _applied_as(self, change: ChangeRow, unknown: bool = False) -> bool:
        """Whether `change` is the one applied under its seq; `unknown` when memory no longer holds that seq."""
        if not self._buffer or not self._buffer[0]["seq"] <= change["seq"] <= self._buffer[-1]["seq"]:
            return unknown
        return identity(self._buffer[change["seq"] - self._buffer[0]["seq"]]) == identity(change)

    def _announce_vouched(self) -> None:
        upto = min(self.seen, self.vouched)
        if upto <= self._announced:
            return
        ready = []
        for change in reversed(self._buffer):
            if change["seq"] <= self._announced:
                break
            if change["seq"] <= upto:
                ready.append(change)
        ready.reverse()
        self._announced = upto
        if ready:
            self._announce(ready)

    def _announce(self, applied: list[ChangeRow]) -> None:
        topics: set[Topic] = {None}
        for change in applied:
            topics.update(cache_keys(change))
        for topic in topics:
            for future, (after, predicate) in list(self._waiters.get(topic, {}).items()):
                if not future.done() and any(c["seq"] > after and predicate(c) for c in applied):
                    future.set_result(True)
            for queue in list(self._streams.get(topic, ())):
                self._put(queue, applied)

    def _put(self, queue: asyncio.Queue, batch: list[ChangeRow]) -> None:
        if queue.qsize() >= STREAM_QUEUE_BATCHES:
            self.unsubscribe(queue)
            queue.put_nowait(None)
        else:
            queue.put_nowait(batch)
