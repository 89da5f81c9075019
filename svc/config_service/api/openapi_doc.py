"""The OpenAPI document completed for client generators: the headers each operation reads and
answers with, every error status it can answer, an example for every body, a description for
every query parameter. Derived from the routes (which dependencies they take, what they answer)
so the document follows the code."""

import copy
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from config_service.api import schemas
from config_service.api.authentication import PROTECTED, required_scope
from config_service.api.problems import PROBLEM_TYPE

ID_EXAMPLE = "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE"
MOMENT_EXAMPLE = "2026-12-01T08:00:00Z"
HEADERS_READ = {
    "If-Match": 'Write only if the stored version is one of these ETags (`"3"`, or `*` for any); 412 otherwise.',
    "If-None-Match": '`"<version>"` (or `*`): 304 while it is current; with `Prefer: wait=S`, held until it changes.',
    "Prefer": "`wait=S` (S up to 60) with If-None-Match: hold the request until the resource changes or S pass.",
    "Cache-Control": "`no-cache` reads from the database, past the worker's read cache.",
    "Idempotency-Key": "1-255 printable ASCII characters: a retry with the same key and body gets the first answer.",
    "Last-Event-ID": "Resume the stream after this seq (wins over `after`).",
    "X-Request-ID": "Your own id for this request (1-128 of `A-Za-z0-9._:-`); echoed, and in the access log.",
}
HEADER_EXAMPLES = {
    "If-Match": '"3"',
    "If-None-Match": '"3"',
    "Prefer": "wait=30",
    "Cache-Control": "no-cache",
    "Idempotency-Key": "create-billing-7f3a",
    "Last-Event-ID": "42",
    "X-Request-ID": "deploy-1234",
}
HEADERS_ANSWERED = {
    "ETag": ('"3"', "The version, as a strong validator."),
    "Last-Modified": ("Tue, 01 Dec 2026 08:00:00 GMT", "When this version was written."),
    "Location": (f"/api/v1/configurations/{ID_EXAMPLE}", "Where the new resource is."),
    "Change-Seq": ("42", "The seq of the write's last change in the feed (/api/v1/changes)."),
    "Link": ('</api/v1/configurations?limit=100&after=01JB8Z...>; rel="next"', "The next page, while more follow."),
    "Retry-After": ("1", "Seconds to wait before trying again."),
    "Preference-Applied": ("wait=30", "The request was held (Prefer: wait=S)."),
    "Idempotent-Replayed": ("true", "This is the stored answer of an earlier request with the same key."),
    "X-Request-ID": (
        "3f9c2d4e5a6b7c8d9e0f1a2b3c4d5e6f",
        "The request's id (yours, or a new one): quote it in reports.",
    ),
    "WWW-Authenticate": ("Bearer", "The scheme to authenticate with."),
    "Cache-Control": ("no-store", "The answer holds a secret: keep no copy."),
}
PAGED = {"ApplicationList", "ConfigurationList", "RevisionList", "ChangeList"}  # answered a page at a time
STREAM_EXAMPLE = 'id: 42\nevent: change\ndata: {"seq": 42, "application_id": "...", "change": "update", ...}\n\n'

WATCHABLE = {"/api/v1/applications/{id}", "/api/v1/configurations/{id}"}
VERSIONED = {"ApplicationOut", "ConfigurationOut", "RevisionOut"}
FEED_WRITES = ("/api/v1/applications", "/api/v1/configurations", "/api/v1/transactions", "/api/v1/import")
QUERY_DESCRIPTIONS = {
    "limit": "At most this many items (1-1000, default 100).",
    "application_id": "Only those of this application.",
    "wait": "Seconds (up to 60) to hold the request while nothing new is there.",
    "mode": "`merge` keeps configurations the document does not name; `replace` deletes them.",
    "dry_run": "`true`: answer with the plan, write nothing.",
}
AFTER_DESCRIPTIONS = {
    "/api/v1/changes": "Changes with a seq above this one (follow with the answer's `last_seq`).",
    "/api/v1/changes/stream": "Changes with a seq above this one (`Last-Event-ID` wins over it).",
    "/api/v1/configurations/{id}/revisions": "Revisions below this version (the next page).",
}


def document_api(app: FastAPI) -> None:
    """Complete the app's OpenAPI document once, when it is first asked for (after security.py's step)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if getattr(app, "_completed_openapi", None) is None:
            app._completed_openapi = complete(build(), app.routes)  # type: ignore[attr-defined]
        return app._completed_openapi  # type: ignore[attr-defined]

    app.openapi = openapi  # type: ignore[method-assign]


def dependency_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        names.add(getattr(dependant.call, "__name__", ""))
        pending += dependant.dependencies
    return names


def complete(schema: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    components = schema.get("components", {}).get("schemas", {})
    for name, component in components.items():  # put back the nulls FastAPI took out of the examples
        own = _own_examples(name)
        if own:
            component["examples"] = own
    uses = {
        (route.path, method.lower()): dependency_names(route)
        for route in routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            _complete_operation(path, method, operation, uses.get((path, method), set()), components)
    return schema


def _complete_operation(
    path: str, method: str, operation: dict[str, Any], uses: set[str], components: dict[str, Any]
) -> None:
    protected = path == PROTECTED or path.startswith(PROTECTED + "/")
    read = [*_headers_read(path, method, uses)]
    parameters = operation.setdefault("parameters", [])
    for name in read:
        parameters.append(
            {
                "name": name,
                "in": "header",
                "required": False,
                "description": HEADERS_READ[name],
                "schema": {"type": "string"},
                "example": HEADER_EXAMPLES[name],
            }
        )
    for parameter in parameters:
        if parameter["in"] == "query" and "description" not in parameter:
            parameter["description"] = (
                AFTER_DESCRIPTIONS.get(path, "Start after this id (the next page).")
                if parameter["name"] == "after"
                else QUERY_DESCRIPTIONS[parameter["name"]]
            )
        if parameter["in"] == "path" and "description" not in parameter:
            parameter["description"] = "The version number." if parameter["name"] == "version" else "The id (a ULID)."
    responses = operation["responses"]
    if protected:
        for status in _errors(path, method, read):
            responses.setdefault(str(status), _problem_response(status))
    if path == "/ready":
        responses.setdefault("503", _problem_response(503))
    if path.endswith("/stream"):  # an event stream, not JSON
        responses["200"]["content"] = {"text/event-stream": {"schema": {"type": "string"}, "example": STREAM_EXAMPLE}}
    for status, response in responses.items():
        response["headers"] = _headers_answered(path, method, int(status), response, read, components)
        for media_type, content in response.get("content", {}).items():
            if "example" not in content and "examples" not in content:
                content["example"] = (
                    _problem_example(int(status))
                    if "problem" in media_type
                    else _example(content.get("schema", {}), components)
                )
    body = operation.get("requestBody", {}).get("content", {})
    for content in body.values():
        if "example" not in content:
            content["example"] = _example(content.get("schema", {}), components)


def _headers_read(path: str, method: str, uses: set[str]) -> list[str]:
    read = []
    if "if_match" in uses:
        read.append("If-Match")
    if method == "get" and (path in WATCHABLE or path.endswith("/revisions/{version}")):
        read.append("If-None-Match")
    if method == "get" and path in WATCHABLE:
        read += ["Prefer", "Cache-Control"]
    if "idempotency_key" in uses:
        read.append("Idempotency-Key")
    if path.endswith("/changes/stream"):
        read.append("Last-Event-ID")
    return [*read, "X-Request-ID"]


def _errors(path: str, method: str, read: list[str]) -> list[int]:
    """The statuses an /api/v1 operation can answer besides its own: a missing or unusable token
    (401), a scope it lacks (403), a missing resource (404), a precondition (412, 428), an
    unavailable database (503)."""
    statuses = [401, 503]
    if required_scope(method.upper(), path) != "read":
        statuses.append(403)
    if "{id}" in path:
        statuses.append(404)
    if "If-Match" in read:
        statuses += [412, 428]
    return statuses


def _headers_answered(
    path: str, method: str, status: int, response: dict[str, Any], read: list[str], components: dict[str, Any]
) -> dict[str, Any]:
    names = ["X-Request-ID"]
    model = _model_of(response)
    if status in (200, 201) and model in VERSIONED or status == 304:
        names += ["ETag", "Last-Modified"]
    if status == 412:
        names.append("ETag")  # the version that is stored
    if status == 401:
        names.append("WWW-Authenticate")
    if status == 201 and path == "/api/v1/tokens":
        names.append("Cache-Control")
    if status == 201:
        names.append("Location")
    if 200 <= status < 300 and method != "get" and path.startswith(FEED_WRITES):
        names.append("Change-Seq")
    if "Idempotency-Key" in read and 200 <= status < 300:
        names.append("Idempotent-Replayed")
    if "Prefer" in read and status in (200, 304):
        names.append("Preference-Applied")
    if status == 200 and method == "get" and model in PAGED:
        names.append("Link")
    if status == 503:
        names.append("Retry-After")
    headers = dict(response.get("headers", {}))
    for name in names:
        example, description = HEADERS_ANSWERED[name]
        headers.setdefault(name, {"description": description, "schema": {"type": "string"}, "example": example})
    return headers


def _model_of(response: dict[str, Any]) -> str | None:
    for content in response.get("content", {}).values():
        ref = content.get("schema", {}).get("$ref", "")
        if ref:
            return str(ref.rsplit("/", 1)[-1])
    return None


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": HTTPStatus(status).phrase,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _problem_example(status: int) -> dict[str, Any]:
    example: dict[str, Any] = {
        "type": PROBLEM_TYPE,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": "what went wrong, in words safe to show",
        "request_id": HEADERS_ANSWERED["X-Request-ID"][0],
    }
    if status == 412:
        example["current_version"] = 4
    if status == 422:
        example["errors"] = [{"loc": ["body", "name"], "msg": "String should have at least 1 character"}]
    return example


def _own_examples(name: str) -> list[Any]:
    """The examples a model of api/schemas.py declares, nulls and all (FastAPI leaves None values
    out of the document it builds)."""
    extra = getattr(getattr(schemas, name, None), "model_config", {}).get("json_schema_extra")
    return copy.deepcopy(extra.get("examples", [])) if isinstance(extra, dict) else []


def _example(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A value that fits `schema`: its own example where it has one, else one made from its parts."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        own = _own_examples(name)
        if own:
            return own[0]
        schema = components.get(name, {})
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    if schema.get("examples"):
        return copy.deepcopy(schema["examples"][0])
    if depth > 6:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [option for option in schema[key] if option.get("type") != "null"]
            return _example(options[0], components, depth + 1) if options else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: _example(part, components, depth + 1) for name, part in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(schema.get("items", {}), components, depth + 1)]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") == "date-time":
            return MOMENT_EXAMPLE
        if "enum" in schema:
            return schema["enum"][0]
        return ID_EXAMPLE if "pattern" in schema else "text"
    return {}
