"""Use cases of applications; each runs inside one UnitOfWork."""
from errors import NotFound, not_found_or_stale
from services.ids import new_id
from services.paging import page


def create_application(uow, name: str, comments: str | None) -> dict:
    row = uow.applications.add(new_id(), name, comments)
    uow.commit()
    return row


def get_application(uow, id: str) -> dict:
    row = uow.applications.get(id)
    if row is None:
        raise NotFound("no application with this id")
    return row


def update_application(uow, id: str, name: str, comments: str | None, versions: list[int] | None = None) -> dict:
    """Replace name and comments; `versions` (from If-Match) must include the stored version."""
    row = uow.applications.update(id, name, comments, versions)
    if row is None:
        raise not_found_or_stale("application", uow.applications.version_of(id))
    uow.commit()
    return row


def delete_application(uow, id: str, versions: list[int] | None = None) -> None:
    """Delete an application that has no configurations (409 otherwise)."""
    if not uow.applications.delete(id, versions):
        raise not_found_or_stale("application", uow.applications.version_of(id))
    uow.commit()


def list_applications(uow, limit: int, after: str | None) -> tuple[list[dict], bool]:
    """A page of applications in id order, and whether more follow it."""
    return page(lambda n: uow.applications.list(n, after), limit)
