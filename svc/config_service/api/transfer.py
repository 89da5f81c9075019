"""Export an application by name, and import such a document into this environment."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from config_service.api.bodies import json_body, request_body_doc
from config_service.api.conditional import change_seq_header
from config_service.api.dependencies import Caller, CallerAccess, CurrentSettings, Db, SchemaLimits
from config_service.api.problems import problem_responses, validation_errors
from config_service.api.schemas import ExportDocument, Id
from config_service.services import transfer

router = APIRouter(prefix="/api/v1", tags=["transfer"])


@router.get(
    "/applications/{id}/export",
    response_model=ExportDocument,
    summary="An application, portable",
    responses=problem_responses(404, 413, 422, 503),
)
async def export_application(db: Db, settings: CurrentSettings, access: CallerAccess, id: Id):
    """`{"format": "config-service/v1", "application": {"name", "comments"}, "configurations":
    [{"name", "comments", "config"}...]}`: names, no ids, configurations by name (code-point
    order), ready to import into another environment. 413 when its configurations take more
    than `MAX_RESPONSE_BYTES` (about)."""
    budget = settings.max_response_bytes
    return JSONResponse(await db.read(lambda uow: transfer.export_application(uow, access, str(id), budget)))


@router.post(
    "/import",
    summary="Import an exported application: a plan, or the plan applied",
    responses=problem_responses(403, 409, 413, 415, 422, 503),
    openapi_extra=request_body_doc(ExportDocument),
)
async def import_application(
    request: Request,
    db: Db,
    settings: CurrentSettings,
    caller: Caller,
    access: CallerAccess,
    rules: SchemaLimits,
    document: Annotated[ExportDocument, Depends(json_body(ExportDocument))],
    mode: Literal["merge", "replace"] = "merge",
    dry_run: Annotated[bool, Query()] = False,
):
    """Match by name: the application is created when absent (its comments updated when they
    differ); each configuration is created, updated (only when its comments or config differ)
    or left alone; with `mode=replace`, configurations absent from the document are deleted.
    One transaction. 200 with the plan, `{"application": {"id", "action"}, "configurations":
    [{"name", "action", "id"}...]}` (by name; `id` null for what a dry run would create);
    `dry_run=true` writes nothing. Importing the same document twice changes nothing the second time.
    At most `MAX_TRANSACTION_OPERATIONS` configurations per document (422 above), and at most
    that many written, deletes of `mode=replace` included (413 above)."""
    limit = settings.max_transaction_operations
    if len(document.configurations) > limit:
        raise RequestValidationError(
            [{"loc": ("body", "configurations"), "msg": f"at most {limit} configurations (MAX_TRANSACTION_OPERATIONS)"}]
        )
    names = [item.name for item in document.configurations]
    if len(names) != len(set(names)):
        raise RequestValidationError([{"loc": ("body", "configurations"), "msg": "configuration names must be unique"}])
    data = document.model_dump(mode="json", exclude_unset=True)  # a left-out schema is kept
    replace = mode == "replace"
    if dry_run:
        plan = await db.read(lambda uow: transfer.import_document(uow, access, data, replace, False, limit, rules))
        for item in plan["configurations"]:
            if "errors" in item:  # named as a 422 names them: nothing of the document echoed
                item["errors"] = validation_errors(item["errors"])
        return JSONResponse(plan)
    written = await db.write(
        lambda uow: transfer.import_document(uow, access, data, replace, True, limit, rules), caller.name
    )
    return JSONResponse(written.result, headers=change_seq_header(written.seq))
