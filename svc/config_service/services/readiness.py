"""Readiness: the database answers and has applied every migration this code expects."""

from config_service.domain.errors import Unavailable
from config_service.services.ports import UnitOfWork


def check_ready(uow: UnitOfWork, expected: dict[str, str]) -> None:
    """Raise Unavailable unless every expected migration (name -> checksum) is applied unchanged."""
    applied = uow.migrations.applied()
    if any(name in applied and applied[name]["checksum"] != checksum for name, checksum in expected.items()):
        raise Unavailable("an applied migration was changed")
    pending = [name for name in expected if name not in applied]
    if pending:
        raise Unavailable(f"{len(pending)} migration(s) pending")
