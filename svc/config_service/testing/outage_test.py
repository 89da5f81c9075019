"""Database outages through a TCP proxy: cut, stall, restore; no 500, no lost write."""

import asyncio
import time
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from config_service.conftest import make_settings
from config_service.db.pool import connect
from config_service.main import create_app
from config_service.testing.tcp_proxy import TcpProxy

pytestmark = pytest.mark.anyio

CONNECT_TIMEOUT = 2  # libpq's floor
QUEUE_WAIT = 1.0
STATEMENT_TIMEOUT_MS = 1000  # the watchdog cuts a silent connection after 2 s


@pytest.fixture
def proxy(settings):
    url = urlsplit(str(settings.database_url))
    proxy = TcpProxy(url.hostname, url.port or 5432)
    yield proxy
    proxy.close()


@pytest.fixture
async def api(settings, proxy):
    url = urlsplit(str(settings.database_url))
    via_proxy = urlunsplit(url._replace(netloc=f"{url.username or 'postgres'}@127.0.0.1:{proxy.port}"))
    app = create_app(
        make_settings(
            via_proxy,
            connect_timeout_seconds=CONNECT_TIMEOUT,
            queue_wait_seconds=QUEUE_WAIT,
            statement_timeout_ms=STATEMENT_TIMEOUT_MS,
        )
    )
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield client


class Writers:
    """Clients creating applications without pause; every acknowledged write is logged."""

    def __init__(self, api):
        self.api, self.acknowledged, self.statuses, self.running = api, [], [], True

    async def write(self, worker: int) -> None:
        for n in range(10_000):  # bounded; stop() ends it far sooner
            if not self.running:
                return
            response = await self.api.post("/api/v1/applications", json={"name": f"w{worker}-{n}"})
            self.statuses.append(response.status_code)
            if response.status_code == 201:
                self.acknowledged.append(response.json()["id"])
            await asyncio.sleep(0.01)


async def timed_get(api, path: str) -> tuple[int, float]:
    started = time.monotonic()
    response = await api.get(path)
    return response.status_code, time.monotonic() - started


async def recovery_seconds(api) -> float:
    started = time.monotonic()
    while (await api.get("/ready")).status_code != 200:
        assert time.monotonic() - started < 5, "never recovered"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_cut_stall_and_restore_never_500_and_never_lose_an_acknowledged_write(api, proxy, settings):
    writers = Writers(api)
    tasks = [asyncio.create_task(writers.write(n)) for n in range(3)]
    await asyncio.sleep(0.5)

    proxy.cut()
    await asyncio.sleep(0.3)
    status, seconds = await timed_get(api, "/api/v1/applications")
    assert status == 503 and seconds < CONNECT_TIMEOUT + QUEUE_WAIT
    assert (await api.get("/ready")).status_code == 503
    proxy.restore()
    assert await recovery_seconds(api) < 1.0

    await asyncio.sleep(0.3)
    proxy.stall()
    await asyncio.sleep(0.3)
    status, seconds = await timed_get(api, "/api/v1/applications")
    # A pooled connection is cut by the watchdog, a new one gives up at the connect timeout.
    assert status == 503 and seconds < max(STATEMENT_TIMEOUT_MS / 1000 + 1, CONNECT_TIMEOUT) + QUEUE_WAIT + 0.5
    proxy.restore()
    assert await recovery_seconds(api) < 1.0

    await asyncio.sleep(0.3)
    writers.running = False
    await asyncio.gather(*tasks)

    assert set(writers.statuses) <= {201, 503}, sorted(set(writers.statuses))
    assert writers.statuses.count(201) > 10 and 503 in writers.statuses
    direct = connect(settings)
    try:
        with direct.cursor() as cursor:
            cursor.execute("SELECT id FROM applications")
            stored = {row["id"] for row in cursor.fetchall()}
    finally:
        direct.close()
    assert set(writers.acknowledged) <= stored


async def test_database_restart_while_idle_costs_no_request(api, proxy):
    assert (await api.get("/api/v1/applications")).status_code == 200
    proxy.cut()  # every pooled connection dies, as in a server restart
    proxy.restore()
    statuses = [(await api.get("/api/v1/applications")).status_code for _ in range(5)]
    assert statuses == [200] * 5
