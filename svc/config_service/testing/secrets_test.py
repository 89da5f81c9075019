"""The database password never appears in logs, errors or /ready."""

import logging
from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient

from config_service.cli import migrate
from config_service.conftest import make_settings
from config_service.main import create_app
from config_service.settings import SettingsError, load_settings
from config_service.testing.faults import database_down, database_name

PASSWORD = "s3cr3t-pa55word"  # the server trusts local connections: any password works


def with_password(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"postgres:{PASSWORD}@{parts.hostname}:{parts.port or 5432}"))


def test_password_never_leaks_from_the_running_service(database_url, caplog):
    caplog.set_level(logging.DEBUG)
    settings = make_settings(with_password(database_url))
    seen = []
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        seen += [client.get("/ready"), client.post("/api/v1/applications", json={"name": 1})]
        with database_down(database_name(settings)):
            seen += [client.get("/ready"), client.get("/api/v1/applications")]
    assert [r.status_code for r in seen] == [200, 422, 503, 503]
    for response in seen:
        assert PASSWORD not in response.text and PASSWORD not in str(response.headers)
    assert PASSWORD not in caplog.text


def test_password_never_leaks_from_settings_errors(monkeypatch):
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, database_url=f"mysql://u:{PASSWORD}@host/db")
    assert PASSWORD not in str(raised.value)


def test_password_never_leaks_from_the_migration_command(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/none")
    assert migrate.main(["apply"]) == 1
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
