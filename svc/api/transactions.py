"""/api/v1/transactions: many writes, one unit of work, all or none."""
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api.access import Caller
from api.bodies import JSON, read_body, request_body_doc, require_json_content_type
from api.dependencies import Db
from api.idempotency import IdempotencyKey, write_once
from api.problems import problem_responses
from api.schemas import ApplicationOut, ConfigurationOut, TransactionRequest
from auth.principal import Principal
from errors import InvalidReference, NotFound, PreconditionMissing, not_found_or_stale
from services import applications, configurations
from services.transactions import Step, run_transaction

PREFIX = "/api/v1/transactions"
router = APIRouter(prefix=PREFIX, tags=["transactions"])


class MalformedOperation(RequestValidationError):
    """A document that does not validate; `operation_index` names the first bad operation."""

    def __init__(self, errors: list, operation_index: int | None):
        super().__init__(errors)
        self.operation_index = operation_index


def _versions(op) -> list[int] | None:
    return None if op.if_match is None else [op.if_match]


def _body(model: BaseModel | None) -> dict | None:
    return None if model is None else model.model_dump(mode="json")


def _steps(operations: list, caller: Principal, require_if_match: bool) -> list[Step]:
    """Each operation as a step that runs the use case it would run alone, with its checks."""

    def visible(application_id: str | None, kind: str) -> None:
        if application_id is None or not caller.sees(application_id):
            raise NotFound(f"no {kind} with this id")

    def precondition(op) -> None:
        if require_if_match and op.if_match is None and op.op != "check":
            raise PreconditionMissing("this service requires if_match on every operation on an existing resource")

    def step(op) -> Step:
        match op.op:
            case "create_application":
                def run(uow, refs):
                    if caller.limited:
                        raise InvalidReference("a token limited to some applications cannot create one", "op")
                    row = applications.create_application(uow, op.body.name, op.body.comments)
                    if op.ref:
                        refs[op.ref] = row["id"]
                    return 201, ApplicationOut.model_construct(**row)
                return Step(run)
            case "update_application":
                def run(uow, refs):
                    visible(str(op.id), "application")
                    precondition(op)
                    row = applications.update_application(uow, str(op.id), op.body.name, op.body.comments,
                                                          _versions(op))
                    return 200, ApplicationOut.model_construct(**row)
                return Step(run, applications=(str(op.id),))
            case "delete_application":
                def run(uow, refs):
                    visible(str(op.id), "application")
                    precondition(op)
                    applications.delete_application(uow, str(op.id), _versions(op))
                    return 204, None
                return Step(run, applications=(str(op.id),))
            case "create_configuration":
                target = str(op.body.application_id) if op.body.application_id else None

                def run(uow, refs):
                    application_id = target or refs.get(op.body.application_ref or "")
                    if application_id is None or not caller.sees(application_id):
                        raise InvalidReference("application_id (or application_ref) names no application",
                                               "application_id")
                    row = configurations.create_configuration(uow, application_id, op.body.name,
                                                              op.body.comments, op.body.config)
                    if op.ref:
                        refs[op.ref] = row["id"]
                    return 201, ConfigurationOut.model_construct(**row)
                return Step(run, applications=(target,) if target else ())
            case "update_configuration":
                def run(uow, refs):
                    visible(uow.configurations.owner_of(str(op.id)), "configuration")
                    precondition(op)
                    application_id = str(op.body.application_id) if op.body.application_id else None
                    row = configurations.update_configuration(uow, str(op.id), application_id, op.body.name,
                                                              op.body.comments, op.body.config, _versions(op))
                    return 200, ConfigurationOut.model_construct(**row)
                return Step(run, configurations=(str(op.id),))
            case "delete_configuration":
                def run(uow, refs):
                    visible(uow.configurations.owner_of(str(op.id)), "configuration")
                    precondition(op)
                    configurations.delete_configuration(uow, str(op.id), _versions(op))
                    return 204, None
                return Step(run, configurations=(str(op.id),))
            case "restore_configuration":
                def run(uow, refs):
                    visible(uow.configurations.owner_of(str(op.id)), "configuration")
                    precondition(op)
                    row = configurations.restore_revision(uow, str(op.id), op.version, _versions(op))
                    return 200, ConfigurationOut.model_construct(**row)
                return Step(run, configurations=(str(op.id),))
            case _:  # check
                def run(uow, refs):
                    repository = uow.applications if op.kind == "application" else uow.configurations
                    current = repository.version_of(str(op.id))
                    owner = str(op.id) if op.kind == "application" else uow.configurations.owner_of(str(op.id))
                    if current is None or not caller.sees(owner or ""):
                        raise not_found_or_stale(op.kind, None, False)
                    if op.if_match is not None and op.if_match != current:
                        raise not_found_or_stale(op.kind, current, True)
                    return 200, {"kind": op.kind, "id": str(op.id), "version": current}
                return Step(run)

    return [step(op) for op in operations]


async def transaction_body(request: Request) -> TransactionRequest:
    """The document, validated; a malformed operation is 422 naming its index."""
    require_json_content_type(request)
    settings = request.app.state.settings
    body = await read_body(request, settings.max_request_body_bytes)
    try:
        document = TransactionRequest.model_validate_json(body)
    except ValidationError as error:
        items = error.errors(include_input=False)
        index = next((item["loc"][1] for item in items if item["loc"][:1] == ("operations",)
                      and len(item["loc"]) > 1 and isinstance(item["loc"][1], int)), None)
        raise MalformedOperation([{**item, "loc": ("body", *item["loc"])} for item in items], index) from None
    if len(document.operations) > settings.max_transaction_operations:
        raise RequestValidationError([{"loc": ("body", "operations"), "msg":
                                       f"at most {settings.max_transaction_operations} operations"}])
    return document


@router.post("", summary="Apply many writes at once, all or none",
             responses={200: {"content": {JSON: {}}}, **problem_responses(404, 409, 412, 413, 415, 422, 428, 503)},
             openapi_extra=request_body_doc(TransactionRequest))
async def run(request: Request, db: Db, caller: Caller, key: IdempotencyKey,
              document: Annotated[TransactionRequest, Depends(transaction_body)]):
    """Run the operations in one unit of work, in order: 200 with `results` (`status` and
    `body` of each, as it would have answered alone) and `Change-Seq` of the last change (the
    transaction's changes are consecutive in the feed). When one fails, nothing is written:
    the problem has the status that operation would have had alone and its `operation_index`.
    Operations: create_application / create_configuration (`body`, optional `ref`; a later
    `create_configuration` may give `application_ref`), update_* (`id`, `body`), delete_*
    (`id`), restore_configuration (`id`, `version`), check (`kind`, `id`: asserts the
    version, writes nothing). Each may carry `if_match` (a version)."""
    steps = _steps(document.operations, caller, request.app.state.settings.require_if_match)

    def respond(results, seq_header):
        body = {"results": [{"status": status, "body": _body(result) if isinstance(result, BaseModel) else result}
                            for status, result in results]}
        return Response(json.dumps(body, separators=(",", ":")), media_type=JSON, headers=seq_header)

    return await write_once(db, request, key, document, caller.name, lambda uow: run_transaction(uow, steps), respond)
