"""With several workers, /metrics reports the service's figures: counts add up over all workers."""

import json
import os
import signal
import time
from pathlib import Path

import httpx
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from config_service.testing.server import start_server, stop, wait_until_ready

ROUTE = {"method": "GET", "route": "/api/v1/applications/{id}", "status": "200"}


def children(pid: int) -> list[int]:
    """The worker processes of the server `pid` (its child processes but the resource tracker)."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        command = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"resource_tracker" not in command:
            found.append(int(child))
    return found


def requests_counted(base_url: str) -> float:
    text = httpx.get(f"{base_url}/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "config_service_http_requests_total" and sample.labels == ROUTE:
                return sample.value
    return 0.0


def counted_by_each_worker(folder) -> list[float]:
    """What each worker's own file holds for the route (prometheus-client's file format)."""
    found = []
    for path in folder.glob("config-service-metrics-*/counter_*.db"):
        for key, value, _ in MmapedDict(str(path), read_mode=True).read_all_values():
            _, name, labels, _ = json.loads(key)
            if name == "config_service_http_requests_total" and labels == ROUTE and value:
                found.append(value)
    return found


def test_after_n_requests_spread_over_two_workers_metrics_reports_exactly_n_for_that_route(database_url, tmp_path):
    process, base_url = start_server(database_url, WORKERS="2", LOG_LEVEL="WARNING", TMPDIR=str(tmp_path))
    try:
        assert wait_until_ready(process, base_url).status_code == 200
        app_id = httpx.post(f"{base_url}/api/v1/applications", json={"name": "counted"}).json()["id"]
        n = 60
        for _ in range(n):  # a new connection each: the kernel spreads them over the workers
            with httpx.Client() as client:
                assert client.get(f"{base_url}/api/v1/applications/{app_id}").status_code == 200
        deadline = time.monotonic() + 10
        while (counted := requests_counted(base_url)) != n:  # each worker flushes once a second
            assert counted < n and time.monotonic() < deadline, counted
            time.sleep(0.2)
        time.sleep(1.5)
        assert requests_counted(base_url) == n  # and stays so: nothing counted twice
        shares = counted_by_each_worker(tmp_path)
        assert len(shares) == 2 and sum(shares) == n, shares  # both workers served some
        workers = children(process.pid)
        os.kill(workers[0], signal.SIGKILL)  # a worker dies; uvicorn starts another
        deadline = time.monotonic() + 20
        while len(children(process.pid)) < 2 or workers[0] in children(process.pid):
            assert time.monotonic() < deadline, "no worker replaced the one that died"
            time.sleep(0.1)
        assert requests_counted(base_url) == n  # what it had counted is not lost
    finally:
        stop(process)
