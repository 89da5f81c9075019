import pytest

from config_service.domain.access import EVERYTHING
from config_service.domain.errors import Conflict, KeyReused, NotFound
from config_service.services import applications
from config_service.services.idempotency import once
from config_service.testing.fakes import FakeDatabase


@pytest.fixture
def db():
    return FakeDatabase()


def create(db, key, fingerprint, name="billing", owner="t1", authorize=lambda: None):
    def write(uow):
        return once(
            uow,
            owner,
            key,
            fingerprint,
            authorize,
            lambda: applications.create_application(uow, EVERYTHING, name, None),
            lambda row, changes: {
                "status": 201,
                "headers": {"Change-Seq": str(changes[-1]["seq"])},
                "body": row["id"].encode(),
            },
        )

    return db.write(write)


def test_the_first_request_writes_and_keeps_its_answer_with_its_change_seq(db):
    answer, replayed = create(db, "k1", "f1")
    stored = db.committed["idempotency"][("t1", "k1")]
    assert not replayed and stored["body"] == answer["body"].decode() and stored["headers"] == {"Change-Seq": "1"}
    assert len(db.committed["applications"]) == 1


def test_a_retry_with_the_same_request_gets_the_same_answer_and_writes_nothing(db):
    first, _ = create(db, "k1", "f1")
    again, replayed = create(db, "k1", "f1", name="another")
    assert replayed and again == first and len(db.committed["applications"]) == 1


def test_keys_belong_to_their_token(db):
    create(db, "k1", "f1")
    _, replayed = create(db, "k1", "f1", name="another", owner="t2")
    assert not replayed and len(db.committed["applications"]) == 2


def test_a_replay_runs_the_access_checks_first(db):
    create(db, "k1", "f1")

    def refuse():
        raise NotFound("no application with this id")

    with pytest.raises(NotFound):
        create(db, "k1", "f1", authorize=refuse)


def test_the_same_key_with_another_request_is_refused(db):
    create(db, "k1", "f1")
    with pytest.raises(KeyReused):
        create(db, "k1", "f2")


def test_a_failed_write_keeps_no_key(db):
    create(db, "k1", "f1")
    with pytest.raises(Conflict):
        create(db, "k2", "f2")  # the name is taken: the unit of work rolls back, key included
    assert ("t1", "k2") not in db.committed["idempotency"]
