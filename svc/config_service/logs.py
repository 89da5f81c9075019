"""Logging: UTC timestamps, stderr written in blocks rather than a syscall per line; one line of
text per record, or with LOG_FORMAT=json one JSON object per line."""

import json
import logging
import re
import sys
import threading
import time
from collections import deque
from typing import Any, TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FLUSH_EVERY_SECONDS = 0.5
# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = {
    code: f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
    for code in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]
}
ANY_CONTROL_CHARACTER = re.compile("[" + "".join(re.escape(chr(code)) for code in CONTROL_CHARACTERS) + "]")


# An API token's secret, wherever a client put it (a URL, a header it should not have): never logged.
TOKEN_SECRET = re.compile(r"cfg_[A-Za-z0-9_-]{8,}")


def escape_controls(text: str) -> str:
    """`text` with every control character written as an escape (no input can forge a log line),
    and any token secret in it redacted. A plain line is looked at, not rewritten: translating
    character by character cost an access line more than the rest of its formatting."""
    if ANY_CONTROL_CHARACTER.search(text):
        text = text.translate(CONTROL_CHARACTERS)
    if "cfg_" in text:
        text = TOKEN_SECRET.sub("cfg_[redacted]", text)
    return text


class UtcFormatter(logging.Formatter):
    """ISO 8601 UTC times; the seconds part is formatted once per second, not per line."""

    def __init__(self):
        super().__init__(FORMAT)
        self._second, self._text = -1, ""

    def formatMessage(self, record: logging.LogRecord) -> str:
        # Only the message: a traceback that follows it keeps its own lines.
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatTime(self, record, datefmt=None) -> str:
        second = int(record.created)
        if second != self._second:
            self._second, self._text = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._text}.{int(record.msecs):03d}Z"


# The arguments of an access line (api/observability.py logs them in this order).
ACCESS_LOGGER = "config_service.access"
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "request_id", "token")


class JsonFormatter(UtcFormatter):
    """One JSON object per line: `time` (UTC, RFC 3339), `level`, `logger`, `message`, an access
    line's fields, and `exception` when there is one. json.dumps escapes every control character
    (and with ensure_ascii, U+2028 and U+2029 as well), so no input can end the line or the
    object early; token secrets are redacted as in text lines."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": _redacted(record.getMessage()),
        }
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) == len(ACCESS_FIELDS):
            fields: dict[str, Any] = dict(zip(ACCESS_FIELDS, record.args, strict=True))
            status = fields["status"] if isinstance(fields["status"], int) else None  # "-": none was sent
            line.update(
                fields,
                path=_redacted(str(fields["path"])),
                status=status,
                duration_ms=round(float(fields["duration_ms"]), 3),
            )
        if record.exc_info:
            line["exception"] = _redacted(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=True, default=str)


def _redacted(text: str) -> str:
    return TOKEN_SECRET.sub("cfg_[redacted]", text) if "cfg_" in text else text


class BufferedHandler(logging.StreamHandler):
    """Keeps records and formats and writes them every half second, or at once from WARNING up.

    A write per access-log line costs a syscall, and on a busy server each syscall hands the
    GIL to another thread; formatting a line costs the event loop as much again, ten thousand
    times over when one change answers ten thousand long-polls. So the loop only queues the
    record, and the flusher thread formats it. (A record's arguments are formatted then: log
    values, not objects that change meanwhile.)
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._records: deque[logging.LogRecord] = deque()  # appends and pops are thread-safe
        self._flusher = threading.Thread(target=self._flush_periodically, name="log-flush", daemon=True)
        self._flusher.start()

    def flush(self) -> None:
        """Leave lines buffered; the flusher thread and warnings write them out."""

    def write_out(self) -> None:
        assert self.lock is not None  # made by Handler.__init__ (createLock)
        with self.lock:
            while self._records:
                super().emit(self._records.popleft())
            self.stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        self._records.append(record)
        if record.levelno >= logging.WARNING:
            self.write_out()

    def close(self) -> None:
        self.write_out()
        super().close()

    def _flush_periodically(self) -> None:
        while True:
            time.sleep(FLUSH_EVERY_SECONDS)
            self.write_out()


def configure_logging(level: str, stream=None, log_format: str = "text") -> logging.Logger:
    """The service's logger at `level`, writing to stderr through one BufferedHandler, as text
    lines or (`log_format` "json") JSON objects; uvicorn's own loggers write through it too."""
    # The format names no thread, process or source line: not collecting them saves every line
    # a stack walk and several look-ups (the logging HOWTO's "Optimization" section).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
    logger = logging.getLogger("config_service")
    logger.setLevel(level)
    if not any(isinstance(handler, BufferedHandler) for handler in logger.handlers):
        if stream is None:
            stream = open(
                sys.stderr.fileno(), "w", buffering=65536, encoding="utf-8", errors="backslashreplace", closefd=False
            )
        handler = BufferedHandler(stream)
        handler.setFormatter(JsonFormatter() if log_format == "json" else UtcFormatter())
        logger.addHandler(handler)
        if log_format == "json":  # every line of the worker one object: uvicorn's, asyncio's, warnings' too
            logging.getLogger().handlers = [handler]
            for name in ("uvicorn", "uvicorn.error"):
                uvicorn_logger = logging.getLogger(name)
                uvicorn_logger.handlers, uvicorn_logger.propagate = [handler], False
    return logger


def write_out() -> None:
    """Write buffered lines now (at shutdown: uvicorn ends on SIGTERM without atexit)."""
    for handler in logging.getLogger("config_service").handlers:
        if isinstance(handler, BufferedHandler):
            handler.write_out()
