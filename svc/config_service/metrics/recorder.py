"""Recording metrics without slowing the request path: a request adds to plain counts in this
worker (a dict update, no lock, no file); once a second, and when scraped, the counts move into
prometheus-client's metrics and the gauges are sampled. With several workers those metrics live
in files every worker writes (multiprocess mode), where a write costs microseconds: paid once a
second per series, not per request. A worker that crashes loses at most its last second."""

import asyncio
import bisect
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

from config_service.db.database import Database
from config_service.domain.rows import ChangeRow
from config_service.feed.worker import WorkerFeed
from config_service.metrics import families

logger = logging.getLogger("config_service")
FLUSH_SECONDS = 1.0
UNROUTED = "(unmatched)"  # a request no route served: its path is never a label


class Recorder:
    """One worker's counts; `flush()` hands them to prometheus-client."""

    def __init__(self, database: Database, feed: WorkerFeed):
        self._database, self._feed = database, feed
        self._requests: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self._durations: dict[tuple[str, str], list[float]] = {}  # per bucket a count, then the sum
        self._token_checks: defaultdict[str, int] = defaultdict(int)
        self._writes: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._flushed: dict[str, int] = {}  # what running totals elsewhere were when last flushed

    # --- on the request path (the event loop) ---------------------------------------------

    def request(self, method: str, route: str | None, status: int, seconds: float) -> None:
        route = route or UNROUTED
        self._requests[(method, route, str(status))] += 1
        counts = self._durations.get((method, route))
        if counts is None:
            counts = self._durations[(method, route)] = [0.0] * (len(families.DURATION_BUCKETS) + 2)
        counts[bisect.bisect_left(families.DURATION_BUCKETS, seconds)] += 1
        counts[-1] += seconds

    def token_check(self, outcome: str) -> None:
        self._token_checks[outcome] += 1

    # What the database tells of this worker's writes (db.database.WriteObserver).
    def committed(self, changes: list[ChangeRow]) -> None:
        for change in changes:
            kind = "application" if change["configuration_id"] is None else "configuration"
            self._writes[(kind, change["change"])] += 1

    def doubted(self) -> None:
        pass

    def quiet_channel(self, touched: list[tuple[str, str | None]]) -> str | None:
        return None

    # --- once a second, and when scraped ----------------------------------------------------

    def flush(self) -> None:
        """Move the counts into prometheus-client's metrics; sample the gauges."""
        requests, self._requests = self._requests, defaultdict(int)
        durations, self._durations = self._durations, {}
        token_checks, self._token_checks = self._token_checks, defaultdict(int)
        writes, self._writes = self._writes, defaultdict(int)
        for labels, count in requests.items():
            families.REQUESTS.labels(*labels).inc(count)
        for route, counts in durations.items():
            _add_observations(families.DURATION.labels(*route), counts)
        for outcome, count in token_checks.items():
            families.TOKEN_CHECKS.labels(outcome).inc(count)
        for kind, count in writes.items():
            families.WRITES.labels(*kind).inc(count)
        feed, database = self._feed, self._database
        self._add_since("cache_hits", feed.cache_hits, families.CACHE_HITS.inc)
        self._add_since("cache_misses", feed.cache_misses, families.CACHE_MISSES.inc)
        self._add_since("saturated", database.saturated, families.SATURATED.inc)
        self._add_since("reconnects", feed.listener.reconnects, families.LISTENER_RECONNECTS.inc)
        families.POOL_IN_USE.set(database.connections_in_use())
        families.POOL_SIZE.set(database.pool.maxconn)
        families.QUEUE_DEPTH.set(database.queue_depth())
        families.CACHE_ENTRIES.set(len(feed.cache))
        families.CACHE_BYTES.set(feed.cache.bytes)
        families.SEEN_SEQ.set(feed.seen)
        families.LISTENER_CONNECTED.set(1 if feed.listening else 0)
        families.OPEN_STREAMS.set(feed.hub.stream_count)
        families.HELD_REQUESTS.set(feed.hub.waiter_count)

    async def sample_head(self) -> None:
        """The changes table's newest seq (a read of the database: when scraped only)."""
        families.HEAD_SEQ.set(await self._feed.head())

    def _add_since(self, name: str, total: int, add: Callable[[float], None]) -> None:
        delta = total - self._flushed.get(name, 0)
        if delta > 0:
            add(delta)
        self._flushed[name] = total


def _add_observations(histogram: Any, counts: list[float]) -> None:
    """Add many observations at once: per bucket its count, and their sum. prometheus-client
    offers only observe(one value); these are the two values it updates for each (its
    Histogram keeps a non-cumulative count per bucket and a sum; metrics_test.py holds the
    result to what observe() would give)."""
    for bucket, count in enumerate(counts[:-1]):
        if count:
            histogram._buckets[bucket].inc(count)
    histogram._sum.inc(counts[-1])


@contextlib.asynccontextmanager
async def recording(database: Database, feed: WorkerFeed) -> AsyncIterator[Recorder]:
    """A Recorder that hears the database's writes and flushes once a second, until exit (then
    once more, so a worker that stops cleanly loses nothing)."""
    recorder = Recorder(database, feed)
    unsubscribe = database.subscribe(recorder)

    async def flush_periodically() -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                recorder.flush()
            except Exception:  # a full disk under the metrics' files, say: say so, and go on
                logger.exception("metrics could not be recorded")

    recorder.flush()  # at once: a gauge reads 0 until its worker first sets it

    task = asyncio.get_running_loop().create_task(flush_periodically())
    try:
        yield recorder
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        unsubscribe()
        recorder.flush()
