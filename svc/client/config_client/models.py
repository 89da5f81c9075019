"""What the service answers, as pydantic models. Unknown fields are ignored, so a newer service
never breaks an older client."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ChangeKind = str  # create, update, delete or restore (a newer service may add kinds)


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, serialize_by_alias=True, validate_by_name=True)


class Keep:
    """A write that leaves the schema out, so the stored one stays (`KEEP`)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


# A configuration's JSON Schema (draft 2020-12): `.json_schema` in Python, `schema` on the wire
# (`schema` would shadow pydantic's own).
def schema_field() -> Any:
    return Field(None, alias="schema")


class Application(Model):
    id: str
    name: str
    comments: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    configuration_ids: list[str] | None = None  # None in list items, which leave them out


class Configuration(Model):
    id: str
    application_id: str
    name: str
    comments: str | None = None
    config: dict[str, Any]
    json_schema: dict[str, Any] | None = schema_field()
    version: int
    created_at: datetime
    updated_at: datetime


class Revision(Model):
    configuration_id: str
    version: int
    change: ChangeKind
    application_id: str
    name: str
    comments: str | None = None
    config: dict[str, Any]
    json_schema: dict[str, Any] | None = schema_field()
    changed_at: datetime
    changed_by: str


class Change(Model):
    seq: int
    application_id: str
    configuration_id: str | None = None  # None for a change of the application itself
    change: ChangeKind
    version: int
    changed_at: datetime
    changed_by: str


class ChangePage(Model):
    changes: list[Change]
    last_seq: int


class TransactionResult(Model):
    status: int
    body: Any = None


class ExportedApplication(Model):
    name: str
    comments: str | None = None


class ExportedConfiguration(Model):
    name: str
    comments: str | None = None
    config: dict[str, Any]
    json_schema: dict[str, Any] | None = schema_field()


class ExportDocument(Model):
    format: Literal["config-service/v1"] = "config-service/v1"
    application: ExportedApplication
    configurations: list[ExportedConfiguration]


class PlannedApplication(Model):
    id: str | None
    action: str  # create, update or unchanged


class PlannedConfiguration(Model):
    name: str
    action: str  # create, update, delete or unchanged
    id: str | None
    errors: list[dict[str, Any]] = []  # a dry run's: how its config does not fit its schema


class Validation(Model):
    """Would a write be accepted: `valid`, and each violation as a 422 lists it (`loc`, `msg`,
    `type`, `schema_path`)."""

    valid: bool
    errors: list[dict[str, Any]]


class ImportPlan(Model):
    application: PlannedApplication
    configurations: list[PlannedConfiguration]


class Token(Model):
    id: str
    name: str
    scope: str
    application_ids: list[str] | None = None
    expires_at: datetime | None = None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class NewToken(Token):
    token: str  # the secret: shown in this answer only


class Me(Model):
    name: str
    scope: str
    application_ids: list[str] | None = None
