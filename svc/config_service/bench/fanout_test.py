import asyncio
import os

import httpx
import pytest

from config_service.bench.fanout import fan_out, put_latency, resident_kib, settled
from config_service.testing.live import live_app

pytestmark = pytest.mark.anyio


async def test_resident_memory_of_a_process_is_read():
    assert resident_kib(os.getpid()) > 1000 and resident_kib(2**22 + 7) == 0


@pytest.mark.parametrize("kind", ["long-poll", "sse"])
async def test_every_waiter_hears_of_the_put(settings, kind):
    with live_app(settings) as (base, _):
        async with httpx.AsyncClient(base_url=base) as client:
            app_id = (await client.post("/api/v1/applications", json={"name": "a"})).json()["id"]
            config = (
                await client.post("/api/v1/configurations", json={"application_id": app_id, "name": "db", "config": {}})
            ).json()
        result = await fan_out(base, os.getpid(), config["id"], "db", kind, "cfg_unused-with-auth-off", count=30)
    assert result["waiters"] == 30 and 0 <= result["p50_ms"] <= result["p99_ms"] <= result["max_ms"] < 5000


async def test_put_latency_is_measured_alone_and_with_waiters_held_on_another_application(settings):
    with live_app(settings) as (base, _):
        async with httpx.AsyncClient(base_url=base) as client:
            app_id = (await client.post("/api/v1/applications", json={"name": "a"})).json()["id"]
            other = (await client.post("/api/v1/applications", json={"name": "b"})).json()["id"]
            config = (
                await client.post("/api/v1/configurations", json={"application_id": app_id, "name": "db", "config": {}})
            ).json()
        result = await put_latency(
            base, os.getpid(), config["id"], "db", other, "cfg_unused-with-auth-off", waiters=20, puts=10
        )
    assert (result["waiters"], result["puts"]) == (20, 10)
    assert 0 < result["none"]["p50_ms"] <= result["none"]["p99_ms"] and result["ratio"] > 0


async def test_settled_returns_once_a_process_is_quiet_and_not_while_it_works():
    loop = asyncio.get_running_loop()
    started = loop.time()
    await settled(os.getpid(), interval=0.05)
    assert loop.time() - started < 1  # this test process sleeps meanwhile

    async def busy():
        end = loop.time() + 0.5
        while loop.time() < end:
            sum(range(20_000))
            await asyncio.sleep(0)

    worker = asyncio.ensure_future(busy())
    await asyncio.sleep(0)
    started = loop.time()
    await settled(os.getpid(), interval=0.05)
    assert loop.time() - started >= 0.3
    await worker
