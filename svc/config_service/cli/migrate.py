"""`pipenv run migrate [apply|status]`: apply the pending migrations, or list each one's state."""

import sys

import psycopg2

from config_service.db.connect_errors import create_database, explain
from config_service.db.migrations import MigrationError, applied, apply, discover, status, unknown
from config_service.db.pool import connect
from config_service.settings import SettingsError, load_settings


def main(argv: list[str]) -> int:
    """Command line: `apply` (the default) or `status`. Ends with a line, never a traceback."""
    command = argv[0] if argv else "apply"
    if command not in ("apply", "status"):
        print("usage: migrate [apply|status]", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        migrations = discover()
    except (SettingsError, MigrationError) as error:
        print(error, file=sys.stderr)
        return 2
    connection = _connect(settings, create_missing=command == "apply")
    if connection is None:
        return 1
    try:
        if command == "status":
            print("\n".join(status(connection, migrations)))
            return 0
        names = apply(
            connection,
            migrations,
            settings.migration_lock_wait_seconds,
            say=lambda line: print(line, file=sys.stderr, flush=True),
        )
        print("applied: " + ", ".join(names) if names else "migrations: up to date")
        for name in unknown(applied(connection), migrations):
            print(
                f"migrate: warning: {name} is applied but not among this code's migrations"
                " (a newer version applied it?)",
                file=sys.stderr,
            )
        return 0
    except MigrationError as error:
        print(f"migrate: {error}", file=sys.stderr)
        return 1
    except psycopg2.Error as error:
        print(f"migrate: the database failed: {explain(error)}", file=sys.stderr)
        return 1
    finally:
        connection.close()


def _connect(settings, create_missing: bool):
    """A connection for the runner, creating the database when it is missing and allowed; None on failure."""
    try:
        return connect(settings)
    except psycopg2.OperationalError as error:
        reason = explain(error)
        if reason.kind != "missing database" or not create_missing:
            print(f"migrate: cannot connect to the database: {reason}", file=sys.stderr)
            return None
    created, outcome = create_database(settings)
    print(f"migrate: {outcome}", file=sys.stderr)
    if not created:
        return None
    try:
        return connect(settings)
    except psycopg2.OperationalError as error:
        print(f"migrate: cannot connect to the database: {explain(error)}", file=sys.stderr)
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
