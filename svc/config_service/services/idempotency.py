"""Idempotent writes: a key's first answer is stored with its write and replayed to retries
of the same token, after the same access checks."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from config_service.domain.errors import KeyReused
from config_service.domain.rows import ChangeRow, StoredAnswer
from config_service.services.ports import UnitOfWork

T = TypeVar("T")


def once(
    uow: UnitOfWork,
    owner: str,
    key: str,
    fingerprint: str,
    authorize: Callable[[], None],
    write: Callable[[], T],
    answer: Callable[[T, list[ChangeRow]], StoredAnswer],
) -> tuple[StoredAnswer, bool]:
    """Run `write` unless `owner` (a token) used the key before: then replay its answer. True when replayed.

    A replay runs `authorize` (the write's own access checks) first: it answers only what the
    write itself would have allowed. `answer` makes the answer to keep from the write's result and its written
    changes (plain data: status, headers, body). The key and the answer commit with the
    write (one unit of work), so a retry after an unknown outcome finds either both or
    neither. The same key with another request (fingerprint) is refused.
    """
    if uow.idempotency.claim(owner, key, fingerprint):
        kept = answer(write(), uow.changes.flush())
        uow.idempotency.record(owner, key, kept["status"], kept["headers"], kept["body"].decode())
        return kept, False
    # the claim failed: another request of this token took the key, and its row is there
    stored = cast("dict[str, Any]", uow.idempotency.stored(owner, key))
    if stored["fingerprint"] != fingerprint:
        raise KeyReused("this Idempotency-Key was used with another request")
    authorize()
    return {"status": stored["status"], "headers": stored["headers"], "body": stored["body"].encode()}, True
