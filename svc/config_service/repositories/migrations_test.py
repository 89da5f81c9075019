from config_service.repositories.migrations import MigrationRepository


def test_nothing_is_applied_before_the_table_exists(connection):
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE migrations")
    assert MigrationRepository(connection).applied() == {}


def test_applied_migrations_come_by_name_in_order(connection):
    applied = MigrationRepository(connection).applied()
    assert list(applied) == sorted(applied) and len(applied) >= 2
    first = next(iter(applied.values()))
    assert len(first["checksum"]) == 64 and first["applied_at"].tzinfo is not None
