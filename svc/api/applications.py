"""/api/v1/applications"""
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.bodies import json_body, json_response, request_body_doc
from api.dependencies import UoW
from api.problems import problem_responses
from api.schemas import (ApplicationCreate, ApplicationList, ApplicationOut, ApplicationSummary, ApplicationUpdate,
                         Id)
from services import applications as service

PREFIX = "/api/v1/applications"
router = APIRouter(prefix=PREFIX, tags=["applications"])
ERRORS = problem_responses(422, 503)


@router.post("", status_code=201, response_model=ApplicationOut, summary="Create an application",
             responses={**ERRORS, **problem_responses(409, 413)}, openapi_extra=request_body_doc(ApplicationCreate))
async def create_application(uow: UoW, body: Annotated[ApplicationCreate, Depends(json_body(ApplicationCreate))]):
    row = await uow.run(service.create_application, body.name, body.comments)
    return json_response(ApplicationOut.model_construct(**row), 201, {"Location": f"{PREFIX}/{row['id']}"})


@router.get("/{id}", response_model=ApplicationOut, summary="An application with its configuration ids",
            responses={**ERRORS, **problem_responses(404)})
async def get_application(uow: UoW, id: Id):
    row = await uow.read(service.get_application, str(id))
    return json_response(ApplicationOut.model_construct(**row))


@router.put("/{id}", response_model=ApplicationOut, summary="Replace an application's name and comments",
            responses={**ERRORS, **problem_responses(404, 409, 413)}, openapi_extra=request_body_doc(ApplicationUpdate))
async def update_application(uow: UoW, id: Id,
                             body: Annotated[ApplicationUpdate, Depends(json_body(ApplicationUpdate))]):
    row = await uow.run(service.update_application, str(id), body.name, body.comments)
    return json_response(ApplicationOut.model_construct(**row))


@router.get("", response_model=ApplicationList, summary="Applications in id order, a page at a time",
            responses=ERRORS)
async def list_applications(uow: UoW, request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                            after: Id | None = None):
    rows, more = await uow.read(service.list_applications, limit, str(after) if after else None)
    headers = {}
    if more:
        headers["Link"] = f'<{PREFIX}?limit={limit}&after={rows[-1]["id"]}>; rel="next"'
    return json_response(ApplicationList.model_construct([ApplicationSummary.model_construct(**row) for row in rows]),
                         headers=headers)
