"""Use cases of API tokens: the secret is made here and returned once; only its hash is kept."""

from datetime import UTC, datetime
from typing import Any

from config_service.domain.errors import InvalidReference, NotFound
from config_service.domain.rows import new_id
from config_service.domain.secrets import hash_secret, new_secret
from config_service.services.ports import UnitOfWork


def create_token(
    uow: UnitOfWork, name: str, scope: str, application_ids: list[str] | None, expires_at: datetime | None
) -> tuple[dict[str, Any], str]:
    """The new token's row and its secret (shown this once)."""
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise InvalidReference("expires_at is in the past", "expires_at")
    if application_ids is not None:
        missing = [id for id in application_ids if uow.applications.version_of(id) is None]
        if missing or not application_ids:
            raise InvalidReference("application_ids must name existing applications", "application_ids")
    secret = new_secret()
    row = uow.tokens.add(new_id(), name, scope, application_ids, hash_secret(secret), expires_at)
    uow.tokens.announce()
    return row, secret


def token_by_hash(uow: UnitOfWork, secret_hash: str) -> dict[str, Any] | None:
    """The usable token whose secret has this hash, or None."""
    return uow.tokens.by_hash(secret_hash)


def is_usable(uow: UnitOfWork, id: str) -> bool:
    """Whether the token with this id is neither revoked nor expired now."""
    return uow.tokens.is_usable(id)


def record_use(uow: UnitOfWork, ids: list[str]) -> int:
    """Note that these tokens were used now (last_used_at); how many rows moved."""
    return uow.tokens.touch(ids)


def list_tokens(uow: UnitOfWork) -> list[dict[str, Any]]:
    return uow.tokens.list()


def revoke_token(uow: UnitOfWork, id: str) -> dict[str, Any]:
    return _announced(uow, uow.tokens.revoke(id), "no token with this id")


def revoke_token_by_name(uow: UnitOfWork, name: str) -> dict[str, Any]:
    return _announced(uow, uow.tokens.revoke_by_name(name), "no token with this name")


def _announced(uow: UnitOfWork, revoked: dict[str, Any] | None, missing: str) -> dict[str, Any]:
    """Tell every worker of a revocation (at commit); NotFound when nothing was revoked."""
    if revoked is None:
        raise NotFound(missing)
    uow.tokens.announce()
    return revoked
