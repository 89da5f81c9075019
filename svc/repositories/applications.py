"""SQL for the applications table."""
from errors import Conflict
from repositories.base import Repository

COLUMNS = "id, name, comments, version, created_at, updated_at"
CONFIGURATION_IDS = (
    "ARRAY(SELECT c.id FROM configurations c WHERE c.application_id = applications.id ORDER BY c.id)"
    " AS configuration_ids"
)
# `versions` is None (no precondition) or the versions an If-Match header accepts.
VERSION_MATCHES = "(%(versions)s::int[] IS NULL OR version = ANY(%(versions)s::int[]))"


class ApplicationRepository(Repository):
    constraint_errors = {
        "applications_name_key": lambda: Conflict("an application with this name already exists"),
        "configurations_application_id_fkey": lambda: Conflict(
            "the application still has configurations; delete them first"
        ),
    }

    def add(self, id: str, name: str, comments: str | None) -> dict:
        """Insert an application at version 1; it has no configurations yet."""
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

    def version_of(self, id: str) -> int | None:
        row = self._fetch_one("SELECT version FROM applications WHERE id = %s", (id,))
        return None if row is None else row["version"]

    def update(self, id: str, name: str, comments: str | None, versions: list[int] | None = None) -> dict | None:
        """Replace name and comments as a new version; None when missing or at another version."""
        return self._fetch_one(
            "UPDATE applications SET name = %(name)s, comments = %(comments)s, version = version + 1,"
            f" updated_at = now() WHERE id = %(id)s AND {VERSION_MATCHES}"
            f" RETURNING {COLUMNS}, {CONFIGURATION_IDS}",
            {"id": id, "name": name, "comments": comments, "versions": versions},
        )

    def delete(self, id: str, versions: list[int] | None = None) -> bool:
        """Delete an application without configurations; False when missing or at another version."""
        row = self._fetch_one(
            f"DELETE FROM applications WHERE id = %(id)s AND {VERSION_MATCHES} RETURNING id",
            {"id": id, "versions": versions},
        )
        return row is not None

    def list(self, limit: int, after: str | None) -> list[dict]:
        """Up to `limit` applications in id order, starting after the id `after`."""
        return self._fetch_all(
            f"SELECT {COLUMNS} FROM applications WHERE id > %s ORDER BY id LIMIT %s",
            (after or "", limit),
        )
