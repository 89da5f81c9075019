"""Connections: their options, and a threaded pool that opens them outside its lock."""

import psycopg2
from psycopg2.extensions import connection as PsycopgConnection
from psycopg2.extras import RealDictCursor
from psycopg2.pool import PoolError, ThreadedConnectionPool

from config_service.settings import Settings


class Connection(PsycopgConnection):
    """A connection that remembers the statements prepared on it (repositories.base.Prepared)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: set[str] = set()


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
        "connection_factory": Connection,
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


def create_pool(settings: Settings) -> ConnectionPool:
    """A pool of pool_size connections, all opened now."""
    # minconn == maxconn: the pool never closes a returned connection, and the executor
    # (at most pool_size threads) never finds it empty.
    return ConnectionPool(settings.pool_size, settings.pool_size, **connection_options(settings))
