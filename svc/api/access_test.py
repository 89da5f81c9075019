from api.access import access_of
from auth.principal import Principal


def test_a_callers_access_is_its_tokens_applications():
    assert access_of(Principal("t", "write", frozenset({"B", "A"}))).only == ["A", "B"]
    assert not access_of(Principal("t", "admin")).limited
