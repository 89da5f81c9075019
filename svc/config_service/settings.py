"""Service settings, read from the environment and svc/.env."""

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, PostgresDsn, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = Path(__file__).resolve().parent.parent / ".env"


class Settings(BaseSettings):
    """Every tunable of the service; see .env.example for one line on each."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    database_url: PostgresDsn = PostgresDsn("postgresql://postgres:postgres@127.0.0.1:5432/config_service")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    metrics_enabled: bool = True  # false: no GET /metrics, nothing recorded (the bench's baseline)
    metrics_token_required: bool = False  # GET /metrics then needs a token with the metrics scope (or admin)
    pool_size: int = Field(4, ge=1, le=1000)
    executor_workers: int = Field(4, ge=1, le=1000)
    queue_wait_seconds: float = Field(5.0, gt=0, le=300)
    connect_timeout_seconds: int = Field(2, ge=1, le=300)
    statement_timeout_ms: int = Field(5000, ge=0)
    lock_timeout_ms: int = Field(2000, ge=0)
    idle_in_transaction_timeout_ms: int = Field(10000, ge=0)
    max_request_body_bytes: int = Field(1_048_576, ge=1024)
    head_timeout_seconds: float = Field(10.0, gt=0, le=300)
    body_stall_seconds: float = Field(10.0, gt=0, le=300)
    max_connections: int = Field(2048, ge=1, le=1_000_000)
    require_if_match: bool = False
    migration_lock_wait_seconds: float = Field(300, gt=0, le=86400)
    auth: Literal["tokens", "off"] = "tokens"
    max_transaction_operations: int = Field(1000, ge=1, le=100_000)
    read_cache_size: int = Field(10_000, ge=0)
    read_cache_bytes: int = Field(64 * 1024 * 1024, ge=0)
    max_response_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    # A configuration's JSON Schema: its size, the time one validation may take, the errors reported.
    max_schema_bytes: int = Field(64 * 1024, ge=256, le=1024 * 1024)
    schema_validation_ms: float = Field(50, gt=0, le=10_000)
    max_schema_errors: int = Field(20, ge=1, le=100)

    @model_validator(mode="after")
    def _auth_off_only_on_loopback(self) -> "Settings":
        if self.auth == "off" and not is_loopback(self.host):
            raise ValueError(f"AUTH=off is for local development: HOST must be a loopback address, not {self.host}")
        return self

    @model_validator(mode="after")
    def _executor_fits_pool(self) -> "Settings":
        # A worker thread must always find a free connection: getconn never waits.
        if self.executor_workers > self.pool_size:
            raise ValueError(f"EXECUTOR_WORKERS ({self.executor_workers}) must not exceed POOL_SIZE ({self.pool_size})")
        return self


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SettingsError(Exception):
    """Settings that cannot be used, described in one line."""


def load_settings(**overrides) -> Settings:
    """Read the settings, turning a validation failure into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in item["loc"]).upper()
            problems.append(f"{where}: {item['msg']}" if where else item["msg"])
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
