"""The database handle: a threaded connection pool and the executor that uses it."""
import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator, Callable, TypeVar

import psycopg2
from psycopg2.extras import RealDictCursor
from psycopg2.pool import PoolError, ThreadedConnectionPool

from config import Settings
from db.handoff import Handoff
from db.watchdog import Watchdog
from errors import ServiceUnavailable

T = TypeVar("T")


def connection_options(settings: Settings) -> dict:
    """Keyword arguments for psycopg2.connect: timeouts, keepalives and the row factory."""
    server_options = " ".join(
        [
            f"-c statement_timeout={settings.statement_timeout_ms}",
            f"-c lock_timeout={settings.lock_timeout_ms}",
            f"-c idle_in_transaction_session_timeout={settings.idle_in_transaction_timeout_ms}",
            "-c timezone=UTC",
        ]
    )
    return {
        "dsn": str(settings.database_url),
        "cursor_factory": RealDictCursor,
        "connect_timeout": settings.connect_timeout_seconds,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "application_name": "config-service",
        "options": server_options,
    }


def connect(settings: Settings):
    """Open one connection outside the pool (migrations, administration)."""
    return psycopg2.connect(**connection_options(settings))


class ConnectionPool(ThreadedConnectionPool):
    """ThreadedConnectionPool that opens a new connection outside its lock.

    The stock pool connects while holding its lock, so one connection attempt to an
    unreachable server (up to the connect timeout) would stall every getconn and
    putconn of the process, including those that only need an idle connection.
    """

    def _connect(self, key=None):
        if key is None:  # the connections opened by __init__, before any thread shares the pool
            return super()._connect()
        self._used[key] = None  # holds the slot against maxconn while unlocked
        self._lock.release()
        try:
            connection = psycopg2.connect(*self._args, **self._kwargs)
        except BaseException:
            self._lock.acquire()
            del self._used[key]
            raise
        self._lock.acquire()
        if self.closed:
            connection.close()
            raise PoolError("connection pool is closed")
        self._used[key] = connection
        self._rused[id(connection)] = key
        return connection


@dataclass(frozen=True)
class Database:
    """A pool of connections and the executor whose threads borrow them."""

    pool: ConnectionPool
    executor: ThreadPoolExecutor
    queue_wait_seconds: float
    handoff: Handoff
    watchdog: Watchdog | None = None

    async def run(self, work: Callable[..., T], *args) -> T:
        """Run blocking work on the executor; 503 if it does not start within the queue wait.

        Only a job that has not started is given up, so a write that began is never
        reported as failed while it commits. A caller cancelled while its job waits
        takes the job out of the queue before it borrows.
        """
        loop = self.handoff.loop
        result = loop.create_future()
        job = self.executor.submit(self.handoff.job, result, work, args)
        timer = loop.call_later(self.queue_wait_seconds, _give_up, job, result)
        try:
            return await result
        except asyncio.CancelledError:
            job.cancel()  # Future.cancel() succeeds only on a job that has not started
            raise
        finally:
            timer.cancel()


def _give_up(job, result: asyncio.Future) -> None:
    if job.cancel() and not result.done():
        result.set_exception(ServiceUnavailable("the service is saturated: no database worker was free in time"))


def watchdog_limit_seconds(settings: Settings) -> float:
    """How long a unit of work may hold its connection: the statement timeout plus a second."""
    return settings.statement_timeout_ms / 1000 + 1


def create_pool(settings: Settings) -> ConnectionPool:
    """A pool of pool_size connections, all opened now."""
    # minconn == maxconn: the pool never closes a returned connection, and the executor
    # (at most pool_size threads) never finds it empty.
    return ConnectionPool(settings.pool_size, settings.pool_size, **connection_options(settings))


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """Open the pool and the executor; on exit close the executor first, then the pool."""
    pool = create_pool(settings)
    executor = ThreadPoolExecutor(settings.executor_workers, thread_name_prefix="db")
    watchdog = Watchdog(watchdog_limit_seconds(settings)) if settings.statement_timeout_ms else None
    try:
        yield Database(pool, executor, settings.queue_wait_seconds, Handoff(asyncio.get_running_loop()), watchdog)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        if watchdog:
            watchdog.close()
        pool.closeall()
