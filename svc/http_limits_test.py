"""Request heads over 16 KiB: 431 problem+json from both of uvicorn's HTTP protocols, on a real socket."""
import json
import socket
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI

from http_limits import MAX_HEAD_BYTES, BoundedH11Protocol, BoundedHttpToolsProtocol
from test.server import free_port


@pytest.fixture(params=[BoundedHttpToolsProtocol, BoundedH11Protocol], ids=["httptools", "h11"])
def server(request):
    app = FastAPI()

    @app.get("/ok")
    async def ok():
        return {"ok": True}

    @app.post("/echo")
    async def echo(payload: dict):
        return {"size": len(payload["data"])}

    port = free_port()
    config = uvicorn.Config(app, port=port, http=request.param, h11_max_incomplete_event_size=MAX_HEAD_BYTES,
                            log_level="critical", lifespan="off")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.01)
    yield port
    instance.should_exit = True
    thread.join(5)


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
    answer, _ = exchange(server, b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 15000 + b"\r\nConnection: close\r\n\r\n")
    assert status_and_body(answer)[0] == 200


@pytest.mark.parametrize("head", [
    b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n",
    b"GET /ok?" + b"q" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /ok HTTP/1.1\r\nHost: x\r\n" + b"X-Many: aaaaaaaaaaaaaaaaaaaaaaaaaa\r\n" * 700 + b"\r\n",
], ids=["one long header", "long request line", "many headers"])
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
    head = (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    answer, _ = exchange(server, head, [body[i:i + 1000] for i in range(0, len(body), 1000)])
    assert status_and_body(answer)[0] == 200
