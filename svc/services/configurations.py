"""Use cases of configurations; each runs inside one UnitOfWork."""
from errors import InvalidReference, NotFound
from services.ids import new_id


def create_configuration(uow, application_id: str, name: str, comments: str | None, config: dict) -> dict:
    """The database's foreign key decides whether the application exists (no check-then-insert)."""
    row = uow.configurations.add(new_id(), application_id, name, comments, config)
    uow.commit()
    return row


def get_configuration(uow, id: str) -> dict:
    row = uow.configurations.get(id)
    if row is None:
        raise NotFound("no configuration with this id")
    return row


def update_configuration(uow, id: str, application_id: str | None, name: str, comments: str | None,
                         config: dict) -> dict:
    """Replace name, comments and config; a different application_id undoes it (no commit)."""
    row = uow.configurations.update(id, name, comments, config)
    if row is None:
        raise NotFound("no configuration with this id")
    if application_id is not None and row["application_id"] != application_id:
        raise InvalidReference("application_id cannot change", "application_id")
    uow.commit()
    return row
