"""Run `serve.py` as a real process for end-to-end tests."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

SVC = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database_url: str, **settings: str) -> tuple[subprocess.Popen, str]:
    """Start serve.py on a free port; return the process and its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "POOL_SIZE": "2",
        "EXECUTOR_WORKERS": "2",
        "AUTH": "off",
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "config_service.cli.serve"],
        cwd=SVC,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_until_ready(process: subprocess.Popen, base_url: str, seconds: float = 20) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(f"{base_url}/ready", timeout=1)
        except httpx.TransportError:
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> str:
    """SIGTERM, then everything it printed."""
    if process.poll() is None:
        process.terminate()
    output, _ = process.communicate(timeout=30)
    return output


@contextmanager
def running_servers(database_url: str, count: int):
    """`count` service processes on one database, ready, stopped at the end (those still running).

    LOG_LEVEL=WARNING: an access line per request would fill the pipe that start_server reads only at the end.
    """
    servers = [start_server(database_url, LOG_LEVEL="WARNING") for _ in range(count)]
    try:
        for process, base_url in servers:
            assert wait_until_ready(process, base_url).status_code == 200
        yield servers
    finally:
        for process, _ in servers:
            if process.poll() is None:
                stop(process)
