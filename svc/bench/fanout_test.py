import os

import httpx
import pytest

from bench.fanout import fan_out, resident_kib
from test.live import live_app

pytestmark = pytest.mark.anyio


async def test_resident_memory_of_a_process_is_read():
    assert resident_kib(os.getpid()) > 1000 and resident_kib(2**22 + 7) == 0


@pytest.mark.parametrize("kind", ["long-poll", "sse"])
async def test_every_waiter_hears_of_the_put(settings, kind):
    with live_app(settings) as (base, _):
        async with httpx.AsyncClient(base_url=base) as client:
            app_id = (await client.post("/api/v1/applications", json={"name": "a"})).json()["id"]
            config = (await client.post("/api/v1/configurations",
                                        json={"application_id": app_id, "name": "db", "config": {}})).json()
        result = await fan_out(base, os.getpid(), config["id"], "db", kind, "cfg_unused-with-auth-off", count=30)
    assert result["waiters"] == 30 and 0 <= result["p50_ms"] <= result["p99_ms"] <= result["max_ms"] < 5000
