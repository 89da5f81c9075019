import pytest

from config_service.domain.access import EVERYTHING
from config_service.domain.errors import Conflict, InvalidReference, NotFound, StaleVersion
from config_service.services import applications
from config_service.services import configurations as service
from config_service.testing.fakes import FakeDatabase

BUDGET = 8 * 1024 * 1024
MISSING = "01J0000000000000000000000Z"


@pytest.fixture
def db():
    return FakeDatabase()


@pytest.fixture
def app_id(db):
    return db.write(lambda uow: applications.create_application(uow, EVERYTHING, "billing", None))["id"]


def create(db, app_id, name="database", config=None, comments=None):
    return db.write(lambda uow: service.create_configuration(uow, EVERYTHING, app_id, name, comments, config or {}))


def update(db, id, name="database", config=None, versions=None, application_id=None):
    return db.write(
        lambda uow: service.update_configuration(
            uow, EVERYTHING, id, application_id, name, None, config or {}, versions
        )
    )


def delete(db, id, versions=None):
    db.write(lambda uow: service.delete_configuration(uow, EVERYTHING, id, versions))


def restore(db, id, version, versions=None):
    return db.write(lambda uow: service.restore_revision(uow, EVERYTHING, id, version, versions))


def test_create_stores_a_configuration(db, app_id):
    row = create(db, app_id, config={"port": 5432})
    assert db.committed["configurations"][row["id"]]["config"] == {"port": 5432}


def test_create_for_a_missing_application_is_an_invalid_reference(db):
    with pytest.raises(InvalidReference):
        create(db, MISSING)
    assert db.committed["configurations"] == {}


def test_create_with_a_taken_name_is_a_conflict(db, app_id):
    create(db, app_id)
    with pytest.raises(Conflict):
        create(db, app_id)


def test_get_missing_is_not_found(db):
    with pytest.raises(NotFound):
        db.read(lambda uow: service.get_configuration(uow, EVERYTHING, MISSING))


def test_update_replaces_name_comments_and_config(db, app_id):
    id = create(db, app_id, comments="x", config={"a": 1})["id"]
    row = update(db, id, "db", {"b": 2}, application_id=app_id)
    assert (row["name"], row["comments"], row["config"]) == ("db", None, {"b": 2})
    assert db.committed["configurations"][id]["config"] == {"b": 2}


def test_update_without_application_id_keeps_it(db, app_id):
    id = create(db, app_id)["id"]
    assert update(db, id)["application_id"] == app_id


def test_update_that_moves_the_configuration_is_refused_and_undone(db, app_id):
    other = db.write(lambda uow: applications.create_application(uow, EVERYTHING, "shipping", None))["id"]
    id = create(db, app_id, config={"a": 1})["id"]
    commits = db.commits
    with pytest.raises(InvalidReference):
        update(db, id, "db", {"b": 2}, application_id=other)
    assert db.commits == commits
    assert db.committed["configurations"][id]["config"] == {"a": 1}


def test_update_missing_is_not_found(db):
    with pytest.raises(NotFound):
        update(db, MISSING)


def test_update_with_a_stale_version_changes_nothing(db, app_id):
    id = create(db, app_id, config={"a": 1})["id"]
    with pytest.raises(StaleVersion):
        update(db, id, config={"b": 2}, versions=[2])
    assert db.committed["configurations"][id]["config"] == {"a": 1}


def test_delete_bumps_the_application(db, app_id):
    id = create(db, app_id)["id"]
    with pytest.raises(StaleVersion):
        delete(db, id, [5])
    delete(db, id, [1])
    assert db.committed["configurations"] == {}
    assert db.committed["applications"][app_id]["version"] == 3
    with pytest.raises(NotFound):
        delete(db, id)


def test_list_pages_the_configurations_of_one_application(db, app_id):
    for name in ("a", "b", "c"):
        create(db, app_id, name)
    page, more = db.read(lambda uow: service.list_configurations(uow, EVERYTHING, app_id, 2, None, BUDGET))
    assert len(page) == 2 and more
    assert db.read(lambda uow: service.list_configurations(uow, EVERYTHING, MISSING, 2, None, BUDGET)) == ([], False)


def test_revisions_come_newest_first_and_a_missing_configuration_is_not_found(db, app_id):
    id = create(db, app_id, config={"v": 1})["id"]
    update(db, id, config={"v": 2})
    rows, more = db.read(lambda uow: service.list_revisions(uow, EVERYTHING, id, 1, None, BUDGET))
    assert [r["version"] for r in rows] == [2] and more
    assert db.read(lambda uow: service.get_revision(uow, EVERYTHING, id, 1))["config"] == {"v": 1}
    with pytest.raises(NotFound):
        db.read(lambda uow: service.list_revisions(uow, EVERYTHING, MISSING, 10, None, BUDGET))
    with pytest.raises(NotFound):
        db.read(lambda uow: service.get_revision(uow, EVERYTHING, id, 9))


# restore_revision, every branch


def test_restore_of_a_missing_revision_is_not_found(db, app_id):
    id = create(db, app_id)["id"]
    with pytest.raises(NotFound):
        restore(db, id, 5)
    with pytest.raises(NotFound):
        restore(db, MISSING, 1)


def test_restore_of_an_existing_configuration_makes_a_new_version(db, app_id):
    id = create(db, app_id, config={"v": 1})["id"]
    update(db, id, config={"v": 2})
    row = restore(db, id, 1, [2])
    assert (row["version"], row["config"]) == (3, {"v": 1})
    assert db.committed["revisions"][(id, 3)]["change"] == "restore"


def test_restore_of_an_existing_configuration_with_a_stale_version(db, app_id):
    id = create(db, app_id)["id"]
    update(db, id, config={"v": 2})
    with pytest.raises(StaleVersion) as raised:
        restore(db, id, 1, [1])
    assert raised.value.current_version == 2 and db.committed["configurations"][id]["version"] == 2


def test_restore_of_an_existing_configuration_to_a_name_taken_since(db, app_id):
    id = create(db, app_id, "first")["id"]
    update(db, id, "renamed")
    create(db, app_id, "first")
    with pytest.raises(Conflict):
        restore(db, id, 1)


def test_restore_of_a_deleted_configuration_brings_it_back_under_its_id(db, app_id):
    id = create(db, app_id, config={"v": 1})["id"]
    delete(db, id)
    row = restore(db, id, 1, [2])
    assert (row["id"], row["version"], row["config"]) == (id, 3, {"v": 1})
    assert db.committed["applications"][app_id]["version"] == 4  # create, delete, restore


def test_restore_of_a_deleted_configuration_with_a_stale_version(db, app_id):
    id = create(db, app_id)["id"]
    delete(db, id)
    with pytest.raises(StaleVersion) as raised:
        restore(db, id, 1, [1])
    assert raised.value.current_version == 2 and id not in db.committed["configurations"]


def test_restore_of_a_deleted_configuration_whose_application_is_gone(db, app_id):
    id = create(db, app_id)["id"]
    delete(db, id)
    db.write(lambda uow: applications.delete_application(uow, EVERYTHING, app_id))
    with pytest.raises(Conflict, match="application no longer exists"):
        restore(db, id, 1)


def test_restore_of_a_deleted_configuration_whose_name_was_taken(db, app_id):
    id = create(db, app_id, "database")["id"]
    delete(db, id)
    create(db, app_id, "database")
    with pytest.raises(Conflict):
        restore(db, id, 1)
    assert id not in db.committed["configurations"]


# composing use cases in one unit of work


def test_two_use_cases_in_one_write_commit_together_or_not_at_all(db, app_id):
    def create_two(uow, second_name):
        service.create_configuration(uow, EVERYTHING, app_id, "first", None, {})
        return service.create_configuration(uow, EVERYTHING, app_id, second_name, None, {})

    with pytest.raises(Conflict):
        db.write(lambda uow: create_two(uow, "first"))
    assert db.committed["configurations"] == {} and db.committed["applications"][app_id]["version"] == 1
    db.write(lambda uow: create_two(uow, "second"))
    assert sorted(r["name"] for r in db.committed["configurations"].values()) == ["first", "second"]


def test_a_page_stops_at_its_byte_budget_and_says_more_follow(db):
    app_id = db.write(lambda uow: applications.create_application(uow, EVERYTHING, "billing", None))["id"]
    for name in ("a", "b", "c"):
        create(db, app_id, name, {"blob": "x" * 1000})
    page, more = db.read(lambda uow: service.list_configurations(uow, EVERYTHING, app_id, 100, None, 1500))
    assert len(page) == 2 and more  # the third would start past the budget


def test_revisions_of_an_id_that_never_existed_are_not_found_with_and_without_after(db):
    for after in (None, 5):
        with pytest.raises(NotFound):
            db.read(lambda uow, after=after: service.list_revisions(uow, EVERYTHING, MISSING, 10, after, BUDGET))
