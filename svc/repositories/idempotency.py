"""SQL for idempotency keys: claim a key, keep the answer given under it, replay it."""
from psycopg2.extras import Json

from repositories.base import Repository

# Keys are kept at least this long; older ones are removed a few at a time as new ones come.
KEEP = "interval '24 hours'"
PURGE_BATCH = 100


class IdempotencyRepository(Repository):
    def claim(self, key: str, fingerprint: str) -> bool:
        """Take the key for this transaction; False when another request holds or held it.

        A claim made by a transaction still running is waited for: its answer is then
        there to replay, or, if it rolled back, this claim succeeds.
        """
        return self._fetch_one(
            "WITH purge AS (DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys"
            f" WHERE created_at < now() - {KEEP} AND key <> %(key)s LIMIT {PURGE_BATCH} FOR UPDATE SKIP LOCKED))"
            " INSERT INTO idempotency_keys (key, fingerprint) VALUES (%(key)s, %(fingerprint)s)"
            " ON CONFLICT (key) DO NOTHING RETURNING key",
            {"key": key, "fingerprint": fingerprint},
        ) is not None

    def stored(self, key: str) -> dict | None:
        """The fingerprint and answer kept under the key."""
        return self._fetch_one(
            "SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE key = %s", (key,))

    def record(self, key: str, status: int, headers: dict[str, str], body: str) -> None:
        """Keep the answer given under a key claimed by this transaction."""
        self._fetch_one(
            "UPDATE idempotency_keys SET status = %s, headers = %s, body = %s WHERE key = %s RETURNING key",
            (status, Json(headers), body, key),
        )
