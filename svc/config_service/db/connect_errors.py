"""Why a connection to PostgreSQL failed, in words a new user can act on; and creating a missing database."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from config_service.settings import Settings

# libpq's own messages (English), most specific first.
KINDS = [
    (
        "missing database",
        re.compile(r'database "[^"]*" does not exist'),
        "the database named in DATABASE_URL does not exist",
    ),
    (
        "authentication failed",
        re.compile(
            r"password authentication failed|no password supplied|"
            r"authentication failed|role \"[^\"]*\" does not exist"
        ),
        "authentication failed: check the user and password in DATABASE_URL",
    ),
    (
        "permission denied",
        re.compile(r"permission denied|not permitted to log in|pg_hba\.conf"),
        "permission denied: the server refuses this user or this database",
    ),
    (
        "refused",
        re.compile(r"Connection refused"),
        "connection refused: is PostgreSQL running at the host and port of DATABASE_URL?",
    ),
    (
        "unknown host",
        re.compile(r"could not translate host name|Name or service not known"),
        "the host in DATABASE_URL is unknown",
    ),
    ("timed out", re.compile(r"timeout expired|timed out"), "the server did not answer within CONNECT_TIMEOUT_SECONDS"),
]


@dataclass(frozen=True)
class Reason:
    kind: str
    text: str

    def __str__(self) -> str:
        return self.text


def explain(error: psycopg2.Error) -> Reason:
    """What went wrong, without the server's text (which may name hosts or users)."""
    message = str(error)
    for kind, pattern, text in KINDS:
        if pattern.search(message):
            return Reason(kind, text)
    return Reason("other", "the server could not be reached or refused the connection (check DATABASE_URL)")


def create_database(settings: Settings) -> tuple[bool, str]:
    """Create the database DATABASE_URL names, through the server's `postgres` database.

    True and what was done, or False and why it could not be.
    """
    url = urlsplit(str(settings.database_url))
    name = url.path.lstrip("/")
    try:
        admin = psycopg2.connect(
            urlunsplit(url._replace(path="/postgres")), connect_timeout=settings.connect_timeout_seconds
        )
    except psycopg2.OperationalError as error:
        return False, f"the database {name!r} does not exist, and creating it failed: {explain(error)}"
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True, f"created the database {name!r}, which did not exist"
    except psycopg2.errors.InsufficientPrivilege:
        return False, (
            f"the database {name!r} does not exist, and this user may not create it"
            f" (permission denied): ask an administrator to run `createdb {name}`"
        )
    except psycopg2.errors.DuplicateDatabase:
        return True, f"the database {name!r} was created meanwhile"
    finally:
        admin.close()
