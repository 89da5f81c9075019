"""/api/v1/me: who the request's token is, so a client (the console) knows what it may do."""

from fastapi import APIRouter

from config_service.api.bodies import json_response
from config_service.api.dependencies import Caller
from config_service.api.problems import problem_responses
from config_service.api.schemas import Me

router = APIRouter(prefix="/api/v1", tags=["tokens"])


@router.get("/me", response_model=Me, summary="The token this request carries", responses=problem_responses(401, 503))
async def me(caller: Caller):
    """The token's name, scope and the applications it is limited to (null: every one); never its secret."""
    ids = sorted(caller.application_ids) if caller.application_ids is not None else None
    return json_response(Me.model_construct(name=caller.name, scope=caller.scope, application_ids=ids))
