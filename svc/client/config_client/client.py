"""`ConfigClient`: every endpoint of the service, blocking, with retries that never write twice."""

import time
from collections.abc import Callable, Iterator
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


class ConfigClient:
    """A client of one service. `url` and `token` default to CONFIG_SERVICE_URL and
    CONFIG_SERVICE_TOKEN; `timeout` (seconds) bounds each try; `backoff` says how often and how
    long apart a call is tried. Use it as a context manager, or call `close()`."""

    def __init__(
        self, url: str | None = None, token: str | None = None, timeout: float = 10, backoff: Backoff | None = None
    ):
        self.connection = Connection.of(url, token, timeout)
        self.backoff = backoff or Backoff()
        self._http = httpx.Client(**self.connection.http_options())  # type: ignore[arg-type]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ConfigClient":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None):
        self.close()

    def call(self, call: Call[T], backoff: Backoff | None = None) -> T:
        """Send `call`, again after a failure when that is safe, and read its answer."""
        attempts: Attempts[T] = Attempts(call, backoff or self.backoff)
        while True:
            try:
                response = self._http.request(
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
                return self.call(step.call, backoff)
            time.sleep(step.delay)

    def pages(self, call: Call[Page[T]]) -> Iterator[T]:
        """Every item of a list, following `Link: rel="next"` a page at a time."""
        next_call: Call[Page[T]] | None = call
        while next_call is not None:
            page = self.call(next_call)
            yield from page.items
            next_call = page.next

    # --- applications ---------------------------------------------------------------------

    def create_application(self, name: str, comments: str | None = None) -> Application:
        return self.call(calls.create_application(name, comments))

    def get_application(self, id: str) -> Application:
        return self.call(calls.get_application(id))

    def find_application(self, name: str) -> Application | None:
        """The application with exactly this name, or None."""
        return next(iter(self.call(calls.list_applications(name, 1)).items), None)

    def applications(self, name: str | None = None, page_size: int = 100) -> Iterator[Application]:
        return self.pages(calls.list_applications(name, page_size))

    def update_application(
        self, id: str, *, name: str, comments: str | None = None, if_match: int | None = None
    ) -> Application:
        return self.call(calls.update_application(id, name, comments, if_match))

    def delete_application(self, id: str, if_match: int | None = None) -> None:
        return self.call(calls.delete_application(id, if_match))

    def export_application(self, id: str) -> ExportDocument:
        return self.call(calls.export_application(id))

    # --- configurations -------------------------------------------------------------------

    def create_configuration(
        self,
        application_id: str,
        name: str,
        config: dict[str, Any],
        comments: str | None = None,
        schema: dict[str, Any] | None = None,
    ) -> Configuration:
        return self.call(calls.create_configuration(application_id, name, config, comments, schema))

    def get_configuration(self, id: str, fresh: bool = False) -> Configuration:
        return self.call(calls.get_configuration(id, fresh))

    def find_configuration(self, application_id: str, name: str) -> Configuration | None:
        """The application's configuration with exactly this name, or None."""
        return next(iter(self.call(calls.list_configurations(application_id, name, 1)).items), None)

    def configurations(
        self, application_id: str | None = None, name: str | None = None, page_size: int = 100
    ) -> Iterator[Configuration]:
        return self.pages(calls.list_configurations(application_id, name, page_size))

    def update_configuration(
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
        return self.call(calls.update_configuration(id, name, config, comments, if_match, schema))

    def validate(
        self, id: str, config: dict[str, Any] | Keep = KEEP, schema: dict[str, Any] | None | Keep = KEEP
    ) -> Validation:
        """Would this write be accepted (KEEP: the stored config or schema)? Writes nothing."""
        return self.call(calls.validate(id, config, schema))

    def delete_configuration(self, id: str, if_match: int | None = None) -> None:
        return self.call(calls.delete_configuration(id, if_match))

    def revisions(self, id: str, page_size: int = 100) -> Iterator[Revision]:
        """The configuration's history, newest first."""
        return self.pages(calls.list_revisions(id, page_size))

    def revision(self, id: str, version: int) -> Revision:
        return self.call(calls.get_revision(id, version))

    def restore(self, id: str, version: int, if_match: int | None = None) -> Configuration:
        return self.call(calls.restore(id, version, if_match))

    # --- many at once ---------------------------------------------------------------------

    def transaction(self, operations: list[dict[str, Any]]) -> list[TransactionResult]:
        return self.call(calls.transaction(operations))

    def import_document(
        self, document: ExportDocument | dict[str, Any], mode: str = "merge", dry_run: bool = False
    ) -> ImportPlan:
        return self.call(calls.import_document(document, mode, dry_run))

    # --- the feed -------------------------------------------------------------------------

    def changes(
        self, after: int = 0, application_id: str | None = None, limit: int = 100, wait: float = 0
    ) -> ChangePage:
        """One page of the feed after `after`; `wait` (seconds, up to 60) holds it until a change comes."""
        return self.call(calls.changes(after, application_id, limit, wait))

    def head_seq(self) -> int:
        """The newest seq of the feed."""
        return self.call(calls.head_seq())

    def watch(
        self, after: int | None = None, application_id: str | None = None, on_error: ErrorHandler | None = None
    ) -> Iterator[Change]:
        """Every change after seq `after` (None: from now on), once each and in order, for as long
        as you iterate: it reconnects (with back-off) and resumes where it stopped, telling
        `on_error` of each connection that failed. Raises FeedReset when the service's history
        was reset: reload, then watch from its last_seq."""
        following = Following(self.head_seq() if after is None else after, application_id)
        failures = 0
        while True:
            try:
                timeout = self.connection.stream_timeout()
                with self._http.stream("GET", STREAM_PATH, timeout=timeout, **following.request()) as response:  # type: ignore[arg-type]
                    if response.status_code != 200:
                        response.read()
                        failure: Exception = following.refused(response)
                        if on_error is not None:
                            on_error(failure)
                    else:
                        for line in response.iter_lines():
                            change = following.line(line)
                            if change is not None:
                                failures = 0
                                yield change
            except httpx.TransportError as broken:
                if on_error is not None:
                    on_error(unreachable(broken, False))
            time.sleep(RECONNECT.delay(failures))
            failures += 1

    # --- tokens and the caller ------------------------------------------------------------

    def me(self) -> Me:
        return self.call(calls.me())

    def tokens(self) -> list[Token]:
        return self.call(calls.list_tokens())

    def create_token(
        self, name: str, scope: str, application_ids: list[str] | None = None, expires_at: str | None = None
    ) -> NewToken:
        return self.call(calls.create_token(name, scope, application_ids, expires_at))

    def revoke_token(self, id: str) -> None:
        return self.call(calls.revoke_token(id))

    def health(self) -> dict[str, Any]:
        return self.call(calls.health())
