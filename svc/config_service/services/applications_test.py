import pytest

from config_service.domain.access import EVERYTHING
from config_service.domain.errors import Conflict, NotFound, StaleVersion
from config_service.services import applications as service
from config_service.testing.fakes import FakeDatabase

MISSING = "01J0000000000000000000000A"


@pytest.fixture
def db():
    return FakeDatabase()


def create(db, name, comments=None):
    return db.write(lambda uow: service.create_application(uow, EVERYTHING, name, comments))


def test_create_stores_a_new_application_with_a_generated_id(db):
    row = create(db, "billing", "team x")
    assert len(row["id"]) == 26 and row["configuration_ids"] == []
    assert db.committed["applications"][row["id"]]["name"] == "billing"


def test_create_with_a_taken_name_commits_nothing(db):
    create(db, "billing")
    with pytest.raises(Conflict):
        create(db, "billing")
    assert len(db.committed["applications"]) == 1 and db.commits == 1


def test_get_missing_is_not_found(db):
    with pytest.raises(NotFound):
        db.read(lambda uow: service.get_application(uow, EVERYTHING, MISSING))


def test_update_replaces_name_and_comments(db):
    id = create(db, "billing", "old")["id"]
    row = db.write(lambda uow: service.update_application(uow, EVERYTHING, id, "invoicing", None))
    assert (row["name"], row["comments"]) == ("invoicing", None)
    assert db.committed["applications"][id]["name"] == "invoicing"


def test_update_missing_is_not_found_and_commits_nothing(db):
    with pytest.raises(NotFound):
        db.write(lambda uow: service.update_application(uow, EVERYTHING, MISSING, "x", None))
    assert db.commits == 0


def test_list_reports_whether_more_follow(db):
    for name in ("a", "b", "c"):
        create(db, name)
    page, more = db.read(lambda uow: service.list_applications(uow, EVERYTHING, 2, None))
    assert len(page) == 2 and more
    rest, more = db.read(lambda uow: service.list_applications(uow, EVERYTHING, 2, page[-1]["id"]))
    assert len(rest) == 1 and not more


def test_update_with_a_stale_version_names_the_current_one(db):
    id = create(db, "billing")["id"]
    with pytest.raises(StaleVersion) as raised:
        db.write(lambda uow: service.update_application(uow, EVERYTHING, id, "x", None, [7]))
    assert raised.value.current_version == 1
    assert db.write(lambda uow: service.update_application(uow, EVERYTHING, id, "x", None, [1]))["version"] == 2


def test_delete_then_a_second_delete_is_not_found(db):
    id = create(db, "billing")["id"]
    with pytest.raises(StaleVersion):
        db.write(lambda uow: service.delete_application(uow, EVERYTHING, id, [2]))
    db.write(lambda uow: service.delete_application(uow, EVERYTHING, id))
    assert db.committed["applications"] == {}
    with pytest.raises(NotFound):
        db.write(lambda uow: service.delete_application(uow, EVERYTHING, id))
