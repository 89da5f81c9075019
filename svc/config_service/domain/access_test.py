import pytest

from config_service.domain.access import ANONYMOUS, EVERYTHING, Access, Principal, access_of
from config_service.domain.errors import Forbidden, InvalidReference, NotFound

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


def test_scopes_include_the_ones_below_them():
    read, write, admin = (Principal("t", scope) for scope in ("read", "write", "admin"))
    assert read.has("read") and not read.has("write") and not read.has("admin")
    assert write.has("read") and write.has("write") and not write.has("admin")
    assert admin.has("admin") and ANONYMOUS.has("admin") and ANONYMOUS.name == "anonymous"


def test_a_limited_token_sees_only_its_applications():
    limited = Principal("t", "write", frozenset({"A"}))
    assert limited.limited and limited.sees("A") and not limited.sees("B")
    assert not Principal("t", "write").limited and Principal("t", "write").sees("B")


def test_the_access_of_a_caller_is_its_tokens_applications():
    assert access_of(Principal("t", "read", frozenset({"A"}))) == Access(frozenset({"A"}))
    assert access_of(ANONYMOUS) == EVERYTHING
