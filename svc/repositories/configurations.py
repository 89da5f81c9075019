"""SQL for the configurations table."""
from psycopg2.extras import Json

from errors import Conflict, InvalidReference
from repositories.base import Repository

COLUMNS = "id, application_id, name, comments, config, created_at, updated_at"


class ConfigurationRepository(Repository):
    constraint_errors = {
        "configurations_application_id_name_key": lambda: Conflict(
            "this application already has a configuration with this name"
        ),
        "configurations_application_id_fkey": lambda: InvalidReference(
            "application_id names no application", "application_id"
        ),
    }

    def add(self, id: str, application_id: str, name: str, comments: str | None, config: dict) -> dict:
        """Insert a configuration of an existing application."""
        return self._fetch_one(
            "INSERT INTO configurations (id, application_id, name, comments, config)"
            f" VALUES (%s, %s, %s, %s, %s) RETURNING {COLUMNS}",
            (id, application_id, name, comments, Json(config)),
        )

    def get(self, id: str) -> dict | None:
        """One configuration, or None."""
        return self._fetch_one(f"SELECT {COLUMNS} FROM configurations WHERE id = %s", (id,))

    def update(self, id: str, name: str, comments: str | None, config: dict) -> dict | None:
        """Replace name, comments and config; None when there is no such configuration."""
        return self._fetch_one(
            "UPDATE configurations SET name = %s, comments = %s, config = %s, updated_at = now()"
            f" WHERE id = %s RETURNING {COLUMNS}",
            (name, comments, Json(config), id),
        )
