from db.pool import connect
from conftest import make_settings
from repositories.listeners import CHANNEL_PREFIX, ListenerRepository


def test_a_session_registers_a_channel_of_its_own_and_ended_sessions_are_removed(database_url, connection):
    first = connect(make_settings(database_url))
    first.autocommit = True
    channel = ListenerRepository(first).register()
    assert channel.startswith(CHANNEL_PREFIX) and channel in ListenerRepository(connection).channels()
    first.close()  # its row stays until the next one registers
    second = connect(make_settings(database_url))
    second.autocommit = True
    try:
        other = ListenerRepository(second).register()
        assert other != channel and ListenerRepository(second).channels() == [other]
        assert ListenerRepository(second).register() == other  # again: the same row
    finally:
        second.close()
