"""What every repository shares: running SQL and translating constraint violations."""
from typing import Callable

import psycopg2
from psycopg2.extras import RealDictCursor

from errors import ServiceError
from services.contracts import ANY_VERSION

# `versions` is None (no precondition, or If-Match: *) or the versions an If-Match header accepts.
VERSION_MATCHES = "(%(versions)s::int[] IS NULL OR version = ANY(%(versions)s::int[]))"


def versions_param(versions) -> list[int] | None:
    """The SQL parameter of VERSION_MATCHES: `*` matches every stored version, as no condition does."""
    return None if versions is ANY_VERSION else versions


class Repository:
    """SQL over one connection; rows come back as dicts, whatever the connection's cursor factory."""

    # constraint name -> the service error that a violation of it means to a client
    constraint_errors: dict[str, Callable[[], ServiceError]] = {}

    def __init__(self, connection, before_statement: Callable[[], None] | None = None):
        self._connection = connection
        self._before_statement = before_statement  # the watchdog's renewal of the statement deadline

    def _fetch_one(self, sql: str, params: tuple) -> dict | None:
        with self._connection.cursor(cursor_factory=RealDictCursor) as cursor:
            self._execute(cursor, sql, params)
            return cursor.fetchone()

    def _fetch_all(self, sql: str, params: tuple) -> list[dict]:
        with self._connection.cursor(cursor_factory=RealDictCursor) as cursor:
            self._execute(cursor, sql, params)
            return cursor.fetchall()

    def _execute(self, cursor, sql: str, params: tuple) -> None:
        if self._before_statement is not None:
            self._before_statement()
        try:
            cursor.execute(sql, params)
        except psycopg2.IntegrityError as error:
            make_error = self.constraint_errors.get(error.diag.constraint_name)
            if make_error is None:
                raise
            raise make_error() from None
