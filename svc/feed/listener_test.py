import asyncio

import httpx
import pytest

from feed.listener import CATCH_UP_SECONDS
from main import create_app
from test.faults import _admin

pytestmark = pytest.mark.anyio
APPS, CONFIGS, CHANGES = "/api/v1/applications", "/api/v1/configurations", "/api/v1/changes"


async def until(condition, seconds=10.0):
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition never held")


def terminate(pid: int) -> None:
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    finally:
        connection.close()


@pytest.fixture
async def other(settings):
    """A second instance on the same database: its writes reach the first only through the feed."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://other") as client:
            client.app = app
            yield client


async def test_a_killed_listener_reconnects_and_no_change_is_missed_or_read_stale(api, other):
    hub = api.app.state.feed.hub
    await until(lambda: hub.listening and other.app.state.feed.hub.listening)
    app_id = (await other.post(APPS, json={"name": "billing"})).json()["id"]
    created = [await other.post(CONFIGS, json={"application_id": app_id, "name": f"c{n}", "config": {"v": 0}})
               for n in range(5)]
    ids, start = [c.json()["id"] for c in created], int(created[-1].headers["change-seq"])
    await until(lambda: hub.seen >= start)
    for id in ids:  # fill the first instance's cache
        assert (await api.get(f"{CONFIGS}/{id}")).json()["version"] == 1
    seen, writing = [], True

    async def follow():
        after = start
        while writing or after < start + 100:
            page = (await api.get(CHANGES, params={"after": after, "wait": 1, "limit": 1000})).json()
            seen.extend(c["seq"] for c in page["changes"])
            after = page["last_seq"]

    async def write():
        for n in range(1, 21):
            for id in ids:
                await other.put(f"{CONFIGS}/{id}", json={"name": "x" + id[-3:], "config": {"v": n}})
            if n == 5:
                terminate(api.app.state.feed.listener._connection.get_backend_pid())

    follower = asyncio.ensure_future(follow())
    await write()
    writing = False
    await asyncio.wait_for(follower, 30)
    assert seen == list(range(start + 1, start + 101))
    await until(lambda: hub.listening and hub.seen == start + 100, CATCH_UP_SECONDS + 5)
    for id in ids:
        assert (await api.get(f"{CONFIGS}/{id}")).json()["version"] == 21


async def test_a_change_through_another_instance_reaches_this_one_by_notification(api, other):
    hub = api.app.state.feed.hub
    await until(lambda: hub.listening)
    app_id = (await other.post(APPS, json={"name": "billing"})).json()["id"]
    await until(lambda: hub.seen == 1, 1.0)  # well within the periodic catch-up: the NOTIFY woke it
    assert (await api.get(f"{APPS}/{app_id}")).status_code == 200
