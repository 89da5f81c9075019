import os
import socket
import threading
import time

import psycopg2
import pytest

from config_service.db.pool import connect
from config_service.db.watchdog import Watchdog


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


def test_a_write_of_many_statements_each_within_the_limit_is_not_cut(watchdog, settings):
    """Item 6: the deadline runs per statement, not for the whole unit of work."""
    connection = connect(settings)
    watchdog.watch(connection)
    for _ in range(4):  # 4 x 0.15 s: twice the 0.3 s limit in all, half of it for each statement
        watchdog.renew(connection)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.15)")
    assert watchdog.release(connection) is False and not connection.closed
    connection.close()


def test_the_cut_never_reaches_a_socket_that_took_over_the_descriptor_number(settings, monkeypatch):
    """Item 6: while the watchdog cuts an overdue connection, its unit of work returns and
    closes it, and another socket is given the same descriptor number. Forced here: just
    before the cut duplicates the descriptor, another thread releases and closes the
    connection and puts an unrelated, connected socket on that number."""
    connection = connect(settings)
    number = connection.fileno()
    listener = socket.create_server(("127.0.0.1", 0))
    unrelated = socket.create_connection(listener.getsockname())
    peer, _ = listener.accept()
    dog = Watchdog(limit_seconds=0.05, interval_seconds=0.02)
    real_dup, swapped = os.dup, threading.Event()

    def close_and_reuse():
        dog.release(connection)  # the unit of work returning (it must wait for the cut)
        connection.close()
        os.dup2(unrelated.fileno(), number)  # the number now names the unrelated socket
        swapped.set()

    def dup_after_the_swap_had_its_chance(fd):
        threading.Thread(target=close_and_reuse).start()
        swapped.wait(0.3)
        return real_dup(fd)

    monkeypatch.setattr(os, "dup", dup_after_the_swap_had_its_chance)
    try:
        dog.watch(connection)
        assert swapped.wait(3)
        time.sleep(0.1)
        with socket.socket(fileno=os.dup(number)) as reused:
            reused.sendall(b"still connected")
        assert peer.recv(64) == b"still connected"
    finally:
        monkeypatch.undo()
        dog.close()
        for sock in (peer, unrelated, listener):
            sock.close()
        os.close(number)
