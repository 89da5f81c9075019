import pytest

from config_service.domain.errors import (
    Conflict,
    InvalidReference,
    NotFound,
    ServiceError,
    StaleVersion,
    Unavailable,
    not_found_or_stale,
)


@pytest.mark.parametrize("error", [NotFound("x"), Conflict("x"), InvalidReference("x", "f"), Unavailable("x")])
def test_each_error_carries_a_safe_detail_and_nothing_of_http(error):
    assert isinstance(error, ServiceError)
    assert (error.detail, str(error)) == ("x", "x")
    assert not any(hasattr(error, name) for name in ("status", "headers", "problem_fields"))


def test_invalid_reference_names_its_field():
    assert InvalidReference("no such application", "application_id").field == "application_id"


def test_stale_version_names_the_current_version():
    error = StaleVersion("configuration", 4)
    assert error.current_version == 4 and "version 4" in error.detail


def test_not_found_or_stale_tells_a_missing_resource_from_a_changed_one():
    assert isinstance(not_found_or_stale("application", None, False), NotFound)
    stale = not_found_or_stale("application", 3, True)
    assert isinstance(stale, StaleVersion) and stale.current_version == 3


def test_a_precondition_on_a_missing_resource_fails_as_stale_with_no_version():
    stale = not_found_or_stale("application", None, True)
    assert isinstance(stale, StaleVersion) and stale.current_version is None and "does not exist" in stale.detail
