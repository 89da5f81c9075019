"""A TCP proxy for fault tests: forwards to PostgreSQL until told to cut or stall."""

import socket
import threading
import time

OPEN, CUT, STALL = "open", "cut", "stall"


class TcpProxy:
    """Listens on 127.0.0.1 (a free port) and forwards each connection to the target.

    cut():     drops every connection at once and closes new ones on arrival (a crash).
    stall():   keeps every connection but forwards nothing (a silent network).
    restore(): forwards again; stalled bytes flow on.
    """

    def __init__(self, target_host: str, target_port: int):
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.mode = OPEN
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.mode = CUT
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for sock in doomed:
            _close(sock)

    def stall(self) -> None:
        self.mode = STALL

    def restore(self) -> None:
        self.mode = OPEN

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if self.mode == CUT:
                _close(client)
                continue
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._track(client)
        while self.mode == STALL and not self._closed:
            time.sleep(0.01)
        try:
            upstream = socket.create_connection(self._target, timeout=2)
        except OSError:
            _close(client)
            return
        self._track(upstream)
        sent, answered = self.client_stream(), self.server_stream()
        for source, target, observe in ((client, upstream, sent), (upstream, client, answered)):
            threading.Thread(target=self._pump, args=(source, target, observe), daemon=True).start()

    def client_stream(self):
        """A callable that sees the bytes one client sends, in order (None: nothing watches).
        When it returns False, the connection is cut instead of the bytes forwarded."""
        return None

    def server_stream(self):
        """The same for the bytes the target answers with."""
        return None

    def _pump(self, source: socket.socket, target: socket.socket, observe=None) -> None:
        try:
            source.settimeout(0.05)
            while True:
                while self.mode == STALL:
                    time.sleep(0.01)
                try:
                    data = source.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                while self.mode == STALL:
                    time.sleep(0.01)
                if observe is not None and observe(data) is False:
                    break
                target.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(target)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class AnswerCutter(TcpProxy):
    """A proxy in front of an HTTP service that cuts the connection of the first `cuts` answers
    before a byte of them reaches the client: the request was served (a write committed), the
    client never hears of it."""

    def __init__(self, target_host: str, target_port: int, cuts: int = 1):
        super().__init__(target_host, target_port)
        self.cuts = cuts

    def server_stream(self):
        def observe(data: bytes) -> bool:
            with self._lock:
                if self.cuts > 0:
                    self.cuts -= 1
                    return False
            return True

        return observe


class QueryCounter(TcpProxy):
    """A proxy that counts the queries clients send: each is one round trip (psycopg2 sends
    every execute as one simple-protocol Query message). Connect with sslmode=disable."""

    def __init__(self, target_host: str, target_port: int):
        super().__init__(target_host, target_port)
        self.queries: list[bytes] = []

    def client_stream(self):
        buffer, started = bytearray(), False

        def observe(data: bytes) -> None:
            nonlocal started
            buffer.extend(data)
            while True:
                if not started:  # the startup message: a length and no type byte
                    if len(buffer) < 4 or len(buffer) < int.from_bytes(buffer[:4], "big"):
                        return
                    del buffer[: int.from_bytes(buffer[:4], "big")]
                    started = True
                    continue
                if len(buffer) < 5 or len(buffer) < 1 + int.from_bytes(buffer[1:5], "big"):
                    return
                size = 1 + int.from_bytes(buffer[1:5], "big")
                if buffer[:1] == b"Q":
                    self.queries.append(bytes(buffer[5 : size - 1]))
                del buffer[:size]

        return observe
