"""Test databases: a migrated template per test session, a fresh copy for each test."""

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from config_service.db import migrations
from config_service.db.pool import connect
from config_service.settings import Settings

# Tests talk to the server named by DATABASE_URL (or .env), never to its database itself.
SERVER_URL = str(Settings().database_url)


def url_for(database: str) -> str:
    """SERVER_URL with another database name."""
    return urlunsplit(urlsplit(SERVER_URL)._replace(path="/" + database))


def admin(sql: str) -> None:
    connection = psycopg2.connect(url_for("postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def create_database(name: str, template: str | None = None) -> str:
    # Names are generated here, never taken from input: quoting them is enough.
    source = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    admin(f'CREATE DATABASE "{name}"{source}')
    return url_for(name)


def drop_database(name: str) -> None:
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(database_url: str, **overrides) -> Settings:
    """Settings for a test database, ignoring any .env; small pools unless overridden."""
    # AUTH=off unless a test asks for tokens: most tests are about something else.
    values = {"database_url": database_url, "pool_size": 4, "executor_workers": 4, "auth": "off", **overrides}
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def run_id() -> str:
    return f"cs_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def template_database(run_id):
    """A database with every migration applied, copied for each test."""
    name = f"{run_id}_template"
    connection = psycopg2.connect(create_database(name))
    try:
        migrations.apply(connection, migrations.discover())
    finally:
        connection.close()
    yield name
    drop_database(name)


@pytest.fixture
def empty_database_url(run_id):
    """A new database with nothing in it, dropped after the test."""
    name = f"{run_id}_{uuid.uuid4().hex[:12]}"
    yield create_database(name)
    drop_database(name)


@pytest.fixture
def empty(empty_database_url):
    """A connection to an empty database: no migration applied."""
    connection = connect(make_settings(empty_database_url))
    yield connection
    connection.close()


@pytest.fixture
def database_url(run_id, template_database):
    """A new, fully migrated database of the test's own, dropped after the test."""
    name = f"{run_id}_{uuid.uuid4().hex[:12]}"
    yield create_database(name, template=template_database)
    drop_database(name)


@pytest.fixture
def settings(database_url) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def connection(database_url):
    """One plain connection to the test's database (RealDictCursor, as the pool gives)."""
    from config_service.db.pool import connect

    conn = connect(make_settings(database_url))
    yield conn
    conn.close()


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def client(settings):
    """The real app with its lifespan, on the test's own database."""
    from fastapi.testclient import TestClient

    from config_service.main import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
async def api(settings):
    """An async client on the real app, lifespan included, for concurrent requests."""
    import httpx

    from config_service.main import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            client.app = app
            yield client
