"""Probes: liveness (/health) and readiness (/ready)."""
from fastapi import APIRouter, Request

from api.dependencies import UoW
from db import migrations
from db.unit_of_work import UnitOfWork
from errors import ServiceUnavailable

router = APIRouter(tags=["probes"])


@router.get("/health", summary="The process is alive")
async def health() -> dict:
    return {"status": "ok"}


def pending_migrations(uow: UnitOfWork, known: list[migrations.Migration]) -> list[str]:
    """Names of migrations not applied to the database (a round trip proves it answers)."""
    try:
        return [m.name for m in migrations.pending(uow.connection, known)]
    except migrations.MigrationError:
        return ["(an applied migration was changed)"]


@router.get("/ready", summary="The database answers and its migrations are current")
async def ready(request: Request, uow: UoW) -> dict:
    pending = await uow.read(pending_migrations, request.app.state.migrations)
    if pending:
        raise ServiceUnavailable(f"{len(pending)} migration(s) pending")
    return {"status": "ready"}
