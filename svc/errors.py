"""The service's own exceptions: what went wrong, in terms a client can act on."""


class ServiceError(Exception):
    """Base of every error the service reports to a client; `detail` is safe to show."""

    status = 500

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that go with the error."""
        return {}

    def problem_fields(self) -> dict:
        """Members the problem+json body carries beyond type, title, status and detail."""
        return {}


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class InvalidReference(ServiceError):
    """The request names something that does not exist or cannot change (a 422)."""

    status = 422

    def __init__(self, detail: str, field: str):
        super().__init__(detail)
        self.field = field

    def problem_fields(self) -> dict:
        return {"errors": [{"loc": ["body", self.field], "msg": self.detail}]}


class ServiceUnavailable(ServiceError):
    """The database cannot serve now; the client may retry."""

    status = 503
    retry_after_seconds = 1

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


class PayloadTooLarge(ServiceError):
    status = 413


class PreconditionFailed(ServiceError):
    """If-Match named a version other than the stored one."""

    status = 412

    def __init__(self, kind: str, current_version: int):
        super().__init__(f"the {kind} is at version {current_version}, not the one If-Match names")
        self.current_version = current_version

    @property
    def headers(self) -> dict[str, str]:
        return {"ETag": f'"{self.current_version}"'}

    def problem_fields(self) -> dict:
        return {"current_version": self.current_version}


class PreconditionRequired(ServiceError):
    status = 428


def not_found_or_stale(kind: str, current_version: int | None) -> ServiceError:
    """Why a conditional write matched no row: the resource is gone, or at another version."""
    if current_version is None:
        return NotFound(f"no {kind} with this id")
    return PreconditionFailed(kind, current_version)
