import psycopg2
import pytest

from config_service.conftest import make_settings
from config_service.db.connect_errors import explain
from config_service.db.pool import connect


@pytest.mark.parametrize(
    "message, kind",
    [
        (
            'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "x" does not exist',
            "missing database",
        ),
        ('FATAL:  password authentication failed for user "app"', "authentication failed"),
        ("fe_sendauth: no password supplied", "authentication failed"),
        ('FATAL:  role "ghost" does not exist', "authentication failed"),
        ('FATAL:  permission denied for database "x"', "permission denied"),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.1"', "permission denied"),
        ('connection to server at "127.0.0.1", port 1 failed: Connection refused', "refused"),
        ('could not translate host name "nowhere" to address', "unknown host"),
        ("timeout expired", "timed out"),
        ("something else entirely", "other"),
    ],
)
def test_each_failure_is_named_without_the_servers_text(message, kind):
    reason = explain(psycopg2.OperationalError(message))
    assert reason.kind == kind
    assert '"' not in str(reason) and "127.0.0.1" not in str(reason)


def test_a_real_refusal_is_explained():
    with pytest.raises(psycopg2.OperationalError) as raised:
        connect(make_settings("postgresql://postgres@127.0.0.1:1/none"))
    assert explain(raised.value).kind == "refused"
