import pytest

from config_service.auth.registry import TokenRegistry, principal_of
from config_service.conftest import make_settings
from config_service.db.database import open_database
from config_service.domain.access import ANONYMOUS
from config_service.feed.worker import open_feed
from config_service.main import create_app
from config_service.testing.tokens import make_token

pytestmark = pytest.mark.anyio


async def test_the_feed_hears_this_workers_commits_until_it_closes(settings):
    async with open_database(settings) as database:
        async with open_feed(settings, database, TokenRegistry()) as feed:
            await database.write(lambda uow: uow.changes.record("01J0000000000000000000000A", None, "create", 1))
            assert feed.seen == 1
        await database.write(lambda uow: uow.changes.record("01J0000000000000000000000A", None, "update", 2))
        assert feed.seen == 1 and feed.listener._connection is None


async def test_the_map_answers_once_the_listener_vouches_and_the_database_while_it_cannot(database_url, connection):
    settings = make_settings(database_url, auth="tokens")
    make_token(settings, "reader", "read")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        feed = app.state.runtime.feed
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM tokens WHERE name = 'reader'")
            reader = principal_of(cursor.fetchone())
        assert await feed.token_usable(ANONYMOUS, 10**9)
        assert await feed.token_usable(reader, feed.listener.vouched)
        await feed.listener.stop()  # nothing is vouched for any more: the database decides
        seq = feed.listener.vouched + 1
        assert await feed.token_usable(reader, seq)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tokens SET revoked_at = now() WHERE name = 'reader'")
        connection.commit()
        assert not await feed.token_usable(reader, seq)
