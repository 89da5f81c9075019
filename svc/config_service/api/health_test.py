from fastapi.testclient import TestClient

from config_service.conftest import make_settings
from config_service.main import create_app
from config_service.testing.faults import database_down, database_name, kill_sessions


def test_health_is_ok(client):
    assert client.get("/health").json() == {"status": "ok"}


def test_ready_when_database_answers_and_migrations_are_current(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_not_ready_while_migrations_are_pending(empty_database_url):
    with TestClient(create_app(make_settings(empty_database_url))) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["detail"].endswith("migration(s) pending")


def test_not_ready_when_an_applied_migration_changed(settings):
    with TestClient(create_app(settings)) as client:
        expected = client.app.state.runtime.expected_migrations
        expected[next(iter(expected))] = "0" * 64
        response = client.get("/ready")
    assert response.status_code == 503 and response.json()["detail"] == "an applied migration was changed"


def test_ready_again_at_once_after_its_connections_are_killed(client, settings):
    assert kill_sessions(database_name(settings)) >= 1
    assert client.get("/ready").status_code == 200


def test_not_ready_while_the_database_is_down(client, settings):
    with database_down(database_name(settings)):
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "password" not in response.text and "postgresql://" not in response.text
    assert client.get("/ready").status_code == 200
