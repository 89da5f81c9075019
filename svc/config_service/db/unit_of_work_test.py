import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2.pool import ThreadedConnectionPool

from config_service.conftest import make_settings
from config_service.db.database import open_database
from config_service.db.pool import connect, create_pool
from config_service.db.unit_of_work import CONFLICT_ATTEMPTS, TransientConflict, UnitOfWork, run_in_unit_of_work
from config_service.db.watchdog import Watchdog
from config_service.domain.access import EVERYTHING
from config_service.domain.errors import OutcomeUnknown, Unavailable
from config_service.repositories.listeners import ListenerRepository
from config_service.services import configurations
from config_service.testing.faults import database_down, database_name, kill_sessions
from config_service.testing.tcp_proxy import QueryCounter

APP_ID = "01J0000000000000000000000A"
CONFIG_ID = "01J0000000000000000000000C"


@pytest.fixture
def pool(settings):
    pool = create_pool(settings)
    yield pool
    pool.closeall()


def count(settings, table: str) -> int:
    connection = connect(settings)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) AS n FROM {table}")
            return cursor.fetchone()["n"]
    finally:
        connection.close()


def write_both(uow: UnitOfWork) -> None:
    uow.applications.add(APP_ID, "billing", None)
    uow.configurations.add(CONFIG_ID, APP_ID, "database", None, {"host": "db"})


def test_commit_persists_rows_of_both_repositories(pool, settings):
    with UnitOfWork(pool) as uow:
        write_both(uow)
        uow.commit()
    assert (count(settings, "applications"), count(settings, "configurations")) == (1, 1)


def test_exception_inside_the_block_rolls_everything_back(pool, settings):
    with pytest.raises(RuntimeError):
        with UnitOfWork(pool) as uow:
            write_both(uow)
            raise RuntimeError("boom")
    assert (count(settings, "applications"), count(settings, "configurations")) == (0, 0)


def test_leaving_without_commit_rolls_back(pool, settings):
    with UnitOfWork(pool) as uow:
        write_both(uow)
    assert (count(settings, "applications"), count(settings, "configurations")) == (0, 0)


def test_connection_goes_back_to_the_pool_idle(pool):
    with UnitOfWork(pool) as uow:
        uow.applications.get(APP_ID)
        borrowed = uow.connection
    assert borrowed in pool._pool
    assert borrowed.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def test_killed_connection_is_discarded_and_the_next_unit_of_work_works(pool, settings):
    with UnitOfWork(pool) as uow:
        uow.applications.get(APP_ID)
        victim = uow.connection
        pid = victim.get_backend_pid()
    admin = connect(settings)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()

    # The pool hands out the dead connection; the unit of work reports 503 and drops it.
    seen_dead = False
    for _ in range(settings.pool_size):
        try:
            with UnitOfWork(pool) as uow:
                uow.applications.get(APP_ID)
        except Unavailable:
            seen_dead = True
    assert seen_dead
    assert victim not in pool._pool and victim.closed
    with UnitOfWork(pool) as uow:
        uow.applications.add(APP_ID, "after", None)
        uow.commit()
    assert count(settings, "applications") == 1


@pytest.mark.anyio
async def test_more_concurrent_units_of_work_than_connections_all_complete(database_url):
    settings = make_settings(database_url, pool_size=2, executor_workers=2)

    def work(uow: UnitOfWork, n: int) -> int:
        uow.applications.add(f"01J00000000000000000000{n:03d}", f"app-{n}", None)
        return n

    async with open_database(settings) as database:
        done = await asyncio.gather(*(database.write(lambda uow, n=n: work(uow, n)) for n in range(16)))
    assert sorted(written.result for written in done) == list(range(16))
    assert count(settings, "applications") == 16


def test_unreachable_database_is_service_unavailable():
    pool = ThreadedConnectionPool(0, 1, dsn="postgresql://postgres@127.0.0.1:1/none", connect_timeout=1)
    with pytest.raises(Unavailable):
        with UnitOfWork(pool):
            pass


def test_stale_connections_are_replaced_and_the_use_case_runs_once_more(pool, settings):
    attempts = []

    def use_case(uow):
        attempts.append(1)
        uow.applications.add(APP_ID, "billing", None)
        return "done"

    kill_sessions(database_name(settings))
    assert run_in_unit_of_work(pool, None, use_case, False, attempts=settings.pool_size + 1) == ("done", [])
    # Every pooled connection was dead; each failed before writing, then a fresh one worked.
    assert len(attempts) == settings.pool_size + 1
    assert count(settings, "applications") == 1


def test_a_failure_while_committing_is_never_retried(pool, settings):
    attempts = []

    def use_case(uow):
        attempts.append(1)
        uow.applications.add(APP_ID, "billing", None)
        kill_sessions(database_name(settings))

    with pytest.raises(OutcomeUnknown):
        run_in_unit_of_work(pool, None, use_case, False, attempts=settings.pool_size + 1)
    assert len(attempts) == 1
    assert pool._used == {}  # the dead connection's slot was freed, not held forever


def test_retries_stop_when_the_database_stays_down(pool, settings):
    with database_down(database_name(settings)):
        with pytest.raises(Unavailable):
            run_in_unit_of_work(pool, None, lambda uow: uow.applications.get(APP_ID), True, attempts=3)


def test_a_deadlock_before_the_commit_runs_the_unit_of_work_again(pool, settings):
    """Two units of work lock two rows in opposite orders, made to meet in the middle:
    PostgreSQL ends one of them, which runs again and succeeds."""
    with UnitOfWork(pool) as uow:
        uow.applications.add(APP_ID, "a", None)
        uow.applications.add(CONFIG_ID, "b", None)
        uow.commit()
    both_hold_one = threading.Barrier(2)
    attempts = {"forward": 0, "backward": 0}

    def lock_both(uow, name, first, second):
        attempts[name] += 1
        uow.applications.lock(first)
        if attempts[name] == 1:
            both_hold_one.wait(timeout=5)
        uow.applications.lock(second)
        return name

    with ThreadPoolExecutor(2) as executor:
        runs = [
            executor.submit(
                run_in_unit_of_work, pool, None, lambda uow, n=n, a=a, b=b: lock_both(uow, n, a, b), False, 1
            )
            for n, a, b in (("forward", APP_ID, CONFIG_ID), ("backward", CONFIG_ID, APP_ID))
        ]
        assert sorted(run.result(timeout=10)[0] for run in runs) == ["backward", "forward"]
    assert sorted(attempts.values()) == [1, 2]  # the deadlock's victim ran once more


def test_conflicts_are_retried_a_bounded_number_of_times(pool):
    attempts = []

    def always_conflicting(uow):
        attempts.append(1)
        with uow.connection.cursor() as cursor:
            cursor.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001'; END $$")

    with pytest.raises(TransientConflict):
        run_in_unit_of_work(pool, None, always_conflicting, False, 1)
    assert len(attempts) == CONFLICT_ATTEMPTS


def test_a_healthy_write_longer_than_one_statement_limit_is_not_cut(pool):
    """Item 6: each repository statement renews the watchdog's deadline."""
    watchdog = Watchdog(limit_seconds=0.3, interval_seconds=0.02)
    try:
        with UnitOfWork(pool, watchdog) as uow:
            for _ in range(4):  # 0.6 s in all, 0.15 s a statement
                uow.applications._fetch_one("SELECT pg_sleep(0.15)", ())
            uow.applications.add(APP_ID, "billing", None)
            uow.commit()
        with UnitOfWork(pool, watchdog, read_only=True) as uow:
            assert uow.applications.get(APP_ID)["name"] == "billing"
    finally:
        watchdog.close()


@pytest.fixture
def counted(settings):
    """A pool whose connections reach PostgreSQL through a proxy that counts their queries."""
    url = urlsplit(str(settings.database_url))
    proxy = QueryCounter(url.hostname, url.port or 5432)
    via_proxy = urlunsplit(url._replace(netloc=f"postgres@127.0.0.1:{proxy.port}", query="sslmode=disable"))
    pool = create_pool(make_settings(via_proxy, pool_size=1, executor_workers=1))
    yield pool, proxy
    pool.closeall()
    proxy.close()


def put(uow: UnitOfWork, comments: str):
    return configurations.update_configuration(uow, EVERYTHING, CONFIG_ID, None, "database", comments, {"n": 1})


def test_a_single_resource_write_is_two_round_trips_once_its_statements_are_prepared(pool, counted):
    run_in_unit_of_work(pool, None, write_both_recorded, False, attempts=2, actor="setup")
    counted_pool, proxy = counted
    run_in_unit_of_work(counted_pool, None, lambda uow: put(uow, "first"), False, attempts=2, actor="alice")
    first = list(proxy.queries)
    assert [query for query in first if query.startswith(b"PREPARE")]  # once, on this connection
    proxy.queries.clear()
    row, changes = run_in_unit_of_work(
        counted_pool, None, lambda uow: put(uow, "second"), False, attempts=2, actor="alice"
    )
    statement, commit = proxy.queries
    assert statement.startswith(b"BEGIN; SELECT set_config('config_service.actor', 'alice', true);")
    assert b"EXECUTE configuration_update(" in statement
    assert commit.startswith(b"EXECUTE changes_flush_kept(") and b"; COMMIT; " in commit
    assert changes[0]["seq"] == 4 and changes[0]["changed_by"] == "alice" and row["comments"] == "second"
    for _ in range(2):  # the first prepares it
        proxy.queries.clear()
        run_in_unit_of_work(counted_pool, None, lambda uow: uow.configurations.get(CONFIG_ID), True, attempts=2)
    assert proxy.queries == [f"EXECUTE configuration_get('{CONFIG_ID}'::text)".encode()]  # a read: one


def test_a_write_that_sends_nothing_commits_nothing_and_costs_no_round_trip(counted):
    counted_pool, proxy = counted
    run_in_unit_of_work(counted_pool, None, lambda uow: None, False, attempts=2, actor="alice")
    assert proxy.queries == []


def test_a_failed_flush_is_not_an_unknown_outcome_and_leaves_nothing(pool, settings):
    """The flush and the COMMIT share a round trip: when the flush fails, COMMIT never ran."""

    def use_case(uow):
        write_both(uow)
        uow.changes.record(APP_ID, None, "nonsense", 1)  # refused by the changes table's check

    with pytest.raises(psycopg2.errors.CheckViolation):
        run_in_unit_of_work(pool, None, use_case, False, attempts=2)
    assert (count(settings, "applications"), count(settings, "changes")) == (0, 0)


def test_a_write_notifies_every_registered_listener_but_the_quiet_one(pool, settings):
    listeners = []
    for _ in range(2):
        listener = connect(settings)
        listener.autocommit = True
        channel, _ = ListenerRepository(listener).register()
        with listener.cursor() as cursor:
            cursor.execute(f"LISTEN {channel}")
        listeners.append((listener, channel))
    try:
        (loud, _), (quiet, quiet_channel) = listeners
        _, changes = run_in_unit_of_work(
            pool, None, write_both_recorded, False, attempts=2, quiet_channel=lambda touched: quiet_channel
        )
        deadline = time.monotonic() + 5
        while not loud.notifies and time.monotonic() < deadline:
            loud.poll()
            time.sleep(0.01)
        quiet.poll()
        assert [notify.payload for notify in loud.notifies] == [str(changes[-1]["seq"])] and quiet.notifies == []
    finally:
        for listener, _ in listeners:
            listener.close()


def write_both_recorded(uow: UnitOfWork) -> None:
    row = uow.applications.add(APP_ID, "billing", None)
    uow.changes.record(APP_ID, None, "create", row["version"], row["updated_at"])
    config = uow.configurations.add(CONFIG_ID, APP_ID, "database", None, {"host": "db"})
    uow.changes.record(APP_ID, CONFIG_ID, "create", config["version"], config["updated_at"])
