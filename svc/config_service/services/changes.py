"""Use cases of the change feed: reading committed changes, as the caller may see them."""

from config_service.domain.access import Access
from config_service.domain.rows import ChangeRow
from config_service.services.ports import UnitOfWork


def changes_after(
    uow: UnitOfWork, access: Access, after: int, upto: int, application_id: str | None, limit: int
) -> list[ChangeRow]:
    """Up to `limit` changes with after < seq <= upto, of one application or all, of the
    applications the caller sees, in seq order."""
    return uow.changes.since(after, upto, application_id, limit, access.only)


def head(uow: UnitOfWork) -> int:
    """The seq of the newest committed change (0 before the first)."""
    return uow.changes.head()
