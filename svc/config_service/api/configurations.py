"""/api/v1/configurations"""

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from config_service.api.bodies import JSON, json_body, json_response, next_link, request_body_doc
from config_service.api.conditional import IfMatch, change_seq_header, representation, validators
from config_service.api.dependencies import (
    Caller,
    CallerAccess,
    CurrentSettings,
    Db,
    SchemaLimits,
    caller_of,
    runtime_of,
)
from config_service.api.idempotency import IdempotencyKey, answer, write_once
from config_service.api.problems import problem_responses, validation_errors
from config_service.api.reads import encoded, read_or_watch
from config_service.api.schemas import (
    ConfigurationCreate,
    ConfigurationList,
    ConfigurationOut,
    ConfigurationUpdate,
    Id,
    Limit,
    NameFilter,
    ValidationRequest,
    ValidationResult,
)
from config_service.domain.access import access_of
from config_service.services import configurations as service

PREFIX = "/api/v1/configurations"
router = APIRouter(prefix=PREFIX, tags=["configurations"])
ERRORS = problem_responses(422, 503)


def configuration(
    request: Request, row: Mapping[str, Any], status_code: int = 200, headers: dict | None = None
) -> Response:
    """A configuration with its ETag and Last-Modified (304 on a matching If-None-Match)."""
    return representation(
        request, ConfigurationOut.model_construct(**row), row["version"], row["updated_at"], status_code, headers
    )


@router.post(
    "",
    status_code=201,
    response_model=ConfigurationOut,
    summary="Create a configuration",
    responses={**ERRORS, **problem_responses(409, 413, 415)},
    openapi_extra=request_body_doc(ConfigurationCreate),
)
async def create_configuration(
    request: Request,
    db: Db,
    caller: Caller,
    access: CallerAccess,
    key: IdempotencyKey,
    rules: SchemaLimits,
    body: Annotated[ConfigurationCreate, Depends(json_body(ConfigurationCreate))],
):
    """Create a configuration of an existing application at version 1; its application's
    version goes up too. Answers 201 with `Location`, `ETag` and `Last-Modified`.

    `Idempotency-Key` works as for applications. 422 when `application_id` names no
    application, when `schema` is not a valid JSON Schema (draft 2020-12) or `config` does not
    fit it (every violation in `errors`); 409 when the name is taken within it, 415 unless the
    body is JSON.
    """
    application_id = str(body.application_id)

    def created(written):
        row = written.result
        return answer(
            201,
            ConfigurationOut.model_construct(**row).model_dump_json().encode(),
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
        lambda uow: access.require_names(application_id),
        lambda uow: service.create_configuration(
            uow, access, application_id, body.name, body.comments, body.config, body.json_schema, rules
        ),
        created,
    )


@router.get(
    "", response_model=ConfigurationList, summary="Configurations in id order, a page at a time", responses=ERRORS
)
async def list_configurations(
    db: Db,
    settings: CurrentSettings,
    access: CallerAccess,
    application_id: Id | None = None,
    limit: Limit = 100,
    after: Id | None = None,
    name: NameFilter = None,
):
    """Configurations in id order, of one application (`application_id`) or all, `limit`
    (1-1000, default 100) at a time, with `Link: rel="next"` while more follow. A page also
    ends before `MAX_RESPONSE_BYTES` (about; its first configuration always fits). `name` keeps
    those with exactly that name (with `application_id`: the one, or none).
    """
    owner = str(application_id) if application_id else None
    budget = settings.max_response_bytes
    rows, more = await db.read(
        lambda uow: service.list_configurations(uow, access, owner, limit, str(after) if after else None, budget, name)
    )
    headers = {}
    if more:
        headers["Link"] = next_link(PREFIX, limit, rows[-1]["id"], application_id=owner, name=name)
    return json_response(
        ConfigurationList.model_construct([ConfigurationOut.model_construct(**row) for row in rows]), headers=headers
    )


@router.get(
    "/{id}",
    response_model=ConfigurationOut,
    summary="A configuration",
    responses={**ERRORS, **problem_responses(404), 304: {"description": "Not Modified (If-None-Match)"}},
)
async def get_configuration(request: Request, id: Id):
    """The configuration with `ETag` and `Last-Modified`; 304 when `If-None-Match` names the
    current ETag (or `*`); 404 when no configuration has this id.

    Answered from the worker's read cache when it may (`Cache-Control: no-cache` asks the
    database). Watch: with `If-None-Match: "<v>"` and `Prefer: wait=S` (S up to 60) while v is
    current, the request is held until the version changes (200, the new representation; 404
    when deleted) or S passes (304), with `Preference-Applied: wait=S`.
    """
    runtime, caller = runtime_of(request), caller_of(request)
    key, db, access = str(id), runtime.database, access_of(caller)
    return await read_or_watch(
        request,
        runtime.feed,
        caller,
        access,
        ("configuration", key),
        lambda: db.read(lambda uow: service.get_configuration(uow, access, key)),
        lambda row: encoded(
            ConfigurationOut.model_construct(**row), row["version"], row["updated_at"], row["application_id"]
        ),
        lambda change: change["configuration_id"] == key,
    )


@router.put(
    "/{id}",
    response_model=ConfigurationOut,
    summary="Replace a configuration's name, comments and config",
    responses={**ERRORS, **problem_responses(404, 409, 412, 413, 415, 428)},
    openapi_extra=request_body_doc(ConfigurationUpdate),
)
async def update_configuration(
    request: Request,
    db: Db,
    caller: Caller,
    access: CallerAccess,
    id: Id,
    versions: IfMatch,
    rules: SchemaLimits,
    body: Annotated[ConfigurationUpdate, Depends(json_body(ConfigurationUpdate))],
):
    """Replace name, comments and config as a new version, with its revision in the history;
    `schema` too when sent (left out, the stored schema stays; `null` removes it).

    The config must fit the schema current after the write (422 with every violation, nothing
    written). `application_id` may be sent but never changed (422). `If-Match` as for
    applications (412 with `current_version`, 428 when required). Sending what is stored changes
    nothing: 200 with the same ETag, no new revision.
    """
    application_id = str(body.application_id) if body.application_id else None
    schema = body.schema_given()
    written = await db.write(
        lambda uow: service.update_configuration(
            uow, access, str(id), application_id, body.name, body.comments, body.config, versions, schema, rules
        ),
        caller.name,
    )
    return configuration(request, written.result, headers=change_seq_header(written.seq))


@router.post(
    "/{id}/validate",
    response_model=ValidationResult,
    summary="Check a config (and a schema) against a configuration, writing nothing",
    responses={**ERRORS, **problem_responses(403, 404, 413, 415)},
    openapi_extra=request_body_doc(ValidationRequest),
)
async def validate_configuration(
    db: Db,
    access: CallerAccess,
    rules: SchemaLimits,
    id: Id,
    body: Annotated[ValidationRequest, Depends(json_body(ValidationRequest))],
):
    """Would a write of this `config` and `schema` be accepted? Either may be left out to mean
    the stored one. 200 `{"valid", "errors"}`, each error as a 422 of a write would list it;
    nothing is written, so a read token may ask (CI checks a change before it is made)."""
    config, schema = body.config_given(), body.schema_given()
    errors = await db.read(lambda uow: service.validate_configuration(uow, access, str(id), config, schema, rules))
    found = validation_errors(errors)
    result = ValidationResult.model_validate({"valid": not errors, "errors": found})
    return Response(result.model_dump_json(exclude_none=True), media_type=JSON)  # as a 422 lists them


@router.delete(
    "/{id}",
    status_code=204,
    summary="Delete a configuration (its history stays)",
    responses={**ERRORS, **problem_responses(404, 412, 428)},
)
async def delete_configuration(db: Db, caller: Caller, access: CallerAccess, id: Id, versions: IfMatch):
    """Delete a configuration: 204. Its history stays (the deletion is a revision of its own)
    and a restore brings it back. Honours `If-Match` (412, 428).
    """
    written = await db.write(lambda uow: service.delete_configuration(uow, access, str(id), versions), caller.name)
    return Response(status_code=204, headers=change_seq_header(written.seq))
