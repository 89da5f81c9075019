import pytest

from errors import KeyReused
from services import applications
from services.idempotency import once
from test.fakes import FakeDatabase


@pytest.fixture
def db():
    return FakeDatabase()


def create(db, key, fingerprint, name="billing"):
    def write(uow):
        return once(uow, key, fingerprint, lambda: {"status": 201, "headers": {},
                                                    "body": applications.create_application(uow, name, None)["id"]})
    return db.write(write)


def test_the_first_request_writes_and_keeps_its_answer(db):
    answer, replayed = create(db, "k1", "f1")
    assert not replayed and db.committed["idempotency"]["k1"]["body"] == answer["body"]
    assert len(db.committed["applications"]) == 1


def test_a_retry_with_the_same_request_gets_the_same_answer_and_writes_nothing(db):
    first, _ = create(db, "k1", "f1")
    again, replayed = create(db, "k1", "f1", name="another")
    assert replayed and again == first and len(db.committed["applications"]) == 1


def test_the_same_key_with_another_request_is_refused(db):
    create(db, "k1", "f1")
    with pytest.raises(KeyReused):
        create(db, "k1", "f2")


def test_a_failed_write_keeps_no_key(db):
    create(db, "k1", "f1")
    with pytest.raises(Exception):
        create(db, "k2", "f2")  # the name is taken: the unit of work rolls back, key included
    assert "k2" not in db.committed["idempotency"]
