import asyncio
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from conftest import make_settings
from db.pool import ConnectionPool, Database, connect, connection_options, open_database
from errors import ServiceUnavailable
from test.tcp_proxy import TcpProxy



def test_connection_options_carry_timeouts_and_dict_rows(settings):
    options = connection_options(settings)
    assert options["connect_timeout"] == settings.connect_timeout_seconds
    assert f"statement_timeout={settings.statement_timeout_ms}" in options["options"]
    assert f"lock_timeout={settings.lock_timeout_ms}" in options["options"]
    assert options["keepalives"] == 1


def test_connect_applies_the_server_timeouts(settings):
    connection = connect(make_settings(str(settings.database_url), statement_timeout_ms=1234))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()["statement_timeout"] == "1234ms"
    finally:
        connection.close()


@pytest.mark.anyio
async def test_open_database_runs_work_on_executor_threads(settings):
    async with open_database(settings) as database:
        assert isinstance(database, Database)

        def on_pool():
            connection = database.pool.getconn()
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 41 + 1 AS answer")
                    return threading.current_thread().name, cursor.fetchone()["answer"]
            finally:
                database.pool.putconn(connection)

        thread_name, answer = await database.run(on_pool)
    assert answer == 42
    assert thread_name.startswith("db")


@pytest.mark.anyio
async def test_exit_closes_pool_and_executor(settings):
    async with open_database(settings) as database:
        pass
    assert database.pool.closed
    with pytest.raises(RuntimeError):
        database.executor.submit(print)


@pytest.mark.anyio
async def test_job_that_waited_past_the_queue_limit_never_starts(settings):
    started = []
    async with open_database(make_settings(str(settings.database_url), pool_size=1, executor_workers=1,
                                           queue_wait_seconds=0.05)) as database:
        blocker = database.run(time.sleep, 0.2)
        late = database.run(started.append, "late")
        results = await asyncio.gather(blocker, late, return_exceptions=True)
    assert isinstance(results[1], ServiceUnavailable)
    assert started == []


@pytest.mark.anyio
async def test_started_job_finishes_even_when_its_caller_is_cancelled(settings):
    finished = threading.Event()

    def slow():
        time.sleep(0.1)
        finished.set()

    async with open_database(settings) as database:
        task = asyncio.ensure_future(database.run(slow))
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert finished.is_set()


def test_a_slow_new_connection_does_not_block_the_pool(settings):
    url = urlsplit(str(settings.database_url))
    proxy = TcpProxy(url.hostname, url.port or 5432)
    via_proxy = urlunsplit(url._replace(netloc=f"postgres@127.0.0.1:{proxy.port}"))
    pool = ConnectionPool(1, 2, **connection_options(make_settings(via_proxy)))
    try:
        idle = pool.getconn()
        proxy.stall()
        connecting = threading.Thread(target=lambda: pytest.raises(psycopg2.OperationalError, pool.getconn))
        connecting.start()
        time.sleep(0.2)  # the second getconn is now waiting on the stalled server
        started = time.monotonic()
        pool.putconn(idle)
        assert pool.getconn() is idle
        assert time.monotonic() - started < 0.1
        connecting.join(timeout=10)
    finally:
        proxy.restore()
        pool.closeall()
        proxy.close()
