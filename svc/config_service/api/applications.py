"""/api/v1/applications"""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from config_service.api.bodies import json_body, json_response, next_link, request_body_doc
from config_service.api.conditional import IfMatch, change_seq_header, representation, validators
from config_service.api.dependencies import Caller, CallerAccess, Db, caller_of, runtime_of
from config_service.api.idempotency import IdempotencyKey, answer, write_once
from config_service.api.problems import problem_responses
from config_service.api.reads import encoded, read_or_watch
from config_service.api.schemas import (
    ApplicationCreate,
    ApplicationList,
    ApplicationOut,
    ApplicationSummary,
    ApplicationUpdate,
    Id,
    Limit,
    NameFilter,
)
from config_service.domain.access import access_of
from config_service.services import applications as service

PREFIX = "/api/v1/applications"
router = APIRouter(prefix=PREFIX, tags=["applications"])
ERRORS = problem_responses(422, 503)


def _application(
    request: Request, row: Mapping[str, Any], status_code: int = 200, headers: dict | None = None
) -> Response:
    return representation(
        request, ApplicationOut.model_construct(**row), row["version"], row["updated_at"], status_code, headers
    )


@router.post(
    "",
    status_code=201,
    response_model=ApplicationOut,
    summary="Create an application",
    responses={**ERRORS, **problem_responses(409, 413, 415)},
    openapi_extra=request_body_doc(ApplicationCreate),
)
async def create_application(
    request: Request,
    db: Db,
    caller: Caller,
    access: CallerAccess,
    key: IdempotencyKey,
    body: Annotated[ApplicationCreate, Depends(json_body(ApplicationCreate))],
):
    """Create an application at version 1. Answers 201 with `Location`, `ETag` and `Last-Modified`.

    `Idempotency-Key` (1-255 printable ASCII characters) makes a retry safe: the same key with
    the same body gets the first answer again (`Idempotent-Replayed: true`) and writes nothing;
    with another body, 422. 409 when the name is taken, 415 unless the body is JSON.
    """

    def created(written):
        row = written.result
        return answer(
            201,
            ApplicationOut.model_construct(**row).model_dump_json().encode(),
            {
                "Location": f"{PREFIX}/{row['id']}",
                **validators(row["version"], row["updated_at"]),
                **change_seq_header(written.seq),
            },
        )

    return await write_once(
        db,
        request,
        key,
        body,
        caller,
        lambda uow: access.require_unlimited(),
        lambda uow: service.create_application(uow, access, body.name, body.comments),
        created,
    )


@router.get(
    "/{id}",
    response_model=ApplicationOut,
    summary="An application with its configuration ids",
    responses={**ERRORS, **problem_responses(404), 304: {"description": "Not Modified (If-None-Match)"}},
)
async def get_application(request: Request, id: Id):
    """The application with the ids of its configurations, `ETag` and `Last-Modified`.

    `If-None-Match` naming the current ETag (or `*`) gets 304 without a body. 404 when no
    application has this id. Cached and watchable (`Prefer: wait=S`) as a configuration is.
    """
    runtime, caller = runtime_of(request), caller_of(request)
    key, db, access = str(id), runtime.database, access_of(caller)
    return await read_or_watch(
        request,
        runtime.feed,
        caller,
        access,
        ("application", key),
        lambda: db.read(lambda uow: service.get_application(uow, access, key)),
        lambda row: encoded(ApplicationOut.model_construct(**row), row["version"], row["updated_at"], row["id"]),
        lambda change: (
            change["application_id"] == key and (change["configuration_id"] is None or change["change"] != "update")
        ),
    )


@router.put(
    "/{id}",
    response_model=ApplicationOut,
    summary="Replace an application's name and comments",
    responses={**ERRORS, **problem_responses(404, 409, 412, 413, 415, 428)},
    openapi_extra=request_body_doc(ApplicationUpdate),
)
async def update_application(
    request: Request,
    db: Db,
    caller: Caller,
    access: CallerAccess,
    id: Id,
    versions: IfMatch,
    body: Annotated[ApplicationUpdate, Depends(json_body(ApplicationUpdate))],
):
    """Replace name and comments (an omitted `comments` becomes null) as a new version.

    `If-Match: "<version>"` writes only if that is still the stored version (412 with
    `current_version` otherwise, and 412 when the application does not exist); `*` matches any
    existing version. Without If-Match the last writer wins, unless the service requires it
    (428). Sending what is stored changes nothing: 200 with the same ETag. 409 when the name is taken.
    """
    written = await db.write(
        lambda uow: service.update_application(uow, access, str(id), body.name, body.comments, versions), caller.name
    )
    return _application(request, written.result, headers=change_seq_header(written.seq))


@router.delete(
    "/{id}",
    status_code=204,
    summary="Delete an application that has no configurations",
    responses={**ERRORS, **problem_responses(404, 409, 412, 428)},
)
async def delete_application(db: Db, caller: Caller, access: CallerAccess, id: Id, versions: IfMatch):
    """Delete an application that has no configurations: 204; 409 while it has some.

    Honours `If-Match` as PUT does (412, 428).
    """
    written = await db.write(lambda uow: service.delete_application(uow, access, str(id), versions), caller.name)
    return Response(status_code=204, headers=change_seq_header(written.seq))


@router.get("", response_model=ApplicationList, summary="Applications in id order, a page at a time", responses=ERRORS)
async def list_applications(
    db: Db, access: CallerAccess, limit: Limit = 100, after: Id | None = None, name: NameFilter = None
):
    """Applications in id order, `limit` (1-1000, default 100) at a time; `name` finds one by
    its exact name (an empty list when none has it).

    When more follow, `Link: <...?limit=N&after=LAST>; rel="next"` names the next page.
    """
    rows, more = await db.read(
        lambda uow: service.list_applications(uow, access, limit, str(after) if after else None, name)
    )
    headers = {"Link": next_link(PREFIX, limit, rows[-1]["id"], name=name)} if more else {}
    return json_response(
        ApplicationList.model_construct([ApplicationSummary.model_construct(**row) for row in rows]), headers=headers
    )
