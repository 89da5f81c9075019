import asyncio

import pytest

from config_service.auth.registry import TokenRegistry
from config_service.auth.usage import record_usage
from config_service.db.database import open_database
from config_service.services.tokens import create_token

pytestmark = pytest.mark.anyio


async def test_used_tokens_get_last_used_at_written_once_a_minute_at_most(settings):
    async with open_database(settings) as database:
        row, _ = (await database.write(lambda uow: create_token(uow, "ci", "read", None, None))).result
        registry = TokenRegistry()
        registry.used = {row["id"], None}
        task = asyncio.ensure_future(record_usage(database, registry, every=0.01))
        await asyncio.sleep(0.1)
        first = (await database.read(lambda uow: uow.tokens.list()))[0]["last_used_at"]
        registry.used.add(row["id"])
        await asyncio.sleep(0.1)
        task.cancel()
        second = (await database.read(lambda uow: uow.tokens.list()))[0]["last_used_at"]
    assert first is not None and second == first  # the conditional UPDATE skipped the second write
