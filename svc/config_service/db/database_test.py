import asyncio
import threading
import time

import pytest
from psycopg2 import extensions

from config_service.conftest import make_settings
from config_service.db.database import Database, open_database
from config_service.domain.access import EVERYTHING
from config_service.domain.errors import Conflict, OutcomeUnknown, Unavailable
from config_service.services import applications, configurations
from config_service.testing.faults import database_name, kill_sessions

pytestmark = pytest.mark.anyio


def count(uow, table: str) -> int:
    if table == "applications":
        return len(uow.applications.list(100, None))
    return len(uow.configurations.list(None, 100, None, None, 10**9)[0])


async def test_a_use_case_runs_in_one_unit_of_work_on_an_executor_thread(settings):
    async with open_database(settings) as database:
        assert isinstance(database, Database)

        def use_case(uow):
            applications.create_application(uow, EVERYTHING, "billing", None)
            return threading.current_thread().name, uow.applications.list(10, None)[0]["name"]

        thread, name = (await database.write(use_case)).result
        assert await database.read(lambda uow: count(uow, "applications")) == 1
    assert thread.startswith("db") and thread != threading.current_thread().name
    assert name == "billing"


async def test_write_commits_when_the_use_case_returns_and_rolls_back_when_it_raises(settings):
    def fail_after_write(uow):
        applications.create_application(uow, EVERYTHING, "half", None)
        raise ValueError("use case failed")

    async with open_database(settings) as database:
        with pytest.raises(ValueError):
            await database.write(fail_after_write)
        assert await database.read(lambda uow: count(uow, "applications")) == 0
        await database.write(lambda uow: applications.create_application(uow, EVERYTHING, "whole", None))
        assert await database.read(lambda uow: count(uow, "applications")) == 1


async def test_a_failure_in_the_second_of_two_composed_use_cases_leaves_nothing_of_the_first(settings):
    async with open_database(settings) as database:
        app = (
            await database.write(lambda uow: applications.create_application(uow, EVERYTHING, "billing", None))
        ).result

        def compose(uow, second_name):
            configurations.create_configuration(uow, EVERYTHING, app["id"], "first", None, {"a": 1})
            return configurations.create_configuration(uow, EVERYTHING, app["id"], second_name, None, {"b": 2})

        with pytest.raises(Conflict):
            await database.write(lambda uow: compose(uow, "first"))
        assert await database.read(lambda uow: count(uow, "configurations")) == 0
        read = await database.read(lambda uow: applications.get_application(uow, EVERYTHING, app["id"]))
        assert read["version"] == 1
        await database.write(lambda uow: compose(uow, "second"))
        assert await database.read(lambda uow: count(uow, "configurations")) == 2


async def test_a_read_runs_without_a_transaction_and_cannot_commit(settings):
    async with open_database(settings) as database:

        def status_after_a_statement(uow):
            uow.changes.head()
            return uow.connection.info.transaction_status

        assert await database.read(status_after_a_statement) == extensions.TRANSACTION_STATUS_IDLE
        assert (await database.write(status_after_a_statement)).result == extensions.TRANSACTION_STATUS_INTRANS
        with pytest.raises(RuntimeError):
            await database.read(lambda uow: uow.commit())


async def test_exit_closes_pool_and_executor(settings):
    async with open_database(settings) as database:
        pass
    assert database.pool.closed
    with pytest.raises(RuntimeError):
        database.executor.submit(print)


async def test_a_job_that_waited_past_the_queue_limit_never_starts(settings):
    started = []
    async with open_database(
        make_settings(str(settings.database_url), pool_size=1, executor_workers=1, queue_wait_seconds=0.05)
    ) as database:
        blocker = database.read(lambda uow: time.sleep(0.2))
        late = database.read(lambda uow: started.append("late"))
        results = await asyncio.gather(blocker, late, return_exceptions=True)
    assert isinstance(results[1], Unavailable)
    assert started == []


async def test_a_started_job_finishes_even_when_its_caller_is_cancelled(settings):
    finished = threading.Event()

    def slow(uow):
        time.sleep(0.1)
        finished.set()

    async with open_database(settings) as database:
        task = asyncio.ensure_future(database.write(slow))
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert finished.is_set()


async def test_closing_waits_for_running_jobs_off_the_event_loop(settings):
    """Item 19: the loop keeps turning while the executor finishes a running job."""
    ticks = []

    async def tick():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    async with open_database(settings) as database:
        job = asyncio.ensure_future(database.read(lambda uow: time.sleep(0.4)))
        await asyncio.sleep(0.05)
        ticker = asyncio.ensure_future(tick())
    ticker.cancel()
    await asyncio.gather(job, return_exceptions=True)
    gaps = [later - earlier for earlier, later in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) > 10 and max(gaps) < 0.2


async def test_writes_settled_waits_for_the_writes_in_flight_and_no_longer_than_told(settings):
    async with open_database(settings) as database:
        assert await asyncio.wait_for(database.writes_settled(5), 1) is None  # none in flight
        release = threading.Event()
        slow = asyncio.ensure_future(database.write(lambda uow: release.wait(5)))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await database.writes_settled(0.1)
        assert 0.09 <= time.monotonic() - started < 1 and not slow.done()
        release.set()
        await database.writes_settled(5)
        assert slow.done()


class Observer:
    """Hears what the database tells of writes (db.database.WriteObserver)."""

    def __init__(self, quiet: str | None = None):
        self.heard, self.doubts, self.touched, self._quiet = [], 0, [], quiet

    def committed(self, changes):
        self.heard.append(changes)

    def doubted(self):
        self.doubts += 1

    def quiet_channel(self, touched):
        self.touched.append(touched)
        return self._quiet


async def test_observers_hear_each_commit_until_they_unsubscribe_and_name_the_quiet_channel(settings):
    async with open_database(settings) as database:
        observer = Observer(quiet="cs_listener_x")
        unsubscribe = database.subscribe(observer)
        await database.write(lambda uow: applications.create_application(uow, EVERYTHING, "heard", None))
        unsubscribe()
        await database.write(lambda uow: applications.create_application(uow, EVERYTHING, "unheard", None))
        assert [[c["change"] for c in changes] for changes in observer.heard] == [["create"]]
        assert len(observer.touched) == 1 and observer.touched[0][0][1] is None  # (application_id, None)


async def test_a_write_whose_caller_was_cancelled_still_tells_its_observers_what_it_committed(settings):
    async with open_database(settings) as database:
        observer, release = Observer(), threading.Event()
        database.subscribe(observer)
        heard = observer.heard

        def slow_create(uow):
            release.wait(5)
            return applications.create_application(uow, EVERYTHING, "late", None)

        writing = asyncio.ensure_future(database.write(slow_create))
        await asyncio.sleep(0.1)  # the job has started: cancelling the caller cannot stop it
        writing.cancel()
        release.set()
        await database.writes_settled(5)
        await asyncio.sleep(0.1)
        assert [change["change"] for changes in heard for change in changes] == ["create"]


async def test_a_write_of_unknown_outcome_tells_its_observers_of_the_doubt(settings):
    async with open_database(settings.model_copy(update={"pool_size": 1, "executor_workers": 1})) as database:
        await database.write(lambda uow: applications.create_application(uow, EVERYTHING, "first", None))
        observer = Observer()  # the one connection has its statements prepared: the next round trip is the COMMIT
        database.subscribe(observer)

        def cut_before_commit(uow):
            applications.create_application(uow, EVERYTHING, "maybe", None)
            kill_sessions(database_name(settings))

        with pytest.raises(OutcomeUnknown):
            await database.write(cut_before_commit)
        assert observer.doubts == 1
