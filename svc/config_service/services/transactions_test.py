import pytest

from config_service.domain.access import EVERYTHING, Access
from config_service.domain.errors import Conflict, Forbidden, OperationFailed, StaleVersion
from config_service.services import applications
from config_service.services.transactions import authorize, run_transaction
from config_service.testing.fakes import FakeDatabase


def create(name, ref=None):
    return {"op": "create_application", "ref": ref, "body": {"name": name, "comments": None}}


def test_every_operation_runs_in_order_in_one_unit_of_work():
    db = FakeDatabase()
    outcomes = db.write(lambda uow: run_transaction(uow, EVERYTHING, [create("a"), create("b")]))
    assert [o.kind for o in outcomes] == ["created", "created"] and len(db.committed["applications"]) == 2


def test_a_failing_operation_is_named_and_nothing_is_kept():
    db = FakeDatabase()
    with pytest.raises(OperationFailed) as raised:
        db.write(lambda uow: run_transaction(uow, EVERYTHING, [create("a"), create("b"), create("a")]))
    assert raised.value.index == 2 and isinstance(raised.value.cause, Conflict)
    assert db.committed["applications"] == {}


def test_refs_made_by_earlier_operations_reach_later_ones():
    db = FakeDatabase()
    outcomes = db.write(
        lambda uow: run_transaction(
            uow,
            EVERYTHING,
            [
                create("a", ref="x"),
                {"op": "create_configuration", "body": {"application_ref": "x", "name": "db", "config": {}}},
            ],
        )
    )
    assert outcomes[1].row["application_id"] == outcomes[0].row["id"]


def test_a_limited_token_is_refused_create_application_as_it_is_alone():
    db = FakeDatabase()
    with pytest.raises(OperationFailed) as raised:
        db.write(lambda uow: run_transaction(uow, Access(frozenset({"01J0000000000000000000000A"})), [create("a")]))
    assert isinstance(raised.value.cause, Forbidden)


def test_a_check_reports_the_version_and_fails_on_another():
    db = FakeDatabase()
    id = db.write(lambda uow: applications.create_application(uow, EVERYTHING, "a", None))["id"]
    check = {"op": "check", "kind": "application", "id": id, "if_match": 1}
    assert db.write(lambda uow: run_transaction(uow, EVERYTHING, [check]))[0].row["version"] == 1
    with pytest.raises(OperationFailed) as raised:
        db.write(lambda uow: run_transaction(uow, EVERYTHING, [{**check, "if_match": 2}]))
    assert isinstance(raised.value.cause, StaleVersion)


def test_authorize_names_the_operation_a_limited_token_may_not_run():
    db = FakeDatabase()
    id = db.write(lambda uow: applications.create_application(uow, EVERYTHING, "a", None))["id"]
    limited = Access(frozenset({"01J0000000000000000000000A"}))
    update = {"op": "update_application", "id": id, "body": {"name": "b"}}
    with pytest.raises(OperationFailed) as raised:
        db.read(lambda uow: authorize(uow, limited, [update]))
    assert raised.value.index == 0
    db.read(lambda uow: authorize(uow, EVERYTHING, [update, create("c")]))
