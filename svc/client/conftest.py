"""The client's tests run against the real service: each test gets its own database and a
service on it (in this process, or as a real process where a test restarts it)."""

from dataclasses import dataclass

import config_service.conftest as shared
import pytest
from config_service.conftest import make_settings
from config_service.testing.live import live_app
from config_service.testing.server import free_port, start_server, stop, wait_until_ready
from config_service.testing.tokens import make_token

from config_client import AsyncConfigClient, Backoff, ConfigClient

# The service's own fixtures, used by name: a fresh migrated database per test.
run_id, template_database, database_url = shared.run_id, shared.template_database, shared.database_url

# Retries in tests wait milliseconds, not seconds: the behaviour is the same.
FAST = Backoff(attempts=6, base=0.01, cap=0.1)


@dataclass
class Service:
    url: str
    token: str  # an admin token's secret
    settings: object

    def client(self, token: str | None = None, **options) -> ConfigClient:
        return ConfigClient(self.url, token or self.token, backoff=options.pop("backoff", FAST), **options)

    def async_client(self, token: str | None = None, **options) -> AsyncConfigClient:
        return AsyncConfigClient(self.url, token or self.token, backoff=options.pop("backoff", FAST), **options)

    def make_token(self, name: str, scope: str, application_ids: list[str] | None = None) -> str:
        return make_token(self.settings, name, scope, application_ids)


@pytest.fixture
def service(database_url):
    """The real app, tokens required, served on a free port of 127.0.0.1."""
    settings = make_settings(database_url, auth="tokens")
    token = make_token(settings, "tests", "admin")
    with live_app(settings) as (url, _):
        yield Service(url, token, settings)


@pytest.fixture
def client(service):
    with service.client() as client:
        yield client


class ServiceProcess:
    """The service as a real process (tokens off) on a port of its own, which a test may stop
    and start again on that same port."""

    def __init__(self, database_url: str):
        self.database_url, self.port = database_url, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.start()

    def start(self) -> None:
        self.process, _ = start_server(self.database_url, PORT=str(self.port), LOG_LEVEL="WARNING")
        assert wait_until_ready(self.process, self.url).status_code == 200

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def service_process(database_url):
    process = ServiceProcess(database_url)
    yield process
    process.stop()
