"""`AsyncConfigClient`: `ConfigClient`'s methods as coroutines (its iterators are async iterators)."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx

from config_client import calls
from config_client.calls import Call, Page
from config_client.connection import Connection
from config_client.errors import unreachable
from config_client.models import (
    KEEP,
    Application,
    Change,
    ChangePage,
    Configuration,
    ExportDocument,
    ImportPlan,
    Keep,
    Me,
    NewToken,
    Revision,
    Token,
    TransactionResult,
    Validation,
)
from config_client.retries import Attempts, Backoff, Confirm, Done
from config_client.watching import RECONNECT, STREAM_PATH, Following

T = TypeVar("T")
ErrorHandler = Callable[[Exception], Any]


class AsyncConfigClient:
    """As `ConfigClient`, for asyncio: `async with AsyncConfigClient() as client: ...`."""

    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float = 10, backoff: Backoff | None = None
    ):
        self.connection = Connection.of(url, token, timeout)
        self.backoff = backoff or Backoff()
        self._http = httpx.AsyncClient(**self.connection.http_options())  # type: ignore[arg-type]

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncConfigClient":
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ):
        await self.close()

    async def call(self, call: Call[T], backoff: Backoff | None = None) -> T:
        """Send `call`, again after a failure when that is safe, and read its answer."""
        attempts: Attempts[T] = Attempts(call, backoff or self.backoff)
        while True:
            try:
                response = await self._http.request(
                    call.method,
                    call.path,
                    params=call.params,
                    json=call.json,
                    headers=call.headers,
                    timeout=self.connection.timeout_for(call.extra_timeout),
                )
            except httpx.TransportError as failure:
                step = attempts.failed(failure)
            else:
                step = attempts.answered(response)
            if isinstance(step, Done):
                return step.value
            if isinstance(step, Confirm):
                return await self.call(step.call, backoff)
            await asyncio.sleep(step.delay)

    async def pages(self, call: Call[Page[T]]) -> AsyncIterator[T]:
        """Every item of a list, following `Link: rel="next"` a page at a time."""
        next_call: Call[Page[T]] | None = call
        while next_call is not None:
            page = await self.call(next_call)
            for item in page.items:
                yield item
            next_call = page.next

    # --- applications ---------------------------------------------------------------------

    async def create_application(self, name: str, comments: str | None = None) -> Application:
        return await self.call(calls.create_application(name, comments))

    async def get_application(self, id: str) -> Application:
        return await self.call(calls.get_application(id))

    async def find_application(self, name: str) -> Application | None:
        """The application with exactly this name, or None."""
        return next(iter((await self.call(calls.list_applications(name, 1))).items), None)

    def applications(self, name: str | None = None, page_size: int = 100) -> AsyncIterator[Application]:
        return self.pages(calls.list_applications(name, page_size))

    async def update_application(
        self, id: str, *, name: str, comments: str | None = None, if_match: int | None = None
    ) -> Application:
        return await self.call(calls.update_application(id, name, comments, if_match))

    async def delete_application(self, id: str, if_match: int | None = None) -> None:
        return await self.call(calls.delete_application(id, if_match))

    async def export_application(self, id: str) -> ExportDocument:
        return await self.call(calls.export_application(id))

    # --- configurations -------------------------------------------------------------------

    async def create_configuration(
        self,
        application_id: str,
        name: str,
        config: dict[str, Any],
        comments: str | None = None,
        schema: dict[str, Any] | None = None,
    ) -> Configuration:
        return await self.call(calls.create_configuration(application_id, name, config, comments, schema))

    async def get_configuration(self, id: str, fresh: bool = False) -> Configuration:
        return await self.call(calls.get_configuration(id, fresh))

    async def find_configuration(self, application_id: str, name: str) -> Configuration | None:
        """The application's configuration with exactly this name, or None."""
        return next(iter((await self.call(calls.list_configurations(application_id, name, 1))).items), None)

    def configurations(
        self, application_id: str | None = None, name: str | None = None, page_size: int = 100
    ) -> AsyncIterator[Configuration]:
        return self.pages(calls.list_configurations(application_id, name, page_size))

    async def update_configuration(
        self,
        id: str,
        *,
        name: str,
        config: dict[str, Any],
        comments: str | None = None,
        if_match: int | None = None,
        schema: dict[str, Any] | None | Keep = KEEP,
    ) -> Configuration:
        """A full replacement of name, comments and config; `schema` too when given (KEEP, the
        default, leaves the stored one; None removes it)."""
        return await self.call(calls.update_configuration(id, name, config, comments, if_match, schema))

    async def validate(
        self, id: str, config: dict[str, Any] | Keep = KEEP, schema: dict[str, Any] | None | Keep = KEEP
    ) -> Validation:
        """Would this write be accepted (KEEP: the stored config or schema)? Writes nothing."""
        return await self.call(calls.validate(id, config, schema))

    async def delete_configuration(self, id: str, if_match: int | None = None) -> None:
        return await self.call(calls.delete_configuration(id, if_match))

    def revisions(self, id: str, page_size: int = 100) -> AsyncIterator[Revision]:
        """The configuration's history, newest first."""
        return self.pages(calls.list_revisions(id, page_size))

    async def revision(self, id: str, version: int) -> Revision:
        return await self.call(calls.get_revision(id, version))

    async def restore(self, id: str, version: int, if_match: int | None = None) -> Configuration:
        return await self.call(calls.restore(id, version, if_match))

    # --- many at once ---------------------------------------------------------------------

    async def transaction(self, operations: list[dict[str, Any]]) -> list[TransactionResult]:
        return await self.call(calls.transaction(operations))

    async def import_document(
        self, document: ExportDocument | dict[str, Any], mode: str = "merge", dry_run: bool = False
    ) -> ImportPlan:
        return await self.call(calls.import_document(document, mode, dry_run))

    # --- the feed -------------------------------------------------------------------------

    async def changes(
        self, after: int = 0, application_id: str | None = None, limit: int = 100, wait: float = 0
    ) -> ChangePage:
        """One page of the feed after `after`; `wait` (seconds, up to 60) holds it until a change comes."""
        return await self.call(calls.changes(after, application_id, limit, wait))

    async def head_seq(self) -> int:
        """The newest seq of the feed."""
        return await self.call(calls.head_seq())

    async def watch(
        self, after: int | None = None, application_id: str | None = None, on_error: ErrorHandler | None = None
    ) -> AsyncGenerator[Change, None]:
        """As `ConfigClient.watch`: `async for change in client.watch(): ...`."""
        following = Following(await self.head_seq() if after is None else after, application_id)
        failures = 0
        while True:
            try:
                timeout = self.connection.stream_timeout()
                async with self._http.stream("GET", STREAM_PATH, timeout=timeout, **following.request()) as response:  # type: ignore[arg-type]
                    if response.status_code != 200:
                        await response.aread()
                        failure: Exception = following.refused(response)
                        if on_error is not None:
                            on_error(failure)
                    else:
                        async for line in response.aiter_lines():
                            change = following.line(line)
                            if change is not None:
                                failures = 0
                                yield change
            except httpx.TransportError as broken:
                if on_error is not None:
                    on_error(unreachable(broken, False))
            await asyncio.sleep(RECONNECT.delay(failures))
            failures += 1

    # --- tokens and the caller ------------------------------------------------------------

    async def me(self) -> Me:
        return await self.call(calls.me())

    async def tokens(self) -> list[Token]:
        return await self.call(calls.list_tokens())

    async def create_token(
        self, name: str, scope: str, application_ids: list[str] | None = None, expires_at: str | None = None
    ) -> NewToken:
        return await self.call(calls.create_token(name, scope, application_ids, expires_at))

    async def revoke_token(self, id: str) -> None:
        return await self.call(calls.revoke_token(id))

    async def health(self) -> dict[str, Any]:
        return await self.call(calls.health())
