import pytest

from config_service.domain.errors import Unavailable
from config_service.services.readiness import check_ready
from config_service.testing.fakes import FakeDatabase

EXPECTED = {"0001_first": "a" * 64, "0002_second": "b" * 64}


@pytest.fixture
def db():
    return FakeDatabase()


def apply(db, name, checksum):
    db.committed["migrations"][name] = {"name": name, "checksum": checksum, "applied_at": None}


def test_ready_when_every_expected_migration_is_applied(db):
    for name, checksum in EXPECTED.items():
        apply(db, name, checksum)
    assert db.read(lambda uow: check_ready(uow, EXPECTED)) is None


def test_not_ready_while_migrations_are_pending(db):
    apply(db, "0001_first", "a" * 64)
    with pytest.raises(Unavailable, match="1 migration"):
        db.read(lambda uow: check_ready(uow, EXPECTED))


def test_not_ready_when_an_applied_migration_changed(db):
    apply(db, "0001_first", "c" * 64)
    with pytest.raises(Unavailable, match="changed"):
        db.read(lambda uow: check_ready(uow, EXPECTED))
