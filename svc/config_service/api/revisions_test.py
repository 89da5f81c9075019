import pytest

from config_service.api.applications_test import assert_problem, create

CONFIGS = "/api/v1/configurations"


@pytest.fixture
def app_id(client):
    return create(client)["id"]


def new_config(client, app_id, name="database", config=None):
    response = client.post(CONFIGS, json={"application_id": app_id, "name": name, "config": config or {"v": 1}})
    assert response.status_code == 201, response.text
    return response.json()


def history(client, id, **params):
    response = client.get(f"{CONFIGS}/{id}/revisions", params=params)
    assert response.status_code == 200, response.text
    return response


def test_every_change_is_a_revision_listed_newest_first(client, app_id):
    id = new_config(client, app_id)["id"]
    client.put(f"{CONFIGS}/{id}", json={"name": "database", "config": {"v": 2}})
    client.put(f"{CONFIGS}/{id}", json={"name": "db", "config": {"v": 3}})
    revisions = history(client, id).json()
    assert [(r["version"], r["change"], r["config"]) for r in revisions] == [
        (3, "update", {"v": 3}),
        (2, "update", {"v": 2}),
        (1, "create", {"v": 1}),
    ]
    assert all(r["configuration_id"] == id and r["application_id"] == app_id and r["changed_at"] for r in revisions)


def test_revisions_page_with_a_next_link(client, app_id):
    id = new_config(client, app_id)["id"]
    for v in range(2, 6):
        client.put(f"{CONFIGS}/{id}", json={"name": "database", "config": {"v": v}})
    first = history(client, id, limit=2)
    assert [r["version"] for r in first.json()] == [5, 4]
    assert first.headers["link"] == f'<{CONFIGS}/{id}/revisions?limit=2&after=4>; rel="next"'
    second = client.get(first.headers["link"][1:].split(">")[0])
    assert [r["version"] for r in second.json()] == [3, 2]
    last = history(client, id, limit=2, after=2)
    assert [r["version"] for r in last.json()] == [1] and "link" not in last.headers


def test_one_revision_whole_with_its_etag(client, app_id):
    id = new_config(client, app_id, config={"a": [1, {"b": None}]})["id"]
    response = client.get(f"{CONFIGS}/{id}/revisions/1")
    assert response.json()["config"] == {"a": [1, {"b": None}]}
    assert response.headers["etag"] == '"1"'
    assert_problem(client.get(f"{CONFIGS}/{id}/revisions/2"), 404)
    assert_problem(client.get(f"{CONFIGS}/{id}/revisions/0"), 422)


def test_history_of_an_unknown_configuration_is_404(client):
    assert_problem(client.get(f"{CONFIGS}/01J0000000000000000000000Z/revisions"), 404)


def test_restore_makes_a_past_revision_current_as_a_new_version(client, app_id):
    id = new_config(client, app_id, config={"v": 1})["id"]
    client.put(f"{CONFIGS}/{id}", json={"name": "renamed", "comments": "x", "config": {"v": 2}})
    response = client.post(f"{CONFIGS}/{id}/revisions/1/restore")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["comments"], body["config"], body["version"]) == ("database", None, {"v": 1}, 3)
    assert response.headers["etag"] == '"3"'
    assert [(r["version"], r["change"]) for r in history(client, id).json()] == [
        (3, "restore"),
        (2, "update"),
        (1, "create"),
    ]


def test_restore_honours_if_match(client, app_id):
    id = new_config(client, app_id)["id"]
    client.put(f"{CONFIGS}/{id}", json={"name": "database", "config": {"v": 2}})
    problem = assert_problem(client.post(f"{CONFIGS}/{id}/revisions/1/restore", headers={"If-Match": '"1"'}), 412)
    assert problem["current_version"] == 2
    assert client.post(f"{CONFIGS}/{id}/revisions/1/restore", headers={"If-Match": '"2"'}).status_code == 200


def test_delete_then_restore_brings_it_back_under_its_id(client, app_id):
    created = new_config(client, app_id, config={"keep": True})
    id = created["id"]
    assert client.delete(f"{CONFIGS}/{id}").status_code == 204
    assert_problem(client.get(f"{CONFIGS}/{id}"), 404)
    assert [(r["version"], r["change"]) for r in history(client, id).json()] == [(2, "delete"), (1, "create")]
    restored = client.post(f"{CONFIGS}/{id}/revisions/1/restore")
    assert restored.status_code == 200
    assert (restored.json()["version"], restored.json()["config"]) == (3, {"keep": True})
    assert restored.json()["created_at"] == created["created_at"]
    assert client.get(f"{CONFIGS}/{id}").json()["config"] == {"keep": True}
    assert id in client.get(f"/api/v1/applications/{app_id}").json()["configuration_ids"]


def test_restore_of_a_deleted_configuration_whose_name_was_taken_is_409(client, app_id):
    id = new_config(client, app_id)["id"]
    client.delete(f"{CONFIGS}/{id}")
    new_config(client, app_id)  # the same name, a new configuration
    assert_problem(client.post(f"{CONFIGS}/{id}/revisions/1/restore"), 409)
    assert_problem(client.get(f"{CONFIGS}/{id}"), 404)


def test_restore_of_a_deleted_configuration_honours_if_match_against_its_last_version(client, app_id):
    id = new_config(client, app_id)["id"]
    client.delete(f"{CONFIGS}/{id}")
    assert_problem(client.post(f"{CONFIGS}/{id}/revisions/1/restore", headers={"If-Match": '"1"'}), 412)
    assert client.post(f"{CONFIGS}/{id}/revisions/1/restore", headers={"If-Match": '"2"'}).status_code == 200


def test_restore_when_the_application_is_gone_is_409(client, app_id):
    id = new_config(client, app_id)["id"]
    client.delete(f"{CONFIGS}/{id}")
    assert client.delete(f"/api/v1/applications/{app_id}").status_code == 204
    assert_problem(client.post(f"{CONFIGS}/{id}/revisions/1/restore"), 409)
    assert len(history(client, id).json()) == 2  # history outlives the application


def test_restore_of_an_unknown_revision_is_404(client, app_id):
    id = new_config(client, app_id)["id"]
    assert_problem(client.post(f"{CONFIGS}/{id}/revisions/9/restore"), 404)
