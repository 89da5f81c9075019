from datetime import UTC, datetime, timedelta

import pytest

from config_service.domain.access import EVERYTHING
from config_service.domain.errors import InvalidReference, NotFound
from config_service.domain.secrets import hash_secret
from config_service.services import applications, tokens
from config_service.testing.fakes import FakeDatabase


@pytest.fixture
def db():
    return FakeDatabase()


def test_a_token_keeps_only_the_hash_of_its_secret_and_announces_itself(db):
    row, secret = db.write(lambda uow: tokens.create_token(uow, "ci", "read", None, None))
    stored = db.committed["tokens"][row["id"]]
    assert stored["secret_hash"] == hash_secret(secret) and "secret_hash" not in row and secret not in str(stored)


def test_limits_name_existing_applications_and_expiry_lies_ahead(db):
    app_id = db.write(lambda uow: applications.create_application(uow, EVERYTHING, "a", None))["id"]
    row, _ = db.write(lambda uow: tokens.create_token(uow, "a-only", "write", [app_id], None))
    assert row["application_ids"] == [app_id]
    with pytest.raises(InvalidReference):
        db.write(lambda uow: tokens.create_token(uow, "x", "read", ["01J0000000000000000000000Z"], None))
    with pytest.raises(InvalidReference):
        db.write(lambda uow: tokens.create_token(uow, "x", "read", None, datetime.now(UTC) - timedelta(1)))


def test_revoking_by_id_or_name(db):
    row, _ = db.write(lambda uow: tokens.create_token(uow, "ci", "read", None, None))
    assert db.write(lambda uow: tokens.revoke_token(uow, row["id"]))["revoked_at"] is not None
    assert db.write(lambda uow: tokens.revoke_token_by_name(uow, "ci"))["revoked_at"] is not None
    assert db.read(tokens.list_tokens)[0]["name"] == "ci"
    with pytest.raises(NotFound):
        db.write(lambda uow: tokens.revoke_token(uow, "01J0000000000000000000000Z"))
    with pytest.raises(NotFound):
        db.write(lambda uow: tokens.revoke_token_by_name(uow, "nobody"))


def test_a_token_is_found_by_its_hash_and_its_use_recorded(db):
    row, secret = db.write(lambda uow: tokens.create_token(uow, "ci", "read", None, None))
    assert db.read(lambda uow: tokens.token_by_hash(uow, hash_secret(secret)))["id"] == row["id"]
    assert db.write(lambda uow: tokens.record_use(uow, [row["id"]])) == 1
    assert db.read(lambda uow: tokens.is_usable(uow, row["id"]))
    db.write(lambda uow: tokens.revoke_token(uow, row["id"]))
    assert not db.read(lambda uow: tokens.is_usable(uow, row["id"]))
