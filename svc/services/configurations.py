"""Use cases of configurations and their history; each runs inside a unit of work and never commits it."""
from typing import Any

from errors import Conflict, InvalidReference, NotFound, StaleVersion, not_found_or_stale
from services.contracts import ConfigurationRow, RevisionRow, UnitOfWork, Versions, version_matches
from services.ids import new_id
from services.paging import page


def create_configuration(uow: UnitOfWork, application_id: str, name: str, comments: str | None,
                         config: dict[str, Any]) -> ConfigurationRow:
    """The database's foreign key decides whether the application exists (no check-then-insert)."""
    row = uow.configurations.add(new_id(), application_id, name, comments, config)
    return _recorded(uow, "create", row)


def get_configuration(uow: UnitOfWork, id: str) -> ConfigurationRow:
    row = uow.configurations.get(id)
    if row is None:
        raise NotFound("no configuration with this id")
    return row


def list_configurations(uow: UnitOfWork, application_id: str | None, limit: int, after: str | None,
                        only: list[str] | None = None) -> tuple[list[ConfigurationRow], bool]:
    """A page of configurations in id order (of the applications `only`, if given), and whether more follow it."""
    return page(lambda n: uow.configurations.list(application_id, n, after, only), limit)


def update_configuration(uow: UnitOfWork, id: str, application_id: str | None, name: str, comments: str | None,
                         config: dict[str, Any], versions: Versions = None) -> ConfigurationRow:
    """Replace name, comments and config; naming another application_id is refused (and undone).

    Sending what is stored changes nothing: no new version, no revision, the current one back.
    """
    row = uow.configurations.update(id, name, comments, config, versions)
    changed = row is not None
    if not changed:
        row = uow.configurations.get(id)
        if row is None or not version_matches(versions, row["version"]) or \
                (row["name"], row["comments"], row["config"]) != (name, comments, config):
            raise not_found_or_stale("configuration", row and row["version"], versions is not None)
    if application_id is not None and row["application_id"] != application_id:
        raise InvalidReference("application_id cannot change", "application_id")
    return _recorded(uow, "update", row) if changed else row


def delete_configuration(uow: UnitOfWork, id: str, versions: Versions = None) -> None:
    """Delete a configuration; its history stays, and it can be restored."""
    deleted = uow.configurations.delete(id, versions)
    if deleted is None:
        raise not_found_or_stale("configuration", uow.configurations.version_of(id), versions is not None)
    uow.changes.record(deleted["application_id"], id, "delete", deleted["version"], deleted["changed_at"])


def list_revisions(uow: UnitOfWork, id: str, limit: int, before: int | None) -> tuple[list[RevisionRow], bool]:
    """A page of a configuration's revisions, newest first, and whether older ones follow."""
    rows, more = page(lambda n: uow.configurations.revisions(id, n, before), limit)
    if not rows and before is None:
        raise NotFound("no configuration with this id")
    return rows, more


def get_revision(uow: UnitOfWork, id: str, version: int) -> RevisionRow:
    row = uow.configurations.revision(id, version)
    if row is None:
        raise NotFound("no revision with this version")
    return row


def restore_revision(uow: UnitOfWork, id: str, version: int, versions: Versions = None) -> ConfigurationRow:
    """Make a past revision's name, comments and config current again, as a new version.

    A deleted configuration comes back under its old id, unless its name was taken
    meanwhile (Conflict) or its application is gone (Conflict). The application is locked
    before anything is checked: no delete or restore of this configuration can commit
    between the check of the precondition and the write.
    """
    revision = get_revision(uow, id, version)
    if not uow.applications.lock(revision["application_id"]):
        raise Conflict("the configuration's application no longer exists")
    if uow.configurations.version_of(id) is not None:
        row = uow.configurations.restore_existing(id, version, versions)
        if row is None:
            raise not_found_or_stale("configuration", uow.configurations.version_of(id), versions is not None)
        return _recorded(uow, "restore", row)
    latest = uow.configurations.latest_version(id)
    if not version_matches(versions, latest):
        raise StaleVersion("configuration", latest)
    return _recorded(uow, "restore", uow.configurations.restore_deleted(id, version))


def _recorded(uow: UnitOfWork, change: str, row: ConfigurationRow) -> ConfigurationRow:
    """Record a configuration's change in the feed (one row, though its application's version may move too)."""
    uow.changes.record(row["application_id"], row["id"], change, row["version"], row["updated_at"])
    return row
