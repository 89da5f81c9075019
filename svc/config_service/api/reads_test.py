import asyncio
import time

import pytest
from starlette.requests import Request

from config_service.api.reads import prefer_wait
from config_service.testing.faults import database_name, kill_sessions

APPS, CONFIGS = "/api/v1/applications", "/api/v1/configurations"
pytestmark = pytest.mark.anyio


def request_with(prefer: str | None) -> Request:
    headers = [(b"prefer", prefer.encode())] if prefer is not None else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})


@pytest.mark.parametrize(
    "prefer, seconds",
    [
        (None, None),
        ("wait=5", 5),
        ("respond-async, wait=10", 10),
        ("wait=600", 60),
        ("WAIT=3", 3),
        ("handling=lenient", None),
        ("wait=x", None),
        ("wait=5x", None),
    ],
)
async def test_prefer_wait_is_read_and_capped_at_60(prefer, seconds):
    assert prefer_wait(request_with(prefer)) == seconds


class ReadSpy:
    """Counts the database reads that requests make (to show that a cache hit makes none); the
    listener's own reads (catch-up, tokens) go through the same handle and are not counted."""

    def __init__(self, database):
        self.count, self._read = 0, database.read
        database.read = self

    async def __call__(self, use_case):
        if "/api/" in use_case.__code__.co_filename:
            self.count += 1
        return await self._read(use_case)


async def listening(app):
    for _ in range(200):
        if app.state.runtime.feed.hub.listening:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the listener did not connect")


@pytest.fixture
async def config(api):
    await listening(api.app)
    app_id = (await api.post(APPS, json={"name": "billing"})).json()["id"]
    return (await api.post(CONFIGS, json={"application_id": app_id, "name": "db", "config": {"v": 1}})).json()


async def test_a_second_read_is_answered_from_the_cache_without_sql(api, config):
    spy = ReadSpy(api.app.state.runtime.database)
    first = await api.get(f"{CONFIGS}/{config['id']}")
    second = await api.get(f"{CONFIGS}/{config['id']}")
    assert spy.count == 1 and first.content == second.content and second.headers["etag"] == '"1"'
    assert (await api.get(f"{CONFIGS}/{config['id']}", headers={"If-None-Match": '"1"'})).status_code == 304
    await api.get(f"{CONFIGS}/{config['id']}", headers={"Cache-Control": "no-cache"})
    assert spy.count == 2  # no-cache goes to the database
    await api.get(f"{APPS}/{config['application_id']}")
    await api.get(f"{APPS}/{config['application_id']}")
    assert spy.count == 3


async def test_a_write_is_seen_by_the_next_read_of_the_same_worker(api, config):
    await api.get(f"{CONFIGS}/{config['id']}")
    await api.get(f"{APPS}/{config['application_id']}")
    await api.put(f"{CONFIGS}/{config['id']}", json={"name": "db", "config": {"v": 2}})
    assert (await api.get(f"{CONFIGS}/{config['id']}")).json()["config"] == {"v": 2}
    await api.delete(f"{CONFIGS}/{config['id']}")
    assert (await api.get(f"{CONFIGS}/{config['id']}")).status_code == 404
    assert (await api.get(f"{APPS}/{config['application_id']}")).json()["configuration_ids"] == []


async def test_a_read_that_raced_a_write_never_leaves_the_old_version_cached(api, config):
    """Fill after invalidate, forced: a miss has read v1; the change to v2 commits and is seen;
    only then does the miss come to store v1."""
    database = api.app.state.runtime.database
    real_read, has_read, may_return = database.read, asyncio.Event(), asyncio.Event()

    async def paused_read(use_case):
        result = await real_read(use_case)
        if not has_read.is_set():
            has_read.set()
            await may_return.wait()
        return result

    database.read = paused_read
    racing = asyncio.ensure_future(api.get(f"{CONFIGS}/{config['id']}"))
    await has_read.wait()
    database.read = real_read
    await api.put(f"{CONFIGS}/{config['id']}", json={"name": "db", "config": {"v": 2}})
    may_return.set()
    assert (await racing).json()["version"] == 1  # it was read before the write
    assert (await api.get(f"{CONFIGS}/{config['id']}")).json()["version"] == 2


async def test_with_the_listener_down_reads_go_to_the_database(api, settings, config):
    await api.get(f"{CONFIGS}/{config['id']}")
    hub = api.app.state.runtime.feed.hub
    kill_sessions(database_name(settings))  # the listener's connection with the pool's
    for _ in range(100):
        if not hub.listening:
            break
        await asyncio.sleep(0.01)
    assert not hub.listening and len(api.app.state.runtime.feed.cache) == 0
    spy = ReadSpy(api.app.state.runtime.database)
    while not hub.listening:  # reconnecting: every read meanwhile asks the database
        before = spy.count
        assert (await api.get(f"{CONFIGS}/{config['id']}")).status_code == 200
        assert spy.count == before + 1 or hub.listening
        await asyncio.sleep(0.02)


async def test_a_watch_is_held_until_the_version_changes(api, config):
    url = f"{CONFIGS}/{config['id']}"
    held = asyncio.ensure_future(api.get(url, headers={"If-None-Match": '"1"', "Prefer": "wait=10"}))
    await asyncio.sleep(0.3)
    assert not held.done()
    started = time.monotonic()
    await api.put(url, json={"name": "db", "config": {"v": 2}})
    response = await held
    assert time.monotonic() - started < 0.5
    assert response.status_code == 200 and response.json()["version"] == 2
    assert response.headers["preference-applied"] == "wait=10"


async def test_a_watch_that_times_out_is_304_and_one_on_a_stale_version_answers_at_once(api, config):
    url = f"{CONFIGS}/{config['id']}"
    timed_out = await api.get(url, headers={"If-None-Match": '"1"', "Prefer": "wait=1"})
    assert timed_out.status_code == 304 and timed_out.headers["preference-applied"] == "wait=1"
    started = time.monotonic()
    fresh = await api.get(url, headers={"If-None-Match": '"7"', "Prefer": "wait=10"})
    assert fresh.status_code == 200 and "preference-applied" not in fresh.headers
    assert time.monotonic() - started < 0.5


async def test_a_watched_configuration_that_is_deleted_answers_404(api, config):
    url = f"{CONFIGS}/{config['id']}"
    held = asyncio.ensure_future(api.get(url, headers={"If-None-Match": '"1"', "Prefer": "wait=10"}))
    await asyncio.sleep(0.2)
    await api.delete(url)
    assert (await held).status_code == 404


async def test_a_watched_application_wakes_when_its_configurations_change(api, config):
    url = f"{APPS}/{config['application_id']}"
    version = (await api.get(url)).json()["version"]
    held = asyncio.ensure_future(api.get(url, headers={"If-None-Match": f'"{version}"', "Prefer": "wait=10"}))
    await asyncio.sleep(0.2)
    await api.post(CONFIGS, json={"application_id": config["application_id"], "name": "cache", "config": {}})
    answer = await held
    assert answer.status_code == 200 and len(answer.json()["configuration_ids"]) == 2
