"""Which of the package's files one request passes through: a cached and an uncached
`GET /api/v1/configurations/{id}`, and a `PUT`, each traced alone on a fresh database.

    cd svc && .venv/bin/python -m config_service.testing.request_path [--auth off|tokens]

A measure of how far a request travels through the rooms (docs/architecture.md), not a test.
"""

import argparse
import sys
import threading
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from config_service.conftest import create_database, drop_database, make_settings
from config_service.db import migrations
from config_service.db.pool import connect
from config_service.db.unit_of_work import run_once
from config_service.main import create_app
from config_service.services import tokens

PACKAGE = Path(__file__).resolve().parent.parent


def traced(call) -> tuple[object, list[str]]:
    """`call()`'s result and the package's files whose functions ran meanwhile, in any thread."""
    files: set[str] = set()

    def profile(frame, event, arg):
        name = frame.f_code.co_filename
        if event == "call" and name.startswith(str(PACKAGE)) and not name.startswith(str(PACKAGE / "testing")):
            files.add(str(Path(frame.f_code.co_filename).relative_to(PACKAGE)))

    threading.setprofile_all_threads(profile)
    sys.setprofile(profile)
    try:
        result = call()
    finally:
        threading.setprofile_all_threads(None)
        sys.setprofile(None)
    return result, sorted(files)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auth", choices=["off", "tokens"], default="off")
    args = parser.parse_args(argv)
    name = f"cs_request_path_{uuid.uuid4().hex[:8]}"
    settings = make_settings(create_database(name), auth=args.auth)
    try:
        connection = connect(settings)
        migrations.apply(connection, migrations.discover())
        connection.close()
        _, secret = run_once(settings, lambda uow: tokens.create_token(uow, "trace", "admin", None, None), "trace")
        with TestClient(create_app(settings), headers={"Authorization": f"Bearer {secret}"}) as client:
            feed = client.app.state.runtime.feed  # type: ignore[attr-defined]
            for _ in range(250):  # the cache answers only while the listener is up
                if feed.listening:
                    break
                time.sleep(0.02)
            app = client.post("/api/v1/applications", json={"name": "trace"}).json()
            body = {"application_id": app["id"], "name": "c", "config": {"a": 1}}
            path = f"/api/v1/configurations/{client.post('/api/v1/configurations', json=body).json()['id']}"
            client.put(path, json={"name": "c", "config": {"a": 2}})  # every statement prepared once
            for _ in range(3):
                client.get(path), client.get(path, headers={"Cache-Control": "no-cache"})
            for label, call in [
                ("cached GET", lambda: client.get(path)),
                ("uncached GET", lambda: client.get(path, headers={"Cache-Control": "no-cache"})),
                ("PUT", lambda: client.put(path, json={"name": "c", "config": {"a": 3}})),
            ]:
                response, files = traced(call)
                print(f"{label} (AUTH={args.auth}): {response.status_code}, {len(files)} files: {' '.join(files)}")
    finally:
        drop_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
