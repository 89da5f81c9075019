import pytest

from errors import Conflict, InvalidReference
from repositories.applications import ApplicationRepository
from repositories.configurations import ConfigurationRepository

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


def test_add_then_get_round_trips_the_json(configurations):
    configurations.add(C, A, "database", "primary", CONFIG)
    row = configurations.get(C)
    assert {k: row[k] for k in ("id", "application_id", "name", "comments", "config")} == {
        "id": C, "application_id": A, "name": "database", "comments": "primary", "config": CONFIG}


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
    import psycopg2

    with pytest.raises(psycopg2.IntegrityError):
        configurations._fetch_one(
            "INSERT INTO configurations (id, application_id, name, config) VALUES (%s, %s, %s, '[1]') RETURNING id",
            (C, A, "list"),
        )
