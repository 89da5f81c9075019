import asyncio
import re

import pytest

MISSING = "01J0000000000000000000000Z"


def create(client, name="billing", comments=None):
    response = client.post("/api/v1/applications", json={"name": name, "comments": comments})
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    assert len(response.content) < 2048
    return body


def test_create_returns_201_with_location_and_the_application(client):
    response = client.post("/api/v1/applications", json={"name": "billing", "comments": "team x"})
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", body["id"])
    assert response.headers["location"] == f"/api/v1/applications/{body['id']}"
    assert (body["name"], body["comments"], body["configuration_ids"]) == ("billing", "team x", [])
    assert body["created_at"].endswith("Z")


def test_comments_default_to_null(client):
    response = client.post("/api/v1/applications", json={"name": "billing"})
    assert response.json()["comments"] is None


def test_get_includes_configuration_ids_in_id_order(client):
    app = create(client)
    ids = [
        client.post("/api/v1/configurations", json={"application_id": app["id"], "name": n, "config": {}}).json()["id"]
        for n in ("b", "a", "c")
    ]
    body = client.get(f"/api/v1/applications/{app['id']}").json()
    assert body["configuration_ids"] == sorted(ids)
    assert {k: body[k] for k in ("id", "name", "comments")} == {k: app[k] for k in ("id", "name", "comments")}


def test_lower_case_id_is_accepted(client):
    app = create(client)
    assert client.get(f"/api/v1/applications/{app['id'].lower()}").json()["id"] == app["id"]


def test_put_replaces_name_and_comments(client):
    app = create(client, comments="old")
    response = client.put(f"/api/v1/applications/{app['id']}", json={"name": "invoicing"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["comments"]) == ("invoicing", None)
    assert client.get(f"/api/v1/applications/{app['id']}").json()["name"] == "invoicing"


def test_list_is_an_array_in_id_order_with_a_next_link(client):
    ids = sorted(create(client, f"app-{n}")["id"] for n in range(5))
    first = client.get("/api/v1/applications", params={"limit": 2})
    assert [a["id"] for a in first.json()] == ids[:2]
    assert first.headers["link"] == f'</api/v1/applications?limit=2&after={ids[1]}>; rel="next"'
    second = client.get(first.headers["link"].split(">")[0][1:])
    assert [a["id"] for a in second.json()] == ids[2:4]
    last = client.get("/api/v1/applications", params={"limit": 2, "after": ids[3]})
    assert [a["id"] for a in last.json()] == ids[4:]
    assert "link" not in last.headers


def test_list_by_name_finds_the_one_with_exactly_that_name(client):
    wanted = create(client, "billing")
    create(client, "billing-api")
    create(client, "Billing")
    assert [a["id"] for a in client.get("/api/v1/applications", params={"name": "billing"}).json()] == [wanted["id"]]
    assert client.get("/api/v1/applications", params={"name": "bill"}).json() == []
    assert_problem(client.get("/api/v1/applications", params={"name": ""}), 422)
    assert_problem(client.get("/api/v1/applications", params={"name": "x" * 257}), 422)


def test_list_defaults_to_100(client):
    for n in range(101):
        create(client, f"app-{n:03d}")
    response = client.get("/api/v1/applications")
    assert len(response.json()) == 100 and "link" in response.headers


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "after=not-a-ulid"])
def test_list_with_bad_paging_is_422(client, query):
    assert_problem(client.get(f"/api/v1/applications?{query}"), 422)


# --- API.md's error table ---------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    ["not-a-ulid", "01J0000000000000000000000", "81J0000000000000000000000A", "01J000000000000000000000UU", "x" * 300],
)
def test_invalid_ulid_in_path_is_422(client, bad_id):
    assert_problem(client.get(f"/api/v1/applications/{bad_id}"), 422)
    assert_problem(client.put(f"/api/v1/applications/{bad_id}", json={"name": "x"}), 422)


def test_unknown_id_is_404(client):
    assert_problem(client.get(f"/api/v1/applications/{MISSING}"), 404)
    assert_problem(client.put(f"/api/v1/applications/{MISSING}", json={"name": "x"}), 404)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'"billing"',
        b"null",
        b'{"name": 7}',
        b'{"comments": "no name"}',
        b'{"name": ""}',
        b'{"name": "   "}',
        b'{"name": "' + b"n" * 257 + b'"}',
        b'{"name": "ok", "comments": "' + b"c" * 1025 + b'"}',
        b'{"name": "ok", "id": "01J0000000000000000000000A"}',
        b'{"name": "ok", "comment": "typo"}',
        b'{"name": "nul\\u0000"}',
        b'{"name": "ok", "comments": "\\u0000"}',
    ],
)
def test_bad_body_is_422(client, body):
    problem = assert_problem(
        client.post("/api/v1/applications", content=body, headers={"content-type": "application/json"}), 422
    )
    assert problem["errors"] and all(e["loc"][0] == "body" for e in problem["errors"])


def test_bad_body_on_put_is_422(client):
    app = create(client)
    assert_problem(client.put(f"/api/v1/applications/{app['id']}", json={"name": "x", "configuration_ids": []}), 422)


def test_taken_name_is_409(client):
    create(client, "billing")
    assert_problem(client.post("/api/v1/applications", json={"name": "billing"}), 409)
    other = create(client, "shipping")
    assert_problem(client.put(f"/api/v1/applications/{other['id']}", json={"name": "billing"}), 409)


def test_max_lengths_are_accepted(client):
    body = {"name": "n" * 256, "comments": "c" * 1024}
    assert client.post("/api/v1/applications", json=body).json()["name"] == "n" * 256


def test_body_over_the_limit_is_413(client):
    big = b'{"name": "x", "comments": "' + b"c" * (1024 * 1024) + b'"}'
    assert_problem(client.post("/api/v1/applications", content=big, headers={"content-type": "application/json"}), 413)


@pytest.mark.anyio
async def test_twenty_racing_creates_of_one_name_give_one_201(api):
    responses = await asyncio.gather(*(api.post("/api/v1/applications", json={"name": "racy"}) for _ in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19
    listed = await api.get("/api/v1/applications")
    assert [a["name"] for a in listed.json()] == ["racy"]


# --- versions, conditional requests, delete ----------------------------------------------


def test_application_versions_etags_and_304(client):
    created = client.post("/api/v1/applications", json={"name": "billing"})
    id = created.json()["id"]
    assert (created.json()["version"], created.headers["etag"]) == (1, '"1"')
    assert client.get(f"/api/v1/applications/{id}", headers={"If-None-Match": '"1"'}).status_code == 304
    updated = client.put(f"/api/v1/applications/{id}", json={"name": "invoicing"}, headers={"If-Match": '"1"'})
    assert (updated.status_code, updated.headers["etag"]) == (200, '"2"')
    problem = assert_problem(
        client.put(f"/api/v1/applications/{id}", json={"name": "x"}, headers={"If-Match": '"1"'}), 412
    )
    assert problem["current_version"] == 2
    assert client.get(f"/api/v1/applications/{id}").json()["name"] == "invoicing"


def test_delete_application_is_204_when_empty_and_409_with_configurations(client):
    app = create(client)
    config = client.post("/api/v1/configurations", json={"application_id": app["id"], "name": "db", "config": {}})
    assert_problem(client.delete(f"/api/v1/applications/{app['id']}"), 409)
    client.delete(f"/api/v1/configurations/{config.json()['id']}")
    assert_problem(client.delete(f"/api/v1/applications/{app['id']}", headers={"If-Match": '"2"'}), 412)
    assert client.delete(f"/api/v1/applications/{app['id']}", headers={"If-Match": '"3"'}).status_code == 204
    assert_problem(client.get(f"/api/v1/applications/{app['id']}"), 404)
    assert_problem(client.delete(f"/api/v1/applications/{app['id']}"), 404)


def test_a_put_that_changes_nothing_makes_no_new_version(client):
    app = create(client, "billing", "team x")
    same = client.put(
        f"/api/v1/applications/{app['id']}", json={"name": "billing", "comments": "team x"}, headers={"If-Match": '"1"'}
    )
    assert same.status_code == 200 and same.headers["etag"] == '"1"' and same.json() == app
    changed = client.put(f"/api/v1/applications/{app['id']}", json={"name": "billing"})
    assert changed.json()["version"] == 2
    stale = client.put(f"/api/v1/applications/{app['id']}", json={"name": "billing"}, headers={"If-Match": '"1"'})
    assert assert_problem(stale, 412)["current_version"] == 2


@pytest.mark.parametrize("if_match", ["*", '"1"'])
def test_if_match_on_a_missing_application_is_412(client, if_match):
    missing = "01J0000000000000000000000Z"
    put = client.put(f"/api/v1/applications/{missing}", json={"name": "x"}, headers={"If-Match": if_match})
    assert "etag" not in put.headers and "current_version" not in assert_problem(put, 412)
    assert_problem(client.delete(f"/api/v1/applications/{missing}", headers={"If-Match": if_match}), 412)
    assert_problem(client.delete(f"/api/v1/applications/{missing}"), 404)


def test_if_match_star_matches_any_existing_version(client):
    app = create(client)
    assert (
        client.put(f"/api/v1/applications/{app['id']}", json={"name": "x"}, headers={"If-Match": "*"}).status_code
        == 200
    )
    assert client.delete(f"/api/v1/applications/{app['id']}", headers={"If-Match": "*"}).status_code == 204


def test_an_if_match_with_a_non_ascii_digit_matches_nothing(client):
    app = create(client)
    response = client.put(
        f"/api/v1/applications/{app['id']}",
        json={"name": "x"},
        headers=[("If-Match", b'"\xb2"'), ("content-type", b"application/json")],
    )
    assert assert_problem(response, 412)["current_version"] == 1
