import asyncio
import dataclasses
import time

import pytest

from config_service.api.applications_test import assert_problem, create
from config_service.conftest import make_settings
from config_service.testing.faults import database_down, database_name

JSON = {"content-type": "application/json"}

MISSING = "01J0000000000000000000000Z"
CONFIG = {
    "host": "db.internal",
    "port": 5432,
    "tls": True,
    "ratio": 0.5,
    "tags": ["a", None],
    "nested": {"deep": {"er": []}},
    "unicode": "é ✓ 😀",
    "sql": "'; DROP TABLE configurations; --",
}


@pytest.fixture
def app_id(client):
    return create(client)["id"]


def new_config(client, app_id, name="database", config=None, comments=None):
    response = client.post(
        "/api/v1/configurations",
        json={"application_id": app_id, "name": name, "comments": comments, "config": config or CONFIG},
    )
    assert response.status_code == 201, response.text
    return response


def test_create_returns_201_with_location_and_the_configuration(client, app_id):
    response = new_config(client, app_id, comments="primary")
    body = response.json()
    assert response.headers["location"] == f"/api/v1/configurations/{body['id']}"
    assert {k: body[k] for k in ("application_id", "name", "comments", "config")} == {
        "application_id": app_id,
        "name": "database",
        "comments": "primary",
        "config": CONFIG,
    }


def test_get_returns_the_stored_configuration(client, app_id):
    created = new_config(client, app_id).json()
    assert client.get(f"/api/v1/configurations/{created['id']}").json() == created


def test_put_replaces_name_comments_and_config(client, app_id):
    id = new_config(client, app_id, comments="old").json()["id"]
    response = client.put(f"/api/v1/configurations/{id}", json={"name": "db", "config": {"port": 1}})
    assert response.status_code == 200
    body = client.get(f"/api/v1/configurations/{id}").json()
    assert (body["name"], body["comments"], body["config"]) == ("db", None, {"port": 1})


def test_put_with_the_same_application_id_is_accepted(client, app_id):
    id = new_config(client, app_id).json()["id"]
    response = client.put(f"/api/v1/configurations/{id}", json={"application_id": app_id, "name": "db", "config": {}})
    assert response.status_code == 200


def test_same_name_in_two_applications_is_fine(client, app_id):
    other = create(client, "shipping")["id"]
    new_config(client, app_id)
    new_config(client, other)


# --- API.md's error table ---------------------------------------------------------------


def test_invalid_ulid_in_path_is_422(client):
    assert_problem(client.get("/api/v1/configurations/nope"), 422)
    assert_problem(client.put("/api/v1/configurations/nope", json={"name": "x", "config": {}}), 422)


def test_unknown_id_is_404(client):
    assert_problem(client.get(f"/api/v1/configurations/{MISSING}"), 404)
    assert_problem(client.put(f"/api/v1/configurations/{MISSING}", json={"name": "x", "config": {}}), 404)


def test_unknown_application_is_422(client):
    problem = assert_problem(
        client.post("/api/v1/configurations", json={"application_id": MISSING, "name": "database", "config": {}}), 422
    )
    assert problem["errors"][0]["loc"] == ["body", "application_id"]


def test_changing_application_id_is_422_and_changes_nothing(client, app_id):
    other = create(client, "shipping")["id"]
    id = new_config(client, app_id).json()["id"]
    assert_problem(
        client.put(f"/api/v1/configurations/{id}", json={"application_id": other, "name": "moved", "config": {}}), 422
    )
    body = client.get(f"/api/v1/configurations/{id}").json()
    assert (body["application_id"], body["name"]) == (app_id, "database")


def test_taken_name_within_the_application_is_409(client, app_id):
    new_config(client, app_id)
    assert_problem(
        client.post("/api/v1/configurations", json={"application_id": app_id, "name": "database", "config": {}}), 409
    )
    id = new_config(client, app_id, name="cache").json()["id"]
    assert_problem(client.put(f"/api/v1/configurations/{id}", json={"name": "database", "config": {}}), 409)


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "config",
    [
        "[1, 2]",
        '"text"',
        "3",
        "null",
        "true",
        '{"k": NaN}',
        '{"k": Infinity}',
        '{"k": -Infinity}',
        '{"k": 1e400}',
        '{"k": "\\u0000"}',
        '{"\\u0000": 1}',
        '{"k": ["\\u0000"]}',
        '{"k": 1' + "0" * 5000 + "}",
        nested(33),
        '{"k": "\\ud800"}',
    ],
)
def test_config_that_postgres_cannot_store_or_that_is_not_an_object_is_422(client, app_id, config):
    body = f'{{"application_id": "{app_id}", "name": "database", "config": {config}}}'
    problem = assert_problem(client.post("/api/v1/configurations", content=body.encode(), headers=JSON), 422)
    assert "\\u0000" not in problem["detail"]


def test_nesting_of_32_levels_is_accepted(client, app_id):
    body = f'{{"application_id": "{app_id}", "name": "database", "config": {nested(32)}}}'
    assert client.post("/api/v1/configurations", content=body.encode(), headers=JSON).status_code == 201


def test_missing_config_and_unknown_fields_are_422(client, app_id):
    assert_problem(client.post("/api/v1/configurations", json={"application_id": app_id, "name": "x"}), 422)
    assert_problem(
        client.post("/api/v1/configurations", json={"application_id": app_id, "name": "x", "config": {}, "version": 3}),
        422,
    )


@pytest.mark.anyio
async def test_chunked_body_over_the_limit_is_413_without_reading_it_all(api):
    app_id = (await api.post("/api/v1/applications", json={"name": "billing"})).json()["id"]
    sent = []

    async def chunks():
        yield b'{"application_id": "%s", "name": "x", "config": {"k": "' % app_id.encode()
        for _ in range(64):
            sent.append(1)
            yield b"x" * 65536
        yield b'"}}'

    response = await api.post("/api/v1/configurations", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert len(sent) <= 20  # 1 MiB is 16 chunks: the rest of the 4 MiB was never read


def test_declared_length_over_the_limit_is_413_at_once(client):
    response = client.post(
        "/api/v1/configurations", content=b"{}", headers={**JSON, "content-length": str(2 * 1024 * 1024)}
    )
    assert response.status_code == 413


def test_database_unreachable_is_503_with_retry_after(client, settings):
    with database_down(database_name(settings)):
        for _ in range(2):
            problem = assert_problem(client.get(f"/api/v1/configurations/{MISSING}"), 503)
            assert "postgres" not in str(problem).lower()
    assert client.get(f"/api/v1/configurations/{MISSING}").status_code == 404


@pytest.mark.anyio
async def test_pool_exhausted_past_its_wait_is_503(database_url):
    import httpx

    from config_service.main import create_app

    app = create_app(make_settings(database_url, pool_size=1, executor_workers=1, queue_wait_seconds=0.05))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as api:
            busy = app.state.runtime.database.read(lambda uow: time.sleep(0.3))
            waiting = api.get(f"/api/v1/configurations/{MISSING}")
            _, response = await asyncio.gather(busy, waiting)
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"


# --- versions, conditional requests, delete, listing -------------------------------------


def test_versions_start_at_1_and_every_response_carries_validators(client, app_id):
    response = new_config(client, app_id)
    body = response.json()
    assert body["version"] == 1 and response.headers["etag"] == '"1"' and response.headers["last-modified"]
    updated = client.put(f"/api/v1/configurations/{body['id']}", json={"name": "x", "config": {}})
    assert (updated.json()["version"], updated.headers["etag"]) == (2, '"2"')
    assert client.get(f"/api/v1/configurations/{body['id']}").headers["etag"] == '"2"'


def test_matching_if_none_match_is_304_without_a_body(client, app_id):
    id = new_config(client, app_id).json()["id"]
    response = client.get(f"/api/v1/configurations/{id}", headers={"If-None-Match": '"1"'})
    assert (response.status_code, response.content, response.headers["etag"]) == (304, b"", '"1"')
    client.put(f"/api/v1/configurations/{id}", json={"name": "x", "config": {}})
    assert client.get(f"/api/v1/configurations/{id}", headers={"If-None-Match": '"1"'}).status_code == 200


@pytest.mark.anyio
async def test_two_clients_racing_with_the_same_if_match_one_wins_and_history_shows_only_it(api):
    app_id = (await api.post("/api/v1/applications", json={"name": "billing"})).json()["id"]
    created = await api.post(
        "/api/v1/configurations", json={"application_id": app_id, "name": "db", "config": {"v": 0}}
    )
    id, etag = created.json()["id"], created.headers["etag"]
    first, second = await asyncio.gather(
        *(
            api.put(
                f"/api/v1/configurations/{id}", json={"name": "db", "config": {"writer": n}}, headers={"If-Match": etag}
            )
            for n in (1, 2)
        )
    )
    assert sorted((first.status_code, second.status_code)) == [200, 412]
    winner = first if first.status_code == 200 else second
    loser = second if winner is first else first
    assert loser.json()["current_version"] == 2 and loser.headers["etag"] == '"2"'
    history = (await api.get(f"/api/v1/configurations/{id}/revisions")).json()
    assert [(r["version"], r["config"]) for r in history] == [(2, winner.json()["config"]), (1, {"v": 0})]


def test_put_without_if_match_still_works_unless_required(settings, app_id, client):
    id = new_config(client, app_id).json()["id"]
    assert client.put(f"/api/v1/configurations/{id}", json={"name": "x", "config": {}}).status_code == 200
    runtime = client.app.state.runtime
    client.app.state.runtime = dataclasses.replace(
        runtime, settings=make_settings(str(settings.database_url), require_if_match=True)
    )
    assert_problem(client.put(f"/api/v1/configurations/{id}", json={"name": "y", "config": {}}), 428)
    assert_problem(client.delete(f"/api/v1/configurations/{id}"), 428)
    assert_problem(client.post(f"/api/v1/configurations/{id}/revisions/1/restore"), 428)
    assert (
        client.put(
            f"/api/v1/configurations/{id}", json={"name": "y", "config": {}}, headers={"If-Match": '"2"'}
        ).status_code
        == 200
    )


def test_delete_is_204_keeps_history_and_honours_if_match(client, app_id):
    id = new_config(client, app_id).json()["id"]
    assert_problem(client.delete(f"/api/v1/configurations/{id}", headers={"If-Match": '"7"'}), 412)
    assert client.delete(f"/api/v1/configurations/{id}", headers={"If-Match": '"1"'}).status_code == 204
    assert_problem(client.get(f"/api/v1/configurations/{id}"), 404)
    assert_problem(client.delete(f"/api/v1/configurations/{id}"), 404)
    assert client.get(f"/api/v1/configurations/{id}/revisions").json()[0]["change"] == "delete"


def test_creating_and_deleting_configurations_are_new_versions_of_the_application(client, app_id):
    def application():
        return client.get(f"/api/v1/applications/{app_id}")

    assert application().json()["version"] == 1
    id = new_config(client, app_id).json()["id"]
    assert application().json()["version"] == 2
    client.put(f"/api/v1/configurations/{id}", json={"name": "renamed", "config": {}})
    assert application().json()["version"] == 2  # the application's representation did not change
    client.delete(f"/api/v1/configurations/{id}")
    assert (application().json()["version"], application().json()["configuration_ids"]) == (3, [])
    client.post(f"/api/v1/configurations/{id}/revisions/1/restore")
    assert application().headers["etag"] == '"4"'


def test_list_configurations_of_an_application_with_paging(client, app_id):
    other = create(client, "shipping")["id"]
    ids = sorted(new_config(client, app_id, name=f"c{n}").json()["id"] for n in range(3))
    new_config(client, other)
    first = client.get("/api/v1/configurations", params={"application_id": app_id, "limit": 2})
    assert [c["id"] for c in first.json()] == ids[:2]
    assert first.headers["link"] == (
        f'</api/v1/configurations?application_id={app_id}&limit=2&after={ids[1]}>; rel="next"'
    )
    rest = client.get(first.headers["link"][1:].split(">")[0])
    assert [c["id"] for c in rest.json()] == ids[2:] and "link" not in rest.headers
    assert len(client.get("/api/v1/configurations").json()) == 4
    assert_problem(client.get("/api/v1/configurations", params={"application_id": "nope"}), 422)


def test_list_by_name_within_an_application_and_across_them(client, app_id):
    other = create(client, "shipping")["id"]
    wanted = new_config(client, app_id, name="db").json()
    new_config(client, app_id, name="db-replica")
    elsewhere = new_config(client, other, name="db").json()
    query = {"application_id": app_id, "name": "db"}
    assert [c["id"] for c in client.get("/api/v1/configurations", params=query).json()] == [wanted["id"]]
    everywhere = client.get("/api/v1/configurations", params={"name": "db", "limit": 1})
    assert everywhere.json()[0]["id"] == min(wanted["id"], elsewhere["id"])
    assert "name=db" in everywhere.headers["link"]
    rest = client.get(everywhere.headers["link"][1:].split(">")[0]).json()
    assert [c["id"] for c in rest] == [max(wanted["id"], elsewhere["id"])]
    assert client.get("/api/v1/configurations", params={"name": "DB"}).json() == []


def test_a_put_that_changes_nothing_makes_no_version_and_no_revision(client, app_id):
    created = new_config(client, app_id, comments="c").json()
    body = {"name": "database", "comments": "c", "config": dict(reversed(list(CONFIG.items())))}
    same = client.put(f"/api/v1/configurations/{created['id']}", json=body, headers={"If-Match": '"1"'})
    assert same.status_code == 200 and same.headers["etag"] == '"1"' and same.json() == created
    assert len(client.get(f"/api/v1/configurations/{created['id']}/revisions").json()) == 1
    moved = client.put(f"/api/v1/configurations/{created['id']}", json={**body, "application_id": MISSING})
    assert_problem(moved, 422)


@pytest.mark.parametrize("if_match", ["*", '"1"'])
def test_if_match_on_a_missing_configuration_is_412(client, if_match):
    put = client.put(
        f"/api/v1/configurations/{MISSING}", json={"name": "x", "config": {}}, headers={"If-Match": if_match}
    )
    assert_problem(put, 412)
    assert_problem(client.delete(f"/api/v1/configurations/{MISSING}", headers={"If-Match": if_match}), 412)


def test_a_commit_whose_outcome_is_unknown_says_so(client, connection):
    """Item 4: the connection dies while COMMIT runs (a deferred trigger ends its own session)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION end_session() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE CONSTRAINT TRIGGER end_session AFTER INSERT ON applications"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION end_session()"
        )
    connection.commit()
    response = client.post("/api/v1/applications", json={"name": "maybe"})
    problem = assert_problem(response, 503)
    assert problem["type"] == "urn:config-service:problem:outcome-unknown" and "read" in problem["detail"]
    assert response.headers["retry-after"] == "1"
