"""SQL for the applications table."""

from __future__ import annotations  # the method named `list` would shadow the builtin in annotations

from typing import cast

from config_service.domain.errors import Conflict
from config_service.domain.rows import ApplicationRow, ApplicationWithConfigurations, Deleted
from config_service.repositories.base import VERSION_MATCHES, Prepared, Repository, Row, versions_param

COLUMNS = "id, name, comments, version, created_at, updated_at"
CONFIGURATION_IDS = (
    "ARRAY(SELECT c.id FROM configurations c WHERE c.application_id = applications.id ORDER BY c.id)"
    " AS configuration_ids"
)
# A new version's time: the clock when the row is written (after any lock wait), never
# earlier than the version before it, so times within a resource never run backwards.
NEXT_UPDATED_AT = "GREATEST(clock_timestamp(), updated_at)"

GET = Prepared("application_get", f"SELECT {COLUMNS}, {CONFIGURATION_IDS} FROM applications WHERE id = %(id)s")


class ApplicationRepository(Repository):
    constraint_errors = {
        "applications_name_key": lambda: Conflict("an application with this name already exists"),
        "configurations_application_id_fkey": lambda: Conflict(
            "the application still has configurations; delete them first"
        ),
    }

    def add(self, id: str, name: str, comments: str | None) -> ApplicationWithConfigurations:
        """Insert an application at version 1; it has no configurations yet."""
        row = cast(  # INSERT ... RETURNING: one row, completed below
            ApplicationWithConfigurations,
            self._fetch_one(
                f"INSERT INTO applications (id, name, comments) VALUES (%s, %s, %s) RETURNING {COLUMNS}",
                (id, name, comments),
            ),
        )
        row["configuration_ids"] = []
        return row

    def get(self, id: str) -> ApplicationWithConfigurations | None:
        """One application with the ids of its configurations, or None."""
        return cast("ApplicationWithConfigurations | None", self._fetch_one(GET, {"id": id}))

    def version_of(self, id: str) -> int | None:
        row = self._fetch_one("SELECT version FROM applications WHERE id = %s", (id,))
        return None if row is None else row["version"]

    def lock(self, id: str) -> bool:
        """Lock the application's row for this transaction; False when it is gone.

        Every write that moves a configuration in or out of an application takes this lock
        before any configuration row, as deleting the application does: one order, no deadlock.
        FOR UPDATE, as transactions lock it: it also holds back a concurrent create of a
        configuration at its foreign-key check, before it could take a name this write takes too.
        """
        return self._fetch_one("SELECT id FROM applications WHERE id = %s FOR UPDATE", (id,)) is not None

    def lock_all(self, ids: list[str]) -> None:
        """Lock these applications' rows for this transaction, in id order (a stable order: no deadlock)."""
        self._fetch_all("SELECT id FROM applications WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (ids,))

    def by_name(self, name: str) -> ApplicationWithConfigurations | None:
        return cast(
            "ApplicationWithConfigurations | None",
            self._fetch_one(f"SELECT {COLUMNS}, {CONFIGURATION_IDS} FROM applications WHERE name = %s", (name,)),
        )

    def update(self, id: str, name: str, comments: str | None, versions=None) -> ApplicationWithConfigurations | None:
        """Replace name and comments as a new version; None when missing, at another version, or unchanged."""
        row = cast(  # completed below
            "ApplicationWithConfigurations | None",
            self._fetch_one(
                "UPDATE applications SET name = %(name)s, comments = %(comments)s, version = version + 1,"
                f" updated_at = {NEXT_UPDATED_AT} WHERE id = %(id)s AND {VERSION_MATCHES}"
                " AND (name, comments) IS DISTINCT FROM (%(name)s::varchar, %(comments)s::varchar)"
                f" RETURNING {COLUMNS}",
                {"id": id, "name": name, "comments": comments, "versions": versions_param(versions)},
            ),
        )
        if row is not None:
            # A statement of its own, after the row lock: the ids then belong to exactly this
            # version (a statement's own snapshot may predate a change that committed while
            # it waited for the lock).
            row["configuration_ids"] = cast(
                Row, self._fetch_one(f"SELECT {CONFIGURATION_IDS} FROM applications WHERE id = %s", (id,))
            )["configuration_ids"]
        return row

    def delete(self, id: str, versions=None) -> Deleted | None:
        """Delete an application without configurations; its id and the deletion's version
        (the last one + 1), or None when missing or at another version."""
        row = self._fetch_one(
            f"DELETE FROM applications WHERE id = %(id)s AND {VERSION_MATCHES} RETURNING id, version + 1 AS version",
            {"id": id, "versions": versions_param(versions)},
        )
        return cast("Deleted | None", row)

    def list(
        self, limit: int, after: str | None, only: list[str] | None = None, name: str | None = None
    ) -> list[ApplicationRow]:
        """Up to `limit` applications in id order, starting after the id `after` (of `only`, and
        named `name`, if given)."""
        return cast(
            "list[ApplicationRow]",
            self._fetch_all(
                f"SELECT {COLUMNS} FROM applications WHERE id > %(after)s"
                " AND (%(only)s::varchar[] IS NULL OR id = ANY(%(only)s::varchar[]))"
                " AND (%(name)s::varchar IS NULL OR name = %(name)s) ORDER BY id LIMIT %(limit)s",
                {"after": after or "", "only": only, "name": name, "limit": limit},
            ),
        )
