"""When a request may be sent again, and how long to wait first. No I/O here: the sync and the
async client both drive an `Attempts` and do only the sending and the sleeping themselves."""

import enum
import random
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from config_client.errors import ConfigServiceError, PreconditionFailed, Unavailable, error_for, unreachable

T = TypeVar("T")

# Failures where the request never reached the service: nothing can have been written.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# A request that cannot be sent at all (no scheme, a malformed URL): trying again cannot help.
UNSENDABLE = (httpx.UnsupportedProtocol, httpx.InvalidURL)


class Safety(enum.Enum):
    """What may be sent again after a failure whose outcome is unknown (a connection cut after the
    request went out, a read timeout, a 503 of type outcome-unknown, a 502 or 504 of a proxy).
    A request that never reached the service, or a 503 that wrote nothing, is always sent again."""

    READ = "read"  # GET: any number of times
    KEYED = "keyed"  # a create or a transaction with its Idempotency-Key: the service answers a retry once
    CONDITIONAL = "conditional"  # a write with If-Match: a second one cannot overwrite anyone's change
    ONCE = "once"  # anything else: never after an unknown outcome


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with full jitter: try `attempts` times in all, waiting a random
    0..min(cap, base * 2**n) seconds before try n+1 (at least what `Retry-After` asks, up to cap)."""

    attempts: int = 5
    base: float = 0.25
    cap: float = 5.0

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        wait = random.uniform(0, min(self.cap, self.base * 2 ** min(failures, 30)))
        return max(wait, min(retry_after, self.cap)) if retry_after else wait


NO_RETRIES = Backoff(attempts=1)


@dataclass(frozen=True)
class Retry:
    delay: float


@dataclass(frozen=True)
class Confirm(Generic[T]):
    """Run `call` instead: its answer settles whether an earlier attempt was stored."""

    call: Any  # a Call[T]


@dataclass(frozen=True)
class Done(Generic[T]):
    value: T


class Attempts(Generic[T]):
    """The tries of one call. Feed it each outcome; it answers Done, Retry, Confirm or raises."""

    def __init__(self, call: Any, backoff: Backoff):
        self.call, self.backoff = call, backoff
        self.failures = 0
        self.uncertain = False  # did an earlier try fail after its request was sent?

    def answered(self, response: httpx.Response) -> "Done[T] | Retry | Confirm[T]":
        if response.is_success or (response.status_code == 304 and self.call.not_modified_ok):
            return Done(self.call.parse(response))
        error = error_for(response)
        if self.uncertain:
            settled = self._settle(error)
            if settled is not None:
                return settled
        if isinstance(error, Unavailable):
            # Only the service's own 503 (problem+json, not outcome-unknown) says it wrote nothing:
            # a proxy's 503 may come after the service committed.
            own = response.headers.get("content-type", "").startswith("application/problem+json")
            sure = response.status_code == 503 and own and not error.outcome_unknown
            return self._again(error, uncertain=not sure, retry_after=error.retry_after)
        raise error

    def failed(self, failure: httpx.TransportError) -> "Done[T] | Retry | Confirm[T]":
        if isinstance(failure, UNSENDABLE):
            raise unreachable(failure, False)
        uncertain = not isinstance(failure, NOT_SENT)
        return self._again(unreachable(failure, uncertain or self.uncertain), uncertain)

    def _again(self, error: ConfigServiceError, uncertain: bool, retry_after: float | None = None) -> Retry:
        if uncertain and self.call.safety is Safety.ONCE:
            raise error
        self.failures += 1
        if self.failures >= self.backoff.attempts:
            raise error
        self.uncertain = self.uncertain or uncertain
        return Retry(self.backoff.delay(self.failures - 1, retry_after))

    def _settle(self, error: ConfigServiceError) -> "Done[T] | Confirm[T] | None":
        """After a try whose outcome was unknown, an If-Match write may find its own change."""
        if self.call.gone_is_done and error.status in (404, 412) and error.problem.get("current_version") is None:
            return Done(None)  # type: ignore[arg-type]  # a delete: what it was to remove is gone
        if self.call.confirm is not None and isinstance(error, PreconditionFailed):
            return Confirm(self.call.confirm(error))
        return None
