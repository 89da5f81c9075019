"""JSON in and out: bodies read within the size limit, validated once, encoded once."""

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from config_service.api.dependencies import CurrentSettings

JSON = "application/json"
# application/json or any application/...+json, parameters (charset) aside.
JSON_MEDIA_TYPE = re.compile(r"application/(?:[a-z0-9!#$&^_.-]+\+)?json", re.IGNORECASE)


def require_json_content_type(request: Request) -> None:
    """415 unless the body is declared JSON: a cross-origin form or text/plain post never passes."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
    if not JSON_MEDIA_TYPE.fullmatch(media_type):
        raise HTTPException(415, "the request body must be application/json")


def _refuse_duplicate_keys(pairs: list) -> None:
    if len(pairs) != len({key for key, _ in pairs}):
        raise ValueError("duplicate key")
    # Nothing is built: this parse only looks for duplicates; pydantic parses for real.


def has_duplicate_keys(body: bytes) -> bool:
    """True when some JSON object in `body` names a key twice (which pydantic would take last-wins)."""
    try:
        json.loads(body, object_pairs_hook=_refuse_duplicate_keys)
    except ValueError as error:
        return str(error) == "duplicate key"
    except RecursionError:
        pass  # nested too deep to scan here; pydantic refuses such a body on its own
    return False


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to pass `limit` bytes; 408 when
    the connection ends before it does (logged as the client's failure, not the service's)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the request body exceeds {limit} bytes")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, f"the request body exceeds {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:  # it went away, or its body stalled and was cut: no answer reaches it
        raise HTTPException(408, "the request body did not arrive whole") from None
    return b"".join(chunks)


def json_body(model: type[BaseModel]) -> Callable:
    """A dependency that parses and validates the body as `model` straight from bytes."""

    async def parse(request: Request, settings: CurrentSettings) -> BaseModel:
        require_json_content_type(request)
        body = await read_body(request, settings.max_request_body_bytes)
        try:
            parsed = model.model_validate_json(body)
        except ValidationError as error:
            raise RequestValidationError(
                [{**item, "loc": ("body", *item["loc"])} for item in error.errors(include_input=False)]
            ) from None
        if has_duplicate_keys(body):
            raise RequestValidationError([{"loc": ("body",), "msg": "a JSON object names the same key twice"}])
        return parsed

    return parse


def request_body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body read by `json_body` (FastAPI does not see it)."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": schema, "example": schema.get("examples", [None])[0]}},
        }
    }


def json_response(model: BaseModel, status_code: int = 200, headers: dict | None = None) -> Response:
    """Encode a response model once, with pydantic's serializer."""
    return Response(model.model_dump_json(), status_code=status_code, media_type=JSON, headers=headers)


def next_link(path: str, limit: int, after, **filters) -> str:
    """A Link header value to the page after `after`, keeping the filters that are set."""
    query = urlencode({**{k: v for k, v in filters.items() if v is not None}, "limit": limit, "after": after})
    return f'<{path}?{query}>; rel="next"'
