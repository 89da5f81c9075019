import pytest

from errors import Conflict, OperationFailed
from services import applications
from services.transactions import Step, run_transaction
from test.fakes import FakeDatabase


def create(name):
    return Step(lambda uow, refs: (201, applications.create_application(uow, name, None)))


def test_every_step_runs_in_order_in_one_unit_of_work():
    db = FakeDatabase()
    results = db.write(lambda uow: run_transaction(uow, [create("a"), create("b")]))
    assert [status for status, _ in results] == [201, 201] and len(db.committed["applications"]) == 2


def test_a_failing_step_is_named_and_nothing_is_kept():
    db = FakeDatabase()
    with pytest.raises(OperationFailed) as raised:
        db.write(lambda uow: run_transaction(uow, [create("a"), create("b"), create("a")]))
    assert raised.value.index == 2 and isinstance(raised.value.cause, Conflict)
    assert db.committed["applications"] == {}


def test_refs_made_by_earlier_steps_reach_later_ones():
    db = FakeDatabase()

    def remember(uow, refs):
        refs["x"] = applications.create_application(uow, "a", None)["id"]
        return 201, None

    results = db.write(lambda uow: run_transaction(uow, [Step(remember), Step(lambda uow, refs: (200, refs["x"]))]))
    assert results[1][1] in db.committed["applications"]
