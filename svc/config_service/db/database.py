"""The database handle: run a use case in a unit of work, as one job on the executor."""

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from config_service.db.handoff import Handoff
from config_service.db.pool import ConnectionPool, create_pool
from config_service.db.unit_of_work import UnitOfWork, run_in_unit_of_work
from config_service.db.watchdog import Watchdog
from config_service.domain.errors import OutcomeUnknown, Unavailable
from config_service.domain.rows import ChangeRow
from config_service.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Written(Generic[T]):
    """What a write returned, and the changes it committed (feed rows, in seq order)."""

    result: T
    changes: list[ChangeRow]

    @property
    def seq(self) -> int | None:
        """The seq of its last change; None when it changed nothing."""
        return self.changes[-1]["seq"] if self.changes else None


class WriteObserver(Protocol):
    """What hears of a worker's writes (the feed): each is told on the event loop, before the
    writing caller resumes, so the worker's cache and waiters learn of its own writes first."""

    def committed(self, changes: list[ChangeRow]) -> None:
        """The changes a write committed (feed rows, in seq order)."""

    def doubted(self) -> None:
        """A write's outcome is unknown: it may have committed."""

    def quiet_channel(self, touched: list[tuple[str, str | None]]) -> str | None:
        """The listener channel a write of these (application_id, configuration_id) need not
        wake, or None; asked on the executor thread, as the write commits."""


@dataclass
class Database:
    """A pool of connections and the executor whose threads borrow them.

    `read` and `write` each run one use case (a callable that takes the unit of work) as
    one executor job: borrow, SQL, commit or roll back, return the connection, all in one
    thread, so a cancelled request can never strand a connection.
    """

    pool: ConnectionPool
    executor: ThreadPoolExecutor
    queue_wait_seconds: float
    handoff: Handoff
    watchdog: Watchdog | None = None
    # Replaced whole, never changed in place: the executor threads read it while the loop subscribes.
    _observers: tuple["WriteObserver", ...] = ()
    _writing: set[asyncio.Future] = field(default_factory=set)  # writes in flight, until their observers heard
    saturated: int = 0  # requests refused (503) for want of a free database worker, so far

    def connections_in_use(self) -> int:
        return len(self.pool._used)  # psycopg2's pool keeps the borrowed connections there

    def queue_depth(self) -> int:
        """Jobs waiting for an executor thread."""
        return self.executor._work_queue.qsize()  # the executor's own queue: the jobs not yet started

    def subscribe(self, observer: "WriteObserver") -> Callable[[], None]:
        """Tell `observer` of every write from now on; returns the handle that stops it."""
        self._observers = (*self._observers, observer)

        def unsubscribe() -> None:
            self._observers = tuple(o for o in self._observers if o is not observer)

        return unsubscribe

    def _quiet_channel(self, touched: list[tuple[str, str | None]]) -> str | None:
        for observer in self._observers:
            if (channel := observer.quiet_channel(touched)) is not None:
                return channel
        return None

    def _give_up(self, job, result: asyncio.Future) -> None:
        if job.cancel() and not result.done():
            self.saturated += 1
            result.set_exception(Unavailable("the service is saturated: no database worker was free in time"))

    async def read(self, use_case: Callable[[UnitOfWork], T]) -> T:
        """Run a use case that only reads, each statement on its own (autocommit, no transaction)."""
        result, _ = await self._run(use_case, True)
        return result

    async def write(self, use_case: Callable[[UnitOfWork], T], actor: str = "anonymous") -> Written[T]:
        """Run a use case in one transaction: committed when it returns, rolled back when it raises.
        `actor` names who makes the change (every revision and feed row records it)."""
        done = self.handoff.loop.create_future()
        self._writing.add(done)
        try:
            result, changes = await self._run(use_case, False, actor, lambda outcome: self._tell_soon(outcome, done))
            return Written(result, changes)
        finally:
            self._tell_nothing(done)

    def _tell_soon(self, outcome: asyncio.Future, done: asyncio.Future) -> None:
        # Queued behind the wake-up of the caller's shield, ahead of the caller itself: observers
        # run before the caller resumes, and the caller's answer goes out before those it wakes.
        self.handoff.loop.call_soon(self._tell, outcome, done)

    def _tell(self, outcome: asyncio.Future, done: asyncio.Future) -> None:
        """As a write's outcome arrives, before its caller resumes, and even when the caller was
        cancelled meanwhile: observers hear what it committed, or that a commit is in doubt."""
        if not outcome.cancelled():
            error = outcome.exception()
            if error is None and outcome.result()[1]:
                for observer in self._observers:
                    observer.committed(outcome.result()[1])
            elif isinstance(error, OutcomeUnknown):
                for observer in self._observers:
                    observer.doubted()
        self._tell_nothing(done)

    def _tell_nothing(self, done: asyncio.Future) -> None:
        self._writing.discard(done)
        if not done.done():
            done.set_result(None)

    async def writes_settled(self, timeout: float) -> None:
        """Wait (up to `timeout`) until the writes in flight now have committed and told the observers, or failed."""
        if self._writing:
            await asyncio.wait(list(self._writing), timeout=timeout)

    async def _run(
        self,
        use_case: Callable[[UnitOfWork], T],
        read_only: bool,
        actor: str | None = None,
        settle: Callable[[asyncio.Future], None] | None = None,
    ) -> tuple[T, list[ChangeRow]]:
        """503 if the job does not start within the queue wait.

        Only a job that has not started is given up, so a write that began is never
        reported as failed while it commits. A caller cancelled while its job waits
        takes the job out of the queue before it borrows.
        """
        loop = self.handoff.loop
        result = loop.create_future()
        # Every pooled connection may be stale after a database restart; one more attempt opens a fresh one.
        attempts = self.pool.maxconn + 1
        quiet = None if read_only else self._quiet_channel
        job = self.executor.submit(
            self.handoff.job,
            result,
            run_in_unit_of_work,
            (self.pool, self.watchdog, use_case, read_only, attempts, actor, quiet),
        )
        if settle is not None:
            result.add_done_callback(settle)  # before this coroutine waits on it: called first
        timer = loop.call_later(self.queue_wait_seconds, self._give_up, job, result)
        try:
            # A write's outcome is shielded: its caller's cancellation must not cancel the future
            # that settles it (the job runs on; what it commits still reaches the observers).
            return await (result if settle is None else asyncio.shield(result))
        except asyncio.CancelledError:
            job.cancel()  # Future.cancel() succeeds only on a job that has not started
            raise
        finally:
            timer.cancel()


def watchdog_limit_seconds(settings: Settings) -> float:
    """How long a unit of work may hold its connection: the statement timeout plus a second."""
    return settings.statement_timeout_ms / 1000 + 1


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """Open the pool and the executor; on exit close the executor first, then the pool."""
    pool = create_pool(settings)
    executor = ThreadPoolExecutor(settings.executor_workers, thread_name_prefix="db")
    watchdog = Watchdog(watchdog_limit_seconds(settings)) if settings.statement_timeout_ms else None
    try:
        yield Database(pool, executor, settings.queue_wait_seconds, Handoff(asyncio.get_running_loop()), watchdog)
    finally:
        # Waiting for running jobs blocks: off the event loop, which still serves the others.
        await asyncio.to_thread(_close, executor, watchdog, pool)


def _close(executor: ThreadPoolExecutor, watchdog: Watchdog | None, pool: ConnectionPool) -> None:
    executor.shutdown(wait=True, cancel_futures=True)
    if watchdog:
        watchdog.close()
    pool.closeall()
