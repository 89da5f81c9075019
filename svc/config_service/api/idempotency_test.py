import asyncio

import pytest

from config_service.api.applications_test import assert_problem
from config_service.api.idempotency import fingerprint
from config_service.api.schemas import ApplicationCreate
from config_service.testing.faults import database_name, wait_for_lock_waiters

APPS, CONFIGS = "/api/v1/applications", "/api/v1/configurations"


def count(client, path=APPS) -> int:
    return len(client.get(path).json())


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer_without_a_second_write(client):
    first = client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k-1"})
    again = client.post(
        APPS, content=b'{ "name" : "billing" }', headers={"Idempotency-Key": "k-1", "content-type": "application/json"}
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"] and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert count(client) == 1


def test_configurations_honour_the_key_too(client):
    app_id = client.post(APPS, json={"name": "billing"}).json()["id"]
    body = {"application_id": app_id, "name": "db", "config": {"a": 1}}
    first = client.post(CONFIGS, json=body, headers={"Idempotency-Key": "c-1"})
    again = client.post(CONFIGS, json=body, headers={"Idempotency-Key": "c-1"})
    assert first.json() == again.json() and count(client, CONFIGS) == 1


def test_the_same_key_with_another_body_or_endpoint_is_422(client):
    client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k-1"})
    other = client.post(APPS, json={"name": "shipping"}, headers={"Idempotency-Key": "k-1"})
    assert assert_problem(other, 422)["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    app_id = client.get(APPS).json()[0]["id"]
    assert_problem(
        client.post(
            CONFIGS, json={"application_id": app_id, "name": "db", "config": {}}, headers={"Idempotency-Key": "k-1"}
        ),
        422,
    )
    assert count(client) == 1


@pytest.mark.parametrize("key", ["", "k" * 256, "clé", "tab\there"])
def test_a_malformed_key_is_422(client, key):
    response = client.post(APPS, json={"name": "billing"}, headers=[("Idempotency-Key", key.encode())])
    assert_problem(response, 422)
    assert count(client) == 0


def test_a_failed_write_keeps_no_answer_under_its_key(client):
    client.post(APPS, json={"name": "billing"})
    assert client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k-2"}).status_code == 409
    client.delete(f"{APPS}/{client.get(APPS).json()[0]['id']}")
    assert client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k-2"}).status_code == 201


@pytest.mark.anyio
@pytest.mark.parametrize("other_commits", [True, False])
async def test_a_request_whose_key_is_held_by_a_running_write_waits_for_its_outcome(
    api, settings, connection, other_commits
):
    """Another request holds the key (its transaction claimed it and has not ended): this
    one waits, then replays that answer if it committed, or writes itself if it rolled back."""
    held = fingerprint("POST", APPS, ApplicationCreate(name="billing"))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO idempotency_keys (key, fingerprint, status, headers, body)"
            ' VALUES (\'k-3\', %s, 201, \'{"etag": "\\"1\\""}\', \'{"first": true}\')',
            (held,),
        )
    task = asyncio.ensure_future(api.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k-3"}))
    await asyncio.to_thread(wait_for_lock_waiters, database_name(settings), 1)
    connection.commit() if other_commits else connection.rollback()
    response = await task
    assert response.status_code == 201
    if other_commits:
        assert response.json() == {"first": True} and response.headers["idempotent-replayed"] == "true"
    else:
        assert response.json()["name"] == "billing" and "idempotent-replayed" not in response.headers
