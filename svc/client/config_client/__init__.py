"""The Config Service's Python client: `ConfigClient` and `AsyncConfigClient` for every endpoint,
`LiveConfig` and `AsyncLiveConfig` for typed settings that follow their configuration, and
`ConfigServiceSource` for pydantic-settings."""

from config_client.async_client import AsyncConfigClient
from config_client.client import ConfigClient
from config_client.errors import (
    ConfigServiceError,
    Conflict,
    FeedReset,
    Forbidden,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    Unavailable,
)
from config_client.live import AsyncLiveConfig, LiveConfig
from config_client.models import (
    KEEP,
    Application,
    Change,
    ChangePage,
    Configuration,
    ExportDocument,
    ImportPlan,
    Me,
    NewToken,
    Revision,
    Token,
    TransactionResult,
    Validation,
)
from config_client.retries import Backoff


def __getattr__(name: str) -> object:
    # pydantic-settings is an extra (`config-service-client[settings]`): imported when asked for.
    if name == "ConfigServiceSource":
        from config_client.settings_source import ConfigServiceSource

        return ConfigServiceSource
    raise AttributeError(f"module 'config_client' has no attribute {name!r}")


__all__ = [
    "KEEP",
    "Application",
    "AsyncConfigClient",
    "AsyncLiveConfig",
    "Backoff",
    "Change",
    "ChangePage",
    "ConfigClient",
    "ConfigServiceError",
    "Configuration",
    "Conflict",
    "ExportDocument",
    "FeedReset",
    "Forbidden",
    "ImportPlan",
    "InvalidRequest",
    "LiveConfig",
    "Me",
    "NewToken",
    "NotFound",
    "PreconditionFailed",
    "PreconditionRequired",
    "Revision",
    "Token",
    "TransactionResult",
    "Unauthorized",
    "Unavailable",
    "Validation",
]
