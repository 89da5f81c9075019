import io
import logging
import time

from config_service import logs
from config_service.logs import (
    CONTROL_CHARACTERS,
    BufferedHandler,
    UtcFormatter,
    configure_logging,
    escape_controls,
    write_out,
)


def record(level=logging.INFO, message="hello", created=1_800_000_000.25):
    entry = logging.LogRecord("config_service.test", level, __file__, 1, message, None, None)
    entry.created, entry.msecs = created, (created % 1) * 1000
    return entry


def test_times_are_iso_8601_utc_with_milliseconds():
    line = UtcFormatter().format(record())
    assert line == "2027-01-15T08:00:00.250Z INFO config_service.test hello"


def test_info_lines_wait_in_the_buffer_warnings_go_out_at_once():
    stream = io.StringIO()
    buffered = io.TextIOWrapper(io.BufferedWriter(_Sink(stream), buffer_size=65536), write_through=False)
    handler = BufferedHandler(buffered)
    handler.setFormatter(UtcFormatter())
    handler.emit(record(message="quiet"))
    assert stream.getvalue() == ""
    handler.emit(record(logging.WARNING, "loud"))
    assert "quiet" in stream.getvalue() and "loud" in stream.getvalue()


def test_buffered_lines_are_written_within_the_flush_period(monkeypatch):
    monkeypatch.setattr(logs, "FLUSH_EVERY_SECONDS", 0.05)
    stream = io.StringIO()
    buffered = io.TextIOWrapper(io.BufferedWriter(_Sink(stream), buffer_size=65536), write_through=False)
    handler = BufferedHandler(buffered)
    handler.emit(record(message="eventually"))
    time.sleep(0.3)
    assert "eventually" in stream.getvalue()


def test_configure_logging_sets_the_level_and_adds_one_handler():
    logger = configure_logging("WARNING", io.StringIO())
    configure_logging("INFO", io.StringIO())
    assert logger.level == logging.INFO
    assert sum(isinstance(h, BufferedHandler) for h in logger.handlers) == 1


class _Sink(io.RawIOBase):
    def __init__(self, target: io.StringIO):
        self.target = target

    def writable(self):
        return True

    def write(self, data):
        self.target.write(bytes(data).decode())
        return len(data)


def test_write_out_empties_the_buffer_now():
    stream = io.StringIO()
    buffered = io.TextIOWrapper(io.BufferedWriter(_Sink(stream), buffer_size=65536), write_through=False)
    logger = configure_logging("INFO")
    handler = next(h for h in logger.handlers if isinstance(h, BufferedHandler))
    original, handler.stream = handler.stream, buffered
    try:
        logger.info("pending line")
        write_out()
        assert "pending line" in stream.getvalue()
    finally:
        handler.stream = original


def test_control_characters_in_a_message_are_escaped_so_no_line_can_be_forged():
    forged = "GET /x\n2027-01-15T08:00:00.250Z INFO config_service.access POST /admin 200\r\x1b[31m\x85\u2028"
    line = UtcFormatter().format(record(message=forged))
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u2028" not in line
    assert "/x\\x0a2027" in line and "\\x1b[31m" in line and "\\x85" in line and "\\u2028" in line


def test_a_traceback_keeps_its_lines():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        entry = logging.LogRecord("config_service.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    assert "Traceback" in UtcFormatter().format(entry).splitlines()[1]


def test_a_token_secret_in_a_message_is_redacted():
    line = UtcFormatter().format(
        record(message="GET /api/v1/applications/cfg_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    )
    assert line.endswith("GET /api/v1/applications/cfg_[redacted]")


def test_every_control_character_alone_is_escaped_and_a_plain_line_is_left_as_it_is():
    for code, escaped in CONTROL_CHARACTERS.items():
        assert escape_controls(f"a{chr(code)}b") == f"a{escaped}b"
    plain = "GET /api/v1/configurations/01ARZ3NDEKTSV4RRFFQ69G5FAV 200 1.2ms request_id=ab token=ci-bot"
    assert escape_controls(plain) is plain


def test_records_are_formatted_when_written_out_in_the_order_they_came():
    stream = io.StringIO()
    buffered = io.TextIOWrapper(io.BufferedWriter(_Sink(stream), buffer_size=65536), write_through=False)
    handler = BufferedHandler(buffered)
    handler.setFormatter(UtcFormatter())
    formatted = []
    original = handler.format
    handler.format = lambda record: formatted.append(record.msg) or original(record)
    handler.emit(record(message="first"))
    handler.emit(record(message="second"))
    assert formatted == []  # the caller only queued them
    handler.write_out()
    written = stream.getvalue()
    assert formatted == ["first", "second"] and written.index("first") < written.index("second")


def test_a_json_line_is_one_object_whatever_the_request_path_holds():
    import json

    from config_service.logs import ACCESS_LOGGER, JsonFormatter

    hostile = '/api/v1/x"}, {"level": "ERROR\n\r\u2028\u2029\x00\x1b[31m cfg_SECRETSECRETSECRET'
    entry = logging.LogRecord(
        ACCESS_LOGGER, logging.INFO, __file__, 1, "%s %s %s %.1fms request_id=%s token=%s", None, None
    )
    entry.args = ("GET", hostile, 404, 1.23456, "abc", "ci-reader")
    unanswered = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, entry.msg, None, None)
    unanswered.args = ("GET", "/", "-", 1.0, "abc", "-")
    assert json.loads(JsonFormatter().format(unanswered))["status"] is None
    entry.created, entry.msecs = 1_800_000_000.25, 250.0
    line = JsonFormatter().format(entry)
    assert "\n" not in line and "\u2028" not in line and "\u2029" not in line and "\x1b" not in line
    parsed = json.loads(line)
    assert parsed == {
        "time": "2027-01-15T08:00:00.250Z",
        "level": "INFO",
        "logger": ACCESS_LOGGER,
        "message": parsed["message"],
        "method": "GET",
        "path": hostile.replace("cfg_SECRETSECRETSECRET", "cfg_[redacted]"),
        "status": 404,
        "duration_ms": 1.235,
        "request_id": "abc",
        "token": "ci-reader",
    }
    assert "SECRET" not in line


def test_a_json_line_of_another_logger_carries_its_message_and_its_traceback():
    import json

    from config_service.logs import JsonFormatter

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        entry = logging.LogRecord("config_service", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    parsed = json.loads(JsonFormatter().format(entry))
    assert (parsed["level"], parsed["message"], parsed["logger"]) == ("ERROR", "failed here", "config_service")
    assert "ValueError: boom" in parsed["exception"] and "method" not in parsed


def test_configure_logging_in_json_writes_uvicorns_lines_through_the_same_handler():
    stream = io.StringIO()
    logger, root = logging.getLogger("config_service"), logging.getLogger()
    kept, kept_root = list(logger.handlers), list(root.handlers)
    logger.handlers = []
    try:
        configure_logging("INFO", stream, log_format="json")
        handler = next(h for h in logger.handlers if isinstance(h, BufferedHandler))
        assert logging.getLogger("uvicorn.error").handlers == [handler] == root.handlers
        assert type(handler.formatter).__name__ == "JsonFormatter"
    finally:
        logger.handlers, root.handlers = kept, kept_root
        for name in ("uvicorn", "uvicorn.error"):
            logging.getLogger(name).handlers, logging.getLogger(name).propagate = [], True
