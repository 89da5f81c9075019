import pytest

from db.database import open_database
from auth.registry import TokenRegistry
from feed.runtime import open_feed

pytestmark = pytest.mark.anyio


async def test_the_feed_hears_this_workers_commits_until_it_closes(settings):
    async with open_database(settings) as database:
        async with open_feed(settings, database, TokenRegistry()) as feed:
            assert database.on_commit == [feed.hub.apply]
            await database.write(lambda uow: uow.changes.record("01J0000000000000000000000A", None, "create", 1))
            assert feed.hub.seen == 1
        assert database.on_commit == [] and feed.listener._connection is None
