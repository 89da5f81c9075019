"""uvicorn's HTTP protocols with a bound on the request head: over 16 KiB is 431, before it is buffered whole.

httptools buffers a header line until it ends, so a client sending one endless header
would grow the worker's memory without bound; h11 refuses at its limit, but with a 400.
"""
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024
PROBLEM = json.dumps({"type": "about:blank", "title": "Request Header Fields Too Large", "status": 431,
                      "detail": f"the request line and headers must fit in {MAX_HEAD_BYTES} bytes"}).encode()
RESPONSE_431 = (b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                b"content-type: application/problem+json\r\n"
                b"content-length: " + str(len(PROBLEM)).encode() + b"\r\n"
                b"connection: close\r\n\r\n" + PROBLEM)


def refuse(transport) -> None:
    transport.write(RESPONSE_431)
    transport.close()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that counts each request head's bytes before the parser buffers them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if not self._in_head:
            return super().data_received(data)
        end = data.find(b"\r\n\r\n")
        self._head_bytes += len(data) if end < 0 else end + 4
        if end >= 0 and self._head_bytes > MAX_HEAD_BYTES:
            return refuse(self.transport)  # a whole head, too large: the app never sees it
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES:
            refuse(self.transport)  # past the limit and no end yet: stop buffering it

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0


class BoundedH11Protocol(H11Protocol):
    """H11Protocol that refuses a whole head over the limit (h11 limits only an unfinished
    one), and answers h11's "receive buffer too long" with 431 instead of 400."""

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            end = data.find(b"\r\n\r\n")
            if end >= 0 and len(self.conn.trailing_data[0]) + end + 4 > MAX_HEAD_BYTES:
                return refuse(self.transport)
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        if len(self.conn.trailing_data[0]) > MAX_HEAD_BYTES:
            refuse(self.transport)
        else:
            super().send_400_response(msg)
