"""The database restored from a backup (or failed over to a replica that lost commits) under two
running service processes: no read, long-poll or stream of either shows the lost history."""

import asyncio
import json
import subprocess

import httpx
import pytest

from config_service.testing.faults import kill_sessions
from config_service.testing.server import running_servers, stop

pytestmark = pytest.mark.anyio
APPS, CONFIGS, CHANGES = "/api/v1/applications", "/api/v1/configurations", "/api/v1/changes"
RESTART_WARNING = "restarting from its head"


@pytest.fixture
def two_servers(database_url):
    with running_servers(database_url, 2) as servers:
        yield servers


async def stream_lines(client: httpx.AsyncClient, after: int, until_seq: int | None = None) -> list[str]:
    """The stream's lines until it ends (or its event `until_seq` came), blank lines left out."""
    lines = []
    async with client.stream("GET", f"{CHANGES}/stream", params={"after": after}) as stream:
        async for line in stream.aiter_lines():
            if line:
                lines.append(line)
            if until_seq is not None and line.startswith("data: ") and json.loads(line[6:])["seq"] == until_seq:
                break
    return lines


async def follow(client: httpx.AsyncClient, after: int, upto: int) -> list[dict]:
    """Long-poll from `after` until the change `upto` came; every change received."""
    changes = []
    while after < upto:
        page = (await client.get(CHANGES, params={"after": after, "wait": 5})).json()
        changes += page["changes"]
        after = page["last_seq"]
    return changes


@pytest.mark.parametrize("failover", [False, True], ids=["restored", "failed-over"])
async def test_after_a_restore_no_read_long_poll_or_stream_shows_a_change_of_the_lost_history(
    database_url, two_servers, tmp_path, failover
):
    (process_a, a_url), (process_b, b_url) = two_servers
    backup = tmp_path / "at-seq-2.dump"
    async with httpx.AsyncClient(base_url=a_url, timeout=30) as a, httpx.AsyncClient(base_url=b_url, timeout=30) as b:
        app_id = (await a.post(APPS, json={"name": "billing"})).json()["id"]
        created = await a.post(CONFIGS, json={"application_id": app_id, "name": "db", "config": {"n": 0}})
        config_id = created.json()["id"]
        subprocess.run(["pg_dump", "-Fc", "-f", str(backup), "-d", database_url], check=True)
        lost_id = (await a.post(CONFIGS, json={"application_id": app_id, "name": "lost", "config": {}})).json()["id"]
        for n in range(1, 5):
            put = await a.put(f"{CONFIGS}/{config_id}", json={"name": "db", "config": {"n": n}})
        assert put.headers["change-seq"] == "7" and put.json()["version"] == 5
        for client in (a, b):
            assert [c["seq"] for c in await follow(client, 6, 7)] == [7]
            assert (await client.get(f"{CONFIGS}/{config_id}")).json()["version"] == 5  # cached now
            assert (await client.get(f"{CONFIGS}/{lost_id}")).status_code == 200
            assert (await client.get(f"{APPS}/{app_id}")).json()["configuration_ids"] == sorted([config_id, lost_id])
        held = [asyncio.ensure_future(client.get(CHANGES, params={"after": 7, "wait": 30})) for client in (a, b)]
        streams = [asyncio.ensure_future(stream_lines(client, 7)) for client in (a, b)]
        await asyncio.sleep(0.3)  # held and subscribed (one that comes later is answered alike)

        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--single-transaction", "-d", database_url, str(backup)],
            check=True,
        )
        if failover:
            kill_sessions(database_url.rsplit("/", 1)[1])  # every connection drops, as the primary goes
        put = await a.put(f"{CONFIGS}/{config_id}", json={"name": "db", "config": {"n": "after"}})
        assert put.status_code == 200 and put.headers["change-seq"] == "3" and put.json()["version"] == 2
        assert (await a.get(f"{CONFIGS}/{config_id}")).json()["config"] == {"n": "after"}  # at once, on the writer

        heads = []
        for client, poll, stream in zip((a, b), held, streams, strict=False):
            page = (await asyncio.wait_for(poll, 5)).json()
            assert page["changes"] == [] and page["last_seq"] in (2, 3)  # the head when the worker noticed
            lines = await asyncio.wait_for(stream, 5)
            assert lines == ["event: reset", f'data: {{"last_seq": {page["last_seq"]}}}']  # and not one change
            heads.append(page["last_seq"])
            assert (await client.get(f"{CONFIGS}/{config_id}")).json()["config"] == {"n": "after"}
            assert (await client.get(f"{CONFIGS}/{lost_id}")).status_code == 404
            assert (await client.get(f"{APPS}/{app_id}")).json()["configuration_ids"] == [config_id]
            assert (await client.get(CHANGES, params={"after": 7})).json() == {"changes": [], "last_seq": 3}

        later = [asyncio.ensure_future(follow(client, head, 4)) for client, head in zip((a, b), heads, strict=False)]
        later_streams = [
            asyncio.ensure_future(stream_lines(client, head, 4)) for client, head in zip((a, b), heads, strict=False)
        ]
        await asyncio.sleep(0.3)
        put = await b.put(f"{CONFIGS}/{config_id}", json={"name": "db", "config": {"n": "later"}})
        assert put.headers["change-seq"] == "4" and put.json()["version"] == 3
        for client, head, polled, streamed in zip((a, b), heads, later, later_streams, strict=False):
            changes = await asyncio.wait_for(polled, 5)
            events = [json.loads(line[6:]) for line in await asyncio.wait_for(streamed, 5) if line.startswith("data: ")]
            expected = [(3, config_id, 2), (4, config_id, 3)][head - 2 :]  # only changes of the restored history
            assert [(c["seq"], c["configuration_id"], c["version"]) for c in changes] == expected
            assert [(e["seq"], e["configuration_id"], e["version"]) for e in events] == expected
            assert (await client.get(f"{CONFIGS}/{config_id}")).json()["config"] == {"n": "later"}
    for process in (process_a, process_b):
        assert stop(process).count(RESTART_WARNING) == 1
