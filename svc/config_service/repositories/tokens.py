"""SQL for API tokens: only the hash of a secret is ever stored or compared."""

from __future__ import annotations  # the method named `list` would shadow the builtin in annotations

import builtins
from typing import cast

from config_service.domain.errors import Conflict
from config_service.repositories.base import Repository, Row

# Token changes have a channel of their own: they are not configuration changes (no feed rows).
CHANNEL = "config_service_tokens"

COLUMNS = "id, name, scope, application_ids, expires_at, created_at, last_used_at, revoked_at"
LAST_USED_EVERY = "interval '1 minute'"

Rows = list[Row]  # the method named `list` shadows the builtin in the class body


class TokenRepository(Repository):
    constraint_errors = {"tokens_name_key": lambda: Conflict("a token with this name exists (names are never reused)")}

    def add(
        self, id: str, name: str, scope: str, application_ids: list[str] | None, secret_hash: str, expires_at
    ) -> Row:
        return cast(  # INSERT ... RETURNING: one row
            Row,
            self._fetch_one(
                "INSERT INTO tokens (id, name, scope, application_ids, secret_hash, expires_at)"
                f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}",
                (id, name, scope, application_ids, secret_hash, expires_at),
            ),
        )

    def list(self) -> Rows:
        return self._fetch_all(f"SELECT {COLUMNS} FROM tokens ORDER BY id", ())

    def usable(self) -> Rows:
        """Tokens neither revoked nor expired, with their hashes (for a worker's map)."""
        return self._fetch_all(
            f"SELECT {COLUMNS}, secret_hash FROM tokens WHERE revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > now())",
            (),
        )

    def by_hash(self, secret_hash: str) -> Row | None:
        """A usable token by the hash of its secret (the index compares whole hashes)."""
        return self._fetch_one(
            f"SELECT {COLUMNS}, secret_hash FROM tokens WHERE secret_hash = %s AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > now())",
            (secret_hash,),
        )

    def is_usable(self, id: str) -> bool:
        """Whether the token with this id is neither revoked nor expired now."""
        return cast(  # SELECT EXISTS: always one row
            Row,
            self._fetch_one(
                "SELECT EXISTS (SELECT 1 FROM tokens WHERE id = %s AND revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > now())) AS usable",
                (id,),
            ),
        )["usable"]

    def revoke(self, id: str) -> Row | None:
        """Revoke a token (again is harmless); None when no token has this id."""
        return self._fetch_one(
            f"UPDATE tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = %s RETURNING {COLUMNS}", (id,)
        )

    def revoke_by_name(self, name: str) -> Row | None:
        return self._fetch_one(
            f"UPDATE tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE name = %s RETURNING {COLUMNS}", (name,)
        )

    def touch(self, ids: builtins.list[str]) -> int:
        """Set last_used_at now where it is older than a minute: one write a minute per token,
        however many workers saw it used."""
        rows = self._fetch_all(
            "UPDATE tokens SET last_used_at = now() WHERE id = ANY(%s)"
            f" AND (last_used_at IS NULL OR last_used_at < now() - {LAST_USED_EVERY}) RETURNING id",
            (ids,),
        )
        return len(rows)

    def announce(self) -> None:
        """Tell every worker, at commit, that the usable tokens changed."""
        self._fetch_one("SELECT pg_notify(%s, '')::text AS sent", (CHANNEL,))

    def any_exist(self) -> bool:
        row = cast(Row, self._fetch_one("SELECT EXISTS (SELECT 1 FROM tokens) AS present", ()))  # one row, always
        return row["present"]
