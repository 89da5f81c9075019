"""Tokens for tests: made straight in the database (as `pipenv run tokens create` does)."""

from config_service.db.pool import create_pool
from config_service.db.unit_of_work import run_in_unit_of_work
from config_service.services import tokens


def make_token(settings, name: str, scope: str, application_ids: list[str] | None = None, expires_at=None) -> str:
    """A new token's secret."""
    pool = create_pool(settings.model_copy(update={"pool_size": 1}))
    try:
        (_, secret), _ = run_in_unit_of_work(
            pool, None, lambda uow: tokens.create_token(uow, name, scope, application_ids, expires_at), False, 2
        )
        return secret
    finally:
        pool.closeall()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
