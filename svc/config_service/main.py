"""The FastAPI application: lifespan, routers and error handlers."""

import asyncio
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI

from config_service.api import (
    applications,
    changes,
    configurations,
    health,
    me,
    metrics,
    reference,
    revisions,
    tokens,
    transactions,
    transfer,
)
from config_service.api.authentication import Authenticate
from config_service.api.console import console_files
from config_service.api.observability import RequestContext
from config_service.api.openapi_doc import document_api
from config_service.api.problems import install_problem_handlers, problem, service_problem
from config_service.api.reference import ASSETS_PATH, reference_assets
from config_service.api.security import document_security
from config_service.feed.worker import WorkerFeed
from config_service.logs import configure_logging, write_out
from config_service.runtime import open_runtime
from config_service.settings import Settings, load_settings

GIL_SWITCH_INTERVAL_SECONDS = 0.02
DESCRIPTION = """Applications and their configurations, kept in PostgreSQL, with a version and a full
history for every change.

- Every single-resource answer carries `ETag: "<version>"` and `Last-Modified`; `If-None-Match`
  gets 304, `If-Match` makes a write conditional (412 when another version is stored).
- Errors are `application/problem+json` (RFC 9457) with a `request_id`; bodies must be JSON (415).
- `Idempotency-Key` on POST makes retries safe; a 503 of type
  `urn:config-service:problem:outcome-unknown` means a write may or may not have been stored.
- Every `/api/v1` request needs `Authorization: Bearer <token>` (401 without); a token's scope
  (read, write, admin) decides what it may do (403 otherwise), and a token limited to some
  applications sees nothing of the others.
"""
TAGS = [
    {"name": "applications", "description": "Applications: a name, comments, and the ids of their configurations."},
    {
        "name": "configurations",
        "description": "Configurations: a JSON object of settings, named within an application.",
    },
    {"name": "revisions", "description": "A configuration's history: every version it had, and restoring one."},
    {"name": "changes", "description": "The change feed: every committed change by seq, by long-poll or as a stream."},
    {"name": "transactions", "description": "Many writes in one unit of work: all or none, compare-then-write."},
    {"name": "transfer", "description": "Export an application by name; import it elsewhere, with a plan first."},
    {"name": "tokens", "description": "API tokens: create (the secret is shown once), list, revoke."},
    {"name": "probes", "description": "Liveness and readiness, for orchestrators and load balancers."},
]


@contextmanager
def draining_on_stop(feed: WorkerFeed) -> Iterator[None]:
    """uvicorn answers SIGTERM and SIGINT by waiting up to its grace period for the answers still
    open: streams and held requests would take all of it, and their clients would reach another
    instance only then. Chained onto uvicorn's handlers, the feed ends them at once.
    (Only the main thread may set handlers: an app served from another thread, as in tests, keeps none.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def stopping(signum, frame) -> None:
        loop.call_soon_threadsafe(feed.drain)
        handler = previous[signum]
        if callable(handler):
            handler(signum, frame)

    chained = [sig for sig, handler in previous.items() if callable(handler)]
    for sig in chained:
        signal.signal(sig, stopping)
    try:
        yield
    finally:
        for sig in chained:
            if signal.getsignal(sig) is stopping:
                signal.signal(sig, previous[sig])


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database opens in the lifespan, after any worker fork."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Executor threads hand the GIL back and forth with the event loop on every
        # request; a longer switch interval means fewer forced handoffs, so less CPU per
        # database request (svc/docs/performance.md has the figure).
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
        try:
            async with open_runtime(settings) as runtime:
                app.state.runtime = runtime  # read through api/dependencies.py alone
                with draining_on_stop(runtime.feed):
                    yield
        finally:
            write_out()

    logger = configure_logging(settings.log_level, log_format=settings.log_format)
    if settings.auth == "off":
        logger.warning("AUTH=off: every request acts as an admin named anonymous (local development only)")
    app = FastAPI(
        title="Config Service",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # api/reference.py serves /docs and /redoc, without a CDN
        redoc_url=None,
    )
    app.add_middleware(
        Authenticate,
        problem=problem,
        failure=service_problem,
        enabled=settings.auth != "off",
        metrics_protected=settings.metrics_token_required,
    )
    app.add_middleware(RequestContext)  # added last, so it runs first: request ids, access log, last-resort 500
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(applications.router)
    app.include_router(configurations.router)
    app.include_router(revisions.router)
    app.include_router(changes.router)
    app.include_router(tokens.router)
    app.include_router(transactions.router)
    app.include_router(transfer.router)
    app.include_router(me.router)
    app.include_router(reference.router)
    app.mount("/ui", console_files(), name="console")
    app.mount(ASSETS_PATH, reference_assets(), name="reference")
    document_security(app)
    document_api(app)  # after security: it completes what that step declared
    return app
