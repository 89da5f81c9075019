"""SQL for the migrations table: which migration files the database has applied."""

from typing import cast

from config_service.domain.rows import AppliedMigration
from config_service.repositories.base import Repository, Row


class MigrationRepository(Repository):
    def applied(self) -> dict[str, AppliedMigration]:
        """Applied migrations by name; empty when the migrations table does not exist yet."""
        present = cast(Row, self._fetch_one("SELECT to_regclass('migrations') IS NOT NULL AS present", ()))  # one row
        if not present["present"]:
            return {}
        rows = self._fetch_all("SELECT name, checksum, applied_at FROM migrations ORDER BY name", ())
        return {row["name"]: cast(AppliedMigration, row) for row in rows}
