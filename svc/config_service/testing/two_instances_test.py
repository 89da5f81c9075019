"""Two service processes on one database: a write through A reaches B's feed and B's reads."""

import asyncio
import json
import time

import httpx
import pytest

from config_service.testing.server import running_servers

pytestmark = pytest.mark.anyio
APPS, CONFIGS, CHANGES = "/api/v1/applications", "/api/v1/configurations", "/api/v1/changes"
ROUNDS = 500


@pytest.fixture
def two_servers(database_url):
    with running_servers(database_url, 2) as servers:
        yield [base_url for _, base_url in servers]


async def test_a_put_through_a_reaches_bs_long_poll_stream_and_reads_within_a_second(two_servers):
    a_url, b_url = two_servers
    async with httpx.AsyncClient(base_url=a_url, timeout=10) as a, httpx.AsyncClient(base_url=b_url, timeout=10) as b:
        app_id = (await a.post(APPS, json={"name": "billing"})).json()["id"]
        created = await a.post(CONFIGS, json={"application_id": app_id, "name": "db", "config": {"round": 0}})
        config_id, last_seq = created.json()["id"], int(created.headers["change-seq"])
        streamed: asyncio.Queue = asyncio.Queue()

        async def follow_stream():
            async with b.stream("GET", f"{CHANGES}/stream", params={"after": last_seq}) as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        streamed.put_nowait(json.loads(line[6:]))

        streaming = asyncio.ensure_future(follow_stream())
        stale, slow = 0, []
        try:
            for round in range(1, ROUNDS + 1):
                polling = asyncio.ensure_future(b.get(CHANGES, params={"after": last_seq, "wait": 5}))
                put = await a.put(f"{CONFIGS}/{config_id}", json={"name": "db", "config": {"round": round}})
                written, seq = put.json()["version"], int(put.headers["change-seq"])
                started = time.monotonic()
                page = (await asyncio.wait_for(polling, 5)).json()
                event = await asyncio.wait_for(streamed.get(), 5)
                slow.append(time.monotonic() - started)
                assert [c["seq"] for c in page["changes"]] == [seq] and event["seq"] == seq
                if (await b.get(f"{CONFIGS}/{config_id}")).json()["version"] != written:
                    stale += 1
                last_seq = seq
        finally:
            streaming.cancel()
    assert stale == 0
    assert max(slow) < 1.0, f"slowest: {max(slow):.3f} s"
