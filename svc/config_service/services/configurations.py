"""Use cases of configurations and their history; each runs inside a unit of work, checks the
caller's access in it, and never commits it."""

from typing import Any, cast

from config_service.domain.access import Access
from config_service.domain.errors import Conflict, InvalidReference, NotFound, StaleVersion, not_found_or_stale
from config_service.domain.rows import ConfigurationRow, RevisionRow, new_id
from config_service.domain.versions import Versions, version_matches
from config_service.services.ports import UnitOfWork


def create_configuration(
    uow: UnitOfWork,
    access: Access,
    application_id: str | None,
    name: str,
    comments: str | None,
    config: dict[str, Any],
) -> ConfigurationRow:
    """The database's foreign key decides whether the application exists (no check-then-insert)."""
    access.require_names(application_id)
    assert application_id is not None  # require_names refused None
    row = uow.configurations.add(new_id(), application_id, name, comments, config)
    return _recorded(uow, "create", row)


def get_configuration(uow: UnitOfWork, access: Access, id: str) -> ConfigurationRow:
    row = uow.configurations.get(id)
    access.require_sees(row and row["application_id"], "configuration")
    assert row is not None  # require_sees raised NotFound otherwise
    return row


def list_configurations(
    uow: UnitOfWork,
    access: Access,
    application_id: str | None,
    limit: int,
    after: str | None,
    budget: int,
    name: str | None = None,
) -> tuple[list[ConfigurationRow], bool]:
    """A page of the configurations the caller sees, in id order (of one application, and named
    `name`, if given), at most `limit` of them and about `budget` bytes, and whether more follow it."""
    return uow.configurations.list(application_id, limit, after, access.only, budget, name)


def update_configuration(
    uow: UnitOfWork,
    access: Access,
    id: str,
    application_id: str | None,
    name: str,
    comments: str | None,
    config: dict[str, Any],
    versions: Versions = None,
) -> ConfigurationRow:
    """Replace name, comments and config; naming another application_id is refused (and undone).

    Sending what is stored (by jsonb equality: PostgreSQL says, under the row's lock) changes
    nothing: no new version, no revision, the current one back. A concurrent writer can never
    turn an unconditional PUT into a 412.
    """
    _require_sees_configuration(uow, access, id)
    row = uow.configurations.update(id, name, comments, config, versions)
    if row is None and uow.configurations.lock(id):
        row = uow.configurations.update(id, name, comments, config, versions)
    changed = row is not None
    if not changed:
        row = uow.configurations.get(id)
        if row is None or not version_matches(versions, row["version"]):
            raise not_found_or_stale("configuration", row and row["version"], versions is not None)
    assert row is not None  # updated, or read back above (a missing one raised)
    if application_id is not None and row["application_id"] != application_id:
        raise InvalidReference("application_id cannot change", "application_id")
    return _recorded(uow, "update", row) if changed else row


def delete_configuration(uow: UnitOfWork, access: Access, id: str, versions: Versions = None) -> None:
    """Delete a configuration; its history stays, and it can be restored."""
    _require_sees_configuration(uow, access, id)
    deleted = uow.configurations.delete(id, versions)
    if deleted is None:
        raise not_found_or_stale("configuration", uow.configurations.version_of(id), versions is not None)
    uow.changes.record(deleted["application_id"], id, "delete", deleted["version"], deleted["changed_at"])


def list_revisions(
    uow: UnitOfWork, access: Access, id: str, limit: int, before: int | None, budget: int
) -> tuple[list[RevisionRow], bool]:
    """A page of a configuration's revisions, newest first (at most `limit` and about `budget`
    bytes), and whether older ones follow; NotFound when it never existed."""
    access.require_sees(uow.configurations.owner_of(id), "configuration")
    return uow.configurations.revisions(id, limit, before, budget)


def get_revision(uow: UnitOfWork, access: Access, id: str, version: int) -> RevisionRow:
    row = uow.configurations.revision(id, version)
    if row is None or not access.sees(row["application_id"]):
        raise NotFound("no revision with this version")
    return row


def restore_revision(
    uow: UnitOfWork, access: Access, id: str, version: int, versions: Versions = None
) -> ConfigurationRow:
    """Make a past revision's name, comments and config current again, as a new version.

    A deleted configuration comes back under its old id, unless its name was taken
    meanwhile (Conflict) or its application is gone (Conflict). The application is locked
    before anything is checked: no delete or restore of this configuration can commit
    between the check of the precondition and the write.
    """
    revision = get_revision(uow, access, id, version)
    if not uow.applications.lock(revision["application_id"]):
        raise Conflict("the configuration's application no longer exists")
    if uow.configurations.version_of(id) is not None:
        row = uow.configurations.restore_existing(id, version, versions)
        if row is None:
            raise not_found_or_stale("configuration", uow.configurations.version_of(id), versions is not None)
        return _recorded(uow, "restore", row)
    # its revision `version` exists (get_revision found it): max(version) is never NULL here
    latest = cast(int, uow.configurations.latest_version(id))
    if not version_matches(versions, latest):
        raise StaleVersion("configuration", latest)
    return _recorded(uow, "restore", uow.configurations.restore_deleted(id, version))


def _require_sees_configuration(uow: UnitOfWork, access: Access, id: str) -> None:
    """A limited caller's check: the application the configuration belongs to (it never changes)."""
    if access.limited:
        access.require_sees(uow.configurations.owner_of(id), "configuration")


def _recorded(uow: UnitOfWork, change: str, row: ConfigurationRow) -> ConfigurationRow:
    """Record a configuration's change in the feed (one row, though its application's version may move too)."""
    uow.changes.record(row["application_id"], row["id"], change, row["version"], row["updated_at"])
    return row
