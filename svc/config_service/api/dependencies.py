"""What a route may ask for: the worker's Runtime and its parts, the caller and their Access.

The only module that reads `app.state` or `request.state`. Routes take the typed dependencies
below. Four plain accessors serve what cannot take a dependency or should not pay for one:
`runtime_of` and `caller_of` for the two hot GETs (one application, one configuration; each
FastAPI dependency costs every request a share of its time), `runtime_in` for the
authentication middleware (it holds an ASGI scope), and `request_id_of` for the exception
handlers. The two ASGI middlewares write the request's state (api/observability.py its id,
api/authentication.py its principal) and read it back for the access log.
"""

from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from config_service.db.database import Database
from config_service.domain.access import Access, Principal, access_of
from config_service.feed.worker import WorkerFeed
from config_service.runtime import Runtime
from config_service.services.schemas import SchemaRules
from config_service.settings import Settings


def runtime_of(request: Request) -> Runtime:
    """The fast accessor: the worker's Runtime, set by the lifespan in main.py."""
    return request.app.state.runtime


def runtime_in(scope: Scope) -> Runtime:
    """The same, for ASGI middleware that holds a scope rather than a Request."""
    return scope["app"].state.runtime


def caller_of(request: Request) -> Principal:
    """Who is calling: set by api.authentication.Authenticate for every /api/v1 request."""
    return request.state.principal


# async: a plain `def` dependency would cost every request a hop to FastAPI's threadpool.
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_database(request: Request) -> Database:
    return runtime_of(request).database


async def get_feed(request: Request) -> WorkerFeed:
    return runtime_of(request).feed


async def get_settings(request: Request) -> Settings:
    return runtime_of(request).settings


async def get_schema_rules(request: Request) -> SchemaRules:
    return runtime_of(request).schema_rules


async def get_caller(request: Request) -> Principal:
    return caller_of(request)


async def get_access(request: Request) -> Access:
    return access_of(caller_of(request))


CurrentRuntime = Annotated[Runtime, Depends(get_runtime)]
Db = Annotated[Database, Depends(get_database)]
ChangeFeed = Annotated[WorkerFeed, Depends(get_feed)]
CurrentSettings = Annotated[Settings, Depends(get_settings)]
Caller = Annotated[Principal, Depends(get_caller)]
CallerAccess = Annotated[Access, Depends(get_access)]
SchemaLimits = Annotated[SchemaRules, Depends(get_schema_rules)]


def request_id_of(request: Request) -> str | None:
    """The request's id, set by api.observability.RequestContext (None before it ran)."""
    return getattr(request.state, "request_id", None)
