"""Each guarantee checked where every path passes (issue: access, idempotency, the counter,
"nothing changed", byte budgets, bounded imports), end to end through the real app and
database; races forced by a third session or a hook between two statements."""

import asyncio
import threading
import time
from contextlib import asynccontextmanager

import httpx
import pytest

from config_service.conftest import make_settings
from config_service.db.database import open_database
from config_service.db.pool import connect, create_pool
from config_service.db.unit_of_work import UnitOfWork
from config_service.domain.access import EVERYTHING
from config_service.domain.errors import StaleVersion
from config_service.main import create_app
from config_service.services import applications, configurations
from config_service.testing.faults import database_name, deadlocks, wait_for_lock_waiters
from config_service.testing.tokens import bearer, make_token

pytestmark = pytest.mark.anyio
APPS, CONFIGS, TXN, IMPORT, TOKENS = (
    "/api/v1/applications",
    "/api/v1/configurations",
    "/api/v1/transactions",
    "/api/v1/import",
    "/api/v1/tokens",
)


@asynccontextmanager
async def client_for(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            yield client


@pytest.fixture
def secured(database_url):
    return make_settings(database_url, auth="tokens")


async def test_a_limited_token_is_refused_create_application_alone_and_in_a_transaction_alike(secured):
    admin = bearer(make_token(secured, "root", "admin"))
    async with client_for(secured) as api:
        app = (await api.post(APPS, json={"name": "mine"}, headers=admin)).json()
        limited = bearer(make_token(secured, "limited", "write", [app["id"]]))
        alone = await api.post(APPS, json={"name": "other"}, headers=limited)
        inside = await api.post(
            TXN, json={"operations": [{"op": "create_application", "body": {"name": "other"}}]}, headers=limited
        )
        assert alone.status_code == inside.status_code == 403
        assert inside.json()["operation_index"] == 0


async def test_two_tokens_may_use_the_same_idempotency_key_and_each_replays_its_own(secured):
    one, two = (bearer(make_token(secured, name, "write")) for name in ("one", "two"))
    async with client_for(secured) as api:
        key = {"Idempotency-Key": "same"}
        first = await api.post(APPS, json={"name": "a"}, headers={**one, **key})
        second = await api.post(APPS, json={"name": "b"}, headers={**two, **key})
        assert first.status_code == second.status_code == 201 and first.json()["id"] != second.json()["id"]
        again = await api.post(APPS, json={"name": "a"}, headers={**one, **key})
        assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
        assert again.headers["change-seq"] == first.headers["change-seq"]


async def test_a_token_never_receives_through_a_replay_what_it_could_not_read(secured):
    """Another token's key and document, replayed by a token limited to another application."""
    admin = bearer(make_token(secured, "root", "admin"))
    async with client_for(secured) as api:
        secret_app = (await api.post(APPS, json={"name": "secret"}, headers=admin)).json()
        own_app = (await api.post(APPS, json={"name": "own"}, headers=admin)).json()
        limited = bearer(make_token(secured, "limited", "write", [own_app["id"]]))
        config = (
            await api.post(
                CONFIGS, json={"application_id": secret_app["id"], "name": "db", "config": {}}, headers=admin
            )
        ).json()
        document = {
            "operations": [
                {
                    "op": "update_configuration",
                    "id": config["id"],
                    "body": {"name": "db", "config": {"password": "hunter2"}},
                }
            ]
        }
        key = {"Idempotency-Key": "guessed"}
        assert (await api.post(TXN, json=document, headers={**admin, **key})).status_code == 200
        replay = await api.post(TXN, json=document, headers={**limited, **key})
        assert replay.status_code == 404 and "hunter2" not in replay.text


async def test_an_idempotent_transaction_that_changes_nothing_is_stored_and_replayed_without_change_seq(settings):
    async with client_for(settings) as api:
        app = (await api.post(APPS, json={"name": "a"})).json()
        document = {"operations": [{"op": "check", "kind": "application", "id": app["id"], "if_match": 1}]}
        first = await api.post(TXN, json=document, headers={"Idempotency-Key": "k"})
        again = await api.post(TXN, json=document, headers={"Idempotency-Key": "k"})
        assert first.status_code == again.status_code == 200 and again.json() == first.json()
        assert "change-seq" not in first.headers and "change-seq" not in again.headers
        assert again.headers["idempotent-replayed"] == "true"


async def test_two_transactions_that_each_check_what_the_other_writes_cannot_both_pass(settings):
    """Write skew: the two configurations belong to two applications; a third session holds
    both rows, both transactions queue behind it; the one that goes second sees the first's
    write and answers 412."""
    session = connect(settings)
    try:
        async with client_for(settings) as api:
            configs = []
            for name in ("a", "b"):
                app = (await api.post(APPS, json={"name": name})).json()
                configs.append(
                    (await api.post(CONFIGS, json={"application_id": app["id"], "name": name, "config": {}})).json()
                )
            a, b = configs

            def skew(checked, written):
                return api.post(
                    TXN,
                    json={
                        "operations": [
                            {"op": "check", "kind": "configuration", "id": checked["id"], "if_match": 1},
                            {
                                "op": "update_configuration",
                                "id": written["id"],
                                "body": {"name": written["name"], "config": {"by": checked["name"]}},
                            },
                        ]
                    },
                )

            with session.cursor() as cursor:
                cursor.execute("SELECT id FROM configurations WHERE id IN (%s, %s) FOR UPDATE", (a["id"], b["id"]))
            tasks = [asyncio.ensure_future(skew(a, b)), asyncio.ensure_future(skew(b, a))]
            await asyncio.to_thread(wait_for_lock_waiters, database_name(settings), 2)
            session.rollback()
            statuses = sorted(task.status_code for task in await asyncio.gather(*tasks))
            assert statuses == [200, 412]
    finally:
        session.close()


def test_an_unconditional_put_is_never_412_when_another_writer_commits_between_its_statements(settings):
    """The hook commits another writer's change right after the PUT's first UPDATE found
    nothing to change: PostgreSQL, under the row's lock, then decides again."""
    pool = create_pool(settings)
    try:
        with UnitOfWork(pool) as uow:
            app = applications.create_application(uow, EVERYTHING, "a", None)
            row = configurations.create_configuration(uow, EVERYTHING, app["id"], "db", None, {"v": 1})
            uow.commit()
        with UnitOfWork(pool) as uow:
            update, interfered = uow.configurations.update, []

            def update_then_another_writer_commits(*args, **kwargs):
                result = update(*args, **kwargs)
                if not interfered:
                    interfered.append(True)
                    other = connect(settings)
                    with other.cursor() as cursor:
                        cursor.execute(
                            "UPDATE configurations SET config = '{\"v\": 2}', version = version + 1 WHERE id = %s",
                            (row["id"],),
                        )
                    other.commit()
                    other.close()
                return result

            uow.configurations.update = update_then_another_writer_commits
            try:
                written = configurations.update_configuration(uow, EVERYTHING, row["id"], None, "db", None, {"v": 1})
            except StaleVersion:
                pytest.fail("an unconditional PUT answered 412")
            uow.commit()
        assert interfered and written["config"] == {"v": 1} and written["version"] == 3
    finally:
        pool.closeall()


async def test_a_body_equal_by_jsonb_equality_is_a_no_op_every_time_and_a_second_import_is_unchanged(settings):
    async with client_for(settings) as api:
        app = (await api.post(APPS, json={"name": "a"})).json()
        created = await api.post(CONFIGS, json={"application_id": app["id"], "name": "n", "config": {"n": 1e23}})
        for _ in range(2):
            again = await api.put(f"{CONFIGS}/{created.json()['id']}", json={"name": "n", "config": {"n": 1e23}})
            assert again.status_code == 200 and again.headers["etag"] == '"1"' and "change-seq" not in again.headers
        document = {
            "format": "config-service/v1",
            "application": {"name": "b", "comments": None},
            "configurations": [{"name": "n", "comments": None, "config": {"n": 1e23, "f": 0.1}}],
        }
        assert (await api.post(IMPORT, json=document)).status_code == 200
        second = (await api.post(IMPORT, json=document)).json()
        assert second["application"]["action"] == "unchanged"
        assert [item["action"] for item in second["configurations"]] == ["unchanged"]


async def test_a_page_and_an_export_stop_at_the_byte_budget(database_url):
    settings = make_settings(database_url, max_response_bytes=600_000)
    async with client_for(settings) as api:
        app = (await api.post(APPS, json={"name": "big"})).json()
        for name in ("a", "b", "c"):
            assert (
                await api.post(
                    CONFIGS, json={"application_id": app["id"], "name": name, "config": {"blob": "x" * 400_000}}
                )
            ).status_code == 201
        page = await api.get(CONFIGS, params={"application_id": app["id"]})
        assert len(page.json()) == 2 and 'rel="next"' in page.headers["link"]
        rest = await api.get(CONFIGS, params={"application_id": app["id"], "after": page.json()[-1]["id"]})
        assert len(rest.json()) == 1 and "link" not in rest.headers
        export = await api.get(f"{APPS}/{app['id']}/export")
        assert export.status_code == 413 and export.headers["content-type"] == "application/problem+json"


async def test_an_import_above_the_limit_is_refused_at_once(database_url):
    settings = make_settings(database_url, max_transaction_operations=2)
    async with client_for(settings) as api:
        document = {
            "format": "config-service/v1",
            "application": {"name": "b"},
            "configurations": [{"name": f"c{i}", "config": {}} for i in range(3)],
        }
        refused = await api.post(IMPORT, json=document)
        assert refused.status_code == 422 and "at most 2 configurations" in refused.text
        assert (await api.get(APPS)).json() == []


async def test_an_import_at_the_limit_never_makes_an_unrelated_put_wait_for_the_counter(database_url):
    """10,000 configurations in one import while another client PUTs to another application:
    the counter is taken only at the import's end, so every PUT answers 200 and no deadlock."""
    settings = make_settings(database_url, max_transaction_operations=10_000)
    async with client_for(settings) as api:
        other = (await api.post(APPS, json={"name": "other"})).json()
        config = (await api.post(CONFIGS, json={"application_id": other["id"], "name": "c", "config": {}})).json()
        before = deadlocks(database_name(settings))
        document = {
            "format": "config-service/v1",
            "application": {"name": "imported"},
            "configurations": [{"name": f"c{i}", "config": {"i": i}} for i in range(10_000)],
        }
        started = time.monotonic()
        importing = asyncio.ensure_future(api.post(IMPORT, json=document))
        statuses = []
        while not importing.done():
            put = await api.put(f"{CONFIGS}/{config['id']}", json={"name": "c", "config": {"n": len(statuses)}})
            statuses.append(put.status_code)
        assert (await importing).status_code == 200, time.monotonic() - started
        assert len(statuses) > 10 and set(statuses) == {200}
        assert deadlocks(database_name(settings)) == before


async def test_a_unit_of_work_takes_the_counter_only_at_its_end(settings):
    """A write held open after recording its change does not hold up another writer."""
    async with open_database(settings) as database:
        recorded, release = threading.Event(), threading.Event()

        def slow(uow):
            applications.create_application(uow, EVERYTHING, "slow", None)
            recorded.set()
            release.wait(10)

        held = asyncio.ensure_future(database.write(slow))
        await asyncio.to_thread(recorded.wait, 5)
        started = time.monotonic()
        quick = await database.write(lambda uow: applications.create_application(uow, EVERYTHING, "quick", None))
        assert time.monotonic() - started < 1 and quick.seq == 1
        release.set()
        assert (await held).seq == 2


async def test_revisions_of_an_id_that_never_existed_are_404_with_and_without_after(settings):
    async with client_for(settings) as api:
        for params in ({}, {"after": 3}):
            response = await api.get(f"{CONFIGS}/01J0000000000000000000000Q/revisions", params=params)
            assert response.status_code == 404, params


@pytest.mark.parametrize("expires_at", ["2030-01-01T00:00:00", "9999-12-31T23:00:00-05:00"])
async def test_an_expiry_without_an_offset_or_past_the_year_9999_in_utc_is_422(secured, expires_at):
    admin = bearer(make_token(secured, "root", "admin"))
    async with client_for(secured) as api:
        response = await api.post(TOKENS, json={"name": "t", "scope": "read", "expires_at": expires_at}, headers=admin)
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


async def test_a_held_watch_ends_401_within_a_second_of_revocation_and_never_carries_a_later_write(secured):
    admin = bearer(make_token(secured, "root", "admin"))
    reader = bearer(make_token(secured, "reader", "read"))
    async with client_for(secured) as api:
        app = (await api.post(APPS, json={"name": "a"}, headers=admin)).json()
        config = (
            await api.post(CONFIGS, json={"application_id": app["id"], "name": "c", "config": {}}, headers=admin)
        ).json()
        url = f"{CONFIGS}/{config['id']}"
        held = asyncio.ensure_future(api.get(url, headers={**reader, "If-None-Match": '"1"', "Prefer": "wait=20"}))
        await asyncio.sleep(0.3)
        token_id = next(t["id"] for t in (await api.get(TOKENS, headers=admin)).json() if t["name"] == "reader")
        revoked = time.monotonic()
        assert (await api.delete(f"{TOKENS}/{token_id}", headers=admin)).status_code == 204
        written = await api.put(url, json={"name": "c", "config": {"after": "revocation"}}, headers=admin)
        assert written.status_code == 200
        response = await held
        assert response.status_code == 401 and time.monotonic() - revoked < 1.5
        assert "revocation" not in response.text and response.headers["www-authenticate"] == "Bearer"


async def test_a_held_long_poll_never_carries_a_write_made_after_its_tokens_revocation_by_another_instance(secured):
    """Another instance revokes the token (plain SQL and its notification); this worker's
    token reload is then held back by a third session's lock on the tokens table, and this
    worker's own write wakes the long-poll at once: it must answer 401, not the write."""
    admin = bearer(make_token(secured, "root", "admin"))
    reader = bearer(make_token(secured, "reader", "read"))
    elsewhere, blocker = connect(secured), connect(secured)
    try:
        async with client_for(secured) as api:
            app = (await api.post(APPS, json={"name": "a"}, headers=admin)).json()
            config = (
                await api.post(CONFIGS, json={"application_id": app["id"], "name": "c", "config": {}}, headers=admin)
            ).json()
            head = (await api.get("/api/v1/changes", headers=admin)).json()["last_seq"]
            held = asyncio.ensure_future(api.get("/api/v1/changes", params={"after": head, "wait": 20}, headers=reader))
            await asyncio.sleep(0.3)
            with elsewhere.cursor() as cursor:  # no await from here to the write: this worker cannot reload before
                cursor.execute("UPDATE tokens SET revoked_at = now() WHERE name = 'reader'")
                cursor.execute("SELECT pg_notify('config_service_tokens', '')")
            elsewhere.commit()
            with blocker.cursor() as cursor:
                cursor.execute("LOCK TABLE tokens IN ACCESS EXCLUSIVE MODE")
            write = asyncio.ensure_future(
                api.put(
                    f"{CONFIGS}/{config['id']}", headers=admin, json={"name": "c", "config": {"after": "revocation"}}
                )
            )
            assert (await write).status_code == 200
            await asyncio.sleep(1.2)
            blocker.rollback()
            response = await held
            assert response.status_code == 401 and response.json()["status"] == 401
    finally:
        elsewhere.close()
        blocker.close()


async def test_with_the_listener_down_a_held_long_poll_of_a_token_revoked_elsewhere_ends_401(secured):
    admin = bearer(make_token(secured, "root", "admin"))
    reader = bearer(make_token(secured, "reader", "read"))
    elsewhere = connect(secured)
    try:
        async with client_for(secured) as api:
            app = (await api.post(APPS, json={"name": "a"}, headers=admin)).json()
            head = (await api.get("/api/v1/changes", headers=admin)).json()["last_seq"]
            await api._transport.app.state.runtime.feed.listener.stop()  # down: the map is no longer trusted
            held = asyncio.ensure_future(api.get("/api/v1/changes", params={"after": head, "wait": 20}, headers=reader))
            await asyncio.sleep(0.3)
            with elsewhere.cursor() as cursor:
                cursor.execute("UPDATE tokens SET revoked_at = now() WHERE name = 'reader'")
            elsewhere.commit()
            revoked = time.monotonic()
            await api.put(f"{APPS}/{app['id']}", json={"name": "b"}, headers=admin)
            response = await held
            assert response.status_code == 401 and time.monotonic() - revoked < 2.5
    finally:
        elsewhere.close()


async def test_a_token_the_map_does_not_hold_yet_is_asked_of_the_database_not_refused(secured):
    """A token made by another instance whose notification has not reached this worker yet."""
    async with client_for(secured) as api:
        from config_service.domain.secrets import hash_secret

        state = api._transport.app.state
        for _ in range(250):  # the map trusted: it would refuse what it does not hold
            if state.runtime.tokens.trusted:
                break
            await asyncio.sleep(0.02)
        assert state.runtime.tokens.trusted
        elsewhere = connect(secured)
        try:
            with elsewhere.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO tokens (id, name, scope, secret_hash) VALUES"
                    " ('01J0000000000000000000000T', 'fresh', 'read', %s)",
                    (hash_secret("cfg_fresh"),),
                )
            elsewhere.commit()
        finally:
            elsewhere.close()
        response = await api.get("/api/v1/changes", params={"wait": 1}, headers=bearer("cfg_fresh"))
        assert response.status_code == 200
