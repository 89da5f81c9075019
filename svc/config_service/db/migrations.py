"""SQL migrations: numbered files applied in order, each in its own transaction.

The command line is `pipenv run migrate [apply|status]` (cli/migrate.py).
"""

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from config_service.domain.rows import AppliedMigration
from config_service.repositories.migrations import MigrationRepository

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Any fixed number, the same in every process: the advisory lock serialises the runners.
LOCK_KEY = 7_318_224_001
LOCK_POLL_SECONDS = 0.2
WAIT_NOTICE_EVERY_SECONDS = 10

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS migrations (
    name        text        PRIMARY KEY,
    checksum    char(64)    NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(Exception):
    """A migration cannot be applied, or an applied one was changed."""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files of a folder, in order; a misnamed or duplicate number is an error."""
    migrations, numbers = [], set()
    for path in sorted(folder.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_slug.sql")
        if match.group(1) in numbers:
            raise MigrationError(f"{path.name}: migration number {match.group(1)} is used twice")
        numbers.add(match.group(1))
        migrations.append(Migration(path.stem, path.read_text(encoding="utf-8")))
    return migrations


def applied(connection) -> dict[str, AppliedMigration]:
    """Applied migrations by name; empty when the migrations table does not exist yet."""
    return MigrationRepository(connection).applied()


def pending(connection, migrations: list[Migration]) -> list[Migration]:
    """The migrations not yet applied; a changed applied file is an error."""
    done = applied(connection)
    for migration in migrations:
        row = done.get(migration.name)
        if row is not None and row["checksum"] != migration.checksum:
            raise MigrationError(
                f"{migration.name}: the file changed after it was applied (checksum mismatch); "
                "add a new migration instead of editing an applied one"
            )
    return [m for m in migrations if m.name not in done]


def apply(
    connection,
    migrations: list[Migration],
    lock_wait_seconds: float = 300,
    say: Callable[[str], None] = lambda line: None,
) -> list[str]:
    """Apply pending migrations under an advisory lock; return the names applied.

    Waits up to `lock_wait_seconds` for another runner to finish (saying so), and runs the
    files without the service's statement and lock timeouts: a migration may take long.
    """
    connection.rollback()
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("SET lock_timeout = 0")
    _take_lock(connection, lock_wait_seconds, say)
    try:
        connection.autocommit = False
        with connection.cursor() as cursor:
            cursor.execute(CREATE_TABLE)
        connection.commit()
        todo = pending(connection, migrations)
        connection.rollback()
        for migration in todo:
            _apply_one(connection, migration)
        return [m.name for m in todo]
    finally:
        connection.rollback()
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def _take_lock(connection, wait_seconds: float, say: Callable[[str], None]) -> None:
    started = time.monotonic()
    next_notice = started
    while True:
        with connection.cursor(cursor_factory=psycopg2.extensions.cursor) as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
            if cursor.fetchone()[0]:
                return
        waited = time.monotonic() - started
        if waited >= wait_seconds:
            raise MigrationError(
                f"another migration runner held the lock for {wait_seconds:g} s;"
                " raise MIGRATION_LOCK_WAIT_SECONDS or try again"
            )
        if time.monotonic() >= next_notice:
            say(f"migrate: waiting for another migration runner to finish ({waited:.0f} s so far)")
            next_notice += WAIT_NOTICE_EVERY_SECONDS
        time.sleep(LOCK_POLL_SECONDS)


def _apply_one(connection, migration: Migration) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(migration.sql)
            cursor.execute(
                "INSERT INTO migrations (name, checksum) VALUES (%s, %s)",
                (migration.name, migration.checksum),
            )
        connection.commit()
    except psycopg2.Error as error:
        connection.rollback()
        reason = (error.pgerror or str(error)).strip().splitlines()[0]
        raise MigrationError(f"{migration.name}: {reason}") from None


def status(connection, migrations: list[Migration]) -> list[str]:
    """One line per migration: applied (with its time) or pending; and applied ones not on disk."""
    done = applied(connection)
    connection.rollback()
    lines = []
    for migration in migrations:
        row = done.get(migration.name)
        state = f"applied {row['applied_at'].isoformat()}" if row else "pending"
        lines.append(f"{migration.name}  {state}")
    for name in unknown(done, migrations):
        lines.append(f"{name}  applied {done[name]['applied_at'].isoformat()}, missing from disk")
    return lines


def unknown(done: dict, migrations: list[Migration]) -> list[str]:
    """Applied migrations this code does not have (a newer instance applied them)."""
    known = {m.name for m in migrations}
    return [name for name in done if name not in known]
