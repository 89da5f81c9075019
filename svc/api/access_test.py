import pytest

from api.access import only, require_unlimited, require_visible
from auth.principal import Principal
from errors import Forbidden, NotFound

LIMITED, OPEN = Principal("t", "write", frozenset({"B", "A"})), Principal("t", "write")


def test_lists_are_limited_to_a_tokens_applications():
    assert only(LIMITED) == ["A", "B"] and only(OPEN) is None


def test_an_application_out_of_reach_is_not_found_and_a_limited_token_creates_none():
    require_visible(LIMITED, "A")
    with pytest.raises(NotFound, match="no application with this id"):
        require_visible(LIMITED, "C")
    require_unlimited(OPEN)
    with pytest.raises(Forbidden):
        require_unlimited(LIMITED)
