"""Use cases of applications; each runs inside one UnitOfWork."""
from errors import NotFound
from services.ids import new_id


def create_application(uow, name: str, comments: str | None) -> dict:
    row = uow.applications.add(new_id(), name, comments)
    uow.commit()
    return row


def get_application(uow, id: str) -> dict:
    row = uow.applications.get(id)
    if row is None:
        raise NotFound("no application with this id")
    return row


def update_application(uow, id: str, name: str, comments: str | None) -> dict:
    row = uow.applications.update(id, name, comments)
    if row is None:
        raise NotFound("no application with this id")
    uow.commit()
    return row


def list_applications(uow, limit: int, after: str | None) -> tuple[list[dict], bool]:
    """A page of applications in id order, and whether more follow it."""
    rows = uow.applications.list(limit + 1, after)
    return rows[:limit], len(rows) > limit
