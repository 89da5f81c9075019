"""The rows the use cases read and write, as storage hands them over, and the ids new rows get."""

from datetime import datetime
from typing import Any, NotRequired, TypedDict

from ulid import ULID


def new_id() -> str:
    """A fresh ULID as its 26-character canonical string (sorts by creation time)."""
    return str(ULID())


class ApplicationRow(TypedDict):
    id: str
    name: str
    comments: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class ApplicationWithConfigurations(ApplicationRow):
    configuration_ids: list[str]


class Keep:
    """A write that leaves the schema out: the stored one stays."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()
Schema = dict[str, Any] | None  # a JSON Schema (draft 2020-12), or None for none


class ConfigurationRow(TypedDict):
    id: str
    application_id: str
    name: str
    comments: str | None
    config: dict[str, Any]
    schema: Schema
    version: int
    created_at: datetime
    updated_at: datetime
    schema_digest: NotRequired[str | None]  # from a write: what the schema's validator is kept by


class RevisionRow(TypedDict):
    configuration_id: str
    version: int
    change: str
    application_id: str
    name: str
    comments: str | None
    config: dict[str, Any]
    schema: Schema
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
