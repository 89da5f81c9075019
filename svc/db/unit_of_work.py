"""A unit of work: one pooled connection, its repositories, one transaction."""
import psycopg2
from psycopg2 import extensions
from psycopg2.pool import PoolError

from errors import ServiceUnavailable
from repositories.applications import ApplicationRepository
from repositories.configurations import ConfigurationRepository


class UnitOfWork:
    """Borrow a connection on enter; commit only when asked, otherwise roll back.

    A connection that broke on the way is closed and dropped from the pool, so the
    next unit of work never receives it.
    """

    def __init__(self, pool):
        self._pool = pool
        self.connection = None
        self._committed = False

    def __enter__(self) -> "UnitOfWork":
        try:
            self.connection = self._pool.getconn()
        except (psycopg2.OperationalError, PoolError):
            raise ServiceUnavailable("the database is unreachable") from None
        self._committed = False
        self.applications = ApplicationRepository(self.connection)
        self.configurations = ConfigurationRepository(self.connection)
        return self

    def commit(self) -> None:
        self.connection.commit()
        self._committed = True

    def __exit__(self, exc_type, exc, traceback) -> None:
        connection, self.connection = self.connection, None
        broken = False
        try:
            if not self._committed:
                connection.rollback()
        except psycopg2.Error:
            broken = True
        finally:
            broken = broken or connection.closed or (
                connection.info.transaction_status != extensions.TRANSACTION_STATUS_IDLE
            )
            self._pool.putconn(connection, close=broken)
        if isinstance(exc, psycopg2.OperationalError) or (isinstance(exc, psycopg2.InterfaceError) and broken):
            raise ServiceUnavailable("the database connection failed") from None
