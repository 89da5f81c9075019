import asyncio
from types import SimpleNamespace

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from config_service.api.bodies import has_duplicate_keys, json_body, json_response, next_link, request_body_doc
from config_service.api.problems import install_problem_handlers

JSON = {"content-type": "application/json"}


class Pet(BaseModel):
    name: str

    model_config = {"extra": "forbid", "json_schema_extra": {"examples": [{"name": "rex"}]}}


@pytest.fixture
def client():
    app = FastAPI()
    app.state.runtime = SimpleNamespace(settings=SimpleNamespace(max_request_body_bytes=64))
    install_problem_handlers(app)

    @app.post("/pets", openapi_extra=request_body_doc(Pet))
    async def add(pet: Pet = Depends(json_body(Pet))):
        return json_response(pet, 201, {"X-Seen": "1"})

    return TestClient(app)


def test_valid_body_is_parsed_and_encoded_once(client):
    response = client.post("/pets", content=b'{"name": "rex"}', headers=JSON)
    assert (response.status_code, response.json(), response.headers["x-seen"]) == (201, {"name": "rex"}, "1")
    assert response.headers["content-type"] == "application/json"


def test_errors_are_located_in_the_body(client):
    response = client.post("/pets", content=b'{"name": 1}', headers=JSON)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "name"]


def test_invalid_json_is_422(client):
    assert client.post("/pets", content=b"{nope", headers=JSON).status_code == 422


def test_body_over_the_limit_is_413(client):
    assert client.post("/pets", content=b'{"name": "' + b"x" * 64 + b'"}', headers=JSON).status_code == 413


def test_body_is_documented_with_its_example(client):
    body = client.app.openapi()["paths"]["/pets"]["post"]["requestBody"]
    assert body["content"]["application/json"]["example"] == {"name": "rex"}
    assert body["content"]["application/json"]["schema"]["properties"]["name"]["type"] == "string"


def test_next_link_keeps_filters_that_are_set():
    assert next_link("/x", 2, "B", application_id=None) == '</x?limit=2&after=B>; rel="next"'
    assert next_link("/x", 2, 5, application_id="A") == '</x?application_id=A&limit=2&after=5>; rel="next"'


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "text/json",
    ],
)
def test_a_body_not_declared_json_is_415(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/pets", content=b'{"name": "rex"}', headers=headers)
    assert response.status_code == 415 and response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"],
)
def test_json_media_types_are_accepted(client, content_type):
    assert client.post("/pets", content=b'{"name": "rex"}', headers={"content-type": content_type}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "a", "name": "b"}',
        b'{"name": "a", "tags": {"x": 1, "x": 2}}',
        b'{"name": "a", "list": [{"k": 1, "k": 1}]}',
    ],
)
def test_duplicate_keys_anywhere_are_422(body):
    assert has_duplicate_keys(body)


def test_duplicate_keys_in_a_body_are_422_not_last_wins(client):
    response = client.post("/pets", content=b'{"name": "a", "name": "b"}', headers=JSON)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body"]


def test_distinct_keys_and_deep_nesting_are_not_duplicates():
    assert not has_duplicate_keys(b'{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}')
    assert not has_duplicate_keys(b"[" * 100_000 + b"]" * 100_000)


def test_a_client_gone_before_its_body_is_whole_is_408_not_an_unhandled_error(client):
    app, sent = client.app, []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/pets",
        "raw_path": b"/pets",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"20")],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "client": ("c", 1),
        "root_path": "",
        "app": app,
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 408
