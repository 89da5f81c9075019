"""Use cases of configurations and their history; each runs inside one UnitOfWork."""
from errors import Conflict, InvalidReference, NotFound, PreconditionFailed, not_found_or_stale
from services.ids import new_id
from services.paging import page


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


def list_configurations(uow, application_id: str | None, limit: int, after: str | None) -> tuple[list[dict], bool]:
    """A page of configurations in id order, and whether more follow it."""
    return page(lambda n: uow.configurations.list(application_id, n, after), limit)


def update_configuration(uow, id: str, application_id: str | None, name: str, comments: str | None,
                         config: dict, versions: list[int] | None = None) -> dict:
    """Replace name, comments and config; a different application_id undoes it (no commit)."""
    row = uow.configurations.update(id, name, comments, config, versions)
    if row is None:
        raise not_found_or_stale("configuration", uow.configurations.version_of(id))
    if application_id is not None and row["application_id"] != application_id:
        raise InvalidReference("application_id cannot change", "application_id")
    uow.commit()
    return row


def delete_configuration(uow, id: str, versions: list[int] | None = None) -> None:
    """Delete a configuration; its history stays, and it can be restored."""
    if not uow.configurations.delete(id, versions):
        raise not_found_or_stale("configuration", uow.configurations.version_of(id))
    uow.commit()


def list_revisions(uow, id: str, limit: int, before: int | None) -> tuple[list[dict], bool]:
    """A page of a configuration's revisions, newest first, and whether older ones follow."""
    rows, more = page(lambda n: uow.configurations.revisions(id, n, before), limit)
    if not rows and before is None:
        raise NotFound("no configuration with this id")
    return rows, more


def get_revision(uow, id: str, version: int) -> dict:
    row = uow.configurations.revision(id, version)
    if row is None:
        raise NotFound("no revision with this version")
    return row


def restore_revision(uow, id: str, version: int, versions: list[int] | None = None) -> dict:
    """Make a past revision's name, comments and config current again, as a new version.

    A deleted configuration comes back under its old id, unless its name was taken
    meanwhile (409) or its application is gone (409).
    """
    get_revision(uow, id, version)
    if uow.configurations.version_of(id) is not None:
        row = uow.configurations.restore_existing(id, version, versions)
        if row is None:
            raise not_found_or_stale("configuration", uow.configurations.version_of(id))
    else:
        latest = uow.configurations.latest_version(id)
        if versions is not None and latest not in versions:
            raise PreconditionFailed("configuration", latest)
        row = uow.configurations.restore_deleted(id, version)
        if row is None:
            raise Conflict("the configuration's application no longer exists")
    uow.commit()
    return row
