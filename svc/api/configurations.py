"""/api/v1/configurations"""
from typing import Annotated

from fastapi import APIRouter, Depends

from api.bodies import json_body, json_response, request_body_doc
from api.dependencies import UoW
from api.problems import problem_responses
from api.schemas import ConfigurationCreate, ConfigurationOut, ConfigurationUpdate, Id
from services import configurations as service

PREFIX = "/api/v1/configurations"
router = APIRouter(prefix=PREFIX, tags=["configurations"])
ERRORS = problem_responses(422, 503)


@router.post("", status_code=201, response_model=ConfigurationOut, summary="Create a configuration",
             responses={**ERRORS, **problem_responses(409, 413)}, openapi_extra=request_body_doc(ConfigurationCreate))
async def create_configuration(uow: UoW,
                               body: Annotated[ConfigurationCreate, Depends(json_body(ConfigurationCreate))]):
    row = await uow.run(service.create_configuration, str(body.application_id), body.name, body.comments,
                        body.config)
    return json_response(ConfigurationOut.model_construct(**row), 201, {"Location": f"{PREFIX}/{row['id']}"})


@router.get("/{id}", response_model=ConfigurationOut, summary="A configuration",
            responses={**ERRORS, **problem_responses(404)})
async def get_configuration(uow: UoW, id: Id):
    row = await uow.read(service.get_configuration, str(id))
    return json_response(ConfigurationOut.model_construct(**row))


@router.put("/{id}", response_model=ConfigurationOut, summary="Replace a configuration's name, comments and config",
            responses={**ERRORS, **problem_responses(404, 409, 413)},
            openapi_extra=request_body_doc(ConfigurationUpdate))
async def update_configuration(uow: UoW, id: Id,
                               body: Annotated[ConfigurationUpdate, Depends(json_body(ConfigurationUpdate))]):
    application_id = str(body.application_id) if body.application_id else None
    row = await uow.run(service.update_configuration, str(id), application_id, body.name, body.comments,
                        body.config)
    return json_response(ConfigurationOut.model_construct(**row))
