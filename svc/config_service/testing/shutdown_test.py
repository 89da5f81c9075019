"""SIGTERM: in-flight requests finish, then the executor and the pool close."""

import threading
import time

import httpx

from config_service.conftest import make_settings
from config_service.db.pool import connect
from config_service.testing.server import start_server, stop, wait_until_ready


def test_sigterm_lets_an_in_flight_write_finish(database_url):
    process, base_url = start_server(database_url, LOCK_TIMEOUT_MS="20000")
    try:
        assert wait_until_ready(process, base_url).status_code == 200
        app_id = httpx.post(f"{base_url}/api/v1/applications", json={"name": "before"}).json()["id"]
        blocker = connect(make_settings(database_url))
        with blocker.cursor() as cursor:  # hold the row: the PUT below waits for it
            cursor.execute("SELECT id FROM applications WHERE id = %s FOR UPDATE", (app_id,))
        result = {}
        put = threading.Thread(
            target=lambda: result.update(
                response=httpx.put(f"{base_url}/api/v1/applications/{app_id}", json={"name": "after"}, timeout=30)
            )
        )
        put.start()
        time.sleep(0.5)
        process.terminate()
        time.sleep(0.5)
        assert process.poll() is None  # still draining the in-flight request
        blocker.rollback()
        blocker.close()
        put.join(timeout=30)
    finally:
        output = stop(process)
    assert result["response"].status_code == 200
    # uvicorn re-raises SIGTERM once it has shut down cleanly, hence -15.
    assert process.returncode in (0, -15), output
    assert "PUT /api/v1/applications" in output  # buffered log lines are written out at shutdown
    check = connect(make_settings(database_url))
    with check.cursor() as cursor:
        cursor.execute("SELECT name FROM applications WHERE id = %s", (app_id,))
        assert cursor.fetchone()["name"] == "after"
    check.close()
