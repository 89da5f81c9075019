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


def test_openapi_documents_every_endpoint_with_examples_and_problem_errors():
    spec = create_app(make_settings("postgresql://postgres@127.0.0.1:1/none")).openapi()
    operations = {(method.upper(), path): op for path, item in spec["paths"].items()
                  for method, op in item.items() if path.startswith("/api/v1")}
    assert set(operations) == {
        ("POST", "/api/v1/applications"), ("GET", "/api/v1/applications"), ("GET", "/api/v1/applications/{id}"),
        ("PUT", "/api/v1/applications/{id}"), ("POST", "/api/v1/configurations"),
        ("GET", "/api/v1/configurations/{id}"), ("PUT", "/api/v1/configurations/{id}")}
    for (method, path), op in operations.items():
        expected = {"422", "503"} | ({"404"} if "{id}" in path else set()) | (
            {"409", "413"} if method in ("POST", "PUT") else set())
        assert expected <= set(op["responses"]), (method, path)
        for status in expected:
            assert "application/problem+json" in op["responses"][status]["content"]
        if method in ("POST", "PUT"):
            assert op["requestBody"]["content"]["application/json"]["example"]
    assert "Problem" in spec["components"]["schemas"]
