"""What the use cases need from storage: the unit of work, its repositories and their rows.

Declared here, by the layer that uses them; repositories/ and the test fakes implement them.
"""
from __future__ import annotations  # the methods named `list` would shadow the builtin in annotations

from datetime import datetime
from typing import Any, Protocol, TypedDict


class ApplicationRow(TypedDict):
    id: str
    name: str
    comments: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ApplicationWithConfigurations(ApplicationRow):
    configuration_ids: list[str]


class ConfigurationRow(TypedDict):
    id: str
    application_id: str
    name: str
    comments: str | None
    config: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class RevisionRow(TypedDict):
    configuration_id: str
    version: int
    change: str
    application_id: str
    name: str
    comments: str | None
    config: dict[str, Any]
    changed_at: datetime
    changed_by: str


class StoredAnswer(TypedDict):
    """An answer kept under an idempotency key: opaque to the services."""

    status: int
    headers: dict[str, str]
    body: bytes


class ChangeRow(TypedDict):
    """One committed change, as the feed reports it."""

    seq: int
    application_id: str
    configuration_id: str | None
    change: str
    version: int
    changed_at: datetime
    changed_by: str


class Deleted(TypedDict, total=False):
    """What a delete leaves to report: the deletion's version (the last one + 1)."""

    id: str
    application_id: str
    version: int
    changed_at: datetime


class AppliedMigration(TypedDict):
    name: str
    checksum: str
    applied_at: datetime


class AnyVersion:
    """If-Match: * - every stored version matches, but the resource must exist."""

    def __repr__(self) -> str:
        return "ANY_VERSION"


ANY_VERSION = AnyVersion()
# A write's precondition: None (none), ANY_VERSION, or the versions an If-Match header accepts.
Versions = list[int] | AnyVersion | None


def version_matches(versions: Versions, current: int) -> bool:
    """Whether the stored version `current` satisfies the precondition."""
    return versions is None or versions is ANY_VERSION or current in versions


class Applications(Protocol):
    def add(self, id: str, name: str, comments: str | None) -> ApplicationWithConfigurations: ...

    def get(self, id: str) -> ApplicationWithConfigurations | None: ...

    def version_of(self, id: str) -> int | None: ...

    def lock(self, id: str) -> bool: ...

    def lock_all(self, ids: list[str]) -> None: ...

    def by_name(self, name: str) -> ApplicationWithConfigurations | None: ...

    def update(self, id: str, name: str, comments: str | None,
               versions: Versions = None) -> ApplicationWithConfigurations | None: ...

    def delete(self, id: str, versions: Versions = None) -> Deleted | None: ...

    def list(self, limit: int, after: str | None, only: list[str] | None = None) -> list[ApplicationRow]: ...


class Configurations(Protocol):
    def add(self, id: str, application_id: str, name: str, comments: str | None,
            config: dict[str, Any]) -> ConfigurationRow: ...

    def get(self, id: str) -> ConfigurationRow | None: ...

    def version_of(self, id: str) -> int | None: ...

    def update(self, id: str, name: str, comments: str | None, config: dict[str, Any],
               versions: Versions = None) -> ConfigurationRow | None: ...

    def delete(self, id: str, versions: Versions = None) -> Deleted | None: ...

    def list(self, application_id: str | None, limit: int, after: str | None, only: list[str] | None,
             budget: int) -> tuple[list[ConfigurationRow], bool]: ...

    def lock(self, id: str) -> bool: ...

    def owner_of(self, id: str) -> str | None: ...

    def owners_of(self, ids: list[str]) -> dict[str, str]: ...

    def lock_all(self, ids: list[str]) -> None: ...

    def of_application(self, application_id: str, for_update: bool = False) -> list[ConfigurationRow]: ...

    def bytes_of(self, application_id: str) -> int: ...

    def unchanged_names(self, application_id: str, items: list[dict[str, Any]]) -> set[str]: ...

    def revisions(self, id: str, limit: int, before: int | None, budget: int) -> tuple[list[RevisionRow], bool]: ...

    def revision(self, id: str, version: int) -> RevisionRow | None: ...

    def latest_version(self, id: str) -> int | None: ...

    def restore_existing(self, id: str, version: int, versions: Versions = None) -> ConfigurationRow | None: ...

    def restore_deleted(self, id: str, version: int) -> ConfigurationRow: ...


class Changes(Protocol):
    recorded: list[ChangeRow]

    def record(self, application_id: str, configuration_id: str | None, change: str, version: int,
               changed_at: datetime | None = None) -> None: ...

    def flush(self, commit: bool = False) -> list[ChangeRow]: ...

    def since(self, after: int, upto: int, application_id: str | None, limit: int,
              only: list[str] | None = None) -> list[ChangeRow]: ...

    def head(self) -> int: ...


class Tokens(Protocol):
    def add(self, id: str, name: str, scope: str, application_ids: list[str] | None, secret_hash: str,
            expires_at: datetime | None) -> dict[str, Any]: ...

    def list(self) -> list[dict[str, Any]]: ...

    def usable(self) -> list[dict[str, Any]]: ...

    def by_hash(self, secret_hash: str) -> dict[str, Any] | None: ...

    def is_usable(self, id: str) -> bool: ...

    def revoke(self, id: str) -> dict[str, Any] | None: ...

    def revoke_by_name(self, name: str) -> dict[str, Any] | None: ...

    def touch(self, ids: list[str]) -> int: ...

    def announce(self) -> None: ...

    def any_exist(self) -> bool: ...


class Idempotency(Protocol):
    def claim(self, owner: str, key: str, fingerprint: str) -> bool: ...

    def stored(self, owner: str, key: str) -> dict[str, Any] | None: ...

    def record(self, owner: str, key: str, status: int, headers: dict[str, str], body: str) -> None: ...


class Migrations(Protocol):
    def applied(self) -> dict[str, AppliedMigration]: ...


class UnitOfWork(Protocol):
    """One transaction's view of storage. Use cases never commit: whoever runs them does."""

    applications: Applications
    configurations: Configurations
    changes: Changes
    tokens: Tokens
    idempotency: Idempotency
    migrations: Migrations
