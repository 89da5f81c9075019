import threading
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from config_service.conftest import make_settings
from config_service.db.pool import ConnectionPool, connect, connection_options
from config_service.testing.tcp_proxy import TcpProxy


def test_connection_options_carry_timeouts_and_dict_rows(settings):
    options = connection_options(settings)
    assert options["connect_timeout"] == settings.connect_timeout_seconds
    assert f"statement_timeout={settings.statement_timeout_ms}" in options["options"]
    assert f"lock_timeout={settings.lock_timeout_ms}" in options["options"]
    assert options["keepalives"] == 1


def test_connect_applies_the_server_timeouts(settings):
    connection = connect(make_settings(str(settings.database_url), statement_timeout_ms=1234))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()["statement_timeout"] == "1234ms"
    finally:
        connection.close()


def test_a_slow_new_connection_does_not_block_the_pool(settings):
    url = urlsplit(str(settings.database_url))
    proxy = TcpProxy(url.hostname, url.port or 5432)
    via_proxy = urlunsplit(url._replace(netloc=f"postgres@127.0.0.1:{proxy.port}"))
    pool = ConnectionPool(1, 2, **connection_options(make_settings(via_proxy)))
    try:
        idle = pool.getconn()
        proxy.stall()
        connecting = threading.Thread(target=lambda: pytest.raises(psycopg2.OperationalError, pool.getconn))
        connecting.start()
        time.sleep(0.2)  # the second getconn is now waiting on the stalled server
        started = time.monotonic()
        pool.putconn(idle)
        assert pool.getconn() is idle
        assert time.monotonic() - started < 0.1
        connecting.join(timeout=10)
    finally:
        proxy.restore()
        pool.closeall()
        proxy.close()
