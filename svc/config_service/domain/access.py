"""Who a request acts as, and what that lets it see and change.

A `Principal` is the caller (a token, or anonymous with AUTH=off); the `Access` built from it
is what every use case checks inside its own unit of work. A token limited to some
applications finds every other one, and all that belongs to it, as if it did not exist (404,
or 422 where a body names it); creating an application, or importing one, needs an
unlimited token (403).
"""

from dataclasses import dataclass

from config_service.domain.errors import Forbidden, InvalidReference, NotFound

SCOPES = ("read", "write", "admin")  # each includes the ones before it
METRICS = "metrics"  # may read GET /metrics, nothing of the API


@dataclass(frozen=True)
class Principal:
    name: str
    scope: str
    application_ids: frozenset[str] | None = None  # None: every application
    token_id: str | None = None

    def has(self, scope: str) -> bool:
        """Each scope includes the ones before it; `metrics` (scraping /metrics) stands apart,
        included in admin only."""
        if METRICS in (scope, self.scope):
            return self.scope in (scope, "admin")
        return SCOPES.index(self.scope) >= SCOPES.index(scope)

    @property
    def limited(self) -> bool:
        return self.application_ids is not None

    def sees(self, application_id: str) -> bool:
        return self.application_ids is None or application_id in self.application_ids


ANONYMOUS = Principal("anonymous", "admin")  # every request when AUTH=off


@dataclass(frozen=True)
class Access:
    application_ids: frozenset[str] | None = None  # None: every application

    @property
    def limited(self) -> bool:
        return self.application_ids is not None

    @property
    def only(self) -> list[str] | None:
        """The applications a list or the feed is limited to (in id order); None for every one."""
        return None if self.application_ids is None else sorted(self.application_ids)

    def sees(self, application_id: str | None) -> bool:
        return self.application_ids is None or application_id in self.application_ids

    def require_sees(self, application_id: str | None, kind: str = "application") -> None:
        """NotFound, as for a missing resource, unless the caller may see this application's `kind`."""
        if application_id is None or not self.sees(application_id):
            raise NotFound(f"no {kind} with this id")

    def require_names(self, application_id: str | None) -> None:
        """For a body naming an application: InvalidReference, as for a missing one, unless visible."""
        if application_id is None or not self.sees(application_id):
            raise InvalidReference("application_id (or application_ref) names no application", "application_id")

    def require_unlimited(self) -> None:
        if self.limited:
            raise Forbidden("a token limited to some applications cannot create or import one")


EVERYTHING = Access()


def access_of(caller: Principal) -> Access:
    """What the caller's token lets it see: the value every use case checks."""
    return Access(caller.application_ids)
