"""A request blocked on a row lock ends within the lock timeout, as a 503."""

import time

from fastapi.testclient import TestClient

from config_service.conftest import make_settings
from config_service.db.pool import connect
from config_service.main import create_app


def test_request_blocked_on_a_row_lock_ends_within_the_lock_timeout(database_url):
    with TestClient(create_app(make_settings(database_url, lock_timeout_ms=300))) as client:
        app_id = client.post("/api/v1/applications", json={"name": "locked"}).json()["id"]
        blocker = connect(make_settings(database_url))
        try:
            with blocker.cursor() as cursor:
                cursor.execute("SELECT id FROM applications WHERE id = %s FOR UPDATE", (app_id,))
            started = time.monotonic()
            response = client.put(f"/api/v1/applications/{app_id}", json={"name": "waits"})
            elapsed = time.monotonic() - started
        finally:
            blocker.rollback()
            blocker.close()
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert 0.3 <= elapsed < 1.5
        # The connection that timed out went back healthy: the same write now succeeds.
        assert client.put(f"/api/v1/applications/{app_id}", json={"name": "waits"}).status_code == 200


def test_connections_carry_every_timeout_from_settings(database_url):
    settings = make_settings(
        database_url, statement_timeout_ms=1111, lock_timeout_ms=222, idle_in_transaction_timeout_ms=3333
    )
    with TestClient(create_app(settings)) as client:
        pool = client.app.state.runtime.database.pool
        connection = pool.getconn()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l,"
                    " current_setting('idle_in_transaction_session_timeout') AS i"
                )
                assert cursor.fetchone() == {"s": "1111ms", "l": "222ms", "i": "3333ms"}
            connection.rollback()
            assert connection.get_dsn_parameters()["keepalives"] == "1"
            assert connection.get_dsn_parameters()["connect_timeout"] == str(settings.connect_timeout_seconds)
        finally:
            pool.putconn(connection)
