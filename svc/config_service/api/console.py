"""/ui: the console's static files (they hold no data: no token needed), under a strict CSP."""

from pathlib import Path

from starlette.staticfiles import StaticFiles

FILES = Path(__file__).resolve().parent.parent / "console"
HEADERS = [
    (b"content-security-policy", b"default-src 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-cache"),
]


class SecuredFiles:
    """StaticFiles with the console's security headers on every answer."""

    def __init__(self, directory: Path, html: bool = False):
        self._files = StaticFiles(directory=directory, html=html)

    async def __call__(self, scope, receive, send):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *HEADERS]
            await send(message)

        await self._files(scope, receive, send_with_headers)


def console_files() -> SecuredFiles:
    """The console: index.html at /ui/."""
    return SecuredFiles(FILES, html=True)
