from fastapi.testclient import TestClient

from conftest import make_settings
from main import create_app


def test_health_answers_without_the_database():
    app = create_app(make_settings("postgresql://postgres@127.0.0.1:1/none"))
    # No lifespan: the database is never opened, yet the process is alive.
    assert TestClient(app).get("/health").json() == {"status": "ok"}


def test_lifespan_opens_and_closes_the_database(settings):
    app = create_app(settings)
    with TestClient(app):
        database = app.state.database
        assert not database.pool.closed
    assert database.pool.closed


def test_unknown_route_is_problem_json(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
