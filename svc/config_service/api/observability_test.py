import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config_service.api.observability import RequestContext
from config_service.api.problems import install_problem_handlers
from config_service.domain.errors import NotFound
from config_service.logs import UtcFormatter, configure_logging


@pytest.fixture
def client():
    app = FastAPI()
    app.add_middleware(RequestContext)
    install_problem_handlers(app)

    @app.get("/ok")
    async def ok():
        return {"ok": True}

    @app.get("/missing")
    async def missing():
        raise NotFound("no such thing")

    @app.get("/crash")
    async def crash():
        raise RuntimeError("secret driver text")

    return TestClient(app, raise_server_exceptions=False)


def test_a_request_id_is_generated_echoed_and_logged(client, caplog):
    caplog.set_level(logging.INFO, logger="config_service")
    response = client.get("/ok?x=1")
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    [line] = [r.getMessage() for r in caplog.records if r.name == "config_service.access"]
    assert line.startswith("GET /ok 200 ") and line.endswith(f"ms request_id={request_id} token=-")


def test_an_incoming_request_id_is_kept_and_put_in_problem_bodies(client):
    response = client.get("/missing", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"


@pytest.mark.parametrize("hostile", ["x" * 129, "has space", "new\\nline", "ünï"])
def test_an_unsafe_incoming_request_id_is_replaced(client, hostile):
    response = client.get("/ok", headers={"X-Request-ID": hostile.encode("utf-8")})
    assert response.headers["x-request-id"] != hostile
    assert len(response.headers["x-request-id"]) == 32


def test_unexpected_error_is_a_logged_500_problem_without_its_text(client, caplog):
    caplog.set_level(logging.INFO, logger="config_service")
    response = client.get("/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "an unexpected error occurred" and "secret" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    assert any(r.levelname == "ERROR" and body["request_id"] in r.getMessage() for r in caplog.records)
    assert any(r.getMessage().startswith("GET /crash 500 ") for r in caplog.records)


def test_log_level_is_honoured(client, caplog):
    configure_logging("WARNING")
    try:
        client.get("/ok")
        assert not [r for r in caplog.records if r.name == "config_service.access"]
    finally:
        configure_logging("INFO")


def test_a_path_with_encoded_line_breaks_cannot_forge_an_access_line(client, caplog):
    caplog.set_level(logging.INFO, logger="config_service")
    client.get("/ok%0A2027-01-01T00:00:00.000Z%20INFO%20config_service.access%20DELETE%20/x%20204")
    [entry] = [r for r in caplog.records if r.name == "config_service.access"]
    line = UtcFormatter().format(entry)
    assert "\n" not in line and "/ok\\x0a2027" in line
