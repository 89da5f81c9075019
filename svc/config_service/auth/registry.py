"""A worker's map of usable tokens by the hash of their secret: checking a known token costs
no database trip. The change listener reloads it on every token notification and reconnect;
while it cannot vouch for the map, the database decides."""

import math
import time
from datetime import UTC, datetime

from config_service.domain.access import Principal
from config_service.domain.secrets import hash_secret

UNKNOWN_LOOKUPS_PER_SECOND = 20  # database look-ups of tokens the map does not know, per worker


def principal_of(row: dict) -> Principal:
    ids = row["application_ids"]
    return Principal(row["name"], row["scope"], frozenset(ids) if ids is not None else None, row["id"])


class TokenRegistry:
    def __init__(self) -> None:
        self._by_hash: dict[str, tuple[Principal, datetime | None]] = {}
        self._expiry: dict[str, datetime | None] = {}  # token id -> expires_at, of the usable tokens
        self._loaded: frozenset[str] = frozenset()  # the ids of the last load (`forget` leaves them)
        self.trusted = False  # the map is complete and current (the listener is connected)
        self._allowance, self._refilled = float(UNKNOWN_LOOKUPS_PER_SECOND), time.monotonic()
        self.used: set[str] = set()  # token ids seen since the last write of last_used_at

    def load(self, rows: list[dict]) -> bool:
        """Replace the map with the usable tokens (rows carry `secret_hash`); True when one of the last load's went."""
        self._by_hash = {row["secret_hash"]: (principal_of(row), row["expires_at"]) for row in rows}
        self._expiry = {row["id"]: row["expires_at"] for row in rows}
        loaded, self._loaded = self._loaded, frozenset(self._expiry)
        return not loaded <= self._loaded

    def known(self, secret: str | bytes) -> tuple[str, Principal | None]:
        """The secret's hash, and its principal when the map knows it as usable now."""
        digest = hash_secret(secret)
        found = self._by_hash.get(digest)  # a dict look-up by the whole hash: no early-exit comparison of secrets
        if found is None:
            return digest, None
        principal, expires_at = found
        if expires_at is not None and expires_at <= datetime.now(UTC):
            return digest, None
        return digest, principal

    def forget(self, token_id: str) -> None:
        """Drop a token this worker just revoked, before the notification comes back to it."""
        self._by_hash = {digest: entry for digest, entry in self._by_hash.items() if entry[0].token_id != token_id}
        self._expiry.pop(token_id, None)

    def holds(self, principal: Principal) -> bool:
        """Whether the map holds the principal's token (usable as of its last load)."""
        return principal.token_id in self._expiry

    def still_usable(self, principal: Principal) -> bool:
        """For held requests and streams: is their token neither revoked nor expired, as far as the map knows?"""
        return self.usable_for(principal) > 0

    def usable_for(self, principal: Principal) -> float:
        """Seconds until the principal's token expires (inf: never, or the map cannot say); 0 once it is unusable."""
        if principal.token_id is None:
            return math.inf
        if principal.token_id not in self._expiry:
            return math.inf if not self.trusted else 0.0  # untrusted: the database vouched for it
        expires_at = self._expiry[principal.token_id]
        if expires_at is None:
            return math.inf
        return max(0.0, (expires_at - datetime.now(UTC)).total_seconds())

    def vouches(self, principal: Principal | None) -> bool:
        """Whether the map's answer stands, or the database must decide (an unknown token is
        looked up at a limited rate; while the map is not trusted, every token is)."""
        return self.trusted and (principal is not None or not self.may_look_up())

    def may_look_up(self) -> bool:
        """Rate limit for database look-ups of tokens the map does not know."""
        now = time.monotonic()
        self._allowance = min(
            UNKNOWN_LOOKUPS_PER_SECOND, self._allowance + (now - self._refilled) * UNKNOWN_LOOKUPS_PER_SECOND
        )
        self._refilled = now
        if self._allowance < 1:
            return False
        self._allowance -= 1
        return True
