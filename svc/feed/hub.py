"""A worker's view of the change feed: what it has seen, in seq order, and who waits for what.

Changes reach it from this worker's own commits (at once: read-your-writes) and from the
listener's reads of the changes table. A change is applied once, in seq order and without
gaps: its cache entries are invalidated first, then it is buffered, then waiters and
streams hear of it. So nothing is reported before the cache reflects it.
"""
import asyncio
from collections import deque
from typing import Callable

from feed.cache import ReadCache

BUFFER_SIZE = 10_000  # recent changes answered from memory
STREAM_QUEUE_BATCHES = 1_000  # a stream further behind than this is ended (it resumes by Last-Event-ID)

Predicate = Callable[[dict], bool]


def cache_keys(change: dict) -> list[tuple]:
    """What a change can make stale: its configuration, and its application (version, configuration_ids)."""
    keys = [("application", change["application_id"])]
    if change["configuration_id"] is not None:
        keys.append(("configuration", change["configuration_id"]))
    return keys


class ChangeHub:
    def __init__(self, cache: ReadCache):
        self.cache = cache
        self.seen = 0  # every change up to this seq is applied
        self.listening = False  # the listener is connected and caught up: the cache may answer
        self.on_gap: Callable[[], None] = lambda: None  # asks the listener to read the table
        self._buffer: deque[dict] = deque(maxlen=BUFFER_SIZE)
        self._ahead: dict[int, dict] = {}  # changes known beyond a gap, applied when it closes
        self._waiters: dict[asyncio.Future, tuple[int, Predicate]] = {}
        self._streams: set[asyncio.Queue] = set()

    def apply(self, changes: list[dict]) -> None:
        """Take in committed changes (any order, repeats allowed); apply those that are next in seq order."""
        for change in changes:
            if change["seq"] > self.seen:
                for key in cache_keys(change):
                    self.cache.invalidate(key)  # at once: invalidating early is always safe
                self._ahead[change["seq"]] = change
        applied = []
        while self.seen + 1 in self._ahead:
            change = self._ahead.pop(self.seen + 1)
            self._buffer.append(change)
            self.seen = change["seq"]
            applied.append(change)
        if self._ahead:
            self.on_gap()
        if applied:
            self._announce(applied)

    def changes_after(self, after: int, predicate: Predicate, limit: int) -> list[dict] | None:
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

    async def wait(self, after: int, predicate: Predicate, timeout: float) -> bool:
        """Wait until a matching change after `after` is applied; False when `timeout` passed first."""
        found = self.changes_after(after, predicate, 1)
        if found is None or found:  # one is there already (or the buffer cannot tell: look in the table)
            return True
        future = asyncio.get_running_loop().create_future()
        self._waiters[future] = (after, predicate)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.pop(future, None)

    def subscribe(self) -> asyncio.Queue:
        """A queue that receives each batch of applied changes; None is put when it overflowed."""
        queue = asyncio.Queue(STREAM_QUEUE_BATCHES + 1)
        self._streams.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._streams.discard(queue)

    def disconnected(self) -> None:
        """The listener lost its connection: changes may go unseen, so the cache must not answer."""
        self.listening = False
        self.cache.clear()

    def _announce(self, applied: list[dict]) -> None:
        for future, (after, predicate) in list(self._waiters.items()):
            if not future.done() and any(c["seq"] > after and predicate(c) for c in applied):
                future.set_result(True)
        for queue in list(self._streams):
            if queue.qsize() >= STREAM_QUEUE_BATCHES:
                self._streams.discard(queue)
                queue.put_nowait(None)
            else:
                queue.put_nowait(applied)
