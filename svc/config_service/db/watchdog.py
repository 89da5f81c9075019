"""A watchdog for units of work stuck on a silent network."""

import os
import socket
import threading
import time

import psycopg2


class Watchdog:
    """Cuts the socket of a connection whose statement runs past its deadline.

    statement_timeout is enforced by the server, so it cannot end a wait on a network
    that went silent (a stalled proxy, a dropped route): the thread would block for
    good. Shutting the socket down makes libpq fail at once; the unit of work then
    discards the connection and answers 503.

    The deadline runs from the start of the latest statement (`renew`), so a healthy
    write of many statements, each within its timeouts, is never cut. The cut happens
    under the lock that `release` takes, so the connection cannot be closed, and its
    descriptor number reused by another socket, while it is being cut.
    """

    def __init__(self, limit_seconds: float, interval_seconds: float = 0.1):
        self._limit = limit_seconds
        self._interval = interval_seconds
        self._deadlines: dict[int, tuple[float, object]] = {}
        self._cut: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._patrol, name="db-watchdog", daemon=True)
        self._thread.start()

    def watch(self, connection) -> None:
        with self._lock:
            self._deadlines[id(connection)] = (time.monotonic() + self._limit, connection)

    def renew(self, connection) -> None:
        """A statement starts on the connection: its deadline runs from now."""
        with self._lock:
            if id(connection) in self._deadlines:
                self._deadlines[id(connection)] = (time.monotonic() + self._limit, connection)

    def release(self, connection) -> bool:
        """Stop watching; True when the watchdog had cut this connection."""
        with self._lock:
            self._deadlines.pop(id(connection), None)
            if id(connection) in self._cut:
                self._cut.discard(id(connection))
                return True
            return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _patrol(self) -> None:
        while not self._stop.wait(self._interval):
            now = time.monotonic()
            with self._lock:
                overdue = [(key, conn) for key, (deadline, conn) in self._deadlines.items() if deadline < now]
                for key, connection in overdue:
                    del self._deadlines[key]
                    self._cut.add(key)
                    _shut_down(connection)


def _shut_down(connection) -> None:
    try:
        with socket.socket(fileno=os.dup(connection.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError, psycopg2.InterfaceError):
        pass  # already closed: nothing left to cut
