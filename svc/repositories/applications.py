"""SQL for the applications table."""
from errors import Conflict
from repositories.base import Repository

COLUMNS = "id, name, comments, created_at, updated_at"
CONFIGURATION_IDS = (
    "ARRAY(SELECT c.id FROM configurations c WHERE c.application_id = applications.id ORDER BY c.id)"
    " AS configuration_ids"
)


class ApplicationRepository(Repository):
    constraint_errors = {
        "applications_name_key": lambda: Conflict("an application with this name already exists"),
    }

    def add(self, id: str, name: str, comments: str | None) -> dict:
        """Insert an application; it has no configurations yet."""
        row = self._fetch_one(
            f"INSERT INTO applications (id, name, comments) VALUES (%s, %s, %s) RETURNING {COLUMNS}",
            (id, name, comments),
        )
        row["configuration_ids"] = []
        return row

    def get(self, id: str) -> dict | None:
        """One application with the ids of its configurations, or None."""
        return self._fetch_one(
            f"SELECT {COLUMNS}, {CONFIGURATION_IDS} FROM applications WHERE id = %s", (id,)
        )

    def update(self, id: str, name: str, comments: str | None) -> dict | None:
        """Replace name and comments; None when there is no such application."""
        return self._fetch_one(
            "UPDATE applications SET name = %s, comments = %s, updated_at = now() WHERE id = %s"
            f" RETURNING {COLUMNS}, {CONFIGURATION_IDS}",
            (name, comments, id),
        )

    def list(self, limit: int, after: str | None) -> list[dict]:
        """Up to `limit` applications in id order, starting after the id `after`."""
        return self._fetch_all(
            f"SELECT {COLUMNS} FROM applications WHERE id > %s ORDER BY id LIMIT %s",
            (after or "", limit),
        )
