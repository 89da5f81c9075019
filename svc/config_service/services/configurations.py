"""Use cases of configurations and their history; each runs inside a unit of work, checks the
caller's access in it, and never commits it."""

from typing import Any, cast

from config_service.domain.access import Access
from config_service.domain.errors import Conflict, InvalidReference, NotFound, StaleVersion, not_found_or_stale
from config_service.domain.rows import KEEP, ConfigurationRow, Keep, RevisionRow, Schema, new_id
from config_service.domain.versions import Versions, version_matches
from config_service.services.ports import UnitOfWork
from config_service.services.schemas import SchemaRules, require_fits, violations

DEFAULT_RULES = SchemaRules()


def create_configuration(
    uow: UnitOfWork,
    access: Access,
    application_id: str | None,
    name: str,
    comments: str | None,
    config: dict[str, Any],
    schema: Schema = None,
    rules: SchemaRules = DEFAULT_RULES,
) -> ConfigurationRow:
    """The database's foreign key decides whether the application exists (no check-then-insert).
    A config that does not fit its schema is refused (SchemaViolation) before anything is written."""
    access.require_names(application_id)
    assert application_id is not None  # require_names refused None
    require_fits(config, schema, rules)
    row = uow.configurations.add(new_id(), application_id, name, comments, config, schema)
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
    schema: Schema | Keep = KEEP,
    rules: SchemaRules = DEFAULT_RULES,
) -> ConfigurationRow:
    """Replace name, comments, config and schema (KEEP, when the write leaves it out: the stored
    one stays); naming another application_id is refused (and undone).

    The config must fit the schema current after the write, which the write itself reads under
    the row's lock: a violation undoes it (SchemaViolation). Sending what is stored (by jsonb
    equality: PostgreSQL says, under the row's lock) changes nothing: no new version, no
    revision, the current one back. A concurrent writer can never turn an unconditional PUT into a 412.
    """
    _require_sees_configuration(uow, access, id)
    if not isinstance(schema, Keep):
        require_fits(config, schema, rules)  # a new schema is checked before anything is written
    row = uow.configurations.update(id, name, comments, config, versions, schema)
    if row is None and uow.configurations.lock(id):
        row = uow.configurations.update(id, name, comments, config, versions, schema)
    changed = row is not None
    if row is not None:
        require_fits(row["config"], row["schema"], rules, digest=row.get("schema_digest"))
    if not changed:
        row = uow.configurations.get(id)
        if row is None or not version_matches(versions, row["version"]):
            raise not_found_or_stale("configuration", row and row["version"], versions is not None)
    assert row is not None  # updated, or read back above (a missing one raised)
    if application_id is not None and row["application_id"] != application_id:
        raise InvalidReference("application_id cannot change", "application_id")
    return _recorded(uow, "update", row) if changed else row


def validate_configuration(
    uow: UnitOfWork,
    access: Access,
    id: str,
    config: dict[str, Any] | Keep,
    schema: Schema | Keep,
    rules: SchemaRules = DEFAULT_RULES,
) -> list[dict[str, Any]]:
    """What a write of `config` and `schema` (KEEP: the stored one) would be refused for, each
    violation as a 422 would list it; nothing is written."""
    row = get_configuration(uow, access, id)
    wanted_config = row["config"] if isinstance(config, Keep) else config
    wanted_schema = row["schema"] if isinstance(schema, Keep) else schema
    return violations(wanted_config, wanted_schema, rules)


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
    uow: UnitOfWork,
    access: Access,
    id: str,
    version: int,
    versions: Versions = None,
    rules: SchemaRules = DEFAULT_RULES,
) -> ConfigurationRow:
    """Make a past revision's name, comments, config and schema current again, as a new version
    (its config is checked against its schema once more: the limits may have changed since).

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
    else:
        # its revision `version` exists (get_revision found it): max(version) is never NULL here
        latest = cast(int, uow.configurations.latest_version(id))
        if not version_matches(versions, latest):
            raise StaleVersion("configuration", latest)
        row = uow.configurations.restore_deleted(id, version)
    require_fits(row["config"], row["schema"], rules, digest=row.get("schema_digest"))
    return _recorded(uow, "restore", row)


def _require_sees_configuration(uow: UnitOfWork, access: Access, id: str) -> None:
    """A limited caller's check: the application the configuration belongs to (it never changes)."""
    if access.limited:
        access.require_sees(uow.configurations.owner_of(id), "configuration")


def _recorded(uow: UnitOfWork, change: str, row: ConfigurationRow) -> ConfigurationRow:
    """Record a configuration's change in the feed (one row, though its application's version may move too)."""
    uow.changes.record(row["application_id"], row["id"], change, row["version"], row["updated_at"])
    return row
