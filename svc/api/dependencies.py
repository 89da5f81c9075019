"""Request-scoped dependencies: one unit of work per request, run on the executor."""
from typing import Annotated, Callable, TypeVar

from fastapi import Depends, Request

from db.pool import Database
from db.unit_of_work import UnitOfWork, run_in_unit_of_work

T = TypeVar("T")


class RequestUnitOfWork:
    """A request's UnitOfWork; `run` executes a use case in it as one executor job.

    Borrowing, the SQL, commit or rollback and returning the connection all happen in
    that one job, so a cancelled request can never strand a connection.
    """

    def __init__(self, database: Database):
        self._database = database
        self._uow = UnitOfWork(database.pool, database.watchdog)

    async def run(self, use_case: Callable[..., T], *args) -> T:
        """Run a use case that writes: one transaction, committed by the use case."""
        self._uow.read_only = False
        return await self._database.run(self._in_transaction, use_case, args)

    async def read(self, use_case: Callable[..., T], *args) -> T:
        """Run a use case that only reads, without a transaction around its statements."""
        self._uow.read_only = True
        return await self._database.run(self._in_transaction, use_case, args)

    def _in_transaction(self, use_case: Callable[..., T], args: tuple) -> T:
        # Every pooled connection may be stale after a database restart, and one more
        # attempt opens a fresh one.
        return run_in_unit_of_work(self._uow, use_case, args, attempts=self._database.pool.maxconn + 1)


async def get_uow(request: Request) -> RequestUnitOfWork:
    # async: a plain `def` dependency would cost every request a hop to FastAPI's threadpool.
    return RequestUnitOfWork(request.app.state.database)


UoW = Annotated[RequestUnitOfWork, Depends(get_uow)]
