import pytest

from api.held import token_usable
from auth.principal import ANONYMOUS
from auth.registry import principal_of
from conftest import make_settings
from main import create_app
from test.tokens import make_token

pytestmark = pytest.mark.anyio


async def test_the_map_answers_once_the_listener_vouches_and_the_database_while_it_cannot(database_url, connection):
    settings = make_settings(database_url, auth="tokens")
    make_token(settings, "reader", "read")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        state = app.state
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM tokens WHERE name = 'reader'")
            reader = principal_of(cursor.fetchone())
        assert await token_usable(state.feed, state.database, state.tokens, ANONYMOUS, 10**9)
        assert await token_usable(state.feed, state.database, state.tokens, reader, state.feed.listener.vouched)
        await state.feed.listener.stop()  # nothing is vouched for any more: the database decides
        seq = state.feed.listener.vouched + 1
        assert await token_usable(state.feed, state.database, state.tokens, reader, seq)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tokens SET revoked_at = now() WHERE name = 'reader'")
        connection.commit()
        assert not await token_usable(state.feed, state.database, state.tokens, reader, seq)
