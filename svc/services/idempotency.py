"""Idempotent writes: a key's first answer is stored with its write and replayed to retries."""
from typing import Callable

from errors import KeyReused
from services.contracts import StoredAnswer, UnitOfWork


def once(uow: UnitOfWork, key: str, fingerprint: str,
         write: Callable[[], StoredAnswer]) -> tuple[StoredAnswer, bool]:
    """Run `write` unless the key was used before: then replay its answer. True when replayed.

    The key and the answer commit with the write (one unit of work), so a retry after an
    unknown outcome finds either both or neither. The same key with another request
    (fingerprint) is refused.
    """
    if uow.idempotency.claim(key, fingerprint):
        answer = write()
        uow.idempotency.record(key, answer["status"], answer["headers"], answer["body"])
        return answer, False
    stored = uow.idempotency.stored(key)
    if stored["fingerprint"] != fingerprint:
        raise KeyReused("this Idempotency-Key was used with another request")
    return {"status": stored["status"], "headers": stored["headers"], "body": stored["body"]}, True
