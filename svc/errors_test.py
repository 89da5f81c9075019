import pytest

from errors import (Conflict, InvalidReference, NotFound, PreconditionFailed, PreconditionRequired, ServiceError,
                    ServiceUnavailable, not_found_or_stale)


@pytest.mark.parametrize("error, status", [(NotFound("x"), 404), (Conflict("x"), 409),
                                           (InvalidReference("x", "f"), 422), (ServiceUnavailable("x"), 503)])
def test_each_error_carries_its_status_and_a_safe_detail(error, status):
    assert isinstance(error, ServiceError)
    assert (error.status, error.detail, str(error)) == (status, "x", "x")


def test_invalid_reference_names_its_field():
    assert InvalidReference("no such application", "application_id").field == "application_id"


def test_precondition_failed_names_the_current_version_in_body_and_etag():
    error = PreconditionFailed("configuration", 4)
    assert (error.status, error.headers, error.problem_fields()) == (412, {"ETag": '"4"'}, {"current_version": 4})
    assert "version 4" in error.detail


def test_not_found_or_stale_tells_a_missing_resource_from_a_changed_one():
    assert isinstance(not_found_or_stale("application", None), NotFound)
    stale = not_found_or_stale("application", 3)
    assert isinstance(stale, PreconditionFailed) and stale.current_version == 3


def test_unavailable_asks_for_a_retry_and_required_precondition_is_428():
    assert ServiceUnavailable("down").headers == {"Retry-After": "1"}
    assert PreconditionRequired("send If-Match").status == 428
