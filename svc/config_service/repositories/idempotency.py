"""SQL for idempotency keys: claim a key, keep the answer given under it, replay it."""

from psycopg2.extras import Json

from config_service.repositories.base import Repository, Row

# Keys are kept at least this long; older ones are removed a few at a time as new ones come.
KEEP = "interval '24 hours'"
PURGE_BATCH = 100


class IdempotencyRepository(Repository):
    def claim(self, owner: str, key: str, fingerprint: str) -> bool:
        """Take the key of `owner` (a token id) for this transaction; False when another
        request of that token holds or held it.

        A claim made by a transaction still running is waited for: its answer is then
        there to replay, or, if it rolled back, this claim succeeds.
        """
        return (
            self._fetch_one(
                "WITH purge AS (DELETE FROM idempotency_keys WHERE (token_id, key) IN (SELECT token_id, key"
                f" FROM idempotency_keys WHERE created_at < now() - {KEEP} AND key <> %(key)s LIMIT {PURGE_BATCH}"
                " FOR UPDATE SKIP LOCKED))"
                " INSERT INTO idempotency_keys (token_id, key, fingerprint)"
                " VALUES (%(owner)s, %(key)s, %(fingerprint)s)"
                " ON CONFLICT (token_id, key) DO NOTHING RETURNING key",
                {"owner": owner, "key": key, "fingerprint": fingerprint},
            )
            is not None
        )

    def stored(self, owner: str, key: str) -> Row | None:
        """The fingerprint and answer kept under the key."""
        return self._fetch_one(
            "SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE token_id = %s AND key = %s",
            (owner, key),
        )

    def record(self, owner: str, key: str, status: int, headers: dict[str, str], body: str) -> None:
        """Keep the answer given under a key claimed by this transaction."""
        self._fetch_one(
            "UPDATE idempotency_keys SET status = %s, headers = %s, body = %s WHERE token_id = %s AND key = %s"
            " RETURNING key",
            (status, Json(headers), body, owner, key),
        )
