"""Request ids, one access log line per request, and the last word on unexpected errors."""

import logging
import random
import re
import time

from config_service.api.problems import problem

logger = logging.getLogger("config_service")
access_log = logging.getLogger("config_service.access")

REQUEST_ID_HEADER = b"x-request-id"
# An incoming id is kept only when it is short and plain, so it is safe to log and echo.
VALID_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def new_request_id() -> str:
    """32 hex digits. Request ids correlate log lines, they guard nothing: no system call for
    random bytes on every request, as uuid4's read of /dev/urandom would be."""
    return f"{random.getrandbits(128):032x}"


def _incoming_request_id(headers) -> str | None:
    for name, value in headers:
        if name == REQUEST_ID_HEADER and VALID_REQUEST_ID.fullmatch(value):
            return value.decode()
    return None


class RequestContext:
    """Pure ASGI middleware: gives each request an id, echoes it, logs the outcome."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        request_id = _incoming_request_id(scope["headers"]) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        echoed = (REQUEST_ID_HEADER, request_id.encode())
        status = 0

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unhandled error, request_id=%s", request_id)
            if status:
                raise  # the response already started: all that is left is to drop it
            response = problem(500, "an unexpected error occurred", request_id=request_id)
            await response(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            runtime = getattr(scope["app"].state, "runtime", None)  # absent before the lifespan starts
            if runtime is not None and runtime.metrics is not None:  # by route template, never the path
                runtime.metrics.request(scope["method"], getattr(scope.get("route"), "path", None), status, seconds)
            principal = scope["state"].get("principal")
            access_log.info(
                "%s %s %s %.1fms request_id=%s token=%s",
                scope["method"],
                scope["path"],
                status or "-",
                seconds * 1000,
                request_id,
                principal.name if principal else "-",
            )
