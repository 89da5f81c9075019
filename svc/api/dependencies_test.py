import asyncio
import threading

import pytest

from api.dependencies import RequestUnitOfWork
from db.pool import open_database
from db.unit_of_work import UnitOfWork

pytestmark = pytest.mark.anyio


def record_thread(uow: UnitOfWork, tag: str):
    uow.applications.add("01J0000000000000000000000A", tag, None)
    uow.commit()
    return threading.current_thread().name, uow.applications.get("01J0000000000000000000000A")["name"]


def fail_after_write(uow: UnitOfWork):
    uow.applications.add("01J0000000000000000000000B", "half", None)
    raise ValueError("use case failed")


def count(uow: UnitOfWork) -> int:
    return len(uow.applications.list(10, None))


async def test_use_case_runs_in_one_unit_of_work_on_an_executor_thread(settings):
    async with open_database(settings) as database:
        thread, name = await RequestUnitOfWork(database).run(record_thread, "billing")
        assert await RequestUnitOfWork(database).run(count) == 1
    assert thread.startswith("db") and thread != threading.current_thread().name
    assert name == "billing"


async def test_failing_use_case_leaves_nothing_behind(settings):
    async with open_database(settings) as database:
        with pytest.raises(ValueError):
            await RequestUnitOfWork(database).run(fail_after_write)
        assert await RequestUnitOfWork(database).run(count) == 0


async def test_each_request_gets_its_own_unit_of_work(settings):
    async with open_database(settings) as database:
        first, second = RequestUnitOfWork(database), RequestUnitOfWork(database)
        assert first._uow is not second._uow
        await asyncio.gather(first.run(count), second.run(count))
