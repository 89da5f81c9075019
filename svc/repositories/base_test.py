import psycopg2
import pytest

from errors import Conflict
from repositories.base import Repository


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
