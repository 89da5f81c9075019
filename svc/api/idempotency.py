"""The Idempotency-Key header of POST requests: a retry gets the first answer, not a second write."""
import hashlib
from typing import Annotated, Callable, TypeVar

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from api.bodies import JSON
from api.feed_headers import change_seq_header
from db.database import Database
from services import idempotency
from services.contracts import StoredAnswer, UnitOfWork

T = TypeVar("T")
MAX_KEY_LENGTH = 255


async def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key: 1-255 printable ASCII characters, or none."""
    key = request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        raise RequestValidationError([{"loc": ("header", "Idempotency-Key"),
                                       "msg": f"must be 1-{MAX_KEY_LENGTH} printable ASCII characters"}])
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def fingerprint(method: str, path: str, body: BaseModel) -> str:
    """What makes two requests the same: method, path and the validated body (not its spacing)."""
    text = f"{method} {path} ".encode() + body.model_dump_json().encode()
    return hashlib.sha256(text).hexdigest()


async def write_once(db: Database, request: Request, key: str | None, body: BaseModel, actor: str,
                     use_case: Callable[[UnitOfWork], T], respond: Callable[[T, dict], Response]) -> Response:
    """Run the write and answer with `respond(result, Change-Seq header)`; under a key, a
    retry gets the stored answer (its Change-Seq included)."""
    if key is None:
        written = await db.write(use_case, actor)
        return respond(written.result, change_seq_header(written.seq))

    def respond_in(uow: UnitOfWork) -> StoredAnswer:
        result = use_case(uow)
        return _stored(respond(result, change_seq_header(uow.changes.recorded[-1]["seq"])))

    def write(uow: UnitOfWork) -> tuple[StoredAnswer, bool]:
        return idempotency.once(uow, key, fingerprint(request.method, request.url.path, body),
                                lambda: respond_in(uow))

    answer, replayed = (await db.write(write, actor)).result
    headers = {**answer["headers"], "Idempotent-Replayed": "true"} if replayed else answer["headers"]
    return Response(answer["body"], status_code=answer["status"], headers=headers, media_type=JSON)


def _stored(response: Response) -> StoredAnswer:
    kept = {name: value for name, value in response.headers.items()
            if name in ("location", "etag", "last-modified", "change-seq")}
    return {"status": response.status_code, "headers": kept, "body": response.body.decode()}
