import pytest

from config_service.domain.errors import Conflict
from config_service.repositories.tokens import TokenRepository

A, B = "01J0000000000000000000000A", "01J0000000000000000000000B"


def test_tokens_by_hash_list_and_revoke(connection):
    tokens = TokenRepository(connection)
    added = tokens.add(A, "ci", "read", None, "a" * 64, None)
    assert "secret_hash" not in added and tokens.any_exist()
    assert tokens.by_hash("a" * 64)["name"] == "ci" and tokens.by_hash("b" * 64) is None
    assert [t["name"] for t in tokens.usable()] == ["ci"] and tokens.is_usable(A) and not tokens.is_usable(B)
    tokens.announce()
    assert tokens.revoke(A)["revoked_at"] is not None and tokens.by_hash("a" * 64) is None
    assert not tokens.is_usable(A)
    assert tokens.usable() == [] and [t["name"] for t in tokens.list()] == ["ci"]
    assert tokens.revoke(B) is None and tokens.revoke_by_name("nobody") is None
    with pytest.raises(Conflict):
        tokens.add(B, "ci", "read", None, "c" * 64, None)


def test_last_used_at_is_written_at_most_once_a_minute(connection):
    tokens = TokenRepository(connection)
    tokens.add(A, "ci", "read", None, "a" * 64, None)
    assert tokens.touch([A]) == 1 and tokens.touch([A]) == 0
