"""`LiveConfig` and `AsyncLiveConfig`: a pydantic model of one configuration, kept current from
the change stream. A value that does not validate never replaces the last good one."""

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from config_client import cache_file, calls
from config_client.async_client import AsyncConfigClient
from config_client.client import ConfigClient
from config_client.errors import ConfigServiceError, FeedReset, NotFound, Unavailable
from config_client.models import Change, Configuration
from config_client.retries import NO_RETRIES, Backoff

M = TypeVar("M", bound=BaseModel)
Startup = Literal["wait", "fail", "cache"]
Swap = Callable[[M, M], Any]
ErrorHandler = Callable[[Exception], Any]
RETRY = Backoff(attempts=0, base=0.1, cap=5.0)  # between tries while starting or following


def _not_found(what: str) -> NotFound:
    return NotFound(404, {"title": "Not Found", "status": 404, "detail": f"no such {what}"})


class Follower(Generic[M]):
    """What both kinds of LiveConfig do, on an event loop: load, validate, swap, follow."""

    def __init__(self, model: type[M], application: str, configuration: str, cache_path: str | Path | None):
        self.model, self.application, self.configuration_name = model, application, configuration
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.client: AsyncConfigClient | None = None
        self.value: M | None = None
        self.configuration: Configuration | None = None
        self.version: int | None = None
        self.last_error: Exception | None = None
        self.from_cache = False
        self.subscribers: tuple[Swap[M], ...] = ()  # replaced whole: read by the loop's thread
        self.error_handlers: tuple[ErrorHandler, ...] = ()
        self._seq: int | None = None  # the feed's seq this value is current at; None: load again
        self._ids: tuple[str, str] | None = None
        self._deleted = False

    async def start(self, startup: Startup, timeout: float) -> None:
        if startup not in ("wait", "fail", "cache"):
            raise ValueError(f"startup must be 'wait', 'fail' or 'cache', not {startup!r}")
        if startup == "wait":
            deadline = time.monotonic() + timeout
            failures = 0
            while True:
                try:
                    return await self._load(NO_RETRIES, first=True)
                except Unavailable:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise
                    await asyncio.sleep(min(RETRY.delay(failures), remaining))
                    failures += 1
        try:
            await self._load(NO_RETRIES, first=True)
        except Unavailable as unreachable:
            if startup == "fail" or not self._load_cache():
                raise
            self.last_error = unreachable

    async def follow(self) -> None:
        """Until cancelled: watch the application's changes and take each of this configuration."""
        failures = 0
        while True:
            try:
                if self._seq is None or self._ids is None:
                    await self._load(None)
                assert self._seq is not None and self._ids is not None
                async for change in self._client().watch(after=self._seq, application_id=self._ids[0]):
                    failures = 0
                    if await self._take(change):
                        self._seq = None  # find it again, by name
                        break
                    self._seq = change.seq
            except FeedReset:
                self._seq = None
            except (ConfigServiceError, ValidationError, OSError) as error:
                self._report(error)
                await asyncio.sleep(RETRY.delay(failures))
                failures += 1

    def _client(self) -> AsyncConfigClient:
        assert self.client is not None, "no client: the LiveConfig is not started"
        return self.client

    async def _load(self, backoff: Backoff | None, first: bool = False) -> None:
        """Find the configuration by its names and take its current value; the feed's head is
        read first, so no change after the value is missed."""
        client = self._client()
        seq = await client.call(calls.head_seq(), backoff)
        app = next(iter((await client.call(calls.list_applications(self.application, 1), backoff)).items), None)
        if app is None:
            raise _not_found(f"application {self.application!r}")
        page = await client.call(calls.list_configurations(app.id, self.configuration_name, 1), backoff)
        found = next(iter(page.items), None)
        if found is None:
            raise _not_found(f"configuration {self.configuration_name!r} in {self.application!r}")
        current = await client.call(calls.get_configuration(found.id, fresh=True), backoff)
        self._ids, self._deleted = (app.id, found.id), False
        self._swap(current, strict=first)
        self._seq = seq

    async def _take(self, change: Change) -> bool:
        """Apply one change of the application; True when the configuration must be found again."""
        assert self._ids is not None
        if self._deleted:
            return change.change in ("create", "restore")  # maybe ours again, or a new one by that name
        if change.configuration_id != self._ids[1] or change.version <= (self.version or 0):
            return False
        if change.change == "delete":
            self._deleted = True
            self._report(_not_found(f"configuration {self.configuration_name!r}: it was deleted"))
            return False
        self._swap(await self._client().call(calls.get_configuration(self._ids[1], fresh=True)))
        return False

    def _swap(self, current: Configuration, strict: bool = False) -> None:
        if self.version is not None and current.version <= self.version and not self.from_cache:
            return
        try:
            value = self.model.model_validate(current.config)
        except ValidationError as invalid:
            if strict:
                raise
            return self._report(invalid)
        if self.cache_path is not None:  # first: once the value is swapped, the copy holds it too
            cache_file.write(
                self.cache_path, self.application, self.configuration_name, current.version, current.config
            )
        old, self.value, self.configuration = self.value, value, current
        self.version, self.last_error, self.from_cache = current.version, None, False
        if old is not None and old != value:
            for callback in self.subscribers:
                callback(old, value)

    def _load_cache(self) -> bool:
        cached = (
            None
            if self.cache_path is None
            else cache_file.read(self.cache_path, self.application, self.configuration_name)
        )
        if cached is None:
            return False
        version, config = cached
        try:
            self.value = self.model.model_validate(config)
        except ValidationError:
            return False  # written by an older model, say: not a value this one can serve
        self.version, self.from_cache = version, True
        return True

    def _report(self, error: Exception) -> None:
        self.last_error = error
        for handler in self.error_handlers:
            handler(error)


class Observed(Generic[M]):
    """What a LiveConfig shows: its value, where it stands, and who hears of changes."""

    _follower: Follower[M]

    @property
    def value(self) -> M:
        """The current value, validated into the model."""
        if self._follower.value is None:
            raise RuntimeError("not started: use the LiveConfig as a context manager")
        return self._follower.value

    @property
    def version(self) -> int | None:
        return self._follower.version

    @property
    def configuration(self) -> Configuration | None:
        """The configuration the value was read from (None while served from the cache file)."""
        return self._follower.configuration

    @property
    def last_error(self) -> Exception | None:
        """Why the newest change was not taken (a ValidationError, the service unreachable, the
        configuration deleted), None after a good one."""
        return self._follower.last_error

    @property
    def from_cache(self) -> bool:
        """True while the value is the cached copy, the service not reached since starting."""
        return self._follower.from_cache

    def subscribe(self, callback: Swap[M]) -> Swap[M]:
        """Call `callback(old, new)` after each swap of the value (on the watching thread or loop)."""
        self._follower.subscribers = (*self._follower.subscribers, callback)
        return callback

    def on_error(self, callback: ErrorHandler) -> ErrorHandler:
        """Call `callback(error)` whenever a change is not taken (see `last_error`)."""
        self._follower.error_handlers = (*self._follower.error_handlers, callback)
        return callback


class AsyncLiveConfig(Observed[M]):
    """`async with AsyncLiveConfig(Model, client, "app", "config") as live: live.value ...`; it
    follows changes in a task of the running loop until the block ends."""

    def __init__(
        self,
        model: type[M],
        client: AsyncConfigClient,
        application: str,
        configuration: str,
        cache_path: str | Path | None = None,
        startup: Startup = "wait",
        startup_timeout: float = 30,
    ):
        self._follower = Follower(model, application, configuration, cache_path)
        self._follower.client = client
        self._startup, self._startup_timeout = startup, startup_timeout
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "AsyncLiveConfig[M]":
        await self._follower.start(self._startup, self._startup_timeout)
        self._task = asyncio.create_task(self._follower.follow())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


class LiveConfig(Observed[M]):
    """`with LiveConfig(Model, client, "app", "config") as live: live.value ...`: it follows
    changes on a thread of its own (its own event loop and connection) until the block ends.

    startup: "wait" tries until `startup_timeout` seconds pass, then raises; "fail" raises at
    once; "cache" serves the copy at `cache_path` when the service cannot be reached, and
    catches up when it can."""

    def __init__(
        self,
        model: type[M],
        client: ConfigClient,
        application: str,
        configuration: str,
        cache_path: str | Path | None = None,
        startup: Startup = "wait",
        startup_timeout: float = 30,
    ):
        self._follower = Follower(model, application, configuration, cache_path)
        self._connection, self._backoff = client.connection, client.backoff
        self._startup, self._startup_timeout = startup, startup_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> "LiveConfig[M]":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="live-config", daemon=True)
        self._thread.start()
        try:
            self._on_loop(self._start()).result()
        except BaseException:
            self._on_loop(self._stop()).result()
            self._end_loop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._on_loop(self._stop()).result()
        self._end_loop()

    def _on_loop(self, coroutine: Any) -> "Future[Any]":
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _start(self) -> None:
        connection = self._connection
        self._follower.client = AsyncConfigClient(connection.url, connection.token, connection.timeout, self._backoff)
        await self._follower.start(self._startup, self._startup_timeout)
        self._task = asyncio.create_task(self._follower.follow())

    async def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._follower.client is not None:
            await self._follower.client.close()

    def _end_loop(self) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
