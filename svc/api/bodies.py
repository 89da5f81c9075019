"""JSON in and out: bodies read within the size limit, validated once, encoded once."""
from typing import Any, Callable
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

JSON = "application/json"


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to pass `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the request body exceeds {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def json_body(model: type[BaseModel]) -> Callable:
    """A dependency that parses and validates the body as `model` straight from bytes."""

    async def parse(request: Request) -> BaseModel:
        body = await read_body(request, request.app.state.settings.max_request_body_bytes)
        try:
            return model.model_validate_json(body)
        except ValidationError as error:
            raise RequestValidationError(
                [{**item, "loc": ("body", *item["loc"])} for item in error.errors(include_input=False)]
            ) from None

    return parse


def request_body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body read by `json_body` (FastAPI does not see it)."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {JSON: {
        "schema": schema, "example": schema.get("examples", [None])[0]}}}}


def json_response(model: BaseModel, status_code: int = 200, headers: dict | None = None) -> Response:
    """Encode a response model once, with pydantic's serializer."""
    return Response(model.model_dump_json(), status_code=status_code, media_type=JSON, headers=headers)


def next_link(path: str, limit: int, after, **filters) -> str:
    """A Link header value to the page after `after`, keeping the filters that are set."""
    query = urlencode({**{k: v for k, v in filters.items() if v is not None}, "limit": limit, "after": after})
    return f'<{path}?{query}>; rel="next"'
