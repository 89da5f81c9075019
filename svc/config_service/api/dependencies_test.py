from types import SimpleNamespace

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from config_service.api.dependencies import (
    Caller,
    CallerAccess,
    ChangeFeed,
    CurrentRuntime,
    CurrentSettings,
    Db,
    caller_of,
    runtime_in,
    runtime_of,
)
from config_service.domain.access import Access, Principal

CALLER = Principal("t", "write", frozenset({"B", "A"}))


def test_routes_get_the_runtime_its_parts_and_the_caller():
    app = FastAPI()
    runtime = SimpleNamespace(database=object(), feed=object(), settings=object())
    app.state.runtime = runtime
    seen = []

    @app.middleware("http")
    async def authenticate(request: Request, call_next):
        request.state.principal = CALLER
        seen.append(runtime_in(request.scope))
        return await call_next(request)

    @app.get("/")
    async def route(
        request: Request,
        current: CurrentRuntime,
        db: Db,
        feed: ChangeFeed,
        settings: CurrentSettings,
        caller: Caller,
        access: CallerAccess,
    ):
        seen.extend([current, db, feed, settings, caller, access, runtime_of(request), caller_of(request)])

    assert TestClient(app).get("/").status_code == 200
    assert seen == [
        runtime,
        runtime,
        runtime.database,
        runtime.feed,
        runtime.settings,
        CALLER,
        Access(frozenset({"A", "B"})),
        runtime,
        CALLER,
    ]
