"""/api/v1/transactions: many writes, one unit of work, all or none."""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from config_service.api.bodies import JSON, read_body, request_body_doc, require_json_content_type
from config_service.api.conditional import change_seq_header
from config_service.api.dependencies import Caller, CallerAccess, CurrentSettings, Db, SchemaLimits
from config_service.api.idempotency import IdempotencyKey, answer, write_once
from config_service.api.problems import problem_responses
from config_service.api.schemas import ApplicationOut, ConfigurationOut, TransactionRequest
from config_service.db.database import Written
from config_service.domain.rows import StoredAnswer
from config_service.services import transactions
from config_service.services.transactions import Outcome

PREFIX = "/api/v1/transactions"
router = APIRouter(prefix=PREFIX, tags=["transactions"])


class MalformedOperation(RequestValidationError):
    """A document that does not validate; `operation_index` names the first bad operation."""

    def __init__(self, errors: list, operation_index: int | None):
        super().__init__(errors)
        self.operation_index = operation_index


STATUS = {"created": 201, "updated": 200, "deleted": 204, "checked": 200}
MODELS: dict[str, type[BaseModel]] = {"application": ApplicationOut, "configuration": ConfigurationOut}


def _result(outcome: Outcome) -> dict:
    """An operation's result as it would have answered alone: its status and body."""
    model = MODELS.get(outcome.resource)
    body = (
        outcome.row
        if model is None or outcome.row is None
        else model.model_construct(**outcome.row).model_dump(mode="json")
    )
    return {"status": STATUS[outcome.kind], "body": body}


def _answer(written: Written[list[Outcome]]) -> StoredAnswer:
    body = {"results": [_result(outcome) for outcome in written.result]}
    return answer(200, json.dumps(body, separators=(",", ":")).encode(), change_seq_header(written.seq))


async def transaction_body(request: Request, settings: CurrentSettings) -> TransactionRequest:
    """The document, validated; a malformed operation is 422 naming its index."""
    require_json_content_type(request)
    body = await read_body(request, settings.max_request_body_bytes)
    try:
        document = TransactionRequest.model_validate_json(body)
    except ValidationError as error:
        items = error.errors(include_input=False)
        index = next(
            (
                item["loc"][1]
                for item in items
                if item["loc"][:1] == ("operations",) and len(item["loc"]) > 1 and isinstance(item["loc"][1], int)
            ),
            None,
        )
        raise MalformedOperation([{**item, "loc": ("body", *item["loc"])} for item in items], index) from None
    if len(document.operations) > settings.max_transaction_operations:
        raise RequestValidationError(
            [{"loc": ("body", "operations"), "msg": f"at most {settings.max_transaction_operations} operations"}]
        )
    return document


@router.post(
    "",
    summary="Apply many writes at once, all or none",
    responses={200: {"content": {JSON: {}}}, **problem_responses(404, 409, 412, 413, 415, 422, 428, 503)},
    openapi_extra=request_body_doc(TransactionRequest),
)
async def run(
    request: Request,
    db: Db,
    settings: CurrentSettings,
    caller: Caller,
    access: CallerAccess,
    key: IdempotencyKey,
    rules: SchemaLimits,
    document: Annotated[TransactionRequest, Depends(transaction_body)],
):
    """Run the operations in one unit of work, in order: 200 with `results` (`status` and
    `body` of each, as it would have answered alone) and `Change-Seq` of the last change (the
    transaction's changes are consecutive in the feed). When one fails, nothing is written:
    the problem has the status that operation would have had alone and its `operation_index`.
    Operations: create_application / create_configuration (`body`, optional `ref`; a later
    `create_configuration` may give `application_ref`), update_* (`id`, `body`), delete_*
    (`id`), restore_configuration (`id`, `version`), check (`kind`, `id`: asserts the
    version, writes nothing). Each may carry `if_match` (a version)."""
    operations = [op.model_dump(mode="json", exclude_unset=True) for op in document.operations]
    require_if_match = settings.require_if_match
    return await write_once(
        db,
        request,
        key,
        document,
        caller,
        lambda uow: transactions.authorize(uow, access, operations),
        lambda uow: transactions.run_transaction(uow, access, operations, require_if_match, rules),
        _answer,
    )
