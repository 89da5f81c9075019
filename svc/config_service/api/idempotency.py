"""The Idempotency-Key header of POST requests: a retry by the same token gets the first answer,
not a second write. Answers are plain data, made by pure functions; the Response is made once,
here, on the event loop."""

import hashlib
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from config_service.api.bodies import JSON
from config_service.db.database import Database, Written
from config_service.domain.access import Principal
from config_service.domain.rows import StoredAnswer
from config_service.services import idempotency
from config_service.services.ports import UnitOfWork

T = TypeVar("T")
MAX_KEY_LENGTH = 255
ANONYMOUS_OWNER = ""  # the one caller when AUTH=off


async def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key: 1-255 printable ASCII characters, or none."""
    key = request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        raise RequestValidationError(
            [{"loc": ("header", "Idempotency-Key"), "msg": f"must be 1-{MAX_KEY_LENGTH} printable ASCII characters"}]
        )
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def fingerprint(method: str, path: str, body: BaseModel) -> str:
    """What makes two requests the same: method, path and the validated body (not its spacing)."""
    text = f"{method} {path} ".encode() + body.model_dump_json().encode()
    return hashlib.sha256(text).hexdigest()


def answer(status: int, body: bytes, headers: dict[str, str]) -> StoredAnswer:
    """An answer as plain data, to send now or keep under a key."""
    return {"status": status, "headers": headers, "body": body}


def response(kept: StoredAnswer, replayed: bool = False) -> Response:
    headers = {**kept["headers"], "Idempotent-Replayed": "true"} if replayed else kept["headers"]
    return Response(kept["body"], status_code=kept["status"], headers=headers, media_type=JSON)


async def write_once(
    db: Database,
    request: Request,
    key: str | None,
    body: BaseModel,
    caller: Principal,
    authorize: Callable[[UnitOfWork], None],
    use_case: Callable[[UnitOfWork], T],
    answer_of: Callable[[Written[T]], StoredAnswer],
) -> Response:
    """Run the write and answer with `answer_of(written)`; under a key, a retry of the same
    token gets the stored answer (its Change-Seq included), after `authorize` (the write's own
    access checks) passed again."""
    if key is None:
        return response(answer_of(await db.write(use_case, caller.name)))
    owner = caller.token_id or ANONYMOUS_OWNER
    request_print = fingerprint(request.method, request.url.path, body)

    def write(uow: UnitOfWork) -> tuple[StoredAnswer, bool]:
        return idempotency.once(
            uow,
            owner,
            key,
            request_print,
            lambda: authorize(uow),
            lambda: use_case(uow),
            lambda result, changes: answer_of(Written(result, changes)),
        )

    kept, replayed = (await db.write(write, caller.name)).result
    return response(kept, replayed)
