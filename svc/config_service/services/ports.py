"""What the use cases need from storage: the unit of work and its repositories.

Declared here, by the layer that uses them; repositories/ and the test fakes implement them
(`services/ports_behaviour_test.py` runs the same behaviour against both).
"""

from __future__ import annotations  # the methods named `list` would shadow the builtin in annotations

import builtins
from datetime import datetime
from typing import Any, Protocol

from config_service.domain.rows import (
    KEEP,
    ApplicationRow,
    ApplicationWithConfigurations,
    AppliedMigration,
    ChangeRow,
    ConfigurationRow,
    Deleted,
    Keep,
    RevisionRow,
    Schema,
)
from config_service.domain.versions import Versions


class Applications(Protocol):
    def add(self, id: str, name: str, comments: str | None) -> ApplicationWithConfigurations: ...

    def get(self, id: str) -> ApplicationWithConfigurations | None: ...

    def version_of(self, id: str) -> int | None: ...

    def lock(self, id: str) -> bool: ...

    def lock_all(self, ids: list[str]) -> None: ...

    def by_name(self, name: str) -> ApplicationWithConfigurations | None: ...

    def update(
        self, id: str, name: str, comments: str | None, versions: Versions = None
    ) -> ApplicationWithConfigurations | None: ...

    def delete(self, id: str, versions: Versions = None) -> Deleted | None: ...

    def list(
        self, limit: int, after: str | None, only: list[str] | None = None, name: str | None = None
    ) -> list[ApplicationRow]: ...


class Configurations(Protocol):
    def add(
        self,
        id: str,
        application_id: str,
        name: str,
        comments: str | None,
        config: dict[str, Any],
        schema: Schema = None,
    ) -> ConfigurationRow: ...

    def get(self, id: str) -> ConfigurationRow | None: ...

    def version_of(self, id: str) -> int | None: ...

    def update(
        self,
        id: str,
        name: str,
        comments: str | None,
        config: dict[str, Any],
        versions: Versions = None,
        schema: Schema | Keep = KEEP,
    ) -> ConfigurationRow | None: ...

    def delete(self, id: str, versions: Versions = None) -> Deleted | None: ...

    def list(
        self,
        application_id: str | None,
        limit: int,
        after: str | None,
        only: list[str] | None,
        budget: int,
        name: str | None = None,
    ) -> tuple[list[ConfigurationRow], bool]: ...

    def lock(self, id: str) -> bool: ...

    def owner_of(self, id: str) -> str | None: ...

    def owners_of(self, ids: builtins.list[str]) -> dict[str, str]: ...

    def lock_all(self, ids: builtins.list[str]) -> None: ...

    def of_application(self, application_id: str, for_update: bool = False) -> builtins.list[ConfigurationRow]: ...

    def bytes_of(self, application_id: str) -> int: ...

    def unchanged_names(self, application_id: str, items: builtins.list[dict[str, Any]]) -> set[str]: ...

    def revisions(
        self, id: str, limit: int, before: int | None, budget: int
    ) -> tuple[builtins.list[RevisionRow], bool]: ...

    def revision(self, id: str, version: int) -> RevisionRow | None: ...

    def latest_version(self, id: str) -> int | None: ...

    def restore_existing(self, id: str, version: int, versions: Versions = None) -> ConfigurationRow | None: ...

    def restore_deleted(self, id: str, version: int) -> ConfigurationRow: ...


class Changes(Protocol):
    recorded: list[ChangeRow]

    def record(
        self,
        application_id: str,
        configuration_id: str | None,
        change: str,
        version: int,
        changed_at: datetime | None = None,
    ) -> None: ...

    def flush(self, commit: bool = False) -> list[ChangeRow]: ...

    def since(
        self, after: int, upto: int, application_id: str | None, limit: int, only: list[str] | None = None
    ) -> list[ChangeRow]: ...

    def head(self) -> int: ...


class Tokens(Protocol):
    def add(
        self,
        id: str,
        name: str,
        scope: str,
        application_ids: list[str] | None,
        secret_hash: str,
        expires_at: datetime | None,
    ) -> dict[str, Any]: ...

    def list(self) -> list[dict[str, Any]]: ...

    def usable(self) -> builtins.list[dict[str, Any]]: ...

    def by_hash(self, secret_hash: str) -> dict[str, Any] | None: ...

    def is_usable(self, id: str) -> bool: ...

    def revoke(self, id: str) -> dict[str, Any] | None: ...

    def revoke_by_name(self, name: str) -> dict[str, Any] | None: ...

    def touch(self, ids: builtins.list[str]) -> int: ...

    def announce(self) -> None: ...

    def any_exist(self) -> bool: ...


class Idempotency(Protocol):
    def claim(self, owner: str, key: str, fingerprint: str) -> bool: ...

    def stored(self, owner: str, key: str) -> dict[str, Any] | None: ...

    def record(self, owner: str, key: str, status: int, headers: dict[str, str], body: str) -> None: ...


class Migrations(Protocol):
    def applied(self) -> dict[str, AppliedMigration]: ...


class UnitOfWork(Protocol):
    """One transaction's view of storage. Use cases never commit: whoever runs them does.

    The repositories are read-only members: an implementation may hold richer ones (its own
    repository classes), which a settable member would not allow.
    """

    @property
    def applications(self) -> Applications: ...

    @property
    def configurations(self) -> Configurations: ...

    @property
    def changes(self) -> Changes: ...

    @property
    def tokens(self) -> Tokens: ...

    @property
    def idempotency(self) -> Idempotency: ...

    @property
    def migrations(self) -> Migrations: ...
