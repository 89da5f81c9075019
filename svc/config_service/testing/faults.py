"""Real database faults for tests: kill sessions, refuse new ones."""

import time
from contextlib import contextmanager

from config_service.conftest import make_settings, url_for
from config_service.db.pool import connect


def _admin():
    connection = connect(make_settings(url_for("postgres")))
    connection.autocommit = True
    return connection


def kill_sessions(database: str) -> int:
    """Terminate every session on `database`, as a server restart does; return how many."""
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
            return cursor.fetchone()["n"]
    finally:
        connection.close()


@contextmanager
def database_down(database: str):
    """Kill every session on `database` and refuse new ones until the block ends."""
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        kill_sessions(database)
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        connection.close()


def database_name(settings) -> str:
    return settings.database_url.path.lstrip("/")


def wait_for_lock_waiters(database: str, count: int, seconds: float = 5) -> None:
    """Return once `count` sessions on `database` wait for a lock (a forced interleaving's cue)."""
    connection = _admin()
    deadline = time.monotonic() + seconds
    try:
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                    (database,),
                )
                if cursor.fetchone()["n"] >= count:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {count} sessions waited for a lock")
            time.sleep(0.01)
    finally:
        connection.close()


def deadlocks(database: str) -> int:
    """How many deadlocks the server has counted on `database` (flushed by backends as they go idle or exit)."""
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", (database,))
            return cursor.fetchone()["deadlocks"]
    finally:
        connection.close()
