"""The behaviour of services/ports.py, run against both of its implementations: the real
repositories on PostgreSQL and the fakes of testing/fakes.py. The service tests trust the
fakes; this module is why they may (ports_test.py checks only the signatures)."""

from datetime import UTC, datetime, timedelta

import pytest

from config_service.db.pool import create_pool
from config_service.db.unit_of_work import run_in_unit_of_work
from config_service.domain.errors import Conflict, InvalidReference
from config_service.domain.rows import new_id
from config_service.domain.versions import ANY_VERSION
from config_service.testing.fakes import FakeDatabase

PRINT = "f" * 64  # a request fingerprint: a sha-256 in hex


class RealStorage:
    """The real unit of work, as db.database.Database runs it (without the executor)."""

    def __init__(self, settings):
        self.pool = create_pool(settings)

    def write(self, use_case, actor: str = "anonymous"):
        return run_in_unit_of_work(self.pool, None, use_case, False, 2, actor)[0]

    def read(self, use_case):
        return run_in_unit_of_work(self.pool, None, use_case, True, 2)[0]


@pytest.fixture(params=["real", "fake"])
def storage(request):
    if request.param == "fake":
        yield FakeDatabase()
        return
    real = RealStorage(request.getfixturevalue("settings"))
    yield real
    real.pool.closeall()


def application(storage, name: str = "billing") -> dict:
    return storage.write(lambda uow: uow.applications.add(new_id(), name, None))


def configuration(storage, application_id: str, name: str = "db", config: dict | None = None) -> dict:
    return storage.write(lambda uow: uow.configurations.add(new_id(), application_id, name, None, config or {"v": 1}))


def test_an_application_starts_at_version_1_and_goes_up_only_when_it_changes(storage):
    app = application(storage)
    assert (app["version"], app["configuration_ids"], app["comments"]) == (1, [], None)
    assert storage.write(lambda uow: uow.applications.update(app["id"], "billing", None)) is None  # unchanged
    assert storage.write(lambda uow: uow.applications.update(app["id"], "billing", None, [7])) is None  # stale
    updated = storage.write(lambda uow: uow.applications.update(app["id"], "billing", "the payments team", [1]))
    assert (updated["version"], updated["comments"]) == (2, "the payments team")
    assert storage.read(lambda uow: uow.applications.version_of(app["id"])) == 2
    assert storage.read(lambda uow: uow.applications.by_name("billing"))["id"] == app["id"]
    assert storage.read(lambda uow: uow.applications.by_name("nobody")) is None


def test_an_application_name_is_taken_once(storage):
    first, other = application(storage), application(storage, "other")
    with pytest.raises(Conflict):
        application(storage)
    with pytest.raises(Conflict):
        storage.write(lambda uow: uow.applications.update(other["id"], "billing", None))
    assert storage.read(lambda uow: uow.applications.get(other["id"]))["name"] == "other"
    assert first["name"] == "billing"


def test_applications_list_in_id_order_after_a_key_and_only_those_asked_for(storage):
    ids = sorted(application(storage, name)["id"] for name in ("a", "b", "c"))
    assert [row["id"] for row in storage.read(lambda uow: uow.applications.list(2, None))] == ids[:2]
    assert [row["id"] for row in storage.read(lambda uow: uow.applications.list(10, ids[0]))] == ids[1:]
    assert [row["id"] for row in storage.read(lambda uow: uow.applications.list(10, None, [ids[2]]))] == [ids[2]]
    by_name = storage.read(lambda uow: uow.applications.list(10, None, None, "b"))
    assert [row["name"] for row in by_name] == ["b"]
    assert storage.read(lambda uow: uow.applications.list(10, None, [ids[0]], "b")) == []


def test_a_configuration_is_made_in_an_existing_application_and_moves_its_version(storage):
    app = application(storage)
    with pytest.raises(InvalidReference):
        configuration(storage, new_id())
    made = configuration(storage, app["id"])
    assert (made["version"], made["application_id"], made["config"]) == (1, app["id"], {"v": 1})
    with pytest.raises(Conflict):
        configuration(storage, app["id"])  # the name is taken within the application
    stored = storage.read(lambda uow: uow.applications.get(app["id"]))
    assert (stored["version"], stored["configuration_ids"]) == (2, [made["id"]])


def test_every_change_of_a_configuration_is_a_revision_by_its_actor(storage):
    app = application(storage)
    made = configuration(storage, app["id"])
    id = made["id"]
    assert storage.write(lambda uow: uow.configurations.update(id, "db", None, {"v": 1})) is None  # unchanged
    storage.write(lambda uow: uow.configurations.update(id, "db", None, {"v": 2}, [1]), actor="alice")
    deleted = storage.write(lambda uow: uow.configurations.delete(id, ANY_VERSION))
    assert (deleted["id"], deleted["application_id"], deleted["version"]) == (id, app["id"], 3)
    assert storage.read(lambda uow: uow.configurations.get(id)) is None
    assert storage.read(lambda uow: uow.configurations.owner_of(id)) == app["id"]  # history outlives the row
    restored = storage.write(lambda uow: uow.configurations.restore_deleted(id, 2))
    assert (restored["version"], restored["config"]) == (4, {"v": 2})
    revisions, more = storage.read(lambda uow: uow.configurations.revisions(id, 10, None, 10**6))
    assert [(r["version"], r["change"]) for r in revisions] == [
        (4, "restore"),
        (3, "delete"),
        (2, "update"),
        (1, "create"),
    ] and not more
    assert revisions[2]["changed_by"] == "alice" and revisions[3]["changed_by"] == "anonymous"
    assert storage.read(lambda uow: uow.configurations.latest_version(id)) == 4
    again = storage.write(lambda uow: uow.configurations.restore_existing(id, 1))
    assert (again["version"], again["config"]) == (5, {"v": 1})
    assert (
        storage.read(lambda uow: uow.applications.get(app["id"]))["version"] == 4
    )  # 1, then create, delete and restore each move it


def test_configurations_of_an_application_by_name_and_which_of_them_an_import_leaves_unchanged(storage):
    app = application(storage)
    configuration(storage, app["id"], "b", {"x": 1})
    configuration(storage, app["id"], "a", {"y": 1})
    assert [r["name"] for r in storage.read(lambda uow: uow.configurations.of_application(app["id"]))] == ["a", "b"]
    items = [
        {"name": "a", "comments": None, "config": {"y": 1}},
        {"name": "b", "comments": None, "config": {"x": 2}},
        {"name": "c", "comments": None, "config": {}},
    ]
    assert storage.read(lambda uow: uow.configurations.unchanged_names(app["id"], items)) == {"a"}


def test_changes_get_consecutive_seqs_when_the_unit_of_work_commits(storage):
    app = application(storage)

    def record_two(uow):
        uow.changes.record(app["id"], None, "update", 2)
        uow.changes.record(app["id"], None, "update", 3)

    before = storage.read(lambda uow: uow.changes.head())
    storage.write(record_two)
    seqs = [row["seq"] for row in storage.read(lambda uow: uow.changes.since(before, before + 2, None, 10))]
    assert seqs == [before + 1, before + 2] and storage.read(lambda uow: uow.changes.head()) == before + 2
    assert storage.read(lambda uow: uow.changes.since(before, before + 2, new_id(), 10)) == []


def test_a_token_name_is_never_reused_and_a_revoked_or_expired_token_is_not_usable(storage):
    past = datetime.now(UTC) - timedelta(minutes=1)
    token = storage.write(lambda uow: uow.tokens.add(new_id(), "ci", "read", None, "h1", None))
    storage.write(lambda uow: uow.tokens.add(new_id(), "old", "read", None, "h2", past))
    assert "secret_hash" not in token and storage.read(lambda uow: uow.tokens.any_exist())
    with pytest.raises(Conflict):
        storage.write(lambda uow: uow.tokens.add(new_id(), "ci", "admin", None, "h3", None))
    assert storage.read(lambda uow: uow.tokens.by_hash("h1"))["id"] == token["id"]
    assert storage.read(lambda uow: uow.tokens.by_hash("h2")) is None  # expired
    assert [row["name"] for row in storage.read(lambda uow: uow.tokens.usable())] == ["ci"]
    assert storage.write(lambda uow: uow.tokens.revoke_by_name("ci"))["revoked_at"] is not None
    assert not storage.read(lambda uow: uow.tokens.is_usable(token["id"]))
    assert storage.write(lambda uow: uow.tokens.revoke_by_name("nobody")) is None


def test_an_idempotency_key_is_claimed_once_and_keeps_its_answer(storage):
    assert storage.write(lambda uow: uow.idempotency.claim("owner", "key", PRINT))
    assert not storage.write(lambda uow: uow.idempotency.claim("owner", "key", PRINT))
    storage.write(lambda uow: uow.idempotency.record("owner", "key", 201, {"Location": "/x"}, "{}"))
    kept = storage.read(lambda uow: uow.idempotency.stored("owner", "key"))
    assert (kept["fingerprint"], kept["status"], kept["headers"]) == (PRINT, 201, {"Location": "/x"})
    assert storage.read(lambda uow: uow.idempotency.stored("other", "key")) is None


def test_an_application_is_deleted_only_without_configurations_and_at_the_version_asked(storage):
    app = application(storage)
    made = configuration(storage, app["id"])
    with pytest.raises(Conflict):
        storage.write(lambda uow: uow.applications.delete(app["id"]))
    storage.write(lambda uow: uow.configurations.delete(made["id"]))
    assert storage.write(lambda uow: uow.applications.delete(app["id"], [1])) is None  # it is at version 3
    assert storage.write(lambda uow: uow.applications.delete(app["id"], [3])) == {"id": app["id"], "version": 4}
    assert storage.read(lambda uow: uow.applications.version_of(app["id"])) is None
    assert storage.write(lambda uow: uow.applications.delete(app["id"])) is None


def test_a_page_of_configurations_or_revisions_ends_at_the_byte_budget_but_always_holds_one(storage):
    app = application(storage)
    ids = sorted(configuration(storage, app["id"], name)["id"] for name in ("a", "b", "c"))
    rows, more = storage.read(lambda uow: uow.configurations.list(app["id"], 10, None, None, 1))
    assert [row["id"] for row in rows] == ids[:1] and more
    rows, more = storage.read(lambda uow: uow.configurations.list(None, 2, ids[0], [app["id"]], 10**6))
    assert [row["id"] for row in rows] == ids[1:] and not more
    assert storage.read(lambda uow: uow.configurations.list(None, 10, None, [new_id()], 10**6)) == ([], False)
    rows, more = storage.read(lambda uow: uow.configurations.list(app["id"], 10, None, None, 10**6, "b"))
    assert [row["name"] for row in rows] == ["b"] and not more
    first = storage.read(lambda uow: uow.configurations.get(ids[0]))  # ids made in one millisecond sort at random
    storage.write(lambda uow: uow.configurations.update(ids[0], first["name"], None, {"v": 2}))
    revisions, more = storage.read(lambda uow: uow.configurations.revisions(ids[0], 10, None, 1))
    assert [r["version"] for r in revisions] == [2] and more
    revisions, more = storage.read(lambda uow: uow.configurations.revisions(ids[0], 10, 2, 10**6))
    assert [r["version"] for r in revisions] == [1] and not more
    assert storage.read(lambda uow: uow.configurations.revision(ids[0], 1))["config"] == {"v": 1}
    assert storage.read(lambda uow: uow.configurations.revision(ids[0], 9)) is None


def test_what_a_transaction_or_an_import_asks_of_configurations(storage):
    app = application(storage)
    made = configuration(storage, app["id"])
    empty = application(storage, "empty")
    assert storage.read(lambda uow: uow.configurations.bytes_of(empty["id"])) == 0
    assert storage.read(lambda uow: uow.configurations.bytes_of(app["id"])) > 0
    assert storage.read(lambda uow: uow.configurations.version_of(made["id"])) == 1
    assert storage.read(lambda uow: uow.configurations.version_of(new_id())) is None
    missing = new_id()
    assert storage.read(lambda uow: uow.configurations.owners_of([made["id"], missing])) == {made["id"]: app["id"]}
    assert storage.write(lambda uow: uow.configurations.lock(made["id"])) is True
    assert storage.write(lambda uow: uow.configurations.lock(missing)) is False
    assert storage.write(lambda uow: uow.applications.lock(app["id"])) is True
    assert storage.write(lambda uow: uow.applications.lock(missing)) is False
    storage.write(
        lambda uow: (uow.applications.lock_all([app["id"], empty["id"]]), uow.configurations.lock_all([made["id"]]))
    )


def test_a_use_case_that_raises_leaves_nothing_behind(storage):
    def add_then_fail(uow):
        uow.applications.add(new_id(), "half", None)
        uow.changes.record(new_id(), None, "create", 1)
        raise Conflict("on purpose")

    head = storage.read(lambda uow: uow.changes.head())
    with pytest.raises(Conflict):
        storage.write(add_then_fail)
    assert storage.read(lambda uow: uow.applications.by_name("half")) is None
    assert storage.read(lambda uow: uow.changes.head()) == head


def test_tokens_are_listed_without_secrets_revoked_by_id_and_touched_once_a_minute(storage):
    token = storage.write(lambda uow: uow.tokens.add(new_id(), "ci", "read", ["A"], "h1", None))
    listed = storage.read(lambda uow: uow.tokens.list())
    assert [row["id"] for row in listed] == [token["id"]] and "secret_hash" not in listed[0]
    assert listed[0]["application_ids"] == ["A"] and listed[0]["last_used_at"] is None
    assert storage.write(lambda uow: uow.tokens.touch([token["id"]])) == 1
    assert storage.write(lambda uow: uow.tokens.touch([token["id"]])) == 0  # within the minute: no write
    assert storage.read(lambda uow: uow.tokens.list())[0]["last_used_at"] is not None
    first = storage.write(lambda uow: uow.tokens.revoke(token["id"]))["revoked_at"]
    assert storage.write(lambda uow: uow.tokens.revoke(token["id"]))["revoked_at"] == first  # again is harmless
    assert storage.write(lambda uow: uow.tokens.revoke(new_id())) is None
