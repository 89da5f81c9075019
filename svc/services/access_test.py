import pytest

from errors import Forbidden, InvalidReference, NotFound
from services.access import EVERYTHING, Access

LIMITED = Access(frozenset({"B", "A"}))


def test_lists_are_limited_to_a_tokens_applications_in_id_order():
    assert LIMITED.only == ["A", "B"] and EVERYTHING.only is None


def test_an_application_out_of_reach_is_not_found_and_a_limited_token_creates_none():
    LIMITED.require_sees("A")
    with pytest.raises(NotFound, match="no configuration with this id"):
        LIMITED.require_sees("C", "configuration")
    with pytest.raises(NotFound):
        EVERYTHING.require_sees(None)  # nothing owns it: it does not exist
    EVERYTHING.require_unlimited()
    with pytest.raises(Forbidden):
        LIMITED.require_unlimited()


def test_a_body_naming_an_application_out_of_reach_is_an_invalid_reference():
    LIMITED.require_names("B")
    with pytest.raises(InvalidReference):
        LIMITED.require_names("C")
