"""Where the service is and who is asking: the settings both clients share."""

import os
from dataclasses import dataclass

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
STREAM_READ_SECONDS = 45.0  # a quiet stream sends a keep-alive every 15 s: three missed means it is dead


@dataclass(frozen=True)
class Connection:
    url: str
    token: str | None
    timeout: float

    @classmethod
    def of(cls, url: str | None, token: str | None, timeout: float) -> "Connection":
        """`url` and `token` default to CONFIG_SERVICE_URL and CONFIG_SERVICE_TOKEN."""
        url = url or os.environ.get("CONFIG_SERVICE_URL") or DEFAULT_URL
        token = token or os.environ.get("CONFIG_SERVICE_TOKEN") or None
        return cls(url.rstrip("/"), token, timeout)

    def http_options(self) -> dict[str, object]:
        """What httpx.Client and httpx.AsyncClient are made with."""
        headers = {"Accept": "application/json", "User-Agent": "config-service-client"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return {"base_url": self.url, "headers": headers, "timeout": httpx.Timeout(self.timeout)}

    def timeout_for(self, extra: float) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, read=self.timeout + extra)

    def stream_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, read=max(self.timeout, STREAM_READ_SECONDS))
