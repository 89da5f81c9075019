"""/api/v1/configurations/{id}/revisions: a configuration's history, and restoring from it."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from config_service.api.bodies import json_response, next_link
from config_service.api.conditional import IfMatch, change_seq_header, representation
from config_service.api.configurations import PREFIX, configuration
from config_service.api.dependencies import Caller, CallerAccess, CurrentSettings, Db, SchemaLimits
from config_service.api.problems import problem_responses
from config_service.api.schemas import ConfigurationOut, Id, Limit, RevisionList, RevisionOut
from config_service.services import configurations as service

router = APIRouter(prefix=PREFIX, tags=["revisions"])
ERRORS = problem_responses(404, 422, 503)
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get(
    "/{id}/revisions",
    response_model=RevisionList,
    summary="A configuration's revisions, newest first",
    responses=ERRORS,
)
async def list_revisions(
    db: Db,
    settings: CurrentSettings,
    access: CallerAccess,
    id: Id,
    limit: Limit = 100,
    after: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
):
    """The configuration's revisions, newest first, `limit` at a time; `after` is a version
    (the page starts below it), `Link: rel="next"` while older ones follow. History outlives a
    delete. 404 when the configuration never existed (with or without `after`). A page also
    ends before `MAX_RESPONSE_BYTES` (about; its first revision always fits).
    """
    budget = settings.max_response_bytes
    rows, more = await db.read(lambda uow: service.list_revisions(uow, access, str(id), limit, after, budget))
    headers = {"Link": next_link(f"{PREFIX}/{id}/revisions", limit, rows[-1]["version"])} if more else {}
    return json_response(
        RevisionList.model_construct([RevisionOut.model_construct(**row) for row in rows]), headers=headers
    )


@router.get(
    "/{id}/revisions/{version}",
    response_model=RevisionOut,
    summary="One revision, whole",
    responses={**ERRORS, 304: {"description": "Not Modified (If-None-Match)"}},
)
async def get_revision(request: Request, db: Db, access: CallerAccess, id: Id, version: Version):
    """One revision, whole: the name, comments and config that version held, and what
    changed it. `ETag` is its version; 304 on a matching `If-None-Match`.
    """
    row = await db.read(lambda uow: service.get_revision(uow, access, str(id), version))
    return representation(request, RevisionOut.model_construct(**row), row["version"], row["changed_at"])


@router.post(
    "/{id}/revisions/{version}/restore",
    response_model=ConfigurationOut,
    summary="Make a revision current again",
    responses={**ERRORS, **problem_responses(409, 412, 428)},
)
async def restore_revision(
    request: Request,
    db: Db,
    caller: Caller,
    access: CallerAccess,
    id: Id,
    version: Version,
    versions: IfMatch,
    rules: SchemaLimits,
):
    """Make the revision's name, comments, config and schema current again, as a new version (200,
    the configuration). A deleted configuration comes back under its id; If-Match then compares
    with its last revision's version. 409 when its name was taken meanwhile or its application
    is gone; 412 / 428 as for PUT.
    """
    written = await db.write(
        lambda uow: service.restore_revision(uow, access, str(id), version, versions, rules), caller.name
    )
    return configuration(request, written.result, headers=change_seq_header(written.seq))
