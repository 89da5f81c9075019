"""/docs (Swagger UI) and /redoc (ReDoc): the API reference, every asset served by the service
itself (fastapi-offline's copies; never a CDN), under the console's Content-Security-Policy,
widened on each page only by what that page cannot render without."""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from config_service.api.console import HEADERS, SecuredFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_PATH = "/reference"
SECURITY = {name.decode(): value.decode() for name, value in HEADERS}
# Swagger UI's stylesheet draws its icons (select arrows, checkboxes, copy) as data: images.
SWAGGER_SECURITY = {**SECURITY, "content-security-policy": "default-src 'self'; img-src 'self' data:"}
# ReDoc writes its styles into the page at run time (styled-components) and searches in a worker
# it starts from a blob: its page alone may apply inline styles and start that worker. Scripts
# still come from the service only, as everywhere else.
REDOC_SECURITY = {
    **SECURITY,
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; worker-src 'self' blob:",
}
router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
{head}
</head>
<body>
{body}
</body>
</html>
"""
SWAGGER = PAGE.format(
    title="Config Service API - Swagger UI",
    head=f'<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">',
    body=f'<div id="swagger-ui"></div>\n<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>\n'
    f'<script src="{ASSETS_PATH}/swagger-init.js"></script>',
)
# A file of its own, not an inline script: the CSP allows scripts from the service only.
SWAGGER_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis],
});
"""
REDOC = PAGE.format(
    title="Config Service API - ReDoc",
    head="",
    body=f'<redoc spec-url="/openapi.json"></redoc>\n<script src="{ASSETS_PATH}/redoc.standalone.js"></script>',
)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(SWAGGER, headers=SWAGGER_SECURITY)


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return HTMLResponse(REDOC, headers=REDOC_SECURITY)


@router.get(f"{ASSETS_PATH}/swagger-init.js")
async def swagger_init() -> Response:
    return Response(SWAGGER_INIT, media_type="text/javascript", headers=SECURITY)


@router.get("/")
async def home() -> RedirectResponse:
    """The service's root leads a person to the console (its sign-in page links the reference)."""
    return RedirectResponse("/ui/", status_code=307)


def reference_assets() -> SecuredFiles:
    """Swagger UI's and ReDoc's scripts and styles, mounted at ASSETS_PATH."""
    return SecuredFiles(ASSETS)
