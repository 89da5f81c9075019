"""uvicorn's HTTP protocols, hardened against clients that hold a worker: a request head over 16 KiB
is 431 before it is buffered whole, a head late or a body stalled past its limit is cut, and a
worker past its cap on open connections answers 503.

httptools buffers a header line until it ends, so a client sending one endless header
would grow the worker's memory without bound; h11 refuses at its limit, but with a 400.
uvicorn itself times out only an idle connection between requests (timeout_keep_alive): a
client that connects and then sends nothing, or sends a head or a body a byte at a time, holds
its connection forever. Once a request's head and body are in, no clock runs, so held
long-polls and streams last as long as they are meant to.
"""

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024
TURNED_AWAY_LINGER_SECONDS = 1.0


def problem_response(status: int, title: str, detail: str, headers: bytes = b"") -> bytes:
    """A whole HTTP/1.1 problem+json response that closes the connection, for answers given before any app runs."""
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/problem+json\r\n" % (status, title.encode())
        + headers
        + b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
        + body
    )


RESPONSE_431 = problem_response(
    431, "Request Header Fields Too Large", f"the request line and headers must fit in {MAX_HEAD_BYTES} bytes"
)
RESPONSE_503 = problem_response(
    503,
    "Service Unavailable",
    "this worker holds as many connections as it may; try again shortly",
    b"retry-after: 1\r\n",
)


@dataclass(frozen=True)
class Limits:
    """How long a head may take, how long a body may go without a byte, how many connections a worker holds."""

    head_timeout: float
    body_stall: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        """The limits the service's settings name."""
        return cls(settings.head_timeout_seconds, settings.body_stall_seconds, settings.max_connections)


def refuse(transport) -> None:
    transport.write(RESPONSE_431)
    transport.close()


class TurnedAway(asyncio.Protocol):
    """A connection past the cap: answered 503 at once, then closed."""

    def __init__(self, transport: asyncio.Transport):
        transport.write(RESPONSE_503)
        if transport.can_write_eof():
            transport.write_eof()
        # Closing at once, with the client's request unread, would reset the connection and the
        # client could lose the 503; so its bytes are read and dropped until it closes (or a second).
        self._closing = asyncio.get_running_loop().call_later(TURNED_AWAY_LINGER_SECONDS, transport.close)

    def data_received(self, data: bytes) -> None:
        pass

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing.cancel()


class SlowClientCut:
    """The connection cap and the two clocks both protocols share; each protocol says where its request stands."""

    # What the uvicorn protocol it is mixed into (HttpToolsProtocol, H11Protocol) provides.
    connections: set[Any]
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    flow: FlowControl
    cycle: Any  # each protocol's own RequestResponseCycle

    def __init__(self, *args, limits: Limits, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._head_clock: asyncio.TimerHandle | None = None
        self._body_clock: asyncio.TimerHandle | None = None
        self._body_heard = 0.0

    def connection_made(self, transport) -> None:
        if len(self.connections) >= self.limits.max_connections:
            transport.set_protocol(TurnedAway(transport))
            return
        super().connection_made(transport)  # type: ignore[misc]  # the uvicorn protocol's, next in the MRO
        self._start_head_clock()  # the first request's head is due from the moment the client connects

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_clock()
        self._stop_body_clock()
        super().connection_lost(exc)  # type: ignore[misc]  # the uvicorn protocol's, next in the MRO

    def _start_head_clock(self) -> None:
        if self._head_clock is None:
            self._head_clock = self.loop.call_later(self.limits.head_timeout, self._head_late)

    def _stop_head_clock(self) -> None:
        if self._head_clock is not None:
            self._head_clock.cancel()
            self._head_clock = None

    def _head_late(self) -> None:
        self._head_clock = None
        self.transport.close()

    def _body_bytes_came(self) -> None:
        self._body_heard = self.loop.time()
        if self._body_clock is None:
            self._body_clock = self.loop.call_later(self.limits.body_stall, self._body_check)

    def _stop_body_clock(self) -> None:
        if self._body_clock is not None:
            self._body_clock.cancel()
            self._body_clock = None

    def _body_check(self) -> None:
        self._body_clock = None
        now = self.loop.time()
        if self.flow.read_paused or self.cycle.waiting_for_100_continue:
            self._body_heard = now  # the app has not read what came, or not asked for it yet: not the client's stall
        left = self._body_heard + self.limits.body_stall - now
        if left > 0:
            self._body_clock = self.loop.call_later(left, self._body_check)
        else:
            self.transport.close()


class BoundedHttpToolsProtocol(SlowClientCut, HttpToolsProtocol):
    """HttpToolsProtocol that counts a head's bytes before the parser buffers them, and times heads and bodies."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_begun = False
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._feed_head(data)
        else:
            super().data_received(data)
        if self.transport.is_closing():
            return
        if not self._in_head:
            self._body_bytes_came()
        elif self.cycle is None or self.cycle.response_complete:
            # Any byte between requests starts the next head's clock, or a client sending blank
            # lines would disarm uvicorn's keep-alive timeout and hold the connection forever.
            self._start_head_clock()

    def _feed_head(self, data: bytes) -> None:
        end = data.find(b"\r\n\r\n")
        self._head_bytes += len(data) if end < 0 else end + 4
        if end >= 0 and self._head_bytes > MAX_HEAD_BYTES:
            return refuse(self.transport)  # a whole head, too large: the app never sees it
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES:
            refuse(self.transport)  # past the limit and no end yet: stop buffering it

    def on_message_begin(self) -> None:
        self._head_begun = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = self._head_begun = False
        self._stop_head_clock()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0
        self._stop_body_clock()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._head_begun and not self.transport.is_closing():
            self._start_head_clock()  # a head pipelined behind that response is timed from now, as with h11


class BoundedH11Protocol(SlowClientCut, H11Protocol):
    """H11Protocol that refuses a whole head over the limit (h11 limits only an unfinished
    one), answers h11's "receive buffer too long" with 431 instead of 400, and times heads and bodies."""

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            end = data.find(b"\r\n\r\n")
            if end >= 0 and len(self.conn.trailing_data[0]) + end + 4 > MAX_HEAD_BYTES:
                return refuse(self.transport)
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request is parsed only now; an idle connection is left to timeout_keep_alive.
        if self.conn.their_state is not h11.IDLE or self.conn.trailing_data[0]:
            self._follow_request()

    def _follow_request(self) -> None:
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            self._start_head_clock()  # bytes came and no whole head yet
        else:
            self._stop_head_clock()
        if state is h11.SEND_BODY:
            self._body_bytes_came()
        else:
            self._stop_body_clock()

    def send_400_response(self, msg: str) -> None:
        if len(self.conn.trailing_data[0]) > MAX_HEAD_BYTES:
            refuse(self.transport)
        else:
            super().send_400_response(msg)
