"""Lints the OpenAPI document a client generator reads: every operation declares what it reads
and answers, with examples that fit their schemas."""

import re

import pytest

from config_service.api import schemas
from config_service.conftest import make_settings
from config_service.main import create_app


@pytest.fixture(scope="module")
def spec():
    return create_app(make_settings("postgresql://postgres@127.0.0.1:1/none", auth="tokens")).openapi()


def operations(spec):
    return [(path, method, operation) for path, item in spec["paths"].items() for method, operation in item.items()]


def test_every_operation_documents_its_parameters_responses_and_examples(spec):
    found = []
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", []):
            if not parameter.get("description"):
                found.append(f"{where}: {parameter['in']} parameter {parameter['name']} has no description")
        for content in operation.get("requestBody", {}).get("content", {}).values():
            if "example" not in content:
                found.append(f"{where}: its body has no example")
        for status, response in operation["responses"].items():
            if not response.get("description"):
                found.append(f"{where} {status}: no description")
            if "X-Request-ID" not in response.get("headers", {}):
                found.append(f"{where} {status}: X-Request-ID undeclared")
            for media_type, content in response.get("content", {}).items():
                if "example" not in content and "examples" not in content:
                    found.append(f"{where} {status} {media_type}: no example")
    assert found == []


def test_the_errors_each_operation_can_answer_are_declared(spec):
    for path, method, operation in operations(spec):
        statuses = set(operation["responses"])
        if path.startswith("/api/v1"):
            assert {"401", "503"} <= statuses, (method, path)
        if path.startswith("/api/v1") and method != "get":
            assert "403" in statuses, (method, path)
        if "{id}" in path:
            assert "404" in statuses, (method, path)
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        if "If-Match" in names:
            assert {"412", "428"} <= statuses, (method, path)


@pytest.mark.parametrize(
    "method, path, headers",
    [
        ("put", "/api/v1/configurations/{id}", {"If-Match"}),
        ("delete", "/api/v1/applications/{id}", {"If-Match"}),
        ("post", "/api/v1/configurations/{id}/revisions/{version}/restore", {"If-Match"}),
        ("post", "/api/v1/applications", {"Idempotency-Key"}),
        ("post", "/api/v1/transactions", {"Idempotency-Key"}),
        ("get", "/api/v1/configurations/{id}", {"If-None-Match", "Prefer", "Cache-Control"}),
        ("get", "/api/v1/configurations/{id}/revisions/{version}", {"If-None-Match"}),
        ("get", "/api/v1/changes/stream", {"Last-Event-ID"}),
    ],
)
def test_the_headers_an_operation_reads_are_parameters(spec, method, path, headers):
    declared = {p["name"] for p in spec["paths"][path][method]["parameters"] if p["in"] == "header"}
    assert headers <= declared


@pytest.mark.parametrize(
    "method, path, status, headers",
    [
        (
            "post",
            "/api/v1/configurations",
            "201",
            {"Location", "ETag", "Last-Modified", "Change-Seq", "Idempotent-Replayed"},
        ),
        ("put", "/api/v1/configurations/{id}", "200", {"ETag", "Last-Modified", "Change-Seq"}),
        ("get", "/api/v1/configurations/{id}", "200", {"ETag", "Last-Modified", "Preference-Applied"}),
        ("get", "/api/v1/configurations/{id}", "304", {"ETag"}),
        ("get", "/api/v1/configurations", "200", {"Link"}),
        ("delete", "/api/v1/configurations/{id}", "204", {"Change-Seq"}),
        ("get", "/api/v1/applications/{id}", "503", {"Retry-After"}),
    ],
)
def test_the_headers_an_operation_answers_with_are_declared(spec, method, path, status, headers):
    assert headers <= set(spec["paths"][path][method]["responses"][status]["headers"])


def test_response_examples_fit_their_models(spec):
    for _, _, operation in operations(spec):
        for status, response in operation["responses"].items():
            for content in response.get("content", {}).values():
                name = content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
                if name and status.startswith("2"):
                    getattr(schemas, name).model_validate(content["example"])  # raises when it does not fit


def test_ids_are_documented_as_the_service_reads_them_in_either_case(spec):
    pattern = spec["components"]["schemas"]["ConfigurationOut"]["properties"]["id"]["pattern"]
    assert re.fullmatch(pattern, "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE") and re.fullmatch(pattern, "01jb8z6q3m5t2v7x9y1zab4cde")
    assert not re.fullmatch(pattern, "01JB8Z6Q3M5T2V7X9Y1ZAB4CDU")  # U is not Crockford base32


def test_me_is_documented(spec):
    me = spec["paths"]["/api/v1/me"]["get"]
    assert me["summary"] and me["description"] and me["responses"]["200"]["content"]["application/json"]["example"]


def test_component_examples_keep_their_nulls(spec):
    for name in ("ConfigurationOut", "RevisionOut", "TokenOut", "Me"):
        example = spec["components"]["schemas"][name]["examples"][0]
        getattr(schemas, name).model_validate(example)
    assert spec["components"]["schemas"]["ConfigurationOut"]["examples"][0]["comments"] is None


DOCUMENTED_HEADERS = {
    "etag",
    "last-modified",
    "location",
    "change-seq",
    "link",
    "retry-after",
    "preference-applied",
    "idempotent-replayed",
    "x-request-id",
    "www-authenticate",
}


def declared(spec, method, template, response):
    """The answer's status is declared for its operation, and so is each documented header it carries."""
    responses = spec["paths"][template][method]["responses"]
    assert str(response.status_code) in responses, (method, template, response.status_code)
    headers = {name.lower() for name in responses[str(response.status_code)].get("headers", {})}
    sent = {name for name in response.headers if name in DOCUMENTED_HEADERS}
    assert sent <= headers, (method, template, response.status_code, sent - headers)


def test_what_the_service_really_answers_is_in_the_document(client):
    spec = client.app.openapi()
    created = client.post("/api/v1/applications", json={"name": "a"}, headers={"Idempotency-Key": "k1"})
    declared(spec, "post", "/api/v1/applications", created)
    declared(spec, "post", "/api/v1/applications", client.post("/api/v1/applications", json={"name": "a"}))  # 409
    app_id = created.json()["id"]
    config = client.post("/api/v1/configurations", json={"application_id": app_id, "name": "c", "config": {}})
    declared(spec, "post", "/api/v1/configurations", config)
    path, template = f"/api/v1/configurations/{config.json()['id']}", "/api/v1/configurations/{id}"
    declared(spec, "get", template, client.get(path))
    declared(spec, "get", template, client.get(path, headers={"If-None-Match": '"1"'}))  # 304
    declared(spec, "get", template, client.get(path, headers={"If-None-Match": '"1"', "Prefer": "wait=1"}))
    declared(
        spec, "put", template, client.put(path, json={"name": "c", "config": {"v": 1}}, headers={"If-Match": '"9"'})
    )
    declared(spec, "put", template, client.put(path, json={"name": "c", "config": {"v": 1}}))
    declared(
        spec, "get", "/api/v1/configurations/{id}", client.get("/api/v1/configurations/01JB8Z6Q3M5T2V7X9Y1ZAB4CDE")
    )
    client.post("/api/v1/applications", json={"name": "b"})
    declared(spec, "get", "/api/v1/applications", client.get("/api/v1/applications?limit=1"))  # with Link
    declared(spec, "get", "/api/v1/changes", client.get("/api/v1/changes?after=0&limit=1"))
    declared(spec, "delete", template, client.delete(path))


def test_an_unauthenticated_request_is_answered_as_documented(database_url):
    from fastapi.testclient import TestClient

    with TestClient(create_app(make_settings(database_url, auth="tokens"))) as secured:
        spec = secured.app.openapi()
        declared(spec, "get", "/api/v1/applications", secured.get("/api/v1/applications"))
