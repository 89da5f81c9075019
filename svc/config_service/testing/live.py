"""The real app, lifespan and all, served by uvicorn in a thread: for tests that need a socket
(event streams), several apps on one database, or to stay in this process."""

import threading
import time
from contextlib import contextmanager

import uvicorn

from config_service.main import create_app
from config_service.testing.server import free_port


@contextmanager
def live_app(settings):
    """Yield (base URL, app) while the app serves on a free port of 127.0.0.1."""
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, port=free_port(), log_level="critical", loop="asyncio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.config.port}", app
    finally:
        server.should_exit = True
        thread.join(15)
