from config_service.domain.access import EVERYTHING, Access
from config_service.services import applications
from config_service.services.changes import changes_after, head
from config_service.testing.fakes import FakeDatabase


def test_a_caller_reads_only_the_changes_of_the_applications_it_sees():
    db = FakeDatabase()
    ids = [
        db.write(lambda uow, name=name: applications.create_application(uow, EVERYTHING, name, None))["id"]
        for name in ("a", "b")
    ]
    limited = Access(frozenset({ids[1]}))
    assert [c["application_id"] for c in db.read(lambda uow: changes_after(uow, EVERYTHING, 0, 10, None, 10))] == ids
    assert [c["application_id"] for c in db.read(lambda uow: changes_after(uow, limited, 0, 10, None, 10))] == ids[1:]
    assert db.read(head) == 2
