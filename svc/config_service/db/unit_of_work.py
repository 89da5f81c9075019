"""A unit of work: one pooled connection, its repositories, one transaction."""

import random
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import psycopg2
from psycopg2 import extensions
from psycopg2.pool import PoolError

from config_service.db.pool import Connection, create_pool
from config_service.domain.errors import OutcomeUnknown, Unavailable
from config_service.domain.rows import ChangeRow
from config_service.repositories.applications import ApplicationRepository
from config_service.repositories.base import Session
from config_service.repositories.changes import ChangeRepository
from config_service.repositories.configurations import ConfigurationRepository
from config_service.repositories.idempotency import IdempotencyRepository
from config_service.repositories.listeners import ListenerRepository
from config_service.repositories.migrations import MigrationRepository
from config_service.repositories.tokens import TokenRepository
from config_service.settings import Settings

T = TypeVar("T")


# A deadlock or serialization failure ends a transaction that another one conflicted with;
# nothing was committed, so it runs again, a few times, after a short random pause.
CONFLICT_ATTEMPTS = 5
CONFLICT_PAUSE_SECONDS = (0.005, 0.05)


class StaleConnection(Unavailable):
    """The borrowed connection was dead and nothing was committed: safe to run again."""


class TransientConflict(Unavailable):
    """PostgreSQL ended the transaction (deadlock, serialization failure) before its commit."""


class UnitOfWork:
    """Borrow a connection on enter; commit only when asked, otherwise roll back.

    Implements services.ports.UnitOfWork for the use cases; `commit` is for whoever
    runs them (run_in_unit_of_work), never for a use case.

    A connection that broke on the way is closed and dropped from the pool, so the
    next unit of work never receives it.

    The connection stays in autocommit and the unit of work says BEGIN and COMMIT itself,
    each in the round trip of a statement: BEGIN (and the actor) ahead of the first one, the
    feed's rows and COMMIT in one (repositories.changes). A single-resource write is then two
    round trips, and the change counter's row lock is held for the last one only. A read-only
    unit of work runs each statement on its own, atomic by itself: one round trip each.
    """

    def __init__(self, pool, watchdog=None, read_only: bool = False):
        self._pool = pool
        self._watchdog = watchdog
        self.read_only = read_only
        self.connection: Connection | None = None  # borrowed from the pool while entered

    def __enter__(self) -> "UnitOfWork":
        try:
            self.connection = self._pool.getconn()
        except (psycopg2.OperationalError, PoolError):
            raise Unavailable("the database is unreachable") from None
        renew = None
        if self._watchdog:
            self._watchdog.watch(self.connection)
            renew = partial(self._watchdog.renew, self.connection)
        if not self.connection.autocommit:
            self.connection.autocommit = True
        self._committing = False
        self._committed = False
        self._session = session = Session(self.connection, renew)
        if not self.read_only:
            session.opening = b"BEGIN;"
        self.applications = ApplicationRepository(session)
        self.configurations = ConfigurationRepository(session)
        self.changes = ChangeRepository(session)
        self.tokens = TokenRepository(session)
        self.idempotency = IdempotencyRepository(session)
        self.migrations = MigrationRepository(session)
        self.listeners = ListenerRepository(session)
        return self

    def act_as(self, actor: str) -> None:
        """Name who this transaction's writes are by: every revision and feed row records it
        (a setting of this transaction only, sent with its first statement)."""
        assert self.connection is not None  # called inside the block: entered
        with self.connection.cursor() as cursor:
            self._session.opening += cursor.mogrify(" SELECT set_config('config_service.actor', %s, true);", (actor,))

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._session.opening and not self.changes.unflushed:  # nothing was sent: nothing to commit
            self._committed = True
            return
        self.changes.prepare()  # a round trip of its own the first time: COMMIT is not sent in it
        self._committing = True
        try:
            self.changes.flush(commit=True)  # last: the counter's row lock is held for this round trip only
        except psycopg2.Error:
            assert self.connection is not None  # called inside the block: entered
            if self.connection.info.transaction_status == extensions.TRANSACTION_STATUS_INERROR:
                self._committing = False  # the flush failed, so COMMIT never ran: nothing was committed
            raise
        self._committed = True

    def __exit__(self, exc_type, exc, traceback) -> None:
        connection, self.connection = self.connection, None
        assert connection is not None  # borrowed by __enter__, which succeeded
        broken = False
        try:
            if connection.info.transaction_status in (
                extensions.TRANSACTION_STATUS_INTRANS,
                extensions.TRANSACTION_STATUS_INERROR,
            ):
                with connection.cursor() as cursor:
                    cursor.execute("ROLLBACK")
        except psycopg2.Error:
            broken = True
        # Released only now: a rollback on a silent network must not hang either.
        cut = self._watchdog.release(connection) if self._watchdog else False
        broken = (
            broken
            or cut
            or connection.closed
            or (connection.info.transaction_status != extensions.TRANSACTION_STATUS_IDLE)
        )
        self._pool.putconn(connection, close=broken)
        if isinstance(exc, extensions.TransactionRollbackError) and not self._committing:
            raise TransientConflict("the database ended the transaction to resolve a conflict") from None
        if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            if self._committing:
                raise OutcomeUnknown(
                    "the connection failed while the write was committing: it may or may not"
                    " have been stored; read it before trying again"
                ) from None
            if cut:
                raise Unavailable("the database did not answer in time") from None
            if connection.closed:
                raise StaleConnection("the database connection was lost") from None
            raise Unavailable("the database did not complete the request") from None


def run_in_unit_of_work(
    pool,
    watchdog,
    use_case: Callable[[UnitOfWork], T],
    read_only: bool,
    attempts: int,
    actor: str | None = None,
    quiet_channel: Callable[[list], str | None] | None = None,
) -> tuple[T, list[ChangeRow]]:
    """Run a use case in a unit of work of its own and commit it unless it raised (or reads only);
    return its result and the changes it recorded (committed now). `quiet_channel`, given the
    (application_id, configuration_id) its changes touch, names a listener they need not wake.

    Runs it again when nothing of the attempt can have been committed: on a pooled
    connection found dead (a database restart leaves every one so), up to `attempts`
    times, and after a deadlock or serialization failure, up to CONFLICT_ATTEMPTS times.
    A failure while committing is never retried.
    """
    stale, conflicts = 0, 0
    while True:
        try:
            with UnitOfWork(pool, watchdog, read_only) as uow:
                if actor is not None and not read_only:
                    uow.act_as(actor)  # inside the block: a dead connection fails here and is handled
                uow.changes.quiet = quiet_channel
                result = use_case(uow)
                if not read_only:
                    uow.commit()
                return result, uow.changes.recorded
        except StaleConnection:
            stale += 1
            if stale >= attempts:
                raise
        except TransientConflict:
            conflicts += 1
            if conflicts >= CONFLICT_ATTEMPTS:
                raise
            time.sleep(random.uniform(*CONFLICT_PAUSE_SECONDS) * conflicts)


def run_once(settings: Settings, use_case: Callable[[UnitOfWork], T], actor: str) -> T:
    """Run one use case in a unit of work on a connection of its own, outside any server (the
    command lines, the bench): committed when it returns, rolled back when it raises. `actor`
    names who makes the change, as a request's token does."""
    pool = create_pool(settings.model_copy(update={"pool_size": 1}))
    try:
        return run_in_unit_of_work(pool, None, use_case, False, 2, actor)[0]
    finally:
        pool.closeall()
