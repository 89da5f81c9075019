"""The service's problems (RFC 9457) as exceptions: one class per status a caller handles."""

from typing import Any

import httpx

OUTCOME_UNKNOWN = "urn:config-service:problem:outcome-unknown"


class ConfigServiceError(Exception):
    """A request the service refused or could not answer. `status` is the HTTP status (None when
    no answer came), `problem` the problem+json body as a dict."""

    def __init__(self, status: int | None, problem: dict[str, Any]):
        self.status = status
        self.problem = problem
        title = problem.get("title") or "error"
        detail = problem.get("detail")
        super().__init__((f"{status} " if status else "") + title + (f": {detail}" if detail else ""))

    @property
    def detail(self) -> str | None:
        return self.problem.get("detail")

    @property
    def errors(self) -> list[dict[str, Any]]:
        """What failed validation: a list of `{"loc", "msg", ...}`, empty when not a validation failure."""
        return list(self.problem.get("errors") or [])

    @property
    def request_id(self) -> str | None:
        return self.problem.get("request_id")

    @property
    def operation_index(self) -> int | None:
        """Inside a transaction: which operation failed."""
        return self.problem.get("operation_index")


class InvalidRequest(ConfigServiceError):
    """400, 413, 415, 422 or 431: the request itself was refused; sending it again will not help."""


class Unauthorized(ConfigServiceError):
    """401: no token, an unknown one, or one revoked or expired."""


class Forbidden(ConfigServiceError):
    """403: the token's scope or applications do not allow this."""


class NotFound(ConfigServiceError):
    """404."""


class Conflict(ConfigServiceError):
    """409: a name taken, an application that still has configurations, ..."""


class PreconditionFailed(ConfigServiceError):
    """412: `If-Match` named another version than the stored one (`current_version`; None when
    the resource does not exist)."""

    @property
    def current_version(self) -> int | None:
        return self.problem.get("current_version")


class PreconditionRequired(ConfigServiceError):
    """428: the service requires `If-Match` on this write (REQUIRE_IF_MATCH=true)."""


class Unavailable(ConfigServiceError):
    """503 (or no answer at all, `status` None) after the client's retries. `outcome_unknown`:
    a write may or may not have been stored; read it before deciding."""

    @property
    def outcome_unknown(self) -> bool:
        return self.problem.get("type") == OUTCOME_UNKNOWN

    @property
    def retry_after(self) -> float | None:
        return self.problem.get("retry_after")


class FeedReset(Exception):
    """The service's history is no longer the one this watch followed (a database restored from
    a backup): reload what you hold, then watch again from `last_seq`."""

    def __init__(self, last_seq: int):
        self.last_seq = last_seq
        super().__init__(f"the change feed was reset; start over from seq {last_seq}")


BY_STATUS: dict[int, type[ConfigServiceError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: InvalidRequest,
    415: InvalidRequest,
    422: InvalidRequest,
    428: PreconditionRequired,
    431: InvalidRequest,
    502: Unavailable,
    503: Unavailable,
    504: Unavailable,
}


def error_for(response: httpx.Response) -> ConfigServiceError:
    """The exception for an answer that is not a success; the body must have been read."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        problem = {"title": response.reason_phrase, "status": response.status_code}
    retry_after = response.headers.get("retry-after", "")
    if retry_after.isdigit():
        problem = {**problem, "retry_after": float(retry_after)}
    kind = BY_STATUS.get(response.status_code, ConfigServiceError)
    return kind(response.status_code, problem)


def unreachable(failure: Exception, uncertain: bool) -> Unavailable:
    """No answer came: the service could not be reached, or the connection broke (`uncertain`:
    after the request was sent, so a write may have been stored)."""
    problem = {"title": "the service did not answer", "detail": f"{type(failure).__name__}: {failure}"}
    return Unavailable(None, {**problem, "type": OUTCOME_UNKNOWN} if uncertain else problem)
