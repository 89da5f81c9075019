"""A configuration's JSON Schema holds on every path that writes its config or its schema: POST,
PUT, restore, each operation of a transaction, each configuration of an import. A refused
write leaves the row, its revisions and the feed as they were."""

import pytest

from config_service.conftest import make_settings
from config_service.main import create_app
from config_service.testing.tokens import bearer, make_token

API = "/api/v1"
SCHEMA = {
    "type": "object",
    "properties": {"host": {"type": "string"}, "port": {"type": "integer", "maximum": 65535}},
    "required": ["host"],
}


def state(client, id):
    """What a refused write must not have touched: the row, its history, the feed."""
    return (
        client.get(f"{API}/configurations/{id}", headers={"Cache-Control": "no-cache"}).json(),
        client.get(f"{API}/configurations/{id}/revisions").json(),
        client.get(f"{API}/changes", params={"after": 0, "limit": 1000}).json()["last_seq"],
    )


def refused(response, *locs):
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert sorted(error["loc"] for error in problem["errors"]) == sorted(list(loc) for loc in locs), problem
    return problem


@pytest.fixture
def app_id(client):
    return client.post(f"{API}/applications", json={"name": "billing"}).json()["id"]


@pytest.fixture
def guarded(client, app_id):
    body = {"application_id": app_id, "name": "db", "config": {"host": "db1", "port": 5432}, "schema": SCHEMA}
    made = client.post(f"{API}/configurations", json=body)
    assert made.status_code == 201 and made.json()["schema"] == SCHEMA
    return made.json()


def test_a_create_refuses_a_config_that_does_not_fit_its_schema_and_writes_nothing(client, app_id):
    before = client.get(f"{API}/changes").json()["last_seq"]
    body = {"application_id": app_id, "name": "db", "config": {"port": "x"}, "schema": SCHEMA}
    problem = refused(client.post(f"{API}/configurations", json=body), ["body", "config", "port"], ["body", "config"])
    assert {e["msg"] for e in problem["errors"]} == {"must be of type integer", "lacks the required property host"}
    assert problem["errors"][0]["type"] == "schema" and problem["errors"][0]["schema_path"]
    assert client.get(f"{API}/configurations", params={"application_id": app_id}).json() == []
    assert client.get(f"{API}/changes").json()["last_seq"] == before


def test_a_put_is_checked_against_the_schema_it_keeps_or_sends(client, guarded):
    id, before = guarded["id"], state(client, guarded["id"])
    refused(
        client.put(f"{API}/configurations/{id}", json={"name": "db", "config": {"host": 7}}), ["body", "config", "host"]
    )
    assert state(client, id) == before  # left out, the stored schema is kept and enforced
    tighter = {**SCHEMA, "properties": {**SCHEMA["properties"], "port": {"type": "integer", "maximum": 1000}}}
    refused(
        client.put(f"{API}/configurations/{id}", json={"name": "db", "config": guarded["config"], "schema": tighter}),
        ["body", "config", "port"],
    )
    assert state(client, id) == before  # a schema the current config no longer fits is refused
    moved = client.put(f"{API}/configurations/{id}", json={"name": "db", "config": {"host": "db2"}})
    assert moved.status_code == 200 and moved.json()["schema"] == SCHEMA and moved.json()["version"] == 2
    dropped = client.put(f"{API}/configurations/{id}", json={"name": "db", "config": {"host": 7}, "schema": None})
    assert dropped.status_code == 200 and dropped.json()["schema"] is None
    same = client.put(f"{API}/configurations/{id}", json={"name": "db", "config": {"host": 7}})
    assert same.json()["version"] == 3  # nothing changed: the schema is part of what is compared


def test_an_invalid_schema_is_refused_where_it_is_wrong(client, guarded):
    id, before = guarded["id"], state(client, guarded["id"])
    body = {"name": "db", "config": guarded["config"], "schema": {"properties": {"a": {"type": "nope"}}}}
    problem = refused(
        client.put(f"{API}/configurations/{id}", json=body), ["body", "schema", "properties", "a", "type"]
    )
    assert problem["errors"][0]["type"] == "schema_invalid" and "nope" not in problem["detail"] + str(problem["errors"])
    remote = {"name": "db", "config": guarded["config"], "schema": {"$ref": "http://127.0.0.1:9/s.json"}}
    refused(client.put(f"{API}/configurations/{id}", json=remote), ["body", "schema", "$ref"][:2])
    assert state(client, id) == before


def test_a_restore_brings_its_revisions_schema_back(client, guarded):
    id = guarded["id"]
    client.put(f"{API}/configurations/{id}", json={"name": "db", "config": {"other": True}, "schema": None})
    assert client.get(f"{API}/configurations/{id}/revisions/1").json()["schema"] == SCHEMA
    restored = client.post(f"{API}/configurations/{id}/revisions/1/restore")
    assert restored.status_code == 200 and restored.json()["schema"] == SCHEMA and restored.json()["version"] == 3
    refused(
        client.put(f"{API}/configurations/{id}", json={"name": "db", "config": {"other": True}}), ["body", "config"]
    )


def test_a_transaction_names_the_operation_and_writes_none_of_it(client, app_id, guarded):
    id, before = guarded["id"], state(client, guarded["id"])
    operations = [
        {"op": "create_configuration", "body": {"application_id": app_id, "name": "fine", "config": {}}},
        {"op": "update_configuration", "id": id, "body": {"name": "db", "config": {"host": "db2", "port": 99999}}},
    ]
    problem = refused(client.post(f"{API}/transactions", json={"operations": operations}), ["body", "config", "port"])
    assert problem["operation_index"] == 1 and problem["errors"][0]["msg"] == "must be at most 65535"
    assert state(client, id) == before
    assert [c["name"] for c in client.get(f"{API}/configurations", params={"application_id": app_id}).json()] == ["db"]
    operations[1]["body"]["config"]["port"] = 80
    assert client.post(f"{API}/transactions", json={"operations": operations}).status_code == 200


def test_a_transaction_creates_a_configuration_with_its_schema_and_holds_it(client, app_id):
    create = {"application_id": app_id, "name": "t", "config": {"host": "h"}, "schema": SCHEMA}
    done = client.post(f"{API}/transactions", json={"operations": [{"op": "create_configuration", "body": create}]})
    assert done.status_code == 200 and done.json()["results"][0]["body"]["schema"] == SCHEMA
    create = {**create, "name": "u", "config": {"port": 1}}
    refused(
        client.post(f"{API}/transactions", json={"operations": [{"op": "create_configuration", "body": create}]}),
        ["body", "config"],
    )


def test_an_import_dry_run_lists_each_items_violations_and_an_import_refuses_them(client, guarded):
    document = client.get(f"{API}/applications/{guarded['application_id']}/export").json()
    assert document["configurations"][0]["schema"] == SCHEMA  # exported with its schema
    document["configurations"][0]["config"] = {"port": "x"}
    document["configurations"].append(
        {"name": "new", "config": {"n": "x"}, "schema": {"properties": {"n": {"type": "integer"}}}}
    )
    document["configurations"].append({"name": "plain", "config": {"anything": 1}})
    plan = client.post(f"{API}/import", params={"dry_run": "true"}, json=document).json()
    errors = {item["name"]: sorted(e["loc"] for e in item.get("errors", [])) for item in plan["configurations"]}
    assert errors == {
        "db": [["body", "configurations", "0", "config"], ["body", "configurations", "0", "config", "port"]],
        "new": [["body", "configurations", "1", "config", "n"]],
        "plain": [],
    }
    before = state(client, guarded["id"])
    problem = refused(client.post(f"{API}/import", json=document), *errors["db"])
    assert "configuration 0" in problem["detail"]
    assert state(client, guarded["id"]) == before
    del document["configurations"][0]["schema"]  # left out: the stored schema is kept, and still holds
    refused(client.post(f"{API}/import", params={"dry_run": "false"}, json=document), *errors["db"])


def test_validate_checks_a_change_before_it_is_made_and_writes_nothing(client, guarded):
    id, before = guarded["id"], state(client, guarded["id"])
    url = f"{API}/configurations/{id}/validate"
    assert client.post(url, json={}).json() == {"valid": True, "errors": []}  # the stored config, the stored schema
    bad = client.post(url, json={"config": {"port": 1e9}}).json()
    assert bad["valid"] is False
    assert sorted(e["loc"] for e in bad["errors"]) == [["body", "config"], ["body", "config", "port"]]
    tighter = client.post(url, json={"schema": {"type": "object", "maxProperties": 1}}).json()
    assert tighter["errors"][0]["msg"] == "must have at most 1 properties"
    assert client.post(url, json={"schema": None, "config": {"x": 1}}).json()["valid"] is True
    assert client.post(url, json={"schema": {"type": 1}}).json()["errors"][0]["type"] == "schema_invalid"
    assert client.post(f"{API}/configurations/01J0000000000000000000000A/validate", json={}).status_code == 404
    assert client.post(url, json={"configs": {}}).status_code == 422
    assert state(client, id) == before


def test_validate_needs_only_a_read_token_and_the_limits_are_the_settings(database_url):
    from fastapi.testclient import TestClient

    settings = make_settings(database_url, auth="tokens", max_schema_bytes=256, max_schema_errors=1)
    writer, reader = make_token(settings, "w", "write"), make_token(settings, "r", "read")
    with TestClient(create_app(settings)) as client:
        app_id = client.post(f"{API}/applications", json={"name": "a"}, headers=bearer(writer)).json()["id"]
        body = {"application_id": app_id, "name": "c", "config": {}, "schema": {"description": "x" * 300}}
        too_big = client.post(f"{API}/configurations", json=body, headers=bearer(writer))
        assert too_big.json()["errors"] == [
            {"loc": ["body", "schema"], "msg": "must take at most 256 bytes", "type": "schema_size"}
        ]
        body["schema"] = {"additionalProperties": False}
        id = client.post(f"{API}/configurations", json=body, headers=bearer(writer)).json()["id"]
        checked = client.post(
            f"{API}/configurations/{id}/validate", json={"config": {"a": 1, "b": 2}}, headers=bearer(reader)
        )
        assert checked.status_code == 200 and len(checked.json()["errors"]) == 1  # MAX_SCHEMA_ERRORS
        assert (
            client.put(
                f"{API}/configurations/{id}", json={"name": "c", "config": {}}, headers=bearer(reader)
            ).status_code
            == 403
        )
