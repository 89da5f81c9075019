"""SQL for configurations and their revisions.

Every change writes its revision and, when the application's list of configurations
changes, bumps the application's version, in the same statement (data-modifying CTEs):
one round trip, and never one without the other.
"""

from __future__ import annotations  # the method named `list` would shadow the builtin in annotations

import builtins
from typing import Any, cast

from psycopg2.extras import Json

from config_service.domain.errors import Conflict, InvalidReference
from config_service.domain.rows import KEEP, ConfigurationRow, Deleted, Keep, RevisionRow, Schema
from config_service.repositories.applications import NEXT_UPDATED_AT
from config_service.repositories.base import VERSION_MATCHES, Prepared, Repository, Row, versions_param

COLUMNS = "id, application_id, name, comments, config, schema, version, created_at, updated_at"
REVISION_COLUMNS = "configuration_id, version, change, application_id, name, comments, config, schema, changed_at"
# changed_by is filled in by the column's default: the transaction's actor (migration 0005).
REVISION_READ_COLUMNS = REVISION_COLUMNS + ", changed_by"
# About the bytes a row takes encoded, for the byte budgets of pages and exports.
SIZE = (
    "(octet_length(config::text) + COALESCE(octet_length(schema::text), 0) + octet_length(name)"
    " + COALESCE(octet_length(comments), 0) + 200)"
)

# The method named `list` shadows the builtin in the class body.
ConfigurationRows = list[ConfigurationRow]
Rows = list[Row]


def _record(change: str, source: str, changed_at: str = "updated_at") -> str:
    """A CTE body that writes one revision per row of `source`."""
    return (
        f"INSERT INTO configuration_revisions ({REVISION_COLUMNS})"
        f" SELECT id, version, '{change}', application_id, name, comments, config, schema, {changed_at} FROM {source}"
    )


def _bump_application(source: str) -> str:
    """A CTE body that makes a new version of the application of each row of `source`."""
    return (
        f"UPDATE applications SET version = version + 1, updated_at = {NEXT_UPDATED_AT}"
        f" WHERE id IN (SELECT application_id FROM {source})"
    )


# What the service's validators are kept by: jsonb's text is canonical (keys in one order), and
# sha256, not md5, so that no two schemas can be made to share one.
SCHEMA_DIGEST = "encode(sha256(convert_to(schema::text, 'UTF8')), 'hex') AS schema_digest"
# A write that leaves the schema out keeps the stored one.
NEW_SCHEMA = "(CASE WHEN %(keep_schema)s THEN schema ELSE %(schema)s::jsonb END)"


def _schema_params(schema: Schema | Keep) -> dict[str, Any]:
    keep = isinstance(schema, Keep)
    return {"keep_schema": keep, "schema": None if keep or schema is None else Json(schema)}


# The hot statements: a GET past the cache, a POST, a PUT (repositories.base.Prepared).
GET = Prepared("configuration_get", f"SELECT {COLUMNS} FROM configurations WHERE id = %(id)s")
ADD = Prepared(
    "configuration_add",
    "WITH created AS (INSERT INTO configurations (id, application_id, name, comments, config, schema)"
    f" VALUES (%(id)s, %(application_id)s, %(name)s, %(comments)s, %(config)s, %(schema)s) RETURNING {COLUMNS}),"
    f" revision AS ({_record('create', 'created')}),"
    f" application AS ({_bump_application('created')})"
    f" SELECT {COLUMNS} FROM created",
)
UPDATE = Prepared(
    "configuration_update",
    "WITH changed AS (UPDATE configurations SET name = %(name)s, comments = %(comments)s,"
    f" config = %(config)s, schema = {NEW_SCHEMA}, version = version + 1, updated_at = {NEXT_UPDATED_AT}"
    f" WHERE id = %(id)s AND {VERSION_MATCHES}"
    " AND (name, comments, config, schema) IS DISTINCT FROM"
    f" (%(name)s::varchar, %(comments)s::varchar, %(config)s::jsonb, {NEW_SCHEMA})"
    f" RETURNING {COLUMNS}, {SCHEMA_DIGEST}),"
    f" revision AS ({_record('update', 'changed')})"
    f" SELECT {COLUMNS}, schema_digest FROM changed",
)


class ConfigurationRepository(Repository):
    constraint_errors = {
        "configurations_application_id_name_key": lambda: Conflict(
            "this application already has a configuration with this name"
        ),
        "configurations_application_id_fkey": lambda: InvalidReference(
            "application_id names no application", "application_id"
        ),
    }

    def add(
        self,
        id: str,
        application_id: str,
        name: str,
        comments: str | None,
        config: dict[str, Any],
        schema: Schema = None,
    ) -> ConfigurationRow:
        """Insert a configuration of an existing application, with its first revision."""
        values = {"id": id, "application_id": application_id, "name": name, "comments": comments}
        row = self._fetch_one(
            ADD, {**values, "config": Json(config), "schema": None if schema is None else Json(schema)}
        )
        return cast(ConfigurationRow, row)  # INSERT ... RETURNING: one row

    def get(self, id: str) -> ConfigurationRow | None:
        """One configuration, or None."""
        return cast("ConfigurationRow | None", self._fetch_one(GET, {"id": id}))

    def version_of(self, id: str) -> int | None:
        row = self._fetch_one("SELECT version FROM configurations WHERE id = %s", (id,))
        return None if row is None else row["version"]

    def update(
        self,
        id: str,
        name: str,
        comments: str | None,
        config: dict[str, Any],
        versions=None,
        schema: Schema | Keep = KEEP,
    ) -> ConfigurationRow | None:
        """Replace name, comments, config and schema (KEEP: the stored one stays) as a new
        version; None when missing, at another version, or when nothing would change."""
        row = self._fetch_one(
            UPDATE,
            {
                "id": id,
                "name": name,
                "comments": comments,
                "config": Json(config),
                **_schema_params(schema),
                "versions": versions_param(versions),
            },
        )
        return cast("ConfigurationRow | None", row)

    def delete(self, id: str, versions=None) -> Deleted | None:
        """Delete a configuration, recording the deletion as its next version: that revision's
        id, application_id, version and changed_at, or None when missing or at another version.

        Its application's row is locked first, in a statement of its own (the order of a
        statement's CTEs is not defined), as deleting the application locks it before the
        configurations: the two deletes never deadlock.
        """
        owner = self._fetch_one(
            "SELECT a.id FROM applications a JOIN configurations c ON c.application_id = a.id"
            " WHERE c.id = %s FOR NO KEY UPDATE OF a",
            (id,),
        )
        if owner is None:
            return None
        row = self._fetch_one(
            f"WITH deleted AS (DELETE FROM configurations WHERE id = %(id)s AND {VERSION_MATCHES}"
            f" RETURNING {COLUMNS}),"
            " gone AS (SELECT id, version + 1 AS version, application_id, name, comments, config, schema,"
            " GREATEST(clock_timestamp(), updated_at) AS changed_at FROM deleted),"
            f" revision AS ({_record('delete', 'gone', 'changed_at')}),"
            f" application AS ({_bump_application('deleted')})"
            " SELECT id, application_id, version, changed_at FROM gone",
            {"id": id, "versions": versions_param(versions)},
        )
        return cast("Deleted | None", row)

    def revisions(self, id: str, limit: int, before: int | None, budget: int) -> tuple[list[RevisionRow], bool]:
        """Up to `limit` revisions, newest first, older than version `before`, as many as fit in
        about `budget` bytes (the first always does), and whether older ones follow."""
        return cast(
            "tuple[list[RevisionRow], bool]",
            self._within_budget(
                f"SELECT {REVISION_READ_COLUMNS}, {SIZE} AS size FROM configuration_revisions"
                " WHERE configuration_id = %(id)s AND version < %(before)s ORDER BY version DESC LIMIT %(fetch)s",
                REVISION_READ_COLUMNS,
                "version DESC",
                {"id": id, "before": before or 2**31 - 1},
                limit,
                budget,
            ),
        )

    def revision(self, id: str, version: int) -> RevisionRow | None:
        row = self._fetch_one(
            f"SELECT {REVISION_READ_COLUMNS} FROM configuration_revisions WHERE configuration_id = %s AND version = %s",
            (id, version),
        )
        return cast("RevisionRow | None", row)

    def latest_version(self, id: str) -> int | None:
        """The version of the newest revision, the configuration deleted or not."""
        row = cast(  # an aggregate: always one row
            Row,
            self._fetch_one(
                "SELECT max(version) AS version FROM configuration_revisions WHERE configuration_id = %s", (id,)
            ),
        )
        return row["version"]

    def restore_existing(self, id: str, version: int, versions=None) -> ConfigurationRow | None:
        """Make revision `version` current again as a new version; None when the configuration
        is missing or at another version than If-Match allows."""
        row = self._fetch_one(
            "WITH changed AS (UPDATE configurations c SET name = r.name, comments = r.comments,"
            " config = r.config, schema = r.schema, version = c.version + 1,"
            " updated_at = GREATEST(clock_timestamp(), c.updated_at)"
            " FROM configuration_revisions r"
            " WHERE c.id = %(id)s AND r.configuration_id = c.id AND r.version = %(version)s"
            " AND (%(versions)s::int[] IS NULL OR c.version = ANY(%(versions)s::int[])) RETURNING"
            " c.id, c.application_id, c.name, c.comments, c.config, c.schema, c.version, c.created_at, c.updated_at,"
            f" encode(sha256(convert_to(c.schema::text, 'UTF8')), 'hex') AS schema_digest),"
            f" revision AS ({_record('restore', 'changed')})"
            f" SELECT {COLUMNS}, schema_digest FROM changed",
            {"id": id, "version": version, "versions": versions_param(versions)},
        )
        return cast("ConfigurationRow | None", row)

    def restore_deleted(self, id: str, version: int) -> ConfigurationRow:
        """Bring a deleted configuration back under its id with revision `version`'s content,
        as the version after its newest revision. The caller holds its application's lock."""
        row = self._fetch_one(
            "WITH history AS (SELECT max(version) AS latest, min(changed_at) AS created_at, max(changed_at) AS last_at"
            " FROM configuration_revisions WHERE configuration_id = %(id)s),"
            " created AS (INSERT INTO configurations"
            " (id, application_id, name, comments, config, schema, version, created_at, updated_at)"
            " SELECT %(id)s, r.application_id, r.name, r.comments, r.config, r.schema, h.latest + 1, h.created_at,"
            " GREATEST(clock_timestamp(), h.last_at)"
            " FROM configuration_revisions r, history h WHERE r.configuration_id = %(id)s AND r.version = %(version)s"
            f" RETURNING {COLUMNS}, {SCHEMA_DIGEST}),"
            f" revision AS ({_record('restore', 'created')}),"
            f" application AS ({_bump_application('created')})"
            f" SELECT {COLUMNS}, schema_digest FROM created",
            {"id": id, "version": version},
        )
        return cast(ConfigurationRow, row)  # its caller found revision `version`: one row

    def list(
        self,
        application_id: str | None,
        limit: int,
        after: str | None,
        only: list[str] | None,
        budget: int,
        name: str | None = None,
    ) -> tuple[ConfigurationRows, bool]:
        """Up to `limit` configurations in id order after the id `after`, of one application or
        all (of the applications `only`, and named `name`, if given), as many as fit in about `budget` bytes (the
        first always does), and whether more follow them."""
        return cast(
            "tuple[ConfigurationRows, bool]",
            self._within_budget(
                f"SELECT {COLUMNS}, {SIZE} AS size FROM configurations WHERE id > %(after)s"
                " AND (%(application_id)s::varchar IS NULL OR application_id = %(application_id)s)"
                " AND (%(only)s::varchar[] IS NULL OR application_id = ANY(%(only)s::varchar[]))"
                " AND (%(name)s::varchar IS NULL OR name = %(name)s)"
                " ORDER BY id LIMIT %(fetch)s",
                COLUMNS,
                "id",
                {"after": after or "", "application_id": application_id, "only": only, "name": name},
                limit,
                budget,
            ),
        )

    def _within_budget(
        self, page: str, columns: str, order: str, params: dict[str, Any], limit: int, budget: int
    ) -> tuple[Rows, bool]:
        """The rows of `page` (one more than `limit`, each with its `size`) whose predecessors
        add up to less than `budget` bytes: PostgreSQL cuts the page, so no row past the
        budget is ever sent to the worker."""
        rows = self._fetch_all(
            f"SELECT {columns}, fetched FROM (SELECT *, sum(size) OVER (ORDER BY {order}) - size AS before,"
            f" count(*) OVER () AS fetched FROM ({page}) page) sized WHERE before < %(budget)s ORDER BY {order}",
            {**params, "fetch": limit + 1, "budget": budget},
        )
        fetched = rows[0].pop("fetched") if rows else 0
        for row in rows[1:]:
            del row["fetched"]
        return rows[:limit], len(rows) > limit or len(rows) < fetched

    def owners_of(self, ids: builtins.list[str]) -> dict[str, str]:
        """The application of each configuration (existing or deleted) among `ids`."""
        rows = self._fetch_all(
            "SELECT DISTINCT configuration_id, application_id FROM configuration_revisions"
            " WHERE configuration_id = ANY(%s)",
            (ids,),
        )
        return {row["configuration_id"]: row["application_id"] for row in rows}

    def lock_all(self, ids: builtins.list[str]) -> None:
        """Lock these configurations' rows for this transaction, in id order."""
        self._fetch_all("SELECT id FROM configurations WHERE id = ANY(%s) ORDER BY id FOR UPDATE", (ids,))

    def of_application(self, application_id: str, for_update: bool = False) -> ConfigurationRows:
        """Every configuration of an application, by name in code-point order; with `for_update`,
        their rows locked for this transaction, in id order (as transactions lock them)."""
        if for_update:
            rows = self._fetch_all(
                f"SELECT {COLUMNS} FROM configurations WHERE application_id = %s ORDER BY id FOR UPDATE",
                (application_id,),
            )
            return cast(ConfigurationRows, sorted(rows, key=lambda row: row["name"].encode()))
        rows = self._fetch_all(
            f'SELECT {COLUMNS} FROM configurations WHERE application_id = %s ORDER BY name COLLATE "C"',
            (application_id,),
        )
        return cast(ConfigurationRows, rows)

    def bytes_of(self, application_id: str) -> int:
        """About how many bytes an application's configurations take when encoded."""
        row = cast(  # an aggregate: always one row
            Row,
            self._fetch_one(
                f"SELECT COALESCE(sum({SIZE}), 0) AS size FROM configurations WHERE application_id = %s",
                (application_id,),
            ),
        )
        return row["size"]

    def unchanged_names(self, application_id: str, items: Rows) -> set[str]:
        """Names among `items` ({name, comments, config} and maybe schema) whose stored
        configuration holds the same comments, config and schema (an item without one keeps the
        stored one), by PostgreSQL's own equality (jsonb: 1e23 equals its integer)."""
        rows = self._fetch_all(
            "SELECT c.name FROM configurations c"
            " JOIN jsonb_to_recordset(%s) AS d(name text, comments text, config jsonb, schema jsonb, keep boolean)"
            " ON c.name = d.name WHERE c.application_id = %s AND c.comments IS NOT DISTINCT FROM d.comments"
            " AND c.config = d.config AND (d.keep OR c.schema IS NOT DISTINCT FROM d.schema)",
            (Json([{**item, "keep": "schema" not in item} for item in items]), application_id),
        )
        return {row["name"] for row in rows}

    def lock(self, id: str) -> bool:
        """Lock the configuration's row for this transaction; False when it does not exist."""
        return self._fetch_one("SELECT id FROM configurations WHERE id = %s FOR NO KEY UPDATE", (id,)) is not None

    def owner_of(self, id: str) -> str | None:
        """The application a configuration belongs (or belonged) to; it never changes."""
        row = self._fetch_one(
            "SELECT application_id FROM configuration_revisions WHERE configuration_id = %s LIMIT 1", (id,)
        )
        return None if row is None else row["application_id"]
