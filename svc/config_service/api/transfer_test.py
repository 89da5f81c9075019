from fastapi.testclient import TestClient

from config_service.conftest import make_settings
from config_service.main import create_app

APPS, CONFIGS = "/api/v1/applications", "/api/v1/configurations"


def seed(client) -> str:
    app_id = client.post(APPS, json={"name": "billing", "comments": "team x"}).json()["id"]
    for name, config in (("zeta", {"a": 1}), ("Alpha", {"b": [1, 2]}), ("beta", {"c": {"d": None}})):
        client.post(CONFIGS, json={"application_id": app_id, "name": name, "config": config})
    return app_id


def test_export_names_everything_by_name_in_code_point_order(client):
    app_id = seed(client)
    exported = client.get(f"{APPS}/{app_id}/export").json()
    assert exported["format"] == "config-service/v1" and exported["application"] == {
        "name": "billing",
        "comments": "team x",
    }
    assert [c["name"] for c in exported["configurations"]] == ["Alpha", "beta", "zeta"]
    assert (
        "id" not in str(exported.keys()) and client.get(f"{APPS}/01J0000000000000000000000Z/export").status_code == 404
    )


def test_round_trip_into_another_database_with_a_plan_first(client, database_url, run_id):
    from config_service.conftest import create_database, drop_database

    exported = client.get(f"{APPS}/{seed(client)}/export").json()
    name = f"{run_id}_import_target"
    create_database(name, template=f"{run_id}_template")
    try:
        with TestClient(create_app(make_settings(database_url.rsplit("/", 1)[0] + "/" + name))) as other:
            plan = other.post("/api/v1/import", params={"dry_run": "true"}, json=exported).json()
            assert plan["application"] == {"id": None, "action": "create"}
            assert [(c["name"], c["action"], c["id"]) for c in plan["configurations"]] == [
                ("Alpha", "create", None),
                ("beta", "create", None),
                ("zeta", "create", None),
            ]
            assert other.get(APPS).json() == []  # the dry run wrote nothing
            applied = other.post("/api/v1/import", json=exported)
            assert applied.status_code == 200 and "change-seq" in applied.headers
            done = applied.json()
            assert done["application"]["action"] == "create" and all(c["id"] for c in done["configurations"])
            assert [(c["name"], c["action"]) for c in done["configurations"]] == [
                (c["name"], c["action"]) for c in plan["configurations"]
            ]
            assert other.get(f"{APPS}/{done['application']['id']}/export").json() == exported
            head = other.get("/api/v1/changes").json()["last_seq"]
            again = other.post("/api/v1/import", json=exported).json()
            assert again["application"]["action"] == "unchanged"
            assert {c["action"] for c in again["configurations"]} == {"unchanged"}
            assert other.get("/api/v1/changes").json()["last_seq"] == head  # no new versions, no feed rows
    finally:
        drop_database(name)


def test_merge_updates_and_replace_deletes(client):
    app_id = seed(client)
    exported = client.get(f"{APPS}/{app_id}/export").json()
    exported["application"]["comments"] = "team y"
    exported["configurations"] = [{"name": "Alpha", "comments": None, "config": {"b": "changed"}}]
    merged = client.post("/api/v1/import", json=exported).json()
    assert merged["application"]["action"] == "update"
    assert [(c["name"], c["action"]) for c in merged["configurations"]] == [("Alpha", "update")]
    replaced = client.post("/api/v1/import", params={"mode": "replace"}, json=exported).json()
    assert [(c["name"], c["action"]) for c in replaced["configurations"]] == [
        ("Alpha", "unchanged"),
        ("beta", "delete"),
        ("zeta", "delete"),
    ]
    assert len(client.get(f"{APPS}/{app_id}").json()["configuration_ids"]) == 1


def test_a_document_with_a_name_twice_or_another_format_is_422(client):
    document = {
        "format": "config-service/v1",
        "application": {"name": "x"},
        "configurations": [{"name": "a", "config": {}}, {"name": "a", "config": {}}],
    }
    assert client.post("/api/v1/import", json=document).status_code == 422
    assert client.post("/api/v1/import", json={**document, "format": "v0"}).status_code == 422
