"""Who is calling, and which applications they may see: a token limited to some applications
finds every other one, and all that belongs to it, answering 404 as if it did not exist."""
from typing import Annotated

from fastapi import Depends, Request

from auth.principal import Principal
from db.database import Database
from errors import Forbidden, NotFound


async def get_caller(request: Request) -> Principal:
    return request.state.principal  # set by auth.middleware.Authenticate for every /api/v1 request


Caller = Annotated[Principal, Depends(get_caller)]


def only(caller: Principal) -> list[str] | None:
    """The applications a list or the feed is limited to; None for every one."""
    return None if caller.application_ids is None else sorted(caller.application_ids)


def require_visible(caller: Principal, application_id: str, kind: str = "application") -> None:
    if not caller.sees(application_id):
        raise NotFound(f"no {kind} with this id")


async def require_visible_configuration(db: Database, caller: Principal, id: str) -> None:
    """404 unless a limited caller may see the configuration's application (it never changes,
    so asking before the write is safe)."""
    if caller.limited:
        owner = await db.read(lambda uow: uow.configurations.owner_of(id))
        if owner is None or not caller.sees(owner):
            raise NotFound("no configuration with this id")


def require_unlimited(caller: Principal) -> None:
    if caller.limited:
        raise Forbidden("a token limited to some applications cannot create one")
