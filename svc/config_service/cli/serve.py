"""Start the service: apply pending migrations, then serve the API with uvicorn."""

import os
import sys
from functools import partial

import uvicorn

from config_service.api.limits import MAX_HEAD_BYTES, BoundedHttpToolsProtocol, Limits
from config_service.cli import migrate
from config_service.cli.tokens import ACTOR
from config_service.db.unit_of_work import run_once
from config_service.domain.errors import Conflict
from config_service.metrics import exposition
from config_service.services import tokens as service_tokens
from config_service.settings import SettingsError, load_settings

FIRST_ADMIN = "first-admin"


def first_admin_token(settings) -> None:
    """On a database with no token yet, make the first admin token and show it, this once."""
    if run_once(settings, lambda uow: uow.tokens.any_exist(), ACTOR):
        return
    try:
        _, secret = run_once(
            settings, lambda uow: service_tokens.create_token(uow, FIRST_ADMIN, "admin", None, None), ACTOR
        )
    except Conflict:
        return  # another instance starting at the same moment made it
    print(
        f"No API token existed, so an admin token named {FIRST_ADMIN!r} was made. It is shown only now:\n\n"
        f"    {secret}\n\nUse it as `Authorization: Bearer <token>`; make others with `pipenv run tokens create`"
        f" and revoke this one with `pipenv run tokens revoke {FIRST_ADMIN}`.\n",
        flush=True,
    )


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    status = migrate.main(["apply"])
    if status != 0:
        return status
    if settings.auth == "tokens":
        first_admin_token(settings)
    if settings.workers > 1:
        # libuv then accepts one connection at a time and yields, so a burst of new
        # connections spreads over the workers instead of piling onto whichever woke first.
        os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")
    # Several workers write their metrics to files in one folder, summed when scraped.
    given = bool(os.environ.get(exposition.FOLDER))
    folder = exposition.prepare_folder(settings.workers)
    try:
        serve(settings)
    finally:
        exposition.remove_folder(folder, made_here=not given)
    return 0


def uvicorn_log_config(log_format: str) -> dict | None:
    """uvicorn's own lines (the supervisor's, with several workers) as JSON objects too; None
    keeps uvicorn's default text lines."""
    if log_format != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "config_service.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }


def serve(settings) -> None:
    log_config = uvicorn_log_config(settings.log_format)
    uvicorn.run(
        "config_service.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        # A partial, not a subclass made here: it pickles by name into every worker process.
        # (uvicorn calls `http` as a protocol factory; its annotation admits only a class or a name.)
        http=partial(BoundedHttpToolsProtocol, limits=Limits.from_settings(settings)),  # type: ignore[arg-type]
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        log_level=settings.log_level.lower(),
        access_log=False,  # RequestContext logs each request, with its id
        proxy_headers=False,  # nothing here reads the client address: skip parsing X-Forwarded-*
        timeout_graceful_shutdown=30,
        log_config=log_config or uvicorn.config.LOGGING_CONFIG,
    )


if __name__ == "__main__":
    sys.exit(main())
