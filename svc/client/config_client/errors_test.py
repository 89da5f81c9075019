import httpx

from config_client.errors import (
    ConfigServiceError,
    Conflict,
    FeedReset,
    InvalidRequest,
    PreconditionFailed,
    Unavailable,
    error_for,
    unreachable,
)


def test_each_status_has_its_exception_with_the_problems_fields():
    problem = {"title": "Conflict", "status": 409, "detail": "name taken", "request_id": "r1", "operation_index": 2}
    error = error_for(httpx.Response(409, json=problem))
    assert isinstance(error, Conflict) and error.status == 409 and error.problem == problem
    assert (error.detail, error.request_id, error.operation_index, error.errors) == ("name taken", "r1", 2, [])
    assert str(error) == "409 Conflict: name taken"
    stale = error_for(httpx.Response(412, json={"status": 412, "current_version": 3}))
    assert isinstance(stale, PreconditionFailed) and stale.current_version == 3
    invalid = error_for(httpx.Response(422, json={"errors": [{"loc": ["body"], "msg": "bad"}]}))
    assert isinstance(invalid, InvalidRequest) and invalid.errors == [{"loc": ["body"], "msg": "bad"}]
    assert type(error_for(httpx.Response(418, json={}))) is ConfigServiceError


def test_an_answer_that_is_not_a_problem_still_makes_an_error():
    error = error_for(httpx.Response(503, text="<html>bad gateway</html>", headers={"Retry-After": "7"}))
    assert isinstance(error, Unavailable) and error.retry_after == 7.0 and not error.outcome_unknown
    assert error.problem["title"] == "Service Unavailable"


def test_no_answer_is_unavailable_and_says_whether_a_write_may_have_happened():
    assert not unreachable(OSError("refused"), uncertain=False).outcome_unknown
    unknown = unreachable(OSError("cut"), uncertain=True)
    assert unknown.outcome_unknown and unknown.status is None and "cut" in str(unknown)
    assert FeedReset(4).last_seq == 4
