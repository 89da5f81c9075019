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


def test_sigterm_ends_open_streams_and_held_requests_at_once(database_url):
    """uvicorn waits up to 30 s for open answers; the feed ends streams, long-polls and watches
    as soon as the signal arrives, so the process is gone within seconds, not at the grace's end."""
    process, base_url = start_server(database_url)
    held = {}
    try:
        assert wait_until_ready(process, base_url).status_code == 200
        app = httpx.post(f"{base_url}/api/v1/applications", json={"name": "watched"}).json()

        def stream():
            with httpx.stream("GET", f"{base_url}/api/v1/changes/stream", timeout=60) as response:
                held["stream"] = b"".join(response.iter_bytes())

        def long_poll():
            held["poll"] = httpx.get(f"{base_url}/api/v1/changes?after=1&wait=60", timeout=60).json()

        def watch():
            headers = {"If-None-Match": '"1"', "Prefer": "wait=60"}
            held["watch"] = httpx.get(f"{base_url}/api/v1/applications/{app['id']}", headers=headers, timeout=60)

        threads = [threading.Thread(target=work) for work in (stream, long_poll, watch)]
        for thread in threads:
            thread.start()
        time.sleep(1)  # all three are held now
        started = time.monotonic()
        process.terminate()
        process.wait(timeout=10)
        stopped_after = time.monotonic() - started
        for thread in threads:
            thread.join(5)
    finally:
        stop(process)
    assert stopped_after < 5
    assert b"event: change" in held["stream"]  # what it had sent, then a clean end
    assert held["poll"] == {"changes": [], "last_seq": 1}
    assert held["watch"].status_code == 304
