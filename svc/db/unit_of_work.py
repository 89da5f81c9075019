"""A unit of work: one pooled connection, its repositories, one transaction."""
from typing import Callable, TypeVar

import psycopg2
from psycopg2 import extensions
from psycopg2.pool import PoolError

from errors import Unavailable
from repositories.applications import ApplicationRepository
from repositories.configurations import ConfigurationRepository
from repositories.migrations import MigrationRepository

T = TypeVar("T")


class StaleConnection(Unavailable):
    """The borrowed connection was dead and nothing was committed: safe to run again."""


class UnitOfWork:
    """Borrow a connection on enter; commit only when asked, otherwise roll back.

    Implements services.contracts.UnitOfWork for the use cases; `commit` is for whoever
    runs them (run_in_unit_of_work), never for a use case.

    A connection that broke on the way is closed and dropped from the pool, so the
    next unit of work never receives it.

    A read-only unit of work runs its statements in autocommit: each is atomic on its
    own, and the BEGIN and ROLLBACK round trips that would surround it are saved.
    """

    def __init__(self, pool, watchdog=None, read_only: bool = False):
        self._pool = pool
        self._watchdog = watchdog
        self.read_only = read_only
        self.connection = None

    def __enter__(self) -> "UnitOfWork":
        try:
            self.connection = self._pool.getconn()
        except (psycopg2.OperationalError, PoolError):
            raise Unavailable("the database is unreachable") from None
        if self._watchdog:
            self._watchdog.watch(self.connection)
        self.connection.autocommit = self.read_only
        self._committing = False
        self._committed = False
        self.applications = ApplicationRepository(self.connection)
        self.configurations = ConfigurationRepository(self.connection)
        self.migrations = MigrationRepository(self.connection)
        return self

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self._committing = True
        self.connection.commit()
        self._committed = True

    def __exit__(self, exc_type, exc, traceback) -> None:
        connection, self.connection = self.connection, None
        broken = False
        try:
            if self.read_only:
                connection.autocommit = False
            elif not self._committed:
                connection.rollback()
        except psycopg2.Error:
            broken = True
        # Released only now: a rollback on a silent network must not hang either.
        cut = self._watchdog.release(connection) if self._watchdog else False
        broken = broken or cut or connection.closed or (
            connection.info.transaction_status != extensions.TRANSACTION_STATUS_IDLE
        )
        self._pool.putconn(connection, close=broken)
        if isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            if cut:
                raise Unavailable("the database did not answer in time") from None
            if connection.closed and not self._committing:
                raise StaleConnection("the database connection was lost") from None
            raise Unavailable("the database did not complete the request") from None


def run_in_unit_of_work(pool, watchdog, use_case: Callable[[UnitOfWork], T], read_only: bool, attempts: int) -> T:
    """Run a use case in a unit of work of its own and commit it unless it raised (or reads only).

    A pooled connection found dead (a database restart leaves every one so) is discarded
    and the use case runs again on another: nothing of the failed attempt was committed.
    A failure while committing is never retried.
    """
    for attempt in range(attempts):
        try:
            with UnitOfWork(pool, watchdog, read_only) as uow:
                result = use_case(uow)
                if not read_only:
                    uow.commit()
                return result
        except StaleConnection:
            if attempt == attempts - 1:
                raise
