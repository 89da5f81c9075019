import pytest

from config_service.domain.errors import Conflict
from config_service.repositories.applications import ApplicationRepository
from config_service.repositories.configurations import ConfigurationRepository

A = "01J0000000000000000000000A"
B = "01J0000000000000000000000B"
C = "01J0000000000000000000000C"


@pytest.fixture
def applications(connection):
    return ApplicationRepository(connection)


def test_add_then_get(applications):
    added = applications.add(A, "billing", "team x")
    assert added["configuration_ids"] == []
    found = applications.get(A)
    assert {k: found[k] for k in ("id", "name", "comments", "configuration_ids")} == {
        "id": A,
        "name": "billing",
        "comments": "team x",
        "configuration_ids": [],
    }
    assert found["created_at"].tzinfo is not None


def test_get_missing_is_none(applications):
    assert applications.get(A) is None


def test_duplicate_name_is_a_conflict(applications):
    applications.add(A, "billing", None)
    with pytest.raises(Conflict):
        applications.add(B, "billing", None)


def test_get_lists_configuration_ids_in_id_order(applications, connection):
    applications.add(A, "billing", None)
    configurations = ConfigurationRepository(connection)
    configurations.add("01J000000000000000000000C2", A, "second", None, {})
    configurations.add("01J000000000000000000000C1", A, "first", None, {})
    assert applications.get(A)["configuration_ids"] == ["01J000000000000000000000C1", "01J000000000000000000000C2"]


def test_update_replaces_name_and_comments(applications):
    applications.add(A, "billing", "old")
    updated = applications.update(A, "invoicing", None)
    assert (updated["name"], updated["comments"], updated["configuration_ids"]) == ("invoicing", None, [])
    assert updated["updated_at"] >= updated["created_at"]
    assert applications.update(B, "x", None) is None


def test_update_to_a_taken_name_is_a_conflict(applications):
    applications.add(A, "billing", None)
    applications.add(B, "shipping", None)
    with pytest.raises(Conflict):
        applications.update(B, "billing", None)


def test_list_pages_in_id_order(applications):
    for id, name in ((C, "c"), (A, "a"), (B, "b")):
        applications.add(id, name, None)
    assert [row["id"] for row in applications.list(2, None)] == [A, B]
    assert [row["id"] for row in applications.list(2, B)] == [C]
    assert applications.list(2, C) == []


def test_conditional_update_and_version_of(applications):
    applications.add(A, "billing", None)
    assert applications.update(A, "x", None, versions=[5]) is None
    assert applications.update(A, "x", None, versions=[1])["version"] == 2
    assert applications.version_of(A) == 2 and applications.version_of(B) is None


def test_delete_refuses_an_application_with_configurations(applications, connection):
    applications.add(A, "billing", None)
    ConfigurationRepository(connection).add(C, A, "db", None, {})
    with pytest.raises(Conflict, match="still has configurations"):
        applications.delete(A)


def test_delete_matches_only_the_named_versions(applications):
    applications.add(A, "billing", None)
    assert not applications.delete(A, versions=[2])
    assert applications.delete(A, versions=[1])
    assert applications.get(A) is None
