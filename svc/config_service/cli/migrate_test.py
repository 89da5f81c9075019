from urllib.parse import urlsplit, urlunsplit

from config_service.cli import migrate
from config_service.conftest import admin, drop_database, url_for
from config_service.db.migrations import apply, status
from config_service.db.migrations_test import FIRST, SECOND


def test_command_line_applies_then_reports_status(empty_database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert migrate.main(["status"]) == 0
    assert "pending" in capsys.readouterr().out
    assert migrate.main([]) == 0
    assert "applied: 0001_" in capsys.readouterr().out
    assert migrate.main(["apply"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_command_line_reports_errors_in_one_line(monkeypatch, capsys):
    assert migrate.main(["sideways"]) == 2
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    assert migrate.main(["apply"]) == 1
    assert "cannot connect to the database: connection refused" in capsys.readouterr().err
    monkeypatch.setenv("POOL_SIZE", "zero")
    assert migrate.main(["apply"]) == 2
    assert "POOL_SIZE" in capsys.readouterr().err


def test_an_applied_migration_missing_from_disk_is_reported_not_fatal(empty, empty_database_url, monkeypatch, capsys):
    apply(empty, [FIRST, SECOND])
    assert status(empty, [FIRST])[1].startswith("0002_second  applied 20") and status(empty, [FIRST])[1].endswith(
        "missing from disk"
    )
    monkeypatch.setattr(migrate, "discover", lambda: [FIRST])
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert migrate.main(["apply"]) == 0
    assert "warning: 0002_second is applied but not among this code's migrations" in capsys.readouterr().err


def test_a_missing_database_is_created_and_said_so(run_id, monkeypatch, capsys):
    name = f"{run_id}_missing"
    monkeypatch.setenv("DATABASE_URL", url_for(name))
    try:
        assert migrate.main(["apply"]) == 0
        assert f"created the database '{name}'" in capsys.readouterr().err
    finally:
        drop_database(name)


def test_a_missing_database_this_user_may_not_create_is_said_so(run_id, monkeypatch, capsys):
    role = f"{run_id}_limited"
    admin(f'CREATE ROLE "{role}" LOGIN')
    try:
        url = urlsplit(url_for(f"{run_id}_never"))
        monkeypatch.setenv("DATABASE_URL", urlunsplit(url._replace(netloc=f"{role}@{url.hostname}:{url.port or 5432}")))
        assert migrate.main(["apply"]) == 1
        err = capsys.readouterr().err
        assert "may not create it (permission denied)" in err and "Traceback" not in err
    finally:
        admin(f'DROP ROLE "{role}"')
