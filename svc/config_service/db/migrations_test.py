import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from config_service.conftest import make_settings
from config_service.db import migrations
from config_service.db.migrations import Migration, MigrationError, apply, discover, pending, status
from config_service.db.pool import connect

SVC = Path(__file__).resolve().parent.parent.parent
FIRST = Migration("0001_first", "CREATE TABLE first (id int PRIMARY KEY)")
SECOND = Migration("0002_second", "CREATE TABLE second (id int PRIMARY KEY)")
BROKEN = Migration("0003_broken", "CREATE TABLE third (id int); INSERT INTO nowhere VALUES (1)")


def tables(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in cursor.fetchall()}


def recorded(connection) -> list[str]:
    return list(migrations.applied(connection))


def test_applies_files_in_order_and_records_each(empty):
    assert apply(empty, [FIRST, SECOND]) == ["0001_first", "0002_second"]
    assert {"first", "second", "migrations"} <= tables(empty)
    rows = migrations.applied(empty)
    assert list(rows) == ["0001_first", "0002_second"]
    assert rows["0001_first"]["checksum"] == FIRST.checksum
    assert rows["0001_first"]["applied_at"].tzinfo is not None


def test_rerun_applies_nothing(empty):
    apply(empty, [FIRST, SECOND])
    assert apply(empty, [FIRST, SECOND]) == []
    assert pending(empty, [FIRST, SECOND]) == []


def test_changed_applied_file_is_refused(empty):
    apply(empty, [FIRST])
    edited = Migration(FIRST.name, FIRST.sql + " -- edited")
    with pytest.raises(MigrationError, match="0001_first.*checksum"):
        apply(empty, [edited, SECOND])
    assert "second" not in tables(empty)


def test_failing_file_leaves_no_trace_and_keeps_earlier_ones(empty):
    with pytest.raises(MigrationError, match="0003_broken.*nowhere"):
        apply(empty, [FIRST, SECOND, BROKEN])
    assert "third" not in tables(empty)
    assert recorded(empty) == ["0001_first", "0002_second"]
    assert empty.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def test_advisory_lock_is_released_after_a_failure(empty, empty_database_url):
    with pytest.raises(MigrationError):
        apply(empty, [BROKEN])
    other = connect(make_settings(empty_database_url))
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s) AS free", (migrations.LOCK_KEY,))
            assert cursor.fetchone()["free"]
    finally:
        other.close()


def test_two_concurrent_runners_apply_each_file_once(empty_database_url):
    # Not idempotent and slow: a second application would fail or overlap.
    slow = Migration("0001_slow", "SELECT pg_sleep(0.3); CREATE TABLE once (id int)")
    results, errors = [], []

    def runner():
        connection = connect(make_settings(empty_database_url))
        try:
            results.append(apply(connection, [slow, SECOND]))
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [[], ["0001_slow", "0002_second"]]


def test_status_lists_applied_and_pending(empty):
    assert status(empty, [FIRST]) == ["0001_first  pending"]
    apply(empty, [FIRST])
    lines = status(empty, [FIRST, SECOND])
    assert lines[0].startswith("0001_first  applied 20")
    assert lines[1] == "0002_second  pending"


def test_discover_reads_the_folder_in_order(tmp_path):
    (tmp_path / "0002_b.sql").write_text("SELECT 2")
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    assert [m.name for m in discover(tmp_path)] == ["0001_a", "0002_b"]


def test_discover_refuses_misnamed_and_duplicate_files(tmp_path):
    (tmp_path / "1_bad.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="NNNN_slug"):
        discover(tmp_path)
    (tmp_path / "1_bad.sql").unlink()
    (tmp_path / "0001_a.sql").write_text("SELECT 1")
    (tmp_path / "0001_b.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="used twice"):
        discover(tmp_path)


def test_project_migrations_build_the_schema(empty):
    apply(empty, discover())
    assert {"applications", "configurations", "migrations"} <= tables(empty)


def test_versions_and_revisions_apply_to_a_database_holding_earlier_data(empty):
    project = discover()
    first, rest = project[:1], project[1:]
    apply(empty, first)
    with empty.cursor() as cursor:
        cursor.execute("INSERT INTO applications (id, name) VALUES ('01J0000000000000000000000A', 'billing')")
        cursor.execute(
            "INSERT INTO configurations (id, application_id, name, config) VALUES"
            " ('01J0000000000000000000000C', '01J0000000000000000000000A', 'db', '{\"port\": 5432}'),"
            " ('01J0000000000000000000000D', '01J0000000000000000000000A', 'cache', '{}')"
        )
    empty.commit()
    assert apply(empty, project) == [m.name for m in rest]
    with empty.cursor() as cursor:
        cursor.execute("SELECT version FROM applications")
        assert [row["version"] for row in cursor.fetchall()] == [1]
        cursor.execute("SELECT id, version FROM configurations ORDER BY id")
        assert [(row["id"][-1], row["version"]) for row in cursor.fetchall()] == [("C", 1), ("D", 1)]
        cursor.execute(
            "SELECT configuration_id, version, change, config FROM configuration_revisions ORDER BY configuration_id"
        )
        assert [(r["configuration_id"][-1], r["version"], r["change"], r["config"]) for r in cursor.fetchall()] == [
            ("C", 1, "create", {"port": 5432}),
            ("D", 1, "create", {}),
        ]
    empty.rollback()


def run_migrate(database_url: str, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "config_service.cli.migrate", *args],
        cwd=SVC,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DATABASE_URL": database_url, **env},
    )


def test_runners_wait_for_a_lock_held_longer_than_the_lock_timeout_then_both_succeed(empty, empty_database_url):
    """Item 7: a third session holds the migration lock for 1.5 s, ten times LOCK_TIMEOUT_MS."""
    with empty.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", (migrations.LOCK_KEY,))
    runners = [run_migrate(empty_database_url, LOCK_TIMEOUT_MS="150", STATEMENT_TIMEOUT_MS="150") for _ in range(2)]
    time.sleep(1.5)
    assert all(runner.poll() is None for runner in runners)  # still waiting, not crashed
    with empty.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", (migrations.LOCK_KEY,))
    outputs = [runner.communicate(timeout=30) for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0], outputs
    assert all("waiting for another migration runner" in err and "Traceback" not in err for _, err in outputs)
    assert sorted(out.split(":")[0] for out, _ in outputs) == ["applied", "migrations"]


def test_a_runner_gives_up_on_the_lock_after_its_own_wait_in_one_line(empty, empty_database_url):
    with empty.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", (migrations.LOCK_KEY,))
    runner = run_migrate(empty_database_url, MIGRATION_LOCK_WAIT_SECONDS="0.5")
    out, err = runner.communicate(timeout=30)
    assert runner.returncode == 1 and "held the lock" in err and "Traceback" not in err


def test_a_migration_longer_than_the_statement_timeout_applies(empty_database_url):
    connection = connect(make_settings(empty_database_url, statement_timeout_ms=100, lock_timeout_ms=100))
    try:
        assert apply(connection, [Migration("0001_long", "SELECT pg_sleep(0.4); CREATE TABLE long (id int)")]) == [
            "0001_long"
        ]
    finally:
        connection.close()
