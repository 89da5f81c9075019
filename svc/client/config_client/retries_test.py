import httpx
import pytest

from config_client.calls import Call
from config_client.errors import NotFound, PreconditionFailed, Unavailable
from config_client.retries import Attempts, Backoff, Confirm, Done, Retry, Safety

OUTCOME_UNKNOWN = {"type": "urn:config-service:problem:outcome-unknown", "title": "outcome unknown", "status": 503}
REQUEST = httpx.Request("GET", "http://service/x")


def call(safety: Safety, **options) -> Call:
    return Call("POST", "/x", lambda response: response.json(), safety, **options)


def answer(status: int, body=None, **headers) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {"status": status}, headers=headers)


def test_the_delay_grows_with_full_jitter_up_to_its_cap_and_honours_retry_after():
    backoff = Backoff(attempts=5, base=0.5, cap=2.0)
    delays = [backoff.delay(n) for n in range(6) for _ in range(50)]
    assert all(0 <= delay <= 2.0 for delay in delays) and max(delays) > 1.5
    assert all(backoff.delay(0) <= 0.5 for _ in range(50))
    assert backoff.delay(0, retry_after=1.5) >= 1.5 and backoff.delay(0, retry_after=60) == 2.0
    assert backoff.delay(10_000) <= 2.0  # no overflow after a long outage


def test_a_success_is_done_and_a_refusal_raised_at_once():
    attempts = Attempts(call(Safety.ONCE), Backoff())
    assert attempts.answered(answer(200, {"a": 1})) == Done({"a": 1})
    with pytest.raises(NotFound):
        Attempts(call(Safety.READ), Backoff()).answered(answer(404))


def problem(status: int, body=None, **headers) -> httpx.Response:
    """An answer of the service itself: problem+json."""
    response = answer(status, body, **headers)
    response.headers["content-type"] = "application/problem+json"
    return response


@pytest.mark.parametrize("safety", list(Safety))
def test_what_never_reached_the_service_or_a_503_that_wrote_nothing_is_always_sent_again(safety):
    attempts = Attempts(call(safety), Backoff(attempts=3))
    assert isinstance(attempts.failed(httpx.ConnectError("refused", request=REQUEST)), Retry)
    assert isinstance(attempts.answered(problem(503, **{"Retry-After": "1"})), Retry)
    with pytest.raises(Unavailable) as exhausted:
        attempts.failed(httpx.ConnectError("refused", request=REQUEST))
    assert exhausted.value.status is None and not exhausted.value.outcome_unknown


@pytest.mark.parametrize(
    "safety, again", [(Safety.READ, True), (Safety.KEYED, True), (Safety.CONDITIONAL, True), (Safety.ONCE, False)]
)
def test_after_an_unknown_outcome_only_what_cannot_write_twice_is_sent_again(safety, again):
    for failure in (
        lambda a: a.failed(httpx.ReadError("cut", request=REQUEST)),
        lambda a: a.failed(httpx.ReadTimeout("slow", request=REQUEST)),
        lambda a: a.answered(problem(503, OUTCOME_UNKNOWN)),
        lambda a: a.answered(answer(503)),  # a proxy's 503: it may have come after the service committed
        lambda a: a.answered(answer(502)),
    ):
        attempts = Attempts(call(safety), Backoff())
        if again:
            assert isinstance(failure(attempts), Retry) and attempts.uncertain
        else:
            with pytest.raises(Unavailable) as raised:
                failure(attempts)
            assert raised.value.outcome_unknown or raised.value.status in (502, 503)


def test_a_retried_delete_that_finds_its_resource_gone_is_done():
    attempts = Attempts(call(Safety.CONDITIONAL, gone_is_done=True), Backoff())
    with pytest.raises(PreconditionFailed):  # no earlier try: a 412 is the answer
        attempts.answered(answer(412, {"status": 412}))
    attempts.failed(httpx.ReadError("cut", request=REQUEST))
    assert attempts.answered(answer(412, {"status": 412})) == Done(None)
    with pytest.raises(PreconditionFailed):  # another version is there: not ours to call done
        attempts.answered(answer(412, {"status": 412, "current_version": 4}))


def test_a_retried_conditional_write_answered_412_confirms_by_reading():
    check = Call("GET", "/x", lambda response: "mine")
    attempts = Attempts(call(Safety.CONDITIONAL, confirm=lambda stale: check), Backoff())
    attempts.failed(httpx.ReadError("cut", request=REQUEST))
    assert attempts.answered(answer(412, {"status": 412, "current_version": 2})) == Confirm(check)


def test_a_request_that_cannot_be_sent_is_not_tried_again():
    with pytest.raises(Unavailable) as unsendable:
        Attempts(call(Safety.READ), Backoff()).failed(httpx.UnsupportedProtocol("no scheme", request=REQUEST))
    assert not unsendable.value.outcome_unknown and "UnsupportedProtocol" in str(unsendable.value)
