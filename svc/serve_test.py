import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import serve


def test_bad_setting_stops_before_anything_starts(monkeypatch, capsys):
    monkeypatch.setenv("PORT", "not-a-port")
    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("served")))
    assert serve.main() == 2
    err = capsys.readouterr().err
    assert "PORT" in err and "Traceback" not in err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_migrates_then_serves_with_two_workers(empty_database_url):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": empty_database_url, "PORT": str(port), "WORKERS": "2", "POOL_SIZE": "2",
           "EXECUTOR_WORKERS": "2"}
    process = subprocess.Popen([sys.executable, "serve.py"], cwd=Path(__file__).parent, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert ready.status_code == 200  # migrations were applied to the empty database
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert "applied: 0001_" in output
    assert output.count("Started server process") >= 2


def test_migration_failure_stops_serving(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    monkeypatch.setattr(serve.uvicorn, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("served")))
    assert serve.main() == 1
