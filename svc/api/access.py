"""Who is calling, and the Access the use cases check for them (services/access.py)."""
from typing import Annotated

from fastapi import Depends, Request

from auth.principal import Principal
from services.access import Access


async def get_caller(request: Request) -> Principal:
    return request.state.principal  # set by auth.middleware.Authenticate for every /api/v1 request


Caller = Annotated[Principal, Depends(get_caller)]


def access_of(caller: Principal) -> Access:
    """What the caller's token lets it see: the value every use case checks."""
    return Access(caller.application_ids)


async def get_access(request: Request) -> Access:
    return access_of(request.state.principal)


CallerAccess = Annotated[Access, Depends(get_access)]
