"""last_used_at, off the request path: the ids of tokens used since the last write, written in
the background by a conditional UPDATE (at most once a minute per token, whichever worker)."""

import asyncio
import logging

from config_service.auth.registry import TokenRegistry
from config_service.db.database import Database
from config_service.domain.errors import Unavailable
from config_service.services import tokens
from config_service.services.ports import UnitOfWork

logger = logging.getLogger("config_service.auth")
EVERY_SECONDS = 10.0


async def record_usage(database: Database, registry: TokenRegistry, every: float = EVERY_SECONDS) -> None:
    """Run until cancelled."""
    while True:
        await asyncio.sleep(every)
        used, registry.used = registry.used, set()
        used.discard(None)
        if used:

            def record_use(uow: UnitOfWork, ids: list[str] = sorted(used)) -> int:
                return tokens.record_use(uow, ids)

            try:
                await database.write(record_use)
            except Unavailable:
                logger.warning("could not record token use; trying again later")
                registry.used |= used
