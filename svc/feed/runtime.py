"""The feed of one worker: its read cache, its hub and its listener, started and stopped together."""
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from auth.registry import TokenRegistry
from config import Settings
from db.database import Database
from feed.cache import ReadCache
from feed.hub import ChangeHub
from feed.listener import ChangeListener


@dataclass(frozen=True)
class Feed:
    cache: ReadCache
    hub: ChangeHub
    listener: ChangeListener


def _nobody(touched) -> None:
    return None


@asynccontextmanager
async def open_feed(settings: Settings, database: Database, tokens: TokenRegistry) -> AsyncIterator[Feed]:
    """Start listening; this worker's own commits reach the hub at once (read-your-writes)."""
    cache = ReadCache(settings.read_cache_size, settings.read_cache_bytes)
    hub = ChangeHub(cache)
    listener = ChangeListener(settings, database, hub, tokens)
    hub.on_gap = listener.request_catch_up
    hub.on_unvouched = listener.ping
    database.on_commit.append(hub.apply)
    database.on_doubt.append(listener.request_catch_up)  # a write that may have committed: read the table
    # This worker's writes need not wake its own listener while nothing here waits for what they touch.
    database.quiet_channel = lambda touched: None if hub.waits_for(touched) else listener.channel
    listener.start()
    try:
        yield Feed(cache, hub, listener)
    finally:
        database.on_commit.remove(hub.apply)
        database.on_doubt.remove(listener.request_catch_up)
        database.quiet_channel = _nobody
        await listener.stop()
