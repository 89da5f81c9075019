import time

import psycopg2
import pytest

from db.pool import connect
from db.watchdog import Watchdog


@pytest.fixture
def watchdog():
    dog = Watchdog(limit_seconds=0.3, interval_seconds=0.02)
    yield dog
    dog.close()


def test_a_connection_held_past_its_deadline_is_cut(watchdog, settings):
    connection = connect(settings)
    watchdog.watch(connection)
    started = time.monotonic()
    with pytest.raises(psycopg2.OperationalError):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 1.5
    assert connection.closed
    assert watchdog.release(connection) is True


def test_a_connection_released_in_time_is_left_alone(watchdog, settings):
    connection = connect(settings)
    watchdog.watch(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert watchdog.release(connection) is False
    time.sleep(0.4)
    assert not connection.closed
    connection.close()


def test_cutting_an_already_closed_connection_is_harmless(watchdog, settings):
    connection = connect(settings)
    watchdog.watch(connection)
    connection.close()
    time.sleep(0.4)
    assert watchdog.release(connection) is True
