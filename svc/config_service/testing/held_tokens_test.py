"""Held long-polls and open streams re-check their token: each ends (401 problem+json, or the
stream closed) within a second of the token's revocation or expiry, with nothing written after it."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from config_service.conftest import make_settings
from config_service.db.pool import create_pool
from config_service.db.unit_of_work import run_in_unit_of_work
from config_service.services import tokens
from config_service.testing.live import live_app
from config_service.testing.tokens import bearer, make_token

pytestmark = pytest.mark.anyio
APPS, CONFIGS, CHANGES, TOKENS = "/api/v1/applications", "/api/v1/configurations", "/api/v1/changes", "/api/v1/tokens"


@pytest.fixture
def secured(database_url):
    """The app with AUTH=tokens on a socket, an admin token and a reader's token (and its id)."""
    settings = make_settings(database_url, auth="tokens")
    with live_app(settings) as (base_url, app):
        admin = bearer(make_token(settings, "root", "admin"))
        reader = make_token(settings, "reader", "read")
        yield base_url, settings, admin, reader


def revoke_elsewhere(settings, name: str) -> None:
    """Revoke as another process does (the CLI): this app hears of it only by notification."""
    pool = create_pool(settings.model_copy(update={"pool_size": 1}))
    try:
        run_in_unit_of_work(pool, None, lambda uow: tokens.revoke_token_by_name(uow, name), False, 2)
    finally:
        pool.closeall()


async def until_usable(client: httpx.AsyncClient, headers: dict) -> None:
    for _ in range(250):
        if (await client.get(CHANGES, headers=headers)).status_code == 200:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the token never became usable")


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_held_long_poll_is_401_at_its_tokens_revocation_and_never_carries_a_later_write(secured):
    base_url, _, admin, reader = secured
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        app_id = (await client.post(APPS, json={"name": "billing"}, headers=admin)).json()["id"]
        await until_usable(client, bearer(reader))
        token_id = next(t["id"] for t in (await client.get(TOKENS, headers=admin)).json() if t["name"] == "reader")
        held = asyncio.ensure_future(client.get(CHANGES, params={"after": 1, "wait": 10}, headers=bearer(reader)))
        await asyncio.sleep(0.3)
        assert (await client.delete(f"{TOKENS}/{token_id}", headers=admin)).status_code == 204
        revoked = time.monotonic()
        # The write wakes the held poll before any re-check would: it must still not carry it.
        await client.post(CONFIGS, json={"application_id": app_id, "name": "db", "config": {}}, headers=admin)
        response = await asyncio.wait_for(held, 5)
        assert_refused(response)
        assert time.monotonic() - revoked < 1.0


async def test_a_held_long_poll_is_401_within_a_second_of_a_revocation_made_by_another_process(secured):
    base_url, settings, admin, reader = secured
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        await client.post(APPS, json={"name": "billing"}, headers=admin)
        await until_usable(client, bearer(reader))
        for round in range(3):  # whatever the phase of the held poll's periodic look at the table
            token = bearer(make_token(settings, f"reader-{round}", "read")) if round else bearer(reader)
            await until_usable(client, token)
            held = asyncio.ensure_future(client.get(CHANGES, params={"after": 1, "wait": 10}, headers=token))
            await asyncio.sleep(0.3 + round * 0.3)
            revoke_elsewhere(settings, f"reader-{round}" if round else "reader")
            revoked = time.monotonic()
            assert_refused(await asyncio.wait_for(held, 5))
            assert time.monotonic() - revoked < 0.5  # woken by the notification, not at its next look


async def test_a_held_long_poll_is_401_when_its_token_expires(secured):
    base_url, settings, admin, _ = secured
    expires_at = datetime.now(UTC) + timedelta(seconds=1.5)
    token = bearer(make_token(settings, "short", "read", expires_at=expires_at))
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        await client.post(APPS, json={"name": "billing"}, headers=admin)
        await until_usable(client, token)
        response = await client.get(CHANGES, params={"after": 1, "wait": 10}, headers=token)
        answered = datetime.now(UTC)
        assert_refused(response)
        assert expires_at <= answered < expires_at + timedelta(seconds=1)


@pytest.mark.parametrize("ending", ["revoked", "revoked-elsewhere", "expired"])
async def test_a_stream_closes_within_a_second_of_its_tokens_end_and_sends_nothing_written_after(secured, ending):
    base_url, settings, admin, reader = secured
    expires_at = datetime.now(UTC) + timedelta(seconds=2)
    secret = make_token(settings, "short", "read", expires_at=expires_at) if ending == "expired" else reader
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        app_id = (await client.post(APPS, json={"name": "billing"}, headers=admin)).json()["id"]
        await until_usable(client, bearer(secret))
        name = "short" if ending == "expired" else "reader"
        token_id = next(t["id"] for t in (await client.get(TOKENS, headers=admin)).json() if t["name"] == name)
        events, ended = [], asyncio.get_running_loop().create_future()

        async def follow():
            async with client.stream("GET", f"{CHANGES}/stream", params={"after": 1}, headers=bearer(secret)) as stream:
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        events.append(json.loads(line[6:])["seq"])
            ended.set_result(time.monotonic())

        following = asyncio.ensure_future(follow())
        await asyncio.sleep(0.3)
        await client.post(CONFIGS, json={"application_id": app_id, "name": "before", "config": {}}, headers=admin)
        for _ in range(100):
            if events:
                break
            await asyncio.sleep(0.01)
        assert events == [2]
        if ending == "revoked":
            assert (await client.delete(f"{TOKENS}/{token_id}", headers=admin)).status_code == 204
        elif ending == "revoked-elsewhere":
            revoke_elsewhere(settings, name)
        else:
            await asyncio.sleep((expires_at - datetime.now(UTC)).total_seconds())
        gone = time.monotonic()
        if ending == "revoked-elsewhere":  # this worker learns of it by notification: write once it has
            await asyncio.wait_for(asyncio.shield(ended), 1.0)
        await client.post(CONFIGS, json={"application_id": app_id, "name": "after", "config": {}}, headers=admin)
        assert await asyncio.wait_for(ended, 5) - gone < 0.5  # woken at once, not at its next look
        await following
        assert events == [2]
