import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from config_service.api.problems import http_form, install_problem_handlers, problem, validation_errors
from config_service.domain.errors import Conflict, InvalidReference, NotFound, ServiceError, StaleVersion, Unavailable


class Body(BaseModel):
    name: str

    model_config = {"extra": "forbid"}


@pytest.fixture
def client():
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/raise/{kind}")
    async def raise_(kind: str):
        raise {
            "404": NotFound("no such thing"),
            "409": Conflict("taken"),
            "503": Unavailable("down"),
            "422": InvalidReference("names nothing", "application_id"),
            "412": StaleVersion("configuration", 4),
        }[kind]

    @app.post("/body")
    async def body(payload: Body):
        return payload

    for method in ("get", "put", "delete"):
        getattr(app, method)("/multi")(lambda: None)

    return TestClient(app, raise_server_exceptions=False)


def test_problem_has_the_rfc_9457_members():
    response = problem(409, "taken")
    assert response.media_type == "application/problem+json"
    assert json.loads(response.body) == {"type": "about:blank", "title": "Conflict", "status": 409, "detail": "taken"}


@pytest.mark.parametrize("status", ["404", "409", "422", "503"])
def test_service_errors_keep_their_status(client, status):
    response = client.get(f"/raise/{status}")
    assert response.status_code == int(status)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == int(status)


def test_unavailable_asks_the_client_to_retry(client):
    assert client.get("/raise/503").headers["retry-after"] == "1"


def test_stale_version_gives_412_with_the_current_version_in_body_and_etag(client):
    response = client.get("/raise/412")
    assert response.status_code == 412 and response.headers["etag"] == '"4"'
    assert response.json()["current_version"] == 4


def test_an_unmapped_service_error_is_a_plain_500():
    assert http_form(ServiceError("x")) == (500, {}, {})


def test_invalid_reference_names_the_field(client):
    assert client.get("/raise/422").json()["errors"] == [{"loc": ["body", "application_id"], "msg": "names nothing"}]


def test_validation_error_lists_locations_without_the_input(client):
    response = client.post("/body", json={"name": ["x" * 500]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
    assert "xxxx" not in response.text


def test_method_not_allowed_is_problem_json(client):
    response = client.delete("/body")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


def test_validation_errors_are_shortened_to_fit_a_small_body():
    raw = [{"loc": ("body", "k" * 5000, *range(20)), "msg": "m" * 1000, "input": "secret"} for _ in range(100)]
    errors = validation_errors(raw)
    assert 1 <= len(errors) < 100
    assert len(json.dumps(errors)) <= 1200
    assert all(len(e["msg"]) == 160 and len(e["loc"]) == 8 and e["loc"][1] == "(field)" for e in errors)
    assert "secret" not in json.dumps(errors)


def test_many_unknown_fields_give_a_small_error_body(client):
    body = {"name": "x", **{f"field{'z' * 500}{n}": n for n in range(200)}}
    response = client.post("/body", json=body)
    assert response.status_code == 422
    assert len(response.content) < 2048


@pytest.mark.parametrize("name", ["password=hunter2", "<img src=x onerror=alert(1)>", "a b", "x" * 41, "ü"])
def test_an_unknown_field_is_named_only_when_it_is_a_plain_identifier(client, name):
    response = client.post("/body", json={"name": "x", name: 1})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"loc": ["body"], "msg": "an unknown field was sent"}]
    assert name not in response.text


def test_a_plain_unknown_field_is_named_so_a_typo_is_found(client):
    response = client.post("/body", json={"name": "x", "comment": 1})
    assert response.json()["errors"] == [{"loc": ["body", "comment"], "msg": "Extra inputs are not permitted"}]


def test_405_lists_every_method_the_path_supports(client):
    response = client.request("OPTIONS", "/multi")
    assert response.status_code == 405
    assert sorted(response.headers["allow"].split(", ")) == ["DELETE", "GET", "PUT"]
