import pytest

from config_service.domain.access import EVERYTHING
from config_service.domain.errors import TooLarge
from config_service.services import applications, configurations
from config_service.services.transfer import export_application, import_document
from config_service.testing.fakes import FakeDatabase


def test_export_then_import_plans_and_applies_by_name():
    db = FakeDatabase()
    app_id = db.write(lambda uow: applications.create_application(uow, EVERYTHING, "billing", None))["id"]
    db.write(lambda uow: configurations.create_configuration(uow, EVERYTHING, app_id, "b", None, {"x": 1}))
    db.write(lambda uow: configurations.create_configuration(uow, EVERYTHING, app_id, "a", None, {"y": 2}))
    document = db.read(lambda uow: export_application(uow, EVERYTHING, app_id, 8 * 1024 * 1024))
    assert [c["name"] for c in document["configurations"]] == ["a", "b"]
    assert db.read(lambda uow: import_document(uow, EVERYTHING, document, False, False, 1000))["configurations"] == [
        {
            "name": "a",
            "action": "unchanged",
            "id": document and db.read(lambda uow: uow.configurations.of_application(app_id))[0]["id"],
        },
        {
            "name": "b",
            "action": "unchanged",
            "id": db.read(lambda uow: uow.configurations.of_application(app_id))[1]["id"],
        },
    ]
    document["configurations"] = [{"name": "c", "comments": None, "config": {}}]
    plan = db.read(lambda uow: import_document(uow, EVERYTHING, document, True, False, 1000))
    assert [(c["name"], c["action"]) for c in plan["configurations"]] == [
        ("a", "delete"),
        ("b", "delete"),
        ("c", "create"),
    ]
    applied = db.write(lambda uow: import_document(uow, EVERYTHING, document, True, True, 1000))
    assert applied["configurations"][2]["id"] is not None
    assert [c["name"] for c in db.read(lambda uow: uow.configurations.of_application(app_id))] == ["c"]


def test_a_new_application_is_planned_without_ids():
    db = FakeDatabase()
    document = {
        "format": "config-service/v1",
        "application": {"name": "new", "comments": None},
        "configurations": [{"name": "a", "comments": None, "config": {}}],
    }
    plan = db.read(lambda uow: import_document(uow, EVERYTHING, document, False, False, 1000))
    assert plan == {
        "application": {"id": None, "action": "create"},
        "configurations": [{"name": "a", "action": "create", "id": None}],
    }


def test_an_import_that_would_write_more_than_the_limit_deletes_included_is_refused():
    db = FakeDatabase()
    app_id = db.write(lambda uow: applications.create_application(uow, EVERYTHING, "billing", None))["id"]
    for name in ("a", "b", "c"):
        db.write(lambda uow, name=name: configurations.create_configuration(uow, EVERYTHING, app_id, name, None, {}))
    document = {
        "format": "config-service/v1",
        "application": {"name": "billing", "comments": None},
        "configurations": [{"name": "d", "comments": None, "config": {}}],
    }
    assert db.read(lambda uow: import_document(uow, EVERYTHING, document, False, False, 1))
    with pytest.raises(TooLarge):
        db.write(lambda uow: import_document(uow, EVERYTHING, document, True, True, 3))
