"""Several instances starting at once on an empty database: each migration applies once."""

import httpx

from config_service.conftest import make_settings
from config_service.db.migrations import applied, discover
from config_service.db.pool import connect
from config_service.testing.server import start_server, stop, wait_until_ready


def test_two_instances_started_at_once_on_an_empty_database_both_serve(empty_database_url):
    servers = [start_server(empty_database_url) for _ in range(2)]
    outputs = []
    try:
        for process, base_url in servers:
            assert wait_until_ready(process, base_url).status_code == 200
        created = httpx.post(f"{servers[0][1]}/api/v1/applications", json={"name": "shared"})
        seen = httpx.get(f"{servers[1][1]}/api/v1/applications/{created.json()['id']}")
        assert seen.status_code == 200
    finally:
        outputs = [stop(process) for process, _ in servers]
    applied_by = [output for output in outputs if "applied: " in output]
    assert len(applied_by) == 1, outputs  # one applied the files, the other found them applied
    assert all("migrations: up to date" in output for output in outputs if output not in applied_by)
    connection = connect(make_settings(empty_database_url))
    try:
        assert list(applied(connection)) == [m.name for m in discover()]
    finally:
        connection.close()
