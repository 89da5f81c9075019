"""What went wrong, in the service's own terms; api/problems.py alone turns it into HTTP."""

from typing import Any


class ServiceError(Exception):
    """Base of every error the service reports to a client; `detail` is safe to show."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class NotFound(ServiceError):
    """No resource with that id (or that version)."""


class Conflict(ServiceError):
    """The change contradicts the stored state: a taken name, a resource still in use."""


class InvalidReference(ServiceError):
    """The request names something that does not exist or cannot change; `field` says which."""

    def __init__(self, detail: str, field: str):
        super().__init__(detail)
        self.field = field


class KeyReused(ServiceError):
    """An idempotency key came back with another request than the one it was first used with."""


class StaleVersion(ServiceError):
    """The precondition named a version other than the stored one (None: nothing is stored)."""

    def __init__(self, kind: str, current_version: int | None):
        if current_version is None:
            super().__init__(f"the {kind} does not exist, so If-Match cannot match")
        else:
            super().__init__(f"the {kind} is at version {current_version}, not the one If-Match names")
        self.current_version = current_version


class PreconditionMissing(ServiceError):
    """The service requires a precondition (If-Match) on writes, and none was given."""


class SchemaViolation(ServiceError):
    """A config that does not fit its schema, or a schema that is not one: `errors` are
    {loc, msg, type, schema_path} each, made from the schema, never echoing the config."""

    def __init__(self, detail: str, errors: list[dict[str, Any]]):
        super().__init__(detail)
        self.errors = errors


class OperationFailed(ServiceError):
    """Step `index` of a transaction failed with `cause`; nothing of the transaction was kept."""

    def __init__(self, index: int, cause: ServiceError):
        super().__init__(f"operation {index} failed: {cause.detail}")
        self.index, self.cause = index, cause


class Unauthenticated(ServiceError):
    """The request's token is no longer usable (revoked or expired while its answer was held)."""


class TooLarge(ServiceError):
    """The answer would exceed the service's byte budget for one response."""


class Forbidden(ServiceError):
    """The caller is known but may not do this."""


class Unavailable(ServiceError):
    """The database cannot serve now; the client may retry."""


class OutcomeUnknown(Unavailable):
    """The connection failed while a write was committing: it may or may not be stored."""


def not_found_or_stale(kind: str, current_version: int | None, precondition: bool) -> ServiceError:
    """Why a write matched no row: the resource is gone, or at another version.

    With a precondition (If-Match) a missing resource fails it too (RFC 9110 13.1.1).
    """
    if current_version is None and not precondition:
        return NotFound(f"no {kind} with this id")
    return StaleVersion(kind, current_version)
