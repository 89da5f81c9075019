"""`LiveConfig` and `AsyncLiveConfig`: a pydantic model of one configuration, kept current from
the change stream. A value that does not validate never replaces the last good one."""

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from config_client import cache_file, calls
from config_client.async_client import AsyncConfigClient
from config_client.client import ConfigClient
from config_client.errors import FeedReset, NotFound, Unavailable
from config_client.models import Change, Configuration, Revision
from config_client.retries import NO_RETRIES, Backoff

M = TypeVar("M", bound=BaseModel)
Startup = Literal["wait", "fail", "cache"]
Swap = Callable[[M, M], Any]
ErrorHandler = Callable[[Exception], Any]
RETRY = Backoff(attempts=0, base=0.1, cap=5.0)  # between tries while starting or following


def _not_found(what: str) -> NotFound:
    return NotFound(404, {"title": "Not Found", "status": 404, "detail": f"no such {what}"})


def _timed_out(seconds: float) -> Unavailable:
    return Unavailable(None, {"title": "the service did not answer", "detail": f"not within {seconds:g} s"})


@dataclass(frozen=True)
class Current(Generic[M]):
    """What a LiveConfig shows, replaced whole: a reader never sees a value with another's version."""

    value: M
    version: int
    configuration: Configuration | None  # None while the value is the cached copy
    from_cache: bool = False


class Follower(Generic[M]):
    """What both kinds of LiveConfig do, on an event loop: load, validate, swap, follow. It never
    stops by itself: every failure is reported (`last_error`, the error handlers) and tried again."""

    def __init__(self, model: type[M], application: str, configuration: str, cache_path: str | Path | None):
        self.model, self.application, self.configuration_name = model, application, configuration
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.client: AsyncConfigClient | None = None
        self.current: Current[M] | None = None
        self.last_error: Exception | None = None
        self.subscribers: tuple[Swap[M], ...] = ()  # replaced whole: read by the loop's thread
        self.error_handlers: tuple[ErrorHandler, ...] = ()
        self._seq: int | None = None  # the feed's seq the value is current at; None: load again
        self._ids: tuple[str, str] | None = None  # the application's and the configuration's
        self._deleted = False

    async def start(self, startup: Startup, timeout: float) -> None:
        """Load the value: "wait" tries until `timeout` passes, "fail" once, "cache" once and
        then the cached copy; no try outlasts `timeout`."""
        if startup not in ("wait", "fail", "cache"):
            raise ValueError(f"startup must be 'wait', 'fail' or 'cache', not {startup!r}")
        deadline = time.monotonic() + timeout
        failures = 0
        while True:
            try:
                await asyncio.wait_for(self._load(NO_RETRIES, first=True), max(deadline - time.monotonic(), 0.001))
                return
            except (Unavailable, TimeoutError) as error:
                unreachable = error if isinstance(error, Unavailable) else _timed_out(timeout)
            remaining = deadline - time.monotonic()
            if startup == "wait" and remaining > 0:
                await asyncio.sleep(min(RETRY.delay(failures), remaining))
                failures += 1
                continue
            if startup == "cache" and self._load_cache():
                self.last_error = unreachable
                return
            raise unreachable

    async def follow(self) -> None:
        """Until cancelled: watch the application's changes and take each of this configuration."""
        failures = 0
        while True:
            try:
                if self._seq is None or self._ids is None:
                    await self._load(None)
                assert self._seq is not None and self._ids is not None
                changes = self._client().watch(after=self._seq, application_id=self._ids[0], on_error=self._report)
                async with aclosing(changes):
                    async for change in changes:
                        failures = 0
                        if await self._take(change):
                            self._seq = None  # find it again, by name
                            break
                        self._seq = change.seq
            except FeedReset:
                self._seq = None  # the service's history was reset: load the value again
            except Exception as error:  # reported, and tried again: a follower never stops
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
        self._swap(current, strict=first, reload=True)
        self._seq = seq

    async def _take(self, change: Change) -> bool:
        """Apply one change of the application; True when the configuration must be found again."""
        assert self._ids is not None
        client = self._client()
        if self._deleted:  # ours restored, or another made under its name?
            if change.change not in ("create", "restore"):
                return False
            if change.configuration_id == self._ids[1] or change.configuration_id is None:
                return change.configuration_id is not None
            try:
                other = await client.call(calls.get_configuration(change.configuration_id, fresh=True))
            except NotFound:
                return False
            return other.name == self.configuration_name
        held = self.current
        if change.configuration_id != self._ids[1]:
            return False
        if held is not None and not held.from_cache and change.version <= held.version:
            return False
        if change.change == "delete":
            self._deleted = True
            self._report(_not_found(f"configuration {self.configuration_name!r}: it was deleted"))
            return False
        # The revision this change made, not what is current by now: a good version followed at
        # once by a bad one is still taken.
        revision = await client.call(calls.get_revision(self._ids[1], change.version))
        self._swap(_configuration_of(revision, held))
        return False

    def _swap(self, current: Configuration, strict: bool = False, reload: bool = False) -> None:
        """Take `current` if it is newer (on a reload: if it is another version) and validates."""
        held = self.current
        same = held is not None and not held.from_cache and held.configuration is not None
        if same and held.configuration.id == current.id:  # type: ignore[union-attr]
            if current.version == held.version or (current.version < held.version and not reload):  # type: ignore[union-attr]
                return
        try:
            value = self.model.model_validate(current.config)
        except ValidationError as invalid:
            if strict:
                raise
            return self._report(invalid)
        unwritable = None
        if self.cache_path is not None:  # before the swap: once the value shows, the copy holds it too
            try:
                cache_file.write(
                    self.cache_path, self._client().connection.url, self.application, self.configuration_name,
                    current.version, current.config,
                )  # fmt: skip
            except OSError as failure:  # the copy is a fallback: the value is swapped all the same
                unwritable = failure
        self.current = Current(value, current.version, current)
        self.last_error = None
        if unwritable is not None:
            self._report(unwritable)
        if held is not None and held.value != value:
            for callback in self.subscribers:
                try:
                    callback(held.value, value)
                except Exception as error:  # a subscriber's failure is reported, not ours
                    self._report(error)

    def _load_cache(self) -> bool:
        if self.cache_path is None:
            return False
        url = self._client().connection.url
        cached = cache_file.read(self.cache_path, url, self.application, self.configuration_name)
        if cached is None:
            return False
        version, config = cached
        try:
            value = self.model.model_validate(config)
        except ValidationError:
            return False  # written by an older model, say: not a value this one can serve
        self.current = Current(value, version, None, from_cache=True)
        return True

    def _report(self, error: Exception) -> None:
        self.last_error = error
        for handler in self.error_handlers:
            try:
                handler(error)
            except Exception:  # a failing error handler has no one left to tell
                pass


def _configuration_of(revision: Revision, held: "Current[Any] | None") -> Configuration:
    """The configuration as revision `revision` left it."""
    created = held.configuration.created_at if held and held.configuration else revision.changed_at
    return Configuration(
        id=revision.configuration_id,
        application_id=revision.application_id,
        name=revision.name,
        comments=revision.comments,
        config=revision.config,
        json_schema=revision.json_schema,
        version=revision.version,
        created_at=created,
        updated_at=revision.changed_at,
    )


class Observed(Generic[M]):
    """What a LiveConfig shows: its value, where it stands, and who hears of changes."""

    _follower: Follower[M]

    def _current(self) -> Current[M]:
        current = self._follower.current
        if current is None:
            raise RuntimeError("not started: use the LiveConfig as a context manager")
        return current

    @property
    def value(self) -> M:
        """The current value, validated into the model."""
        return self._current().value

    @property
    def version(self) -> int | None:
        current = self._follower.current
        return None if current is None else current.version

    @property
    def configuration(self) -> Configuration | None:
        """The configuration the value was read from (None while served from the cache file)."""
        current = self._follower.current
        return None if current is None else current.configuration

    @property
    def from_cache(self) -> bool:
        """True while the value is the cached copy, the service not reached since starting."""
        current = self._follower.current
        return current is not None and current.from_cache

    @property
    def last_error(self) -> Exception | None:
        """Why the newest change was not taken (a ValidationError, the configuration deleted),
        or why the service cannot be followed now (Unavailable, a failing subscriber, an unwritable
        cache file); None again after the next change taken."""
        return self._follower.last_error

    def subscribe(self, callback: Swap[M]) -> Swap[M]:
        """Call `callback(old, new)` after each swap of the value (on the watching thread or loop;
        an exception it raises is reported as `last_error`)."""
        self._follower.subscribers = (*self._follower.subscribers, callback)
        return callback

    def on_error(self, callback: ErrorHandler) -> ErrorHandler:
        """Call `callback(error)` whenever a change is not taken or the service cannot be followed."""
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
