"""Who a request acts as, and what that lets it do."""
from dataclasses import dataclass

SCOPES = ("read", "write", "admin")  # each includes the ones before it


@dataclass(frozen=True)
class Principal:
    name: str
    scope: str
    application_ids: frozenset[str] | None = None  # None: every application
    token_id: str | None = None

    def has(self, scope: str) -> bool:
        return SCOPES.index(self.scope) >= SCOPES.index(scope)

    @property
    def limited(self) -> bool:
        return self.application_ids is not None

    def sees(self, application_id: str) -> bool:
        return self.application_ids is None or application_id in self.application_ids


ANONYMOUS = Principal("anonymous", "admin")  # every request when AUTH=off
