import psycopg2
import pytest

from config_service.conftest import make_settings
from config_service.db.pool import connect
from config_service.domain.errors import Conflict
from config_service.repositories.base import Prepared, Repository

INSERT = Prepared("things_insert", "INSERT INTO things VALUES (%(id)s, %(name)s) RETURNING *")


class Things(Repository):
    constraint_errors = {"things_name_key": lambda: Conflict("name taken")}


@pytest.fixture
def things(connection):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE things (id int PRIMARY KEY, name text UNIQUE)")
    return Things(connection)


def test_rows_come_back_as_dicts(things):
    assert things._fetch_one("INSERT INTO things VALUES (%s, %s) RETURNING *", (1, "a")) == {"id": 1, "name": "a"}
    assert things._fetch_all("SELECT name FROM things", ()) == [{"name": "a"}]
    assert things._fetch_one("SELECT * FROM things WHERE id = %s", (2,)) is None


def test_known_constraint_violation_becomes_a_service_error(things):
    things._fetch_one("INSERT INTO things VALUES (%s, %s) RETURNING id", (1, "a"))
    with pytest.raises(Conflict, match="name taken"):
        things._fetch_one("INSERT INTO things VALUES (%s, %s) RETURNING id", (2, "a"))


def test_unknown_constraint_violation_is_left_alone(things):
    things._fetch_one("INSERT INTO things VALUES (%s, %s) RETURNING id", (1, "a"))
    with pytest.raises(psycopg2.IntegrityError):
        things._fetch_one("INSERT INTO things VALUES (%s, %s) RETURNING id", (1, "b"))


def test_parameters_are_never_spliced_into_sql(things):
    hostile = "a'); DROP TABLE things; --"
    things._fetch_one("INSERT INTO things VALUES (%s, %s) RETURNING id", (1, hostile))
    assert things._fetch_one("SELECT name FROM things WHERE id = %s", (1,)) == {"name": hostile}


@pytest.fixture
def prepared_things(database_url):
    """Things on a connection of the pool's kind, which remembers what it prepared (autocommit)."""
    connection = connect(make_settings(database_url))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE things (id int PRIMARY KEY, name text UNIQUE)")
    yield Things(connection), connection
    connection.close()


def test_a_prepared_statement_is_prepared_once_per_connection_and_outlives_a_rollback(prepared_things):
    things, connection = prepared_things
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
    assert things._fetch_one(INSERT, {"id": 1, "name": "a"}) == {"id": 1, "name": "a"}
    with connection.cursor() as cursor:
        cursor.execute("ROLLBACK")
    assert connection.prepared == {"things_insert"}
    assert things._fetch_one(INSERT, {"id": 1, "name": None}) == {"id": 1, "name": None}  # a NULL, typed
    things._fetch_one(INSERT, {"id": 2, "name": "b"})
    with pytest.raises(Conflict, match="name taken"):  # constraint errors still translate
        things._fetch_one(INSERT, {"id": 3, "name": "b"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) AS n FROM pg_prepared_statements")
        assert cursor.fetchone()["n"] == 1


def test_a_connection_that_keeps_no_record_runs_the_plain_statement(things):
    assert things._fetch_one(INSERT, {"id": 1, "name": "a'); DROP TABLE things; --"})["id"] == 1
    assert things._fetch_one("SELECT count(*) AS n FROM things", ())["n"] == 1


def test_two_statements_cannot_share_a_name():
    with pytest.raises(ValueError, match="things_insert"):
        Prepared("things_insert", "SELECT 1")


def test_a_statement_prepared_in_a_round_trip_that_then_failed_is_found_not_prepared_again(prepared_things):
    things, connection = prepared_things
    things._fetch_one(INSERT, {"id": 1, "name": "a"})
    connection.prepared.clear()  # as when the PREPARE's round trip raised after PostgreSQL ran it
    assert things._fetch_one(INSERT, {"id": 2, "name": "b"}) == {"id": 2, "name": "b"}
