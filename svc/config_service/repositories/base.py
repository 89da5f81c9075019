"""What every repository shares: running SQL and translating constraint violations."""

import re
from collections.abc import Callable
from typing import Any, cast

import psycopg2
from psycopg2.extensions import cursor as TupleCursor

from config_service.domain.errors import ServiceError
from config_service.domain.versions import ANY_VERSION

# `versions` is None (no precondition, or If-Match: *) or the versions an If-Match header accepts.
VERSION_MATCHES = "(%(versions)s::int[] IS NULL OR version = ANY(%(versions)s::int[]))"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")

Row = dict[str, Any]  # a row as _fetch_one and _fetch_all return it: column name -> value


def versions_param(versions) -> list[int] | None:
    """The SQL parameter of VERSION_MATCHES: `*` matches every stored version, as no condition does."""
    return None if versions is ANY_VERSION else versions


class Prepared:
    """A hot statement, parsed and planned by PostgreSQL once per connection (PREPARE) and then
    run by name (EXECUTE). Written like any other, with %(name)s parameters.

    Its first use on a connection looks for it there and, when it is missing, sends the
    PREPARE, in round trips of their own (inside the unit of work's transaction when one is
    open: a prepared statement outlives its rollback), and learns the parameter types
    PostgreSQL inferred: EXECUTE casts each value to its type. A new connection starts with
    none (the pool's connections remember theirs). After a migration that changes the tables
    it reads, restart the service: its plans were made for the old ones.
    """

    _named: set[str] = set()  # a name prepares one statement only, in every connection
    names: list[str]  # the parameters' names, in their order in the text ($1, $2...)

    def __init__(self, name: str, sql: str):
        if name in Prepared._named:
            raise ValueError(f"a statement named {name} is already prepared")
        Prepared._named.add(name)
        self.name, self.names = name, []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in self.names:
                self.names.append(match.group(1))
            return f"${self.names.index(match.group(1)) + 1}"

        self.text = PLACEHOLDER.sub(number, sql).replace("%%", "%")
        self.sql = sql
        self._execute: str | None = None  # EXECUTE with each parameter cast, once the types are known

    def bind(self, connection) -> str:
        """The EXECUTE statement for `connection`, preparing it there first if need be; the
        plain statement on a connection that keeps no record of what it prepared."""
        prepared = getattr(connection, "prepared", None)
        if prepared is None:
            return self.sql
        if self.name not in prepared:
            types = f"SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = '{self.name}'"
            with connection.cursor(cursor_factory=TupleCursor) as cursor:
                cursor.execute(types)  # it may be there from a round trip that failed after the PREPARE
                row = cursor.fetchone()
                if row is None:
                    cursor.execute(f"PREPARE {self.name} AS {self.text}; {types}")  # our SQL: nothing spliced
                    row = cursor.fetchone()
            types = row[0]
            prepared.add(self.name)
            self._execute = (
                f"EXECUTE {self.name}("
                + ", ".join(f"%({name})s::{type}" for name, type in zip(self.names, types, strict=False))
                + ")"
            )
        return cast(str, self._execute)  # set when this statement was prepared on the connection


class Session:
    """One connection as a unit of work's repositories share it.

    `opening` is SQL sent ahead of the next statement, in its round trip (a unit of work's
    BEGIN and actor); `closing` SQL is sent after a statement in its round trip (the COMMIT).
    """

    def __init__(self, connection, before_statement: Callable[[], None] | None = None):
        self.connection = connection
        self.before_statement = before_statement  # the watchdog's renewal of the statement deadline
        self.opening = b""

    def execute(self, cursor, sql: "str | Prepared", params, closing: str = "") -> None:
        if self.before_statement is not None:
            self.before_statement()
        if isinstance(sql, Prepared):
            sql = sql.bind(self.connection)
        if self.opening or closing:
            sql = self.opening + cursor.mogrify(sql, params) + closing.encode()
            params, self.opening = None, b""
        cursor.execute(sql, params)


class Repository:
    """SQL over one connection; rows come back as dicts, whatever the connection's cursor factory
    (built from plain tuples: psycopg2's dict cursors do their work in Python, per column)."""

    # constraint name -> the service error that a violation of it means to a client
    constraint_errors: dict[str, Callable[[], ServiceError]] = {}

    def __init__(self, connection, before_statement: Callable[[], None] | None = None):
        """`connection` is a psycopg2 connection, or the Session of a unit of work."""
        self._session = connection if isinstance(connection, Session) else Session(connection, before_statement)
        self._connection = self._session.connection

    def _fetch_one(self, sql: "str | Prepared", params, closing: str = "") -> Row | None:
        with self._connection.cursor(cursor_factory=TupleCursor) as cursor:
            self._execute(cursor, sql, params, closing)
            row = cursor.fetchone()
            return None if row is None else dict(zip([column[0] for column in cursor.description], row, strict=False))

    def _fetch_all(self, sql: "str | Prepared", params, closing: str = "") -> list[Row]:
        with self._connection.cursor(cursor_factory=TupleCursor) as cursor:
            self._execute(cursor, sql, params, closing)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=False)) for row in cursor.fetchall()]

    def _run(self, sql: str) -> None:
        """A statement with neither parameters nor rows."""
        with self._connection.cursor() as cursor:
            self._execute(cursor, sql, None)

    def _execute(self, cursor, sql: "str | Prepared", params, closing: str = "") -> None:
        try:
            self._session.execute(cursor, sql, params, closing)
        except psycopg2.IntegrityError as error:
            make_error = self.constraint_errors.get(error.diag.constraint_name)
            if make_error is None:
                raise
            raise make_error() from None
