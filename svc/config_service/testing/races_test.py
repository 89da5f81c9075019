"""Races found in review, each forced into the interleaving that broke it: a third session
holds a lock, the requests queue behind it, and the session commits (or not) at the worst time."""

import asyncio
import time
from datetime import datetime

import pytest

from config_service.db.pool import connect, create_pool
from config_service.db.unit_of_work import UnitOfWork
from config_service.repositories.configurations import ConfigurationRepository
from config_service.testing.faults import database_name, deadlocks, wait_for_lock_waiters

pytestmark = pytest.mark.anyio
APPS, CONFIGS = "/api/v1/applications", "/api/v1/configurations"


@pytest.fixture
def pool(settings):
    pool = create_pool(settings)
    yield pool
    pool.closeall()


@pytest.fixture
def session(settings):
    """A third session, in a transaction of its own."""
    connection = connect(settings)
    yield connection
    connection.close()


def hold(session, sql: str, *params) -> None:
    with session.cursor() as cursor:
        cursor.execute(sql, params)


async def created(api, name="billing", config_name="database"):
    app = (await api.post(APPS, json={"name": name})).json()
    config = (
        await api.post(CONFIGS, json={"application_id": app["id"], "name": config_name, "config": {"v": 1}})
    ).json()
    return app, config


async def when_waiting(settings, count: int, *requests):
    """Start the requests, return once `count` sessions wait for a lock, and the running tasks."""
    tasks = [asyncio.ensure_future(request) for request in requests]
    await asyncio.to_thread(wait_for_lock_waiters, database_name(settings), count)
    return tasks


async def test_delete_application_and_delete_configuration_never_deadlock(api, settings, session):
    """Item 2: both deletes queue behind a third session holding the application row."""
    before = deadlocks(database_name(settings))
    for round in range(20):
        app, config = await created(api, f"app-{round}")
        hold(session, "SELECT id FROM applications WHERE id = %s FOR UPDATE", app["id"])
        tasks = await when_waiting(
            settings, 2, api.delete(f"{APPS}/{app['id']}"), api.delete(f"{CONFIGS}/{config['id']}")
        )
        session.rollback()
        statuses = sorted(response.status_code for response in await asyncio.gather(*tasks))
        assert statuses in ([204, 204], [204, 409]), statuses
    await api.app.router.shutdown()  # the pool's sessions end, and report their statistics
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # a backend's counters reach the server as it exits
        await asyncio.sleep(0.2)
    assert deadlocks(database_name(settings)) == before


async def test_restore_of_a_deleted_configuration_decides_if_match_after_changes_that_committed_meanwhile(
    api, settings, session, pool
):
    """Item 1: a restore holding If-Match "3" waits while another session restores, updates and
    deletes the configuration (versions 4, 5, 6); then its precondition must fail."""
    app, config = await created(api)
    await api.put(f"{CONFIGS}/{config['id']}", json={"name": "database", "config": {"v": 2}})
    await api.delete(f"{CONFIGS}/{config['id']}")  # version 3
    hold(session, "SELECT id FROM applications WHERE id = %s FOR UPDATE", app["id"])
    tasks = await when_waiting(
        settings, 1, api.post(f"{CONFIGS}/{config['id']}/revisions/1/restore", headers={"If-Match": '"3"'})
    )
    other = ConfigurationRepository(session)
    other.restore_deleted(config["id"], 2)
    other.update(config["id"], "database", None, {"v": 5})
    other.delete(config["id"])
    session.commit()
    [response] = await asyncio.gather(*tasks)
    assert response.status_code == 412, response.text
    assert response.json()["current_version"] == 6
    history = (await api.get(f"{CONFIGS}/{config['id']}/revisions")).json()
    assert [r["version"] for r in history] == [6, 5, 4, 3, 2, 1]


async def test_restore_racing_the_delete_of_its_application_is_a_conflict(api, settings, session):
    """Item 1: the application goes while the restore waits: 409, not a 422 about a body it never sent."""
    app, config = await created(api)
    await api.delete(f"{CONFIGS}/{config['id']}")
    hold(session, "DELETE FROM applications WHERE id = %s", app["id"])
    tasks = await when_waiting(settings, 1, api.post(f"{CONFIGS}/{config['id']}/revisions/1/restore"))
    session.commit()
    [response] = await asyncio.gather(*tasks)
    assert response.status_code == 409, response.text
    assert "errors" not in response.json()


async def test_restore_of_a_configuration_deleted_while_it_waited_restores_it(api, settings, session):
    """Item 1: deleted between the check and the write, the configuration is still restorable: 200, not 404."""
    app, config = await created(api)
    assert ConfigurationRepository(session).delete(config["id"])
    tasks = await when_waiting(settings, 1, api.post(f"{CONFIGS}/{config['id']}/revisions/1/restore"))
    session.commit()
    [response] = await asyncio.gather(*tasks)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 3


async def test_an_application_put_that_waited_names_exactly_the_representation_it_made(api, settings, session):
    """Item 3: a configuration created while the PUT waits for the row lock is in the PUT's
    answer, or the PUT's version is not the one GET shows with it."""
    app = (await api.post(APPS, json={"name": "billing"})).json()
    ConfigurationRepository(session).add("01J0000000000000000000000C", app["id"], "database", None, {})
    tasks = await when_waiting(settings, 1, api.put(f"{APPS}/{app['id']}", json={"name": "invoicing"}))
    session.commit()
    [put] = await asyncio.gather(*tasks)
    got = await api.get(f"{APPS}/{app['id']}")
    assert put.headers["etag"] == got.headers["etag"] == '"3"'
    assert put.json()["configuration_ids"] == got.json()["configuration_ids"] == ["01J0000000000000000000000C"]


async def test_a_later_version_never_carries_an_earlier_time(api, pool):
    """Item 5: a transaction that began before another version committed writes the next one."""
    app, config = await created(api)
    with UnitOfWork(pool) as uow:
        uow.configurations.get(config["id"])  # the transaction has begun: now() is fixed
        await asyncio.sleep(0.05)
        second = (await api.put(f"{CONFIGS}/{config['id']}", json={"name": "database", "config": {"v": 2}})).json()
        third = uow.configurations.update(config["id"], "database", None, {"v": 3})
        uow.commit()
    assert third["version"] == 3 and third["updated_at"] >= moment(second["updated_at"])
    revisions = (await api.get(f"{CONFIGS}/{config['id']}/revisions")).json()
    times = [moment(r["changed_at"]) for r in reversed(revisions)]
    assert times == sorted(times)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
