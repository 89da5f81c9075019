"""The OpenAPI side of authentication: the bearer scheme, and the scope each operation needs."""

from typing import Any, cast

from fastapi import FastAPI

from config_service.api.authentication import PROTECTED, required_scope

SCHEME = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer cfg_...`: an API token (see svc/docs/security.md).",
    }
}


def document_security(app: FastAPI) -> None:
    """Declare the bearer scheme, and on every /api/v1 operation the scope it needs."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = SCHEME
            for path, item in schema["paths"].items():
                if path.startswith(PROTECTED):
                    for method, operation in item.items():
                        scope = required_scope(method.upper(), path)
                        operation["security"] = [{"bearer": []}]
                        operation["x-required-scope"] = scope
                        operation["description"] = (
                            operation.get("description", "") + f"\n\nNeeds a token with the `{scope}` scope."
                        )
        return cast("dict[str, Any]", app.openapi_schema)  # build() (in the end FastAPI.openapi) stored it

    # FastAPI's documented way to extend the schema: replace app.openapi (mypy refuses method assignment).
    app.openapi = openapi  # type: ignore[method-assign]
