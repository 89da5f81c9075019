"""Token secrets: made here, shown once, and only ever kept as a SHA-256."""

import hashlib
import secrets

PREFIX = "cfg_"
SECRET_BYTES = 32  # 256 random bits


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str | bytes) -> str:
    """The stored form; a presented token arrives as the header's bytes."""
    return hashlib.sha256(secret if isinstance(secret, bytes) else secret.encode()).hexdigest()
