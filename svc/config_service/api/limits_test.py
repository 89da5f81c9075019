"""The hardened HTTP protocols on a real socket: 431 for heads over 16 KiB, slow heads and stalled
bodies cut, 503 past the connection cap, held requests and streams untouched."""

import asyncio
import json
import socket
import threading
import time
from contextlib import contextmanager
from functools import partial

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from config_service.api.limits import MAX_HEAD_BYTES, BoundedH11Protocol, BoundedHttpToolsProtocol, Limits
from config_service.testing.server import free_port

CLOCK = 0.2  # both the head timeout and the body stall, in these tests
HOLD = 0.3  # longer than either: what a held request or a stream waits
LIMITS = Limits(head_timeout=CLOCK, body_stall=CLOCK, max_connections=100)


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ok")
    async def ok():
        return {"ok": True}

    @app.post("/echo")
    async def echo(payload: dict):
        return {"size": len(payload["data"])}

    @app.get("/slow")
    async def slow():
        await asyncio.sleep(HOLD)
        return {"held": True}

    @app.post("/slow")
    async def slow_after_its_body(payload: dict):
        await asyncio.sleep(HOLD)
        return {"held": True}

    @app.get("/stream")
    async def stream():
        async def events():
            yield b"data: one\n\n"
            await asyncio.sleep(HOLD)
            yield b"data: two\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/late-echo")
    async def late_echo(request: Request):
        await asyncio.sleep(HOLD)  # the app reads the body only after both clocks would have run out
        return {"size": len(await request.body())}

    return app


@contextmanager
def running(protocol, limits: Limits):
    """A real uvicorn server with `protocol` bound to `limits`, as serve.py binds it; yields its port."""
    port = free_port()
    config = uvicorn.Config(
        make_app(),
        port=port,
        http=partial(protocol, limits=limits),
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        log_level="critical",
        lifespan="off",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.01)
    try:
        yield port
    finally:
        instance.should_exit = True
        thread.join(5)


@pytest.fixture(scope="module", params=[BoundedHttpToolsProtocol, BoundedH11Protocol], ids=["httptools", "h11"])
def protocol(request):
    return request.param


@pytest.fixture(scope="module")
def server(protocol):
    """One server per protocol for the module: every test closes what it opens."""
    with running(protocol, LIMITS) as port:
        yield port


def exchange(port: int, head: bytes, chunks=(), read_after: float = 0) -> tuple[bytes, int]:
    """Send a head (and more chunks while the server reads); the answer and how many bytes went out."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(head)
            sent += len(head)
            for chunk in chunks:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while part := sock.recv(65536):
                answer += part
        except (ConnectionResetError, TimeoutError):
            pass
    return answer, sent


def status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body) if b"problem+json" in head else {}


def test_a_head_within_the_limit_is_served(server):
    answer, _ = exchange(
        server, b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 15000 + b"\r\nConnection: close\r\n\r\n"
    )
    assert status_and_body(answer)[0] == 200


@pytest.mark.parametrize(
    "head",
    [
        b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n",
        b"GET /ok?" + b"q" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /ok HTTP/1.1\r\nHost: x\r\n" + b"X-Many: aaaaaaaaaaaaaaaaaaaaaaaaaa\r\n" * 700 + b"\r\n",
    ],
    ids=["one long header", "long request line", "many headers"],
)
def test_a_head_over_the_limit_is_431_problem_json(server, head):
    status, body = status_and_body(exchange(server, head)[0])
    assert status == 431 and body["status"] == 431 and body["title"] == "Request Header Fields Too Large"


def test_an_endless_header_is_refused_before_it_is_buffered(server):
    chunks = (b"a" * 65536 for _ in range(1600))  # 100 MiB that never ends its header
    answer, sent = exchange(server, b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Endless: ", chunks)
    assert status_and_body(answer)[0] == 431
    assert sent < 50 * 1024 * 1024  # the server closed long before


def test_a_large_body_after_a_small_head_is_not_mistaken_for_a_head(server):
    data = "x" * 300_000
    body = json.dumps({"data": data}).encode()
    head = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    answer, _ = exchange(server, head, [body[i : i + 1000] for i in range(0, len(body), 1000)])
    assert status_and_body(answer)[0] == 200


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=3)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; a server that never closes fails the test (timeout)."""
    answer = b""
    try:
        while part := sock.recv(65536):
            answer += part
    except ConnectionResetError:
        pass
    return answer


def read_response(sock: socket.socket) -> bytes:
    """One response with a Content-Length, leaving the connection open."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(int(line[15:]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def dribble(sock: socket.socket, data: bytes) -> None:
    """Send `data` a byte at a time, from a thread, until the server closes the connection."""

    def send():
        try:
            for i in range(len(data)):
                sock.sendall(data[i : i + 1])
                time.sleep(CLOCK / 5)
        except OSError:
            pass  # closed, as the tests expect

    threading.Thread(target=send, daemon=True).start()


HALF_A_HEAD = b"GET /ok HTTP/1.1\r\nHost: x\r\n"
CLOSING_GET = b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize(
    "send",
    [
        lambda sock: None,
        lambda sock: sock.sendall(HALF_A_HEAD),
        lambda sock: dribble(sock, HALF_A_HEAD + b"X-Drip: " + b"a" * 1000),
    ],
    ids=["nothing", "half a head", "a head a byte at a time"],
)
def test_a_head_not_whole_within_the_head_timeout_is_cut(server, send):
    started = time.monotonic()
    with connect(server) as sock:
        send(sock)
        assert read_until_closed(sock) == b""
    assert CLOCK * 0.8 < time.monotonic() - started < CLOCK * 4  # from connecting, not from its latest byte


def test_an_idle_keep_alive_connection_is_not_timed_as_a_head(server):
    with connect(server) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        time.sleep(HOLD)  # past the head timeout, within uvicorn's keep-alive (5 s)
        sock.sendall(CLOSING_GET)
        assert status_and_body(read_until_closed(sock))[0] == 200


def test_blank_lines_between_requests_do_not_hold_a_connection(server):
    with connect(server) as sock:
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        dribble(sock, b"\r\n" * 100)
        assert b"200" not in read_until_closed(sock)  # any byte starts the next head's clock
    assert time.monotonic() - started < CLOCK * 4


def test_a_request_pipelined_behind_a_held_one_is_answered_after_it(server):
    with connect(server) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" + CLOSING_GET)
        answer = read_until_closed(sock)
    assert answer.count(b"HTTP/1.1 200") == 2 and b'{"held":true}' in answer and b'{"ok":true}' in answer


def test_a_pipelined_head_left_unfinished_is_cut_once_its_turn_comes(server):
    started = time.monotonic()
    with connect(server) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" + HALF_A_HEAD)
        answer = read_until_closed(sock)
    assert answer.count(b"HTTP/1.1 200") == 1 and b'{"held":true}' in answer
    assert time.monotonic() - started < HOLD + CLOCK * 4


def test_a_body_that_stalls_is_cut(server):
    started = time.monotonic()
    with connect(server) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n" + b'{"data": "'
        )  # 10 of its 100 bytes
        assert read_until_closed(sock) == b""
    assert CLOCK * 0.8 < time.monotonic() - started < CLOCK * 4


def test_a_body_that_keeps_coming_is_read_whole_however_long_it_takes(server):
    body = json.dumps({"data": "x" * 88}).encode()
    pieces = [body[i : i + 25] for i in range(0, len(body), 25)]
    with connect(server) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        for piece in pieces:
            time.sleep(CLOCK / 3)  # each gap within the stall limit, all of them together past it
            sock.sendall(piece)
        answer = read_until_closed(sock)
    assert status_and_body(answer)[0] == 200 and b'"size":88' in answer


@pytest.mark.parametrize(
    "pieces, expected",
    [
        ([b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], b'{"held":true}'),
        (
            [
                b"POST /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                b"Content-Length: 2\r\n\r\n",
                b"{}",
            ],
            b'{"held":true}',
        ),  # the body apart, so its clock starts
        ([b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"], b"data: two"),
    ],
    ids=["held GET", "held after its body", "stream"],
)
def test_held_requests_and_streams_outlast_both_clocks(server, pieces, expected):
    with connect(server) as sock:
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.05)
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200") and expected in answer


def test_a_body_the_app_reads_late_is_not_taken_for_a_stall(server):
    body = b"x" * 300_000  # past uvicorn's 64 KiB buffer: reading pauses until the app asks for it
    with connect(server) as sock:
        sock.sendall(
            b"POST /late-echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200") and b'"size":300000' in answer


def test_a_client_awaiting_100_continue_is_not_taken_for_a_stall(server):
    with connect(server) as sock:
        sock.sendall(
            b"POST /late-echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\n"
            b"Content-Length: 10\r\n\r\n"
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 100")  # sent once the app asks for the body
        sock.sendall(b"x" * 10)
        answer = read_until_closed(sock)
    assert b"HTTP/1.1 200" in answer and b'"size":10' in answer


def test_connections_past_the_cap_get_503_problem_json(protocol):
    limits = Limits(head_timeout=10, body_stall=10, max_connections=2)
    with running(protocol, limits) as port, connect(port) as first, connect(port) as second:
        for sock in (first, second):  # answered, so the server holds both
            sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(sock).startswith(b"HTTP/1.1 200")
        head, body = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n", b"x" * 8388608
        started = time.monotonic()
        answer, sent = exchange(port, head, [body])
        # Its request is read and dropped, so the client can send it whole and then hear the 503...
        assert sent == len(head) + len(body)
        status, problem = status_and_body(answer)
        assert status == 503 and problem["status"] == 503
        assert b"retry-after: 1\r\n" in answer and b"connection: close\r\n" in answer
        assert time.monotonic() - started < 0.5  # ...and the server's side closes with the answer
        first.close()
        deadline = time.monotonic() + 2
        while status != 200 and time.monotonic() < deadline:  # once the server has seen the close
            time.sleep(0.05)
            status = status_and_body(exchange(port, CLOSING_GET)[0])[0]
    assert status == 200
