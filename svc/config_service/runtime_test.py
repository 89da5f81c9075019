import dataclasses

import pytest

from config_service.runtime import open_runtime

pytestmark = pytest.mark.anyio


async def test_the_runtime_wires_the_feed_to_the_database_and_stops_with_it(settings):
    async with open_runtime(settings) as runtime:
        with pytest.raises(dataclasses.FrozenInstanceError):
            runtime.settings = settings
        assert "0001_applications_and_configurations" in runtime.expected_migrations
        await runtime.database.write(lambda uow: uow.changes.record("01J0000000000000000000000A", None, "create", 1))
        assert runtime.feed.seen == 1  # this worker's own write, at once
    assert runtime.feed.listener._connection is None
