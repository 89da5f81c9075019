"""Request and response bodies, and the checks that run before the database."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_extra_types.ulid import ULID

from config_service.domain.json_rules import no_nul, not_blank, storable_json
from config_service.domain.rows import KEEP, Keep

# As the service reads ids: Crockford base32, in either case.
ULID_PATTERN = "^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$"


def _id_string(value: Any) -> str:
    # Ids are strings only: python-ulid would also read an integer (-1 overflows, 0 is an id).
    if not isinstance(value, str):
        raise ValueError("must be a string: a 26-character ULID")
    # Crockford base32 is case-insensitive; python-ulid only reads upper case.
    return value.upper()


# A ULID in, its 26-character string out (pydantic-extra-types does not serialize it).
Id = Annotated[
    ULID,
    BeforeValidator(_id_string),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": ULID_PATTERN, "examples": ["01JB8Z6Q3M5T2V7X9Y1ZAB4CDE"]}),
]
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=256), AfterValidator(not_blank), AfterValidator(no_nul)
]
Comments = Annotated[str | None, StringConstraints(max_length=1024), AfterValidator(no_nul)]
Config = Annotated[dict[str, Any], AfterValidator(storable_json)]
# A JSON Schema (draft 2020-12) object; whether it is a valid one, services/schemas.py decides.
JsonSchema = Annotated[dict[str, Any], AfterValidator(storable_json)]
SCHEMA_EXAMPLE: Any = {
    "type": "object",
    "properties": {"host": {"type": "string"}, "port": {"type": "integer", "minimum": 1, "maximum": 65535}},
    "required": ["host"],
}
# Page size of every list: 1-1000, 100 by default.
Limit = Annotated[int, Query(ge=1, le=1000)]
# A list's `name` filter: exact match, as names are stored.
NameFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=256, description="Only the one with exactly this name (case-sensitive)."),
]


class RequestBody(BaseModel):
    """Unknown fields are refused, so a typo is caught instead of silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ApplicationCreate(RequestBody):
    name: Name
    comments: Comments = None

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "billing", "comments": "owned by team X"}]})


class ApplicationUpdate(ApplicationCreate):
    """A full replacement: a missing `comments` clears it."""


class ConfigurationCreate(RequestBody):
    application_id: Id
    name: Name
    comments: Comments = None
    config: Config
    json_schema: JsonSchema | None = Field(
        None, alias="schema", description="A JSON Schema (draft 2020-12) the config must fit; null for none."
    )

    model_config = ConfigDict(
        serialize_by_alias=True,
        json_schema_extra={
            "examples": [
                {
                    "application_id": "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE",
                    "name": "database",
                    "comments": None,
                    "config": {"host": "db.internal", "port": 5432, "tls": True},
                    "schema": SCHEMA_EXAMPLE,
                }
            ]
        },
    )


class ConfigurationUpdate(RequestBody):
    """A full replacement of name, comments and config; `application_id`, if sent, must not change."""

    application_id: Id | None = None
    name: Name
    comments: Comments = None
    config: Config
    json_schema: JsonSchema | None = Field(
        None, alias="schema", description="Left out: the stored schema stays; null: no schema any more."
    )

    model_config = ConfigDict(
        serialize_by_alias=True,
        json_schema_extra={
            "examples": [{"name": "database", "comments": "moved", "config": {"host": "db2.internal", "port": 5432}}]
        },
    )

    def schema_given(self) -> dict[str, Any] | None | Keep:
        """The schema sent, or KEEP when the body left it out (a full replacement otherwise)."""
        return self.json_schema if "json_schema" in self.model_fields_set else KEEP


class ApplicationSummary(BaseModel):
    id: str = Field(pattern=ULID_PATTERN)
    name: str
    comments: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE",
                    "name": "billing",
                    "comments": "owned by team X",
                    "version": 3,
                    "created_at": "2026-12-01T08:00:00Z",
                    "updated_at": "2026-12-01T09:30:00Z",
                }
            ]
        }
    )


class ApplicationOut(ApplicationSummary):
    configuration_ids: list[str]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE",
                    "name": "billing",
                    "comments": "owned by team X",
                    "version": 3,
                    "created_at": "2026-12-01T08:00:00Z",
                    "updated_at": "2026-12-01T09:30:00Z",
                    "configuration_ids": ["01JB8Z7K2D4F6G8H0J2K4M6N8P"],
                }
            ]
        }
    )


class ApplicationList(RootModel[list[ApplicationSummary]]):
    pass


class ConfigurationOut(BaseModel):
    id: str = Field(pattern=ULID_PATTERN)
    application_id: str = Field(pattern=ULID_PATTERN)
    name: str
    comments: str | None
    config: dict[str, Any]
    json_schema: dict[str, Any] | None = Field(None, alias="schema")
    version: int
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(
        serialize_by_alias=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "01JB8Z7K2D4F6G8H0J2K4M6N8P",
                    "application_id": "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE",
                    "name": "database",
                    "comments": None,
                    "config": {"host": "db.internal", "port": 5432, "tls": True},
                    "version": 2,
                    "created_at": "2026-12-01T08:05:00Z",
                    "updated_at": "2026-12-01T09:30:00Z",
                }
            ]
        },
    )


class ConfigurationList(RootModel[list[ConfigurationOut]]):
    pass


class RevisionOut(BaseModel):
    """One state of a configuration, as a change left it."""

    configuration_id: str = Field(pattern=ULID_PATTERN)
    version: int
    change: Literal["create", "update", "delete", "restore"]
    application_id: str = Field(pattern=ULID_PATTERN)
    name: str
    comments: str | None
    config: dict[str, Any]
    json_schema: dict[str, Any] | None = Field(None, alias="schema")
    changed_at: datetime
    changed_by: str

    model_config = ConfigDict(
        serialize_by_alias=True,
        json_schema_extra={
            "examples": [
                {
                    "configuration_id": "01JB8Z7K2D4F6G8H0J2K4M6N8P",
                    "version": 2,
                    "change": "update",
                    "application_id": "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE",
                    "name": "database",
                    "comments": None,
                    "config": {"host": "db.internal", "port": 5432, "tls": True},
                    "changed_at": "2026-12-01T09:30:00Z",
                    "changed_by": "deploy-bot",
                }
            ]
        },
    )


class RevisionList(RootModel[list[RevisionOut]]):
    pass


class ChangeOut(BaseModel):
    """One committed change: what it named, and the version it made (a delete's is the last + 1)."""

    seq: int
    application_id: str = Field(pattern=ULID_PATTERN)
    configuration_id: str | None = Field(default=None, pattern=ULID_PATTERN)
    change: Literal["create", "update", "delete", "restore"]
    version: int
    changed_at: datetime
    changed_by: str

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seq": 42,
                    "application_id": "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE",
                    "configuration_id": "01JB8Z7K2D4F6G8H0J2K4M6N8P",
                    "change": "update",
                    "version": 2,
                    "changed_at": "2026-12-01T09:30:00Z",
                    "changed_by": "deploy-bot",
                }
            ]
        }
    )


class ChangeList(BaseModel):
    changes: list[ChangeOut]
    last_seq: int

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "changes": [
                        {
                            "seq": 42,
                            "application_id": "01JB8Z6Q3M5T2V7X9Y1ZAB4CDE",
                            "configuration_id": "01JB8Z7K2D4F6G8H0J2K4M6N8P",
                            "change": "update",
                            "version": 2,
                            "changed_at": "2026-12-01T09:30:00Z",
                            "changed_by": "deploy-bot",
                        }
                    ],
                    "last_seq": 42,
                }
            ]
        }
    )


# --- transactions, export and import ---------------------------------------------------

Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
Ref = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


class TransactionConfigurationCreate(RequestBody):
    """As ConfigurationCreate, or naming an application created earlier in the transaction by its ref."""

    application_id: Id | None = None
    application_ref: Ref | None = None
    name: Name
    comments: Comments = None
    config: Config
    json_schema: JsonSchema | None = Field(None, alias="schema")

    model_config = ConfigDict(serialize_by_alias=True)


class CreateApplicationOp(RequestBody):
    op: Literal["create_application"]
    ref: Ref | None = None
    body: ApplicationCreate


class OnExistingOp(RequestBody):
    """An operation on an existing resource: its id, and optionally the version it must be at."""

    id: Id
    if_match: Version | None = None


class UpdateApplicationOp(OnExistingOp):
    op: Literal["update_application"]
    body: ApplicationUpdate


class DeleteApplicationOp(OnExistingOp):
    op: Literal["delete_application"]


class CreateConfigurationOp(RequestBody):
    op: Literal["create_configuration"]
    ref: Ref | None = None
    body: TransactionConfigurationCreate


class UpdateConfigurationOp(OnExistingOp):
    op: Literal["update_configuration"]
    body: ConfigurationUpdate


class DeleteConfigurationOp(OnExistingOp):
    op: Literal["delete_configuration"]


class RestoreConfigurationOp(OnExistingOp):
    op: Literal["restore_configuration"]
    version: Version


class CheckOp(OnExistingOp):
    op: Literal["check"]
    kind: Literal["application", "configuration"]


Operation = Annotated[
    CreateApplicationOp
    | UpdateApplicationOp
    | DeleteApplicationOp
    | CreateConfigurationOp
    | UpdateConfigurationOp
    | DeleteConfigurationOp
    | RestoreConfigurationOp
    | CheckOp,
    Field(discriminator="op"),
]


class TransactionRequest(RequestBody):
    operations: list[Operation] = Field(min_length=1)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "operations": [
                        {"op": "create_application", "ref": "pay", "body": {"name": "payments"}},
                        {
                            "op": "create_configuration",
                            "body": {"application_ref": "pay", "name": "db", "config": {"host": "db1"}},
                        },
                    ]
                }
            ]
        }
    )


class ExportedConfiguration(RequestBody):
    name: Name
    comments: Comments = None
    config: Config
    json_schema: JsonSchema | None = Field(None, alias="schema", description="Left out: the stored schema stays.")

    model_config = ConfigDict(serialize_by_alias=True)


class ExportedApplication(RequestBody):
    name: Name
    comments: Comments = None


class ExportDocument(RequestBody):
    """An application and its configurations by name: portable between environments."""

    format: Literal["config-service/v1"]
    application: ExportedApplication
    configurations: list[ExportedConfiguration] = Field(max_length=100_000)

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "format": "config-service/v1",
                    "application": {"name": "billing", "comments": None},
                    "configurations": [{"name": "database", "comments": None, "config": {"host": "db.internal"}}],
                }
            ]
        }
    )


TokenName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:@-]{1,128}$")]


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be a time before the year 10000 in UTC") from None


# A moment: with its offset (a time without one names no moment), representable in UTC.
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class TokenCreate(RequestBody):
    name: TokenName
    scope: Literal["read", "write", "admin", "metrics"]
    application_ids: list[Id] | None = Field(default=None, min_length=1, max_length=1000)
    expires_at: Moment | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "deploy-bot", "scope": "write"}]})


class TokenOut(BaseModel):
    """A token as it is listed: never its secret, never its hash."""

    id: str
    name: str
    scope: str
    application_ids: list[str] | None
    expires_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JB8Z9W3X5Y7Z9A1B3C5D7E9F",
                    "name": "deploy-bot",
                    "scope": "write",
                    "application_ids": None,
                    "expires_at": "2027-03-01T08:00:00Z",
                    "created_at": "2026-12-01T08:00:00Z",
                    "last_used_at": None,
                    "revoked_at": None,
                }
            ]
        }
    )


class TokenCreated(TokenOut):
    token: str  # the secret, in this answer only

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01JB8Z9W3X5Y7Z9A1B3C5D7E9F",
                    "name": "deploy-bot",
                    "scope": "write",
                    "application_ids": None,
                    "expires_at": "2027-03-01T08:00:00Z",
                    "created_at": "2026-12-01T08:00:00Z",
                    "last_used_at": None,
                    "revoked_at": None,
                    "token": "cfg_3q2bM0m6cX9vJ1kq8ZkR0yP5wTn4sLhA7dE2fG6jH8u",
                }
            ]
        }
    )


class TokenList(RootModel[list[TokenOut]]):
    pass


class Me(BaseModel):
    name: str
    scope: str
    application_ids: list[str] | None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "deploy-bot", "scope": "write", "application_ids": None}]}
    )


class ValidationFailure(BaseModel):
    loc: list[str]
    msg: str


class Problem(BaseModel):
    """application/problem+json (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ValidationFailure] | None = None
    current_version: int | None = None
    request_id: str | None = None


class ValidationRequest(RequestBody):
    """What to check; a field left out means the stored one."""

    config: Config | None = None
    json_schema: JsonSchema | None = Field(None, alias="schema")

    model_config = ConfigDict(serialize_by_alias=True, json_schema_extra={"examples": [{"config": {"host": "db3"}}]})

    def config_given(self) -> dict[str, Any] | Keep:
        return self.config if "config" in self.model_fields_set and self.config is not None else KEEP

    def schema_given(self) -> dict[str, Any] | None | Keep:
        return self.json_schema if "json_schema" in self.model_fields_set else KEEP


class SchemaError(BaseModel):
    loc: list[str]
    msg: str
    type: str
    schema_path: list[str] | None = None


class ValidationResult(BaseModel):
    valid: bool
    errors: list[SchemaError]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "valid": False,
                    "errors": [
                        {
                            "loc": ["body", "config", "port"],
                            "msg": "must be of type integer",
                            "type": "schema",
                            "schema_path": ["properties", "port", "type"],
                        }
                    ],
                }
            ]
        }
    )
