import pytest

from errors import Conflict, InvalidReference, NotFound, PreconditionFailed
from services import applications, configurations as service
from test.fakes import FakeUnitOfWork, run

MISSING = "01J0000000000000000000000Z"


@pytest.fixture
def uow():
    return FakeUnitOfWork()


@pytest.fixture
def app_id(uow):
    return run(uow, applications.create_application, "billing", None)["id"]


def test_create_commits_a_configuration(uow, app_id):
    row = run(uow, service.create_configuration, app_id, "database", None, {"port": 5432})
    assert uow.committed["configurations"][row["id"]]["config"] == {"port": 5432}


def test_create_for_a_missing_application_is_an_invalid_reference(uow):
    with pytest.raises(InvalidReference):
        run(uow, service.create_configuration, MISSING, "database", None, {})
    assert uow.committed["configurations"] == {}


def test_create_with_a_taken_name_is_a_conflict(uow, app_id):
    run(uow, service.create_configuration, app_id, "database", None, {})
    with pytest.raises(Conflict):
        run(uow, service.create_configuration, app_id, "database", None, {})


def test_get_missing_is_not_found(uow):
    with pytest.raises(NotFound):
        run(uow, service.get_configuration, MISSING)


def test_update_replaces_and_commits(uow, app_id):
    id = run(uow, service.create_configuration, app_id, "database", "x", {"a": 1})["id"]
    row = run(uow, service.update_configuration, id, app_id, "db", None, {"b": 2})
    assert (row["name"], row["comments"], row["config"]) == ("db", None, {"b": 2})
    assert uow.committed["configurations"][id]["config"] == {"b": 2}


def test_update_without_application_id_keeps_it(uow, app_id):
    id = run(uow, service.create_configuration, app_id, "database", None, {})["id"]
    assert run(uow, service.update_configuration, id, None, "db", None, {})["application_id"] == app_id


def test_update_that_moves_the_configuration_is_refused_uncommitted(uow, app_id):
    other = run(uow, applications.create_application, "shipping", None)["id"]
    id = run(uow, service.create_configuration, app_id, "database", None, {"a": 1})["id"]
    commits = uow.commits
    with pytest.raises(InvalidReference):
        run(uow, service.update_configuration, id, other, "db", None, {"b": 2})
    assert uow.commits == commits
    assert uow.committed["configurations"][id]["config"] == {"a": 1}


def test_update_missing_is_not_found(uow):
    with pytest.raises(NotFound):
        run(uow, service.update_configuration, MISSING, None, "db", None, {})


def test_update_with_a_stale_version_changes_nothing(uow, app_id):
    id = run(uow, service.create_configuration, app_id, "database", None, {"a": 1})["id"]
    with pytest.raises(PreconditionFailed):
        run(uow, service.update_configuration, id, None, "db", None, {"b": 2}, [2])
    assert uow.committed["configurations"][id]["config"] == {"a": 1}


def test_delete_commits_and_bumps_the_application(uow, app_id):
    id = run(uow, service.create_configuration, app_id, "database", None, {})["id"]
    with pytest.raises(PreconditionFailed):
        run(uow, service.delete_configuration, id, [5])
    run(uow, service.delete_configuration, id, [1])
    assert uow.committed["configurations"] == {}
    assert uow.committed["applications"][app_id]["version"] == 3
    with pytest.raises(NotFound):
        run(uow, service.delete_configuration, id)


def test_list_pages_the_configurations_of_one_application(uow, app_id):
    for name in ("a", "b", "c"):
        run(uow, service.create_configuration, app_id, name, None, {})
    page, more = run(uow, service.list_configurations, app_id, 2, None)
    assert len(page) == 2 and more
    assert run(uow, service.list_configurations, MISSING, 2, None) == ([], False)
