"""Use cases of applications; each runs inside a unit of work and never commits it."""
from errors import NotFound, not_found_or_stale
from services.contracts import ApplicationRow, ApplicationWithConfigurations, UnitOfWork, Versions, version_matches
from services.ids import new_id
from services.paging import page


def create_application(uow: UnitOfWork, name: str, comments: str | None) -> ApplicationWithConfigurations:
    row = uow.applications.add(new_id(), name, comments)
    uow.changes.record(row["id"], None, "create", row["version"], row["updated_at"])
    return row


def get_application(uow: UnitOfWork, id: str) -> ApplicationWithConfigurations:
    row = uow.applications.get(id)
    if row is None:
        raise NotFound("no application with this id")
    return row


def update_application(uow: UnitOfWork, id: str, name: str, comments: str | None,
                       versions: Versions = None) -> ApplicationWithConfigurations:
    """Replace name and comments; `versions` (from If-Match) must include the stored version.

    Sending what is stored changes nothing: no new version, the current representation back.
    """
    row = uow.applications.update(id, name, comments, versions)
    if row is not None:
        uow.changes.record(id, None, "update", row["version"], row["updated_at"])
        return row
    current = uow.applications.get(id)
    if current is not None and version_matches(versions, current["version"]) and \
            (current["name"], current["comments"]) == (name, comments):
        return current
    raise not_found_or_stale("application", current and current["version"], versions is not None)


def delete_application(uow: UnitOfWork, id: str, versions: Versions = None) -> None:
    """Delete an application that has no configurations (Conflict otherwise)."""
    deleted = uow.applications.delete(id, versions)
    if deleted is None:
        raise not_found_or_stale("application", uow.applications.version_of(id), versions is not None)
    uow.changes.record(id, None, "delete", deleted["version"])


def list_applications(uow: UnitOfWork, limit: int, after: str | None,
                      only: list[str] | None = None) -> tuple[list[ApplicationRow], bool]:
    """A page of applications in id order (of `only`, if given), and whether more follow it."""
    return page(lambda n: uow.applications.list(n, after, only), limit)
