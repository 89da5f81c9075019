"""Start the service: apply pending migrations, then serve the API with uvicorn."""
import os
import sys

import uvicorn

from config import SettingsError, load_settings
from db import migrations
from http_limits import MAX_HEAD_BYTES, BoundedHttpToolsProtocol


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
        "main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http=BoundedHttpToolsProtocol,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        log_level=settings.log_level.lower(),
        access_log=False,  # RequestContext logs each request, with its id
        proxy_headers=False,  # nothing here reads the client address: skip parsing X-Forwarded-*
        timeout_graceful_shutdown=30,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
