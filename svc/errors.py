"""The service's own exceptions: what went wrong, in terms a client can act on."""


class ServiceError(Exception):
    """Base of every error the service reports to a client; `detail` is safe to show."""

    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class NotFound(ServiceError):
    status = 404
    title = "Not Found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class InvalidReference(ServiceError):
    """The request names something that does not exist or cannot change (a 422)."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, detail: str, field: str):
        super().__init__(detail)
        self.field = field


class ServiceUnavailable(ServiceError):
    """The database cannot serve now; the client may retry."""

    status = 503
    title = "Service Unavailable"
    retry_after_seconds = 1


class PayloadTooLarge(ServiceError):
    status = 413
    title = "Content Too Large"
