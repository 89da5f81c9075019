from config_service.conftest import make_settings
from config_service.db.pool import connect
from config_service.repositories.listeners import CHANNEL_PREFIX, ListenerRepository


def test_a_session_registers_a_channel_of_its_own_and_ended_sessions_are_removed(database_url, connection):
    first = connect(make_settings(database_url))
    first.autocommit = True
    channel, pid = ListenerRepository(first).register()
    assert pid == first.get_backend_pid() and channel.startswith(CHANNEL_PREFIX)
    assert channel in ListenerRepository(connection).channels()
    first.close()  # its row stays until the next one registers
    second = connect(make_settings(database_url))
    second.autocommit = True
    try:
        other, _ = ListenerRepository(second).register()
        assert other != channel and ListenerRepository(second).channels() == [other]
        assert ListenerRepository(second).register()[0] == other  # again: the same row
    finally:
        second.close()


def test_keep_registers_a_channel_whose_row_went_and_leaves_one_that_is_there(connection):
    connection.autocommit = True
    listeners = ListenerRepository(connection)
    listeners.keep("config_service_changes_1", 1)
    listeners.keep("config_service_changes_1", 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT channel, pid FROM change_listeners")
        assert [tuple(row.values()) for row in cursor.fetchall()] == [("config_service_changes_1", 1)]
