"""Authentication before anything else: every /api/v1 request names a usable bearer token with
the scope its method needs (401 / 403 problem+json otherwise); the principal goes in the scope."""
from auth.principal import ANONYMOUS, Principal
from auth.registry import principal_of
from errors import ServiceError

PROTECTED = "/api/v1"
ADMIN_ONLY = "/api/v1/tokens"
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def required_scope(method: str, path: str) -> str:
    if path == ADMIN_ONLY or path.startswith(ADMIN_ONLY + "/"):
        return "admin"
    return "read" if method in ("GET", "HEAD") else "write"


def bearer(headers) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token.strip() or None
    return None


class Authenticate:
    """Pure ASGI middleware; `problem` builds the refusals and `failure` answers a service error
    met while looking a token up (both the api layer's problem+json)."""

    def __init__(self, app, problem, failure):
        self.app, self._problem, self._failure = app, problem, failure

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PROTECTED or path.startswith(PROTECTED + "/")):
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        app_state = scope["app"].state
        if app_state.settings.auth == "off":
            state["principal"] = ANONYMOUS
            return await self.app(scope, receive, send)
        try:
            principal = await self._principal(app_state, bearer(scope["headers"]))
        except ServiceError as error:  # the database could not vouch for the token: 503, not 500
            response = self._failure(error, state.get("request_id"))
            return await response(scope, receive, send)
        if principal is None:
            return await self._refuse(scope, receive, send, 401, "a valid bearer token is required", CHALLENGE)
        needed = required_scope(scope["method"], path)
        if not principal.has(needed) or (needed == "admin" and principal.limited):
            return await self._refuse(scope, receive, send, 403, f"this token lacks the {needed} scope")
        state["principal"] = principal
        app_state.tokens.used.add(principal.token_id)
        await self.app(scope, receive, send)

    async def _principal(self, app_state, secret: str | None) -> Principal | None:
        if secret is None or len(secret) > 200:
            return None
        registry = app_state.tokens
        digest, principal = registry.known(secret)
        if registry.trusted and (principal is not None or not registry.may_look_up()):
            return principal
        row = await app_state.database.read(lambda uow: uow.tokens.by_hash(digest))
        return principal_of(row) if row else None

    async def _refuse(self, scope, receive, send, status: int, detail: str, headers: dict | None = None):
        response = self._problem(status, detail, headers=headers, request_id=scope["state"].get("request_id"))
        await response(scope, receive, send)
