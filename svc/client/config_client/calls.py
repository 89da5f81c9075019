"""Every endpoint as a `Call`: the request to send, how safe it is to send again, and how to read
its answer. No I/O here: `ConfigClient` and `AsyncConfigClient` run the same calls."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from config_client.errors import PreconditionFailed
from config_client.models import (
    KEEP,
    Application,
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
from config_client.retries import Safety

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
API = "/api/v1"
MAX_SEQ = 2**62  # the service's largest `after`: above the newest seq, so it answers with the head


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    safety: Safety = Safety.READ
    params: dict[str, Any] | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    extra_timeout: float = 0.0  # a long-poll is held this long on purpose
    not_modified_ok: bool = False
    gone_is_done: bool = False  # a delete retried after an unknown outcome: absent means done
    confirm: "Callable[[PreconditionFailed], Call[T]] | None" = None  # an If-Match write, likewise


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: "Call[Page[T]] | None"  # the Link: rel="next" page, None on the last


def model(kind: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: kind.model_validate_json(response.content)


def nothing(response: httpx.Response) -> None:
    return None


def _page_of(kind: type[M]) -> "Callable[[httpx.Response], Page[M]]":
    items = TypeAdapter(list[kind])  # type: ignore[valid-type]

    def parse(response: httpx.Response) -> Page[M]:
        link = response.links.get("next", {}).get("url")
        if link and not link.startswith("/"):  # the service links by path: anything else is not followed
            link = None  # (a link to another origin would be sent the token)
        follow = Call("GET", link, parse) if link else None
        return Page(items.validate_json(response.content), follow)

    return parse


def _if_match(version: int | None) -> dict[str, str]:
    return {} if version is None else {"If-Match": f'"{version}"'}


def _fresh(fresh: bool) -> dict[str, str]:
    return {"Cache-Control": "no-cache"} if fresh else {}


def _safety(if_match: int | None) -> Safety:
    return Safety.ONCE if if_match is None else Safety.CONDITIONAL


def _keyed(method: str, path: str, parse: Callable[[httpx.Response], T], body: Any) -> Call[T]:
    """A write that sends an Idempotency-Key, the same on every try: a retry is answered once."""
    headers = {"Idempotency-Key": f"client-{uuid.uuid4()}"}
    return Call(method, path, parse, Safety.KEYED, json=body, headers=headers)


def _without_nones(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


# --- applications ---------------------------------------------------------------------------


def create_application(name: str, comments: str | None = None) -> Call[Application]:
    return _keyed("POST", f"{API}/applications", model(Application), {"name": name, "comments": comments})


def get_application(id: str, fresh: bool = False) -> Call[Application]:
    """`fresh`: skip the service's read cache (Cache-Control: no-cache) and read the database."""
    return Call("GET", f"{API}/applications/{id}", model(Application), headers=_fresh(fresh))


def list_applications(name: str | None = None, page_size: int = 100) -> Call[Page[Application]]:
    params = _without_nones(name=name, limit=page_size)
    return Call("GET", f"{API}/applications", _page_of(Application), params=params)


def update_application(id: str, name: str, comments: str | None, if_match: int | None) -> Call[Application]:
    body = {"name": name, "comments": comments}

    def confirm(stale: PreconditionFailed) -> Call[Application]:
        return _confirming(
            get_application(id, fresh=True), stale, if_match, lambda app: (app.name, app.comments) == (name, comments)
        )

    return Call(
        "PUT",
        f"{API}/applications/{id}",
        model(Application),
        _safety(if_match),
        json=body,
        headers=_if_match(if_match),
        confirm=confirm,
    )


def delete_application(id: str, if_match: int | None) -> Call[None]:
    return _delete(f"{API}/applications/{id}", if_match)


def export_application(id: str) -> Call[ExportDocument]:
    return Call("GET", f"{API}/applications/{id}/export", model(ExportDocument))


# --- configurations -------------------------------------------------------------------------


def create_configuration(
    application_id: str,
    name: str,
    config: dict[str, Any],
    comments: str | None = None,
    schema: dict[str, Any] | None = None,
) -> Call[Configuration]:
    body = {"application_id": application_id, "name": name, "comments": comments, "config": config}
    return _keyed("POST", f"{API}/configurations", model(Configuration), {**body, "schema": schema})


def get_configuration(id: str, fresh: bool = False) -> Call[Configuration]:
    """`fresh`: skip the service's read cache (Cache-Control: no-cache) and read the database."""
    return Call("GET", f"{API}/configurations/{id}", model(Configuration), headers=_fresh(fresh))


def list_configurations(
    application_id: str | None = None, name: str | None = None, page_size: int = 100
) -> Call[Page[Configuration]]:
    params = _without_nones(application_id=application_id, name=name, limit=page_size)
    return Call("GET", f"{API}/configurations", _page_of(Configuration), params=params)


def update_configuration(
    id: str,
    name: str,
    config: dict[str, Any],
    comments: str | None,
    if_match: int | None,
    schema: dict[str, Any] | None | Keep = KEEP,
) -> Call[Configuration]:
    body = {"name": name, "comments": comments, "config": config, **_schema(schema)}

    def confirm(stale: PreconditionFailed) -> Call[Configuration]:
        def same(stored: Configuration) -> bool:
            wanted = stored.json_schema if isinstance(schema, Keep) else schema
            return (stored.name, stored.comments, stored.config, stored.json_schema) == (name, comments, config, wanted)

        return _confirming(get_configuration(id, fresh=True), stale, if_match, same)

    return Call(
        "PUT",
        f"{API}/configurations/{id}",
        model(Configuration),
        _safety(if_match),
        json=body,
        headers=_if_match(if_match),
        confirm=confirm,
    )


def validate(
    id: str, config: dict[str, Any] | Keep = KEEP, schema: dict[str, Any] | None | Keep = KEEP
) -> Call[Validation]:
    """Would a write of `config` and `schema` (KEEP: the stored one) be accepted? Writes nothing."""
    body = {**({} if isinstance(config, Keep) else {"config": config}), **_schema(schema)}
    return Call("POST", f"{API}/configurations/{id}/validate", model(Validation), json=body)


def _schema(schema: dict[str, Any] | None | Keep) -> dict[str, Any]:
    return {} if isinstance(schema, Keep) else {"schema": schema}


def delete_configuration(id: str, if_match: int | None) -> Call[None]:
    return _delete(f"{API}/configurations/{id}", if_match)


def list_revisions(id: str, page_size: int = 100) -> Call[Page[Revision]]:
    return Call("GET", f"{API}/configurations/{id}/revisions", _page_of(Revision), params={"limit": page_size})


def get_revision(id: str, version: int) -> Call[Revision]:
    return Call("GET", f"{API}/configurations/{id}/revisions/{version}", model(Revision))


def restore(id: str, version: int, if_match: int | None) -> Call[Configuration]:
    # Never sent again after an unknown outcome: a second restore would be a second version.
    path = f"{API}/configurations/{id}/revisions/{version}/restore"
    return Call("POST", path, model(Configuration), Safety.ONCE, headers=_if_match(if_match))


# --- many at once ---------------------------------------------------------------------------

_results = TypeAdapter(list[TransactionResult])


def transaction(operations: list[dict[str, Any]]) -> Call[list[TransactionResult]]:
    return _keyed(
        "POST",
        f"{API}/transactions",
        lambda response: _results.validate_python(response.json()["results"]),
        {"operations": operations},
    )


def import_document(document: ExportDocument | dict[str, Any], mode: str, dry_run: bool) -> Call[ImportPlan]:
    """A dry run reads; an applied import is not sent again after an unknown outcome (a second
    one could undo what someone wrote in between, and its plan would misreport the first)."""
    body = document.model_dump(mode="json", exclude_unset=True) if isinstance(document, ExportDocument) else document
    params = {"mode": mode, "dry_run": "true" if dry_run else "false"}
    return Call(
        "POST", f"{API}/import", model(ImportPlan), Safety.READ if dry_run else Safety.ONCE, params=params, json=body
    )


# --- the feed -------------------------------------------------------------------------------


def changes(after: int, application_id: str | None, limit: int, wait: float) -> Call[ChangePage]:
    params = _without_nones(after=after, application_id=application_id, limit=limit, wait=wait or None)
    return Call("GET", f"{API}/changes", model(ChangePage), params=params, extra_timeout=wait)


def head_seq() -> Call[int]:
    """The newest seq: asked with an `after` above it, the service answers at once with it."""
    return Call("GET", f"{API}/changes", lambda response: int(response.json()["last_seq"]), params={"after": MAX_SEQ})


# --- tokens and the caller ------------------------------------------------------------------

_tokens = TypeAdapter(list[Token])


def me() -> Call[Me]:
    return Call("GET", f"{API}/me", model(Me))


def list_tokens() -> Call[list[Token]]:
    return Call("GET", f"{API}/tokens", lambda response: _tokens.validate_json(response.content))


def create_token(
    name: str, scope: str, application_ids: list[str] | None = None, expires_at: str | None = None
) -> Call[NewToken]:
    body = _without_nones(name=name, scope=scope, application_ids=application_ids, expires_at=expires_at)
    return Call("POST", f"{API}/tokens", model(NewToken), Safety.ONCE, json=body)


def revoke_token(id: str) -> Call[None]:
    return Call("DELETE", f"{API}/tokens/{id}", nothing, Safety.CONDITIONAL, gone_is_done=True)


def health() -> Call[dict[str, Any]]:
    return Call("GET", "/health", lambda response: response.json())


# --- shared by the writes above -------------------------------------------------------------


def _delete(path: str, if_match: int | None) -> Call[None]:
    return Call("DELETE", path, nothing, _safety(if_match), headers=_if_match(if_match), gone_is_done=True)


def _confirming(read: Call[M], stale: PreconditionFailed, if_match: int | None, same: Callable[[M], bool]) -> Call[M]:
    """Read the resource: if it is the very version the write would have made, with what it
    wrote, an earlier try was stored; otherwise someone else got there first."""

    def parse(response: httpx.Response) -> M:
        stored = read.parse(response)
        if if_match is not None and getattr(stored, "version", None) == if_match + 1 and same(stored):
            return stored
        raise stale

    return replace(read, parse=parse)
