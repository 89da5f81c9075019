import asyncio
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from config_service.feed import listener as listener_module
from config_service.feed.listener import CATCH_UP_SECONDS
from config_service.main import create_app
from config_service.testing.faults import _admin
from config_service.testing.tcp_proxy import QueryCounter

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
    hub = api.app.state.runtime.feed.hub
    await until(lambda: hub.listening and other.app.state.runtime.feed.hub.listening)
    app_id = (await other.post(APPS, json={"name": "billing"})).json()["id"]
    created = [
        await other.post(CONFIGS, json={"application_id": app_id, "name": f"c{n}", "config": {"v": 0}})
        for n in range(5)
    ]
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
                terminate(api.app.state.runtime.feed.listener._connection.get_backend_pid())

    follower = asyncio.ensure_future(follow())
    await write()
    writing = False
    await asyncio.wait_for(follower, 30)
    assert seen == list(range(start + 1, start + 101))
    await until(lambda: hub.listening and hub.seen == start + 100, CATCH_UP_SECONDS + 5)
    for id in ids:
        assert (await api.get(f"{CONFIGS}/{id}")).json()["version"] == 21


async def test_a_change_through_another_instance_reaches_this_one_by_notification(api, other):
    hub = api.app.state.runtime.feed.hub
    await until(lambda: hub.listening)
    app_id = (await other.post(APPS, json={"name": "billing"})).json()["id"]
    await until(lambda: hub.seen == 1, 1.0)  # well within the periodic catch-up: the NOTIFY woke it
    assert (await api.get(f"{APPS}/{app_id}")).status_code == 200


def lose_history(connection, kept: int, rewritten: int = 0) -> None:
    """As a restore from a backup taken at seq `kept`: later changes are gone, and `rewritten`
    new ones take their seqs again."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM changes WHERE seq > %s", (kept,))
        cursor.execute("UPDATE change_counter SET last_seq = %s", (kept + rewritten,))
        cursor.execute(
            "INSERT INTO changes (seq, application_id, configuration_id, change, version, changed_at)"
            " SELECT n, application_id, NULL, 'update', 99, clock_timestamp() FROM changes,"
            " generate_series(%s, %s) AS n WHERE changes.seq = 1",
            (kept + 1, kept + rewritten),
        )
    connection.commit()


async def three_changes(api) -> tuple[str, str]:
    app_id = (await api.post(APPS, json={"name": "billing"})).json()["id"]
    config_id = (await api.post(CONFIGS, json={"application_id": app_id, "name": "db", "config": {}})).json()["id"]
    await api.put(f"{CONFIGS}/{config_id}", json={"name": "db", "config": {"v": 2}})
    return app_id, config_id


async def test_a_catch_up_that_finds_another_change_under_a_seen_seq_restarts_from_the_tables_head(
    api, connection, caplog
):
    hub, listener = api.app.state.runtime.feed.hub, api.app.state.runtime.feed.listener
    await until(lambda: hub.listening)
    _, config_id = await three_changes(api)
    await until(lambda: listener._verified and listener._verified["seq"] == 3)
    assert (await api.get(f"{CONFIGS}/{config_id}")).status_code == 200 and len(hub.cache) > 0
    lose_history(connection, kept=1, rewritten=2)  # seqs 2 and 3 are other changes now
    listener.request_catch_up()
    await until(lambda: hub.restarts == 1, 1.0)
    assert hub.seen == hub.restarted_at == 3 and listener._verified["version"] == 99 and len(hub.cache) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.name == "config_service.feed"]
    assert len(warnings) == 1 and "restarting from its head, seq 3" in warnings[0]
    listener.request_catch_up()  # the new history is the one applied now: no second restart
    await asyncio.sleep(0.2)
    assert hub.restarts == 1


async def test_this_workers_own_write_under_a_seen_seq_is_read_fresh_at_once_and_prompts_the_restart(api, connection):
    hub = api.app.state.runtime.feed.hub
    await until(lambda: hub.listening)
    _, config_id = await three_changes(api)
    assert (await api.get(f"{CONFIGS}/{config_id}")).json()["version"] == 2  # cached now
    lose_history(connection, kept=1)  # the feed lost seqs 2 and 3: the next write takes seq 2 again
    put = await api.put(f"{CONFIGS}/{config_id}", json={"name": "db", "config": {"v": 3}})
    assert put.headers["change-seq"] == "2"
    assert (await api.get(f"{CONFIGS}/{config_id}")).json()["version"] == 3  # not the cached version 2
    await until(lambda: hub.restarts == 1, CATCH_UP_SECONDS / 2)  # asked for at once, not at the periodic read
    assert hub.seen == 2


async def test_after_a_reconnect_the_history_is_verified_before_the_cache_answers_again(api, connection):
    hub, listener = api.app.state.runtime.feed.hub, api.app.state.runtime.feed.listener
    await until(lambda: hub.listening)
    await three_changes(api)
    await until(lambda: listener._verified and listener._verified["seq"] == 3)
    await listener.stop()
    hub.disconnected()
    lose_history(connection, kept=2)  # as a failover to a replica that lost the last commit
    listener.start()
    await until(lambda: hub.listening)
    assert hub.restarts == 1 and hub.seen == 2


async def test_a_change_heard_after_a_token_notification_is_vouched_for_only_once_the_tokens_are_reloaded(
    api, other, settings
):
    """Notifications arrive in commit order: while a third session holds the tokens table, the
    reload that a token notification asks for waits, and so does vouching for the change after it."""
    from config_service.db.pool import connect

    listener = api.app.state.runtime.feed.listener
    await until(lambda: api.app.state.runtime.feed.hub.listening)
    app_id = (await other.post(APPS, json={"name": "a"})).json()["id"]
    seq = int(
        (await other.post(CONFIGS, json={"application_id": app_id, "name": "c", "config": {}})).headers["change-seq"]
    )
    assert await listener.vouches_for(seq, 5)  # heard with no token notification before it
    blocker = connect(settings)
    try:
        with blocker.cursor() as cursor:
            cursor.execute("SELECT pg_notify('config_service_tokens', '')")
        blocker.commit()
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLE tokens IN ACCESS EXCLUSIVE MODE")
        later = int(
            (
                await other.put(
                    f"{CONFIGS}/{(await other.get(CONFIGS)).json()[0]['id']}", json={"name": "c", "config": {"v": 2}}
                )
            ).headers["change-seq"]
        )
        assert not await listener.vouches_for(later, 0.5)
        blocker.rollback()
        assert await listener.vouches_for(later, 5)
    finally:
        blocker.close()


async def test_changes_this_worker_applied_that_the_table_lost_restart_the_hub(api):
    """A failover to a replica that lacks this worker's last commits: they reached its hub (as
    its own writes do, at commit) but the table never shows them."""
    feed = api.app.state.runtime.feed
    await until(lambda: feed.hub.listening)
    app_id = (await api.post(APPS, json={"name": "a"})).json()["id"]
    head = feed.hub.seen
    assert await feed.listener.vouches_for(head, 5)  # its own write woke nobody: a ping vouches for it
    lost = [
        {
            "seq": head + n,
            "application_id": app_id,
            "configuration_id": None,
            "change": "update",
            "version": 1 + n,
            "changed_at": None,
            "changed_by": "anonymous",
        }
        for n in (1, 2)
    ]
    restarts = feed.hub.restarts
    feed.hub.apply(lost)
    feed.listener.request_catch_up()
    await until(lambda: feed.hub.restarts > restarts)
    assert feed.hub.seen == head


async def test_a_worker_never_reads_back_its_own_write_but_reads_another_workers(settings, other, monkeypatch):
    monkeypatch.setattr(listener_module, "CATCH_UP_SECONDS", 60.0)  # no periodic read within the test
    url = urlsplit(str(settings.database_url))
    proxy = QueryCounter(url.hostname, url.port or 5432)
    counted = settings.model_copy(
        update={
            "database_url": urlunsplit(url._replace(netloc=f"postgres@127.0.0.1:{proxy.port}", query="sslmode=disable"))
        }
    )
    app = create_app(counted)
    try:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as api:
                feed = app.state.runtime.feed
                await until(lambda: feed.hub.listening)
                waiter = asyncio.ensure_future(feed.hub.wait(feed.hub.seen, lambda change: True, 10))
                await asyncio.sleep(0)  # someone waits: the write wakes this worker's listener too
                proxy.queries.clear()
                assert (await api.post(APPS, json={"name": "mine"})).status_code == 201
                assert await waiter
                await until(lambda: feed.listener.vouched >= feed.hub.seen)  # its notification was heard
                await asyncio.sleep(0.2)
                reads = [query for query in proxy.queries if b"FROM changes WHERE" in query]
                assert reads == []
                assert (await other.post(APPS, json={"name": "theirs"})).status_code == 201
                await until(lambda: feed.hub.seen == other.app.state.runtime.feed.hub.seen)
                assert [query for query in proxy.queries if b"FROM changes WHERE" in query]
    finally:
        proxy.close()


async def test_a_held_request_after_quiet_writes_is_vouched_for_by_a_ping_at_once(api):
    feed = api.app.state.runtime.feed
    await until(lambda: feed.hub.listening)
    assert feed.hub.idle() and feed.quiet_channel([("A", None)]) == feed.listener.channel
    assert (await api.post(APPS, json={"name": "quiet"})).status_code == 201  # nobody waits: nobody woken
    await asyncio.sleep(0.2)
    assert feed.listener.vouched < feed.hub.seen
    started = asyncio.get_running_loop().time()
    assert await feed.listener.vouches_for(feed.hub.seen, 5)
    assert asyncio.get_running_loop().time() - started < 0.5


async def test_the_periodic_read_is_due_by_the_clock_however_often_the_listener_is_woken(api, monkeypatch):
    """Wake-ups that need no read (a token notice, a ping, an own write's notification) must not
    put the periodic read off: it is what finds a database restored in place."""
    monkeypatch.setattr(listener_module, "CATCH_UP_SECONDS", 0.3)
    listener = api.app.state.runtime.feed.listener
    await until(lambda: api.app.state.runtime.feed.hub.listening)
    before = listener._read_at
    loop = asyncio.get_running_loop()
    end = loop.time() + 1.0
    while loop.time() < end:
        listener._wake.set()  # woken every 20 ms, with nothing to read
        await asyncio.sleep(0.02)
    assert listener._read_at > before


async def test_a_ping_asked_for_while_one_is_in_flight_is_sent_after_it(api):
    feed = api.app.state.runtime.feed
    listener = feed.listener
    await until(lambda: feed.hub.listening)
    assert (await api.post(APPS, json={"name": "one"})).status_code == 201  # quiet: nobody waits
    listener.ping()
    assert (await api.post(APPS, json={"name": "two"})).status_code == 201
    listener.ping()  # the first names only "one"
    await until(lambda: listener.vouched >= feed.hub.seen, 3)


async def test_a_listener_that_hears_no_ping_reconnects(api, monkeypatch):
    monkeypatch.setattr(listener_module, "PING_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(listener_module, "CATCH_UP_SECONDS", 0.2)
    feed = api.app.state.runtime.feed
    listener = feed.listener
    await until(lambda: feed.hub.listening)
    channel = listener.channel
    with listener._connection.cursor() as cursor:
        cursor.execute("UNLISTEN *")  # the connection stays up and hears nothing: a silent network
    listener.ping()
    await until(lambda: listener.channel not in (None, channel) and feed.hub.listening, 5)
