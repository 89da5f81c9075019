import psycopg2
import pytest

from config_service.db.pool import connect, create_pool
from config_service.db.unit_of_work import UnitOfWork
from config_service.domain.access import EVERYTHING
from config_service.domain.errors import Conflict, InvalidReference
from config_service.repositories.applications import ApplicationRepository
from config_service.repositories.configurations import ConfigurationRepository
from config_service.services.configurations import update_configuration

A = "01J0000000000000000000000A"
B = "01J0000000000000000000000B"
C = "01J0000000000000000000000C"
D = "01J0000000000000000000000D"
CONFIG = {"host": "db.internal", "port": 5432, "tls": True, "tags": ["a", None], "nested": {"x": 1.5}}


@pytest.fixture
def configurations(connection):
    applications = ApplicationRepository(connection)
    applications.add(A, "billing", None)
    applications.add(B, "shipping", None)
    return ConfigurationRepository(connection)


BUDGET = 8 * 1024 * 1024


def test_add_then_get_round_trips_the_json(configurations):
    configurations.add(C, A, "database", "primary", CONFIG)
    row = configurations.get(C)
    assert {k: row[k] for k in ("id", "application_id", "name", "comments", "config")} == {
        "id": C,
        "application_id": A,
        "name": "database",
        "comments": "primary",
        "config": CONFIG,
    }


def test_get_missing_is_none(configurations):
    assert configurations.get(C) is None


def test_name_is_unique_within_an_application_only(configurations):
    configurations.add(C, A, "database", None, {})
    configurations.add(D, B, "database", None, {})
    with pytest.raises(Conflict):
        configurations.add("01J0000000000000000000000E", A, "database", None, {})


def test_unknown_application_is_an_invalid_reference(configurations):
    with pytest.raises(InvalidReference) as raised:
        configurations.add(C, "01J0000000000000000000000Z", "database", None, {})
    assert raised.value.field == "application_id"


def test_update_replaces_name_comments_and_config(configurations):
    configurations.add(C, A, "database", "old", {"a": 1})
    row = configurations.update(C, "db", None, {"b": [2]})
    assert (row["name"], row["comments"], row["config"], row["application_id"]) == ("db", None, {"b": [2]}, A)
    assert configurations.update(D, "x", None, {}) is None


def test_update_to_a_taken_name_is_a_conflict(configurations):
    configurations.add(C, A, "database", None, {})
    configurations.add(D, A, "cache", None, {})
    with pytest.raises(Conflict):
        configurations.update(D, "database", None, {})


def test_database_refuses_a_config_that_is_not_an_object(configurations, connection):
    with pytest.raises(psycopg2.IntegrityError):
        configurations._fetch_one(
            "INSERT INTO configurations (id, application_id, name, config) VALUES (%s, %s, %s, '[1]') RETURNING id",
            (C, A, "list"),
        )


def test_every_change_writes_its_revision(configurations):
    configurations.add(C, A, "database", None, {"v": 1})
    configurations.update(C, "database", "x", {"v": 2})
    assert configurations.delete(C)
    assert [(r["version"], r["change"], r["config"]) for r in configurations.revisions(C, 10, None, BUDGET)[0]] == [
        (3, "delete", {"v": 2}),
        (2, "update", {"v": 2}),
        (1, "create", {"v": 1}),
    ]
    assert configurations.latest_version(C) == 3 and configurations.version_of(C) is None
    restored = configurations.restore_deleted(C, 1)
    assert (restored["version"], restored["config"]) == (4, {"v": 1})


def test_conditional_update_and_delete_match_only_the_named_versions(configurations):
    configurations.add(C, A, "database", None, {})
    assert configurations.update(C, "x", None, {}, versions=[2, 3]) is None
    assert configurations.update(C, "x", None, {}, versions=[1])["version"] == 2
    assert not configurations.delete(C, versions=[1])
    assert configurations.delete(C, versions=[2])


def test_list_filters_by_application_and_pages_by_id(configurations):
    configurations.add(C, A, "a", None, {})
    configurations.add(D, B, "b", None, {})
    assert [r["id"] for r in configurations.list(A, 10, None, None, BUDGET)[0]] == [C]
    assert [r["id"] for r in configurations.list(None, 10, None, None, BUDGET)[0]] == [C, D]
    assert [r["id"] for r in configurations.list(None, 10, C, None, BUDGET)[0]] == [D]


def test_a_failing_revision_write_leaves_the_change_undone(pool_settings):
    """The change and its revision commit as one unit: a forced failure of the revision
    insert (a test-only trigger) leaves the configuration as it was."""
    pool, settings = pool_settings
    with UnitOfWork(pool) as uow:
        uow.applications.add(A, "billing", None)
        uow.configurations.add(C, A, "database", None, {"v": 1})
        uow.commit()
    connection = connect(settings)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'revision refused'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON configuration_revisions FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    connection.commit()
    connection.close()
    with pytest.raises(psycopg2.Error, match="revision refused"):
        with UnitOfWork(pool) as uow:
            update_configuration(uow, EVERYTHING, C, None, "renamed", None, {"v": 2})
    with pytest.raises(psycopg2.Error, match="revision refused"):
        with UnitOfWork(pool) as uow:
            uow.configurations.delete(C)
            uow.commit()
    with UnitOfWork(pool, read_only=True) as uow:
        row = uow.configurations.get(C)
        assert (row["name"], row["config"], row["version"]) == ("database", {"v": 1}, 1)
        assert [r["version"] for r in uow.configurations.revisions(C, 10, None, BUDGET)[0]] == [1]
        assert uow.applications.get(A)["version"] == 2


@pytest.fixture
def pool_settings(settings):
    pool = create_pool(settings)
    yield pool, settings
    pool.closeall()


def test_a_page_is_cut_by_postgresql_at_its_byte_budget(configurations):
    configurations.add(C, A, "a", None, {"blob": "x" * 3000})
    configurations.add(D, A, "b", None, {"blob": "x" * 3000})
    assert configurations.list(A, 10, None, None, 1000) == ([configurations.get(C)], True)
    assert [row["id"] for row in configurations.list(A, 10, None, None, 4000)[0]] == [C, D]
    assert configurations.list(A, 1, None, None, 10**9)[1]
    assert not configurations.list(A, 2, None, None, 10**9)[1]


def test_unchanged_names_compare_by_jsonb_equality(configurations):
    configurations.add(C, A, "a", None, {"n": 10**23})
    configurations.add(D, A, "b", "x", {"n": 1})
    assert configurations.unchanged_names(
        A, [{"name": "a", "comments": None, "config": {"n": 1e23}}, {"name": "b", "comments": None, "config": {"n": 1}}]
    ) == {"a"}
