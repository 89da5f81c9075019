"""Authentication before anything else: every /api/v1 request names a usable bearer token with
the scope its method needs (401 / 403 problem+json otherwise); the principal goes in the scope."""

import re

from config_service.api.dependencies import runtime_in
from config_service.auth.registry import principal_of
from config_service.domain.access import ANONYMOUS, Principal
from config_service.domain.errors import ServiceError
from config_service.services import tokens

PROTECTED = "/api/v1"
METRICS_PATH = "/metrics"  # protected too when METRICS_TOKEN_REQUIRED=true
ADMIN_ONLY = "/api/v1/tokens"
CHALLENGE = {"WWW-Authenticate": "Bearer"}
MAX_SECRET_LENGTH = 200  # a real one is 47 characters; anything longer is not hashed


# POST /api/v1/configurations/{id}/validate writes nothing: a read token may check a change.
VALIDATE_ONLY = re.compile(r"/api/v1/configurations/[^/]+/validate")


def required_scope(method: str, path: str) -> str:
    if path == METRICS_PATH:
        return "metrics"
    if path == ADMIN_ONLY or path.startswith(ADMIN_ONLY + "/"):
        return "admin"
    if method in ("GET", "HEAD") or (method == "POST" and VALIDATE_ONLY.fullmatch(path)):
        return "read"
    return "write"


def _uncounted(outcome: str) -> None:
    pass


def bearer(headers) -> bytes | None:
    """The token of `Authorization: Bearer <token>`, as sent (bytes: no decoding on the hot path)."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() != b"bearer":
                return None
            return token.strip() or None
    return None


class Authenticate:
    """Pure ASGI middleware; `problem` builds the refusals and `failure` answers a service error
    met while looking a token up (both the api layer's problem+json)."""

    def __init__(self, app, problem, failure, enabled: bool = True, metrics_protected: bool = False):
        self.app, self._problem, self._failure, self._enabled = app, problem, failure, enabled
        self._metrics_protected = metrics_protected

    def _protects(self, path: str) -> bool:
        return (
            path == PROTECTED or path.startswith(PROTECTED + "/") or (self._metrics_protected and path == METRICS_PATH)
        )

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not self._protects(path):
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        if not self._enabled:
            state["principal"] = ANONYMOUS
            return await self.app(scope, receive, send)
        runtime = runtime_in(scope)
        registry, secret, principal = runtime.tokens, bearer(scope["headers"]), None
        if secret is not None and len(secret) <= MAX_SECRET_LENGTH:
            digest, principal = registry.known(secret)
            if not registry.vouches(principal):
                try:
                    principal = await self._looked_up(runtime.database, digest)
                except ServiceError as error:  # the database could not vouch for the token: 503, not 500
                    response = self._failure(error, state.get("request_id"))
                    return await response(scope, receive, send)
        checks = runtime.metrics.token_check if runtime.metrics is not None else _uncounted
        if principal is None:
            checks("missing" if secret is None else "unknown")
            return await self._refuse(scope, receive, send, 401, "a valid bearer token is required", CHALLENGE)
        needed = required_scope(scope["method"], path)
        if not principal.has(needed) or (needed == "admin" and principal.limited):
            checks("insufficient_scope")
            return await self._refuse(scope, receive, send, 403, f"this token lacks the {needed} scope")
        checks("accepted")
        state["principal"] = principal
        registry.used.add(principal.token_id)
        await self.app(scope, receive, send)

    @staticmethod
    async def _looked_up(database, digest: str) -> Principal | None:
        row = await database.read(lambda uow: tokens.token_by_hash(uow, digest))
        return principal_of(row) if row else None

    async def _refuse(self, scope, receive, send, status: int, detail: str, headers: dict | None = None):
        response = self._problem(status, detail, headers=headers, request_id=scope["state"].get("request_id"))
        await response(scope, receive, send)
