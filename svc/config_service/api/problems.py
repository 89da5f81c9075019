"""Every error as application/problem+json (RFC 9457), never a stack trace or driver text."""

import json
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from config_service.api.dependencies import request_id_of
from config_service.api.schemas import Problem
from config_service.domain.errors import (
    Conflict,
    Forbidden,
    InvalidReference,
    KeyReused,
    NotFound,
    OperationFailed,
    OutcomeUnknown,
    PreconditionMissing,
    SchemaViolation,
    ServiceError,
    StaleVersion,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

PROBLEM_TYPE = "about:blank"
# The one failure a client must not simply retry: read first, or resend with the same Idempotency-Key.
OUTCOME_UNKNOWN_TYPE = "urn:config-service:problem:outcome-unknown"
# Error bodies stay small (under 2 KB) whatever the input: no field is echoed whole.
ERRORS_BUDGET = 1200
MAX_MESSAGE = 160
MAX_LOC_DEPTH = 8


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem(
    status: int, detail: str, *, headers: Mapping[str, str] | None = None, request_id: str | None = None, **fields
):
    """A problem+json response; `fields` adds members, such as `errors` ({loc, msg} each)."""
    body = {"type": PROBLEM_TYPE, "title": HTTPStatus(status).phrase, "status": status, "detail": detail, **fields}
    if request_id is not None:
        body["request_id"] = request_id
    return ProblemResponse(body, status_code=status, headers=headers)


# A location part is named only when it is a plain identifier or an index: a field name
# chosen by the client (`password=hunter2`, `<img src=x ...>`) is never echoed.
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}|[0-9]{1,10}")


def _location(item: dict) -> tuple[list[str], str]:
    parts = [str(part) for part in item.get("loc", ())][:MAX_LOC_DEPTH]
    message = str(item.get("msg", ""))[:MAX_MESSAGE]
    if parts and not PLAIN_NAME.fullmatch(parts[-1]):
        parts.pop()
        if item.get("type") == "extra_forbidden":
            message = "an unknown field was sent"
    return [part if PLAIN_NAME.fullmatch(part) else "(field)" for part in parts], message


def validation_errors(raw: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Location and message of each failure, shortened, without the input; as many as fit. A
    schema's violation keeps its `type` and `schema_path` (named as safely as `loc`)."""
    errors: list[dict[str, Any]]
    errors, budget = [], ERRORS_BUDGET
    for item in raw:
        loc, msg = _location(item)
        entry: dict[str, Any] = {"loc": loc, "msg": msg}
        if str(item.get("type", "")).startswith("schema"):
            entry["type"] = item["type"]
        if "schema_path" in item:
            entry["schema_path"] = _location({"loc": item["schema_path"]})[0]
        budget -= len(json.dumps(entry))
        if budget < 0 and errors:
            break
        errors.append(entry)
    return errors


RETRY_AFTER_SECONDS = 1


def http_form(error: ServiceError) -> tuple[int, dict[str, str], dict]:
    """The status, headers and extra problem members that say `error` over HTTP."""
    match error:
        case OperationFailed():
            status, headers, fields = http_form(error.cause)
            return status, headers, {**fields, "operation_index": error.index}
        case PreconditionMissing():
            return 428, {}, {}
        case OutcomeUnknown():
            return (
                503,
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
                {"type": OUTCOME_UNKNOWN_TYPE, "title": "Outcome Unknown"},
            )
        case NotFound():
            return 404, {}, {}
        case Conflict():
            return 409, {}, {}
        case Forbidden():
            return 403, {}, {}
        case Unauthenticated():
            return 401, {"WWW-Authenticate": "Bearer"}, {}
        case TooLarge():
            return 413, {}, {}
        case KeyReused():
            return 422, {}, {"errors": [{"loc": ["header", "Idempotency-Key"], "msg": error.detail}]}
        case InvalidReference():
            return 422, {}, {"errors": [{"loc": ["body", error.field], "msg": error.detail}]}
        case SchemaViolation():
            return 422, {}, {"errors": validation_errors(error.errors)}
        case StaleVersion() if error.current_version is None:
            return 412, {}, {}
        case StaleVersion():
            return 412, {"ETag": f'"{error.current_version}"'}, {"current_version": error.current_version}
        case Unavailable():
            return 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}, {}
    return 500, {}, {}


def service_problem(error: ServiceError, request_id: str | None = None):
    status, headers, fields = http_form(error)
    return problem(status, error.detail, headers=headers, request_id=request_id, **fields)


async def _service_error(request: Request, error: ServiceError):
    return service_problem(error, _request_id(request))


async def _validation_error(request: Request, error: RequestValidationError):
    # A transaction's malformed operation is named by its index (api/transactions.py).
    index = getattr(error, "operation_index", None)
    named = {} if index is None else {"operation_index": index}
    return problem(
        422,
        "the request is not valid",
        errors=validation_errors(error.errors()),
        request_id=_request_id(request),
        **named,
    )


async def _http_error(request: Request, error: HTTPException):
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    headers = error.headers
    if error.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return problem(error.status_code, detail, headers=headers, request_id=_request_id(request))


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if route.matches(request.scope)[0] != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def _request_id(request: Request) -> str | None:
    return request_id_of(request)


def install_problem_handlers(app: FastAPI) -> None:
    """Route the service's, validation and HTTP errors through problem+json (RequestContext
    answers anything unexpected)."""
    # Starlette types every handler as taking any Exception; each of these is called only with
    # instances of the class it is registered for.
    app.add_exception_handler(ServiceError, _service_error)  # type: ignore[arg-type]  # see above
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]  # see above
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]  # see above
    document_problems(app)


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error statuses, each an application/problem+json body."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {"application/problem+json": {"schema": PROBLEM_REF}},
        }
        for status in statuses
    }


def document_problems(app: FastAPI) -> None:
    """Add the Problem schema that problem_responses refers to to the app's OpenAPI."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(problem_schema.pop("$defs", {}))
            components["Problem"] = problem_schema
        return cast("dict[str, Any]", app.openapi_schema)  # build() (FastAPI.openapi) stored it

    # FastAPI's documented way to extend the schema: replace app.openapi (mypy refuses method assignment).
    app.openapi = openapi  # type: ignore[method-assign]
