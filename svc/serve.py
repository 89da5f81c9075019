"""Start the service: apply pending migrations, then serve the API with uvicorn."""
import os
import sys

import uvicorn

from affinity import pin_to_one_cpu
from config import SettingsError, load_settings
from db import migrations


def worker_app():
    """The app of one worker process, pinned to its own CPU first (threads inherit it)."""
    from main import create_app

    settings = load_settings()
    if settings.pin_workers:
        pin_to_one_cpu()
    return create_app(settings)


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    status = migrations.main(["apply"])
    if status != 0:
        return status
    if settings.workers > 1:
        # libuv then accepts one connection at a time and yields, so a burst of new
        # connections spreads over the workers instead of piling onto whichever woke first.
        os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")
    uvicorn.run(
        "serve:worker_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level.lower(),
        access_log=False,  # RequestContext logs each request, with its id
        proxy_headers=False,  # nothing here reads the client address: skip parsing X-Forwarded-*
        timeout_graceful_shutdown=30,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
