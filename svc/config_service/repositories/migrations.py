"""SQL for the migrations table: which migration files the database has applied."""
from config_service.repositories.base import Repository


class MigrationRepository(Repository):
    def applied(self) -> dict:
        """Applied migrations by name; empty when the migrations table does not exist yet."""
        if not self._fetch_one("SELECT to_regclass('migrations') IS NOT NULL AS present", ())["present"]:
            return {}
        rows = self._fetch_all("SELECT name, checksum, applied_at FROM migrations ORDER BY name", ())
        return {row["name"]: row for row in rows}
