"""/api/v1/tokens: API tokens, managed by an unlimited admin token (the middleware checks that)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from config_service.api.bodies import json_body, json_response, request_body_doc
from config_service.api.dependencies import Caller, CurrentRuntime, Db
from config_service.api.problems import problem_responses
from config_service.api.schemas import Id, TokenCreate, TokenCreated, TokenList, TokenOut
from config_service.services import tokens as service

PREFIX = "/api/v1/tokens"
router = APIRouter(prefix=PREFIX, tags=["tokens"])
ERRORS = problem_responses(401, 403, 422, 503)


@router.post(
    "",
    status_code=201,
    response_model=TokenCreated,
    summary="Create a token",
    responses={**ERRORS, **problem_responses(409, 413, 415)},
    openapi_extra=request_body_doc(TokenCreate),
)
async def create_token(db: Db, caller: Caller, body: Annotated[TokenCreate, Depends(json_body(TokenCreate))]):
    """Create a token: 201 with its fields and its secret as `token`, shown this once (only
    its SHA-256 is kept). `scope` is read, write or admin; `application_ids` (existing
    applications) limits it to them; an `expires_at` in the past is 422; 409 when the name was
    ever used (names are unique forever: the audit trail refers to them)."""
    ids = [str(id) for id in body.application_ids] if body.application_ids is not None else None
    row, secret = (
        await db.write(lambda uow: service.create_token(uow, body.name, body.scope, ids, body.expires_at), caller.name)
    ).result
    return json_response(
        TokenCreated.model_construct(**row, token=secret),
        201,
        {"Location": f"{PREFIX}/{row['id']}", "Cache-Control": "no-store"},
    )


@router.get("", response_model=TokenList, summary="Every token, without secrets", responses=ERRORS)
async def list_tokens(db: Db):
    """Every token ever made, revoked ones included, with `last_used_at` (written at most once
    a minute); never a secret or a hash."""
    rows = await db.read(service.list_tokens)
    return json_response(TokenList.model_construct([TokenOut.model_construct(**row) for row in rows]))


@router.delete("/{id}", status_code=204, summary="Revoke a token", responses={**ERRORS, **problem_responses(404)})
async def revoke_token(db: Db, runtime: CurrentRuntime, caller: Caller, id: Id):
    """Revoke a token: 204. Every worker of every instance refuses it within a second (open
    streams and held long-polls of it end at their next event or heartbeat)."""
    await db.write(lambda uow: service.revoke_token(uow, str(id)), caller.name)
    runtime.tokens.forget(str(id))  # this worker at once; the others by notification
    return Response(status_code=204)
