"""Probes: liveness (/health) and readiness (/ready)."""

from fastapi import APIRouter

from config_service.api.dependencies import CurrentRuntime, Db
from config_service.services.readiness import check_ready

router = APIRouter(tags=["probes"])


@router.get("/health", summary="The process is alive")
async def health() -> dict:
    """Liveness: 200 while the process runs; it does not touch the database."""
    return {"status": "ok"}


@router.get("/ready", summary="The database answers and its migrations are current")
async def ready(db: Db, runtime: CurrentRuntime) -> dict:
    """Readiness: 200 when the database answers and every migration of this code is applied
    unchanged; 503 problem+json (with `Retry-After`) otherwise.
    """
    expected = runtime.expected_migrations
    await db.read(lambda uow: check_ready(uow, expected))
    return {"status": "ready"}
