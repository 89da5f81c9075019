import pytest

from errors import Conflict, InvalidReference, NotFound, ServiceError, ServiceUnavailable


@pytest.mark.parametrize("error, status", [(NotFound("x"), 404), (Conflict("x"), 409),
                                           (InvalidReference("x", "f"), 422), (ServiceUnavailable("x"), 503)])
def test_each_error_carries_its_status_and_a_safe_detail(error, status):
    assert isinstance(error, ServiceError)
    assert (error.status, error.detail, str(error)) == (status, "x", "x")


def test_invalid_reference_names_its_field():
    assert InvalidReference("no such application", "application_id").field == "application_id"
