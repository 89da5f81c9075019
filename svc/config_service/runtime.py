"""The composition root: everything one worker runs on, built once in the app's lifespan."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass

from config_service.auth.registry import TokenRegistry
from config_service.auth.usage import record_usage
from config_service.db import migrations
from config_service.db.database import Database, open_database
from config_service.feed.worker import WorkerFeed, open_feed
from config_service.metrics.recorder import Recorder, recording
from config_service.services.schemas import SchemaRules
from config_service.settings import Settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    database: Database
    feed: WorkerFeed
    tokens: TokenRegistry  # this worker's map of usable tokens
    expected_migrations: dict[str, str]  # name -> checksum of every migration this code ships
    schema_rules: SchemaRules  # the limits of configurations' JSON Schemas, from the settings
    metrics: Recorder | None  # this worker's counts, flushed to prometheus-client once a second (METRICS_ENABLED)


def schema_rules(settings: Settings) -> SchemaRules:
    return SchemaRules(settings.max_schema_bytes, settings.schema_validation_ms / 1000, settings.max_schema_errors)


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Open the database and the feed, and record token use in the background, until exit."""
    tokens = TokenRegistry()
    expected = {m.name: m.checksum for m in migrations.discover()}
    async with (
        open_database(settings) as database,
        open_feed(settings, database, tokens) as feed,
        recording(database, feed) if settings.metrics_enabled else nullcontext() as metrics,
    ):
        usage = asyncio.get_running_loop().create_task(record_usage(database, tokens))
        try:
            yield Runtime(settings, database, feed, tokens, expected, schema_rules(settings), metrics)
        finally:
            usage.cancel()
            await asyncio.gather(usage, return_exceptions=True)
