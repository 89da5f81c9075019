"""Use cases of applications; each runs inside a unit of work, checks the caller's access in it,
and never commits it."""

from config_service.domain.access import Access
from config_service.domain.errors import NotFound, not_found_or_stale
from config_service.domain.rows import ApplicationRow, ApplicationWithConfigurations, new_id
from config_service.domain.versions import Versions, version_matches
from config_service.services.ports import UnitOfWork


def create_application(
    uow: UnitOfWork, access: Access, name: str, comments: str | None
) -> ApplicationWithConfigurations:
    access.require_unlimited()
    row = uow.applications.add(new_id(), name, comments)
    uow.changes.record(row["id"], None, "create", row["version"], row["updated_at"])
    return row


def get_application(uow: UnitOfWork, access: Access, id: str) -> ApplicationWithConfigurations:
    access.require_sees(id)
    row = uow.applications.get(id)
    if row is None:
        raise NotFound("no application with this id")
    return row


def update_application(
    uow: UnitOfWork, access: Access, id: str, name: str, comments: str | None, versions: Versions = None
) -> ApplicationWithConfigurations:
    """Replace name and comments; `versions` (from If-Match) must include the stored version.

    Sending what is stored changes nothing: no new version, the current representation back.
    Whether anything changes is PostgreSQL's to say, under the row's lock: a concurrent
    writer can never turn an unconditional PUT into a 412.
    """
    access.require_sees(id)
    row = uow.applications.update(id, name, comments, versions)
    if row is None and uow.applications.lock(id):
        row = uow.applications.update(id, name, comments, versions)
    if row is not None:
        uow.changes.record(id, None, "update", row["version"], row["updated_at"])
        return row
    current = uow.applications.get(id)
    if current is None or not version_matches(versions, current["version"]):
        raise not_found_or_stale("application", current and current["version"], versions is not None)
    return current


def delete_application(uow: UnitOfWork, access: Access, id: str, versions: Versions = None) -> None:
    """Delete an application that has no configurations (Conflict otherwise)."""
    access.require_sees(id)
    deleted = uow.applications.delete(id, versions)
    if deleted is None:
        raise not_found_or_stale("application", uow.applications.version_of(id), versions is not None)
    uow.changes.record(id, None, "delete", deleted["version"])


def list_applications(
    uow: UnitOfWork, access: Access, limit: int, after: str | None, name: str | None = None
) -> tuple[list[ApplicationRow], bool]:
    """A page of the applications the caller sees (named `name`, if given), in id order, and
    whether more follow it."""
    rows = uow.applications.list(limit + 1, after, access.only, name)  # one more than the page: do more follow?
    return rows[:limit], len(rows) > limit
