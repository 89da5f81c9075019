"""Conditional requests: ETag, Last-Modified and Change-Seq out, If-Match and If-None-Match in."""

from email.utils import format_datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from config_service.api.bodies import json_response
from config_service.api.dependencies import CurrentSettings
from config_service.domain.versions import ANY_VERSION, Versions


def entity_tags(header: str) -> list[str]:
    """The entity tags of an If-Match / If-None-Match header, `*` included."""
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def matching_versions(header: str | None) -> Versions:
    """Versions an If-Match header accepts: None when absent, ANY_VERSION for `*`.

    If-Match compares strongly: weak tags (W/"3") and tags that are not versions (only
    ASCII digits make one) match nothing, so a request carrying only those fails with 412.
    """
    if header is None:
        return None
    tags = entity_tags(header)
    if "*" in tags:
        return ANY_VERSION
    return [
        int(tag[1:-1])
        for tag in tags
        if len(tag) > 2 and tag[0] == tag[-1] == '"' and len(tag) < 12 and tag[1:-1].isascii() and tag[1:-1].isdigit()
    ]


def none_match(header: str | None, version: int) -> bool:
    """True when an If-None-Match header names the current version (weak comparison) or `*`."""
    if header is None:
        return False
    current = f'"{version}"'
    return any(tag == "*" or tag.removeprefix("W/") == current for tag in entity_tags(header))


def validators(version: int, modified) -> dict[str, str]:
    """ETag and Last-Modified of a representation."""
    return {"ETag": f'"{version}"', "Last-Modified": format_datetime(modified, usegmt=True)}


def representation(
    request: Request, model: BaseModel, version: int, modified, status_code: int = 200, headers: dict | None = None
) -> Response:
    """The resource with its validators, or 304 when If-None-Match already names it."""
    tags = validators(version, modified)
    if status_code == 200 and request.method == "GET" and none_match(request.headers.get("if-none-match"), version):
        return Response(status_code=304, headers=tags)
    return json_response(model, status_code, {**tags, **(headers or {})})


async def if_match(request: Request, settings: CurrentSettings) -> Versions:
    """The If-Match condition of a write; 428 when the setting requires one and it is absent."""
    header = request.headers.get("if-match")
    if header is None and settings.require_if_match:
        raise HTTPException(428, "this service requires If-Match on writes: send the ETag you last read")
    return matching_versions(header)


IfMatch = Annotated[Versions, Depends(if_match)]


def change_seq_header(seq: int | None) -> dict[str, str]:
    """`Change-Seq: N` for a write that changed something; nothing for one that did not."""
    return {} if seq is None else {"Change-Seq": str(seq)}
