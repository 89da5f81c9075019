import pytest

from errors import Conflict, NotFound, PreconditionFailed
from services import applications as service
from test.fakes import FakeUnitOfWork, run


@pytest.fixture
def uow():
    return FakeUnitOfWork()


def test_create_commits_a_new_application_with_a_generated_id(uow):
    row = run(uow, service.create_application, "billing", "team x")
    assert len(row["id"]) == 26 and row["configuration_ids"] == []
    assert uow.committed["applications"][row["id"]]["name"] == "billing"


def test_create_with_a_taken_name_commits_nothing(uow):
    run(uow, service.create_application, "billing", None)
    with pytest.raises(Conflict):
        run(uow, service.create_application, "billing", None)
    assert len(uow.committed["applications"]) == 1 and uow.commits == 1


def test_get_missing_is_not_found(uow):
    with pytest.raises(NotFound):
        run(uow, service.get_application, "01J0000000000000000000000A")


def test_update_replaces_and_commits(uow):
    id = run(uow, service.create_application, "billing", "old")["id"]
    row = run(uow, service.update_application, id, "invoicing", None)
    assert (row["name"], row["comments"]) == ("invoicing", None)
    assert uow.committed["applications"][id]["name"] == "invoicing"


def test_update_missing_is_not_found_and_commits_nothing(uow):
    with pytest.raises(NotFound):
        run(uow, service.update_application, "01J0000000000000000000000A", "x", None)
    assert uow.commits == 0


def test_list_reports_whether_more_follow(uow):
    for name in ("a", "b", "c"):
        run(uow, service.create_application, name, None)
    page, more = run(uow, service.list_applications, 2, None)
    assert len(page) == 2 and more
    rest, more = run(uow, service.list_applications, 2, page[-1]["id"])
    assert len(rest) == 1 and not more


def test_update_with_a_stale_version_is_precondition_failed(uow):
    id = run(uow, service.create_application, "billing", None)["id"]
    with pytest.raises(PreconditionFailed) as raised:
        run(uow, service.update_application, id, "x", None, [7])
    assert raised.value.current_version == 1
    assert run(uow, service.update_application, id, "x", None, [1])["version"] == 2


def test_delete_commits_and_a_second_delete_is_not_found(uow):
    id = run(uow, service.create_application, "billing", None)["id"]
    with pytest.raises(PreconditionFailed):
        run(uow, service.delete_application, id, [2])
    run(uow, service.delete_application, id)
    assert uow.committed["applications"] == {}
    with pytest.raises(NotFound):
        run(uow, service.delete_application, id)
