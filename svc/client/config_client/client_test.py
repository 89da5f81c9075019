import threading
import time
from contextlib import contextmanager

import httpx
import pytest
from config_service.testing.server import free_port
from config_service.testing.tcp_proxy import AnswerCutter

from config_client import (
    ConfigClient,
    Conflict,
    ExportDocument,
    Forbidden,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    Unavailable,
)
from config_client.calls import Call
from config_client.retries import Safety
from conftest import FAST


def test_applications_are_created_read_found_listed_updated_and_deleted(client):
    made = client.create_application("billing", comments="team x")
    assert (made.name, made.comments, made.version, made.configuration_ids) == ("billing", "team x", 1, [])
    assert client.get_application(made.id) == made
    assert client.find_application("billing") == client.get_application(made.id).model_copy(
        update={"configuration_ids": None}
    )
    assert client.find_application("bill") is None
    others = [client.create_application(f"app-{n}") for n in range(3)]
    listed = list(client.applications(page_size=2))  # two pages and a half, by Link
    assert [a.id for a in listed] == sorted(a.id for a in [made, *others])
    renamed = client.update_application(made.id, name="invoicing", if_match=1)
    assert (renamed.name, renamed.comments, renamed.version) == ("invoicing", None, 2)
    with pytest.raises(PreconditionFailed) as stale:
        client.update_application(made.id, name="x", if_match=1)
    assert stale.value.current_version == 2 and stale.value.status == 412
    client.delete_application(made.id, if_match=2)
    with pytest.raises(NotFound):
        client.get_application(made.id)


def test_configurations_are_created_found_updated_restored_and_deleted(client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "database", {"host": "db1"}, comments="primary")
    assert (made.application_id, made.config, made.version, made.comments) == (app.id, {"host": "db1"}, 1, "primary")
    assert client.get_configuration(made.id) == made == client.get_configuration(made.id, fresh=True)
    assert client.find_configuration(app.id, "database") == made
    assert client.find_configuration(app.id, "Database") is None
    second = client.update_configuration(made.id, name="database", config={"host": "db2"}, if_match=1)
    assert (second.version, second.config, second.comments) == (2, {"host": "db2"}, None)
    assert [r.version for r in client.revisions(made.id, page_size=1)] == [2, 1]
    assert client.revision(made.id, 1).config == {"host": "db1"}
    restored = client.restore(made.id, 1, if_match=2)
    assert (restored.version, restored.config) == (3, {"host": "db1"})
    other = client.create_configuration(app.id, "cache", {"ttl": 5})
    assert [c.id for c in client.configurations(application_id=app.id, page_size=1)] == sorted([made.id, other.id])
    assert [c.id for c in client.configurations(name="cache")] == [other.id]
    client.delete_configuration(made.id, if_match=3)
    with pytest.raises(NotFound):
        client.get_configuration(made.id)
    with pytest.raises(Conflict):
        client.delete_application(app.id)  # it still has "cache"


def test_transactions_export_and_import(client):
    app = client.create_application("warehouse")
    db = client.create_configuration(app.id, "db", {"host": "db1"})
    results = client.transaction(
        [
            {
                "op": "update_configuration",
                "id": db.id,
                "if_match": 1,
                "body": {"name": "db", "config": {"host": "db2"}},
            },
            {"op": "create_configuration", "body": {"application_id": app.id, "name": "replica", "config": {}}},
        ]
    )
    assert [r.status for r in results] == [200, 201] and results[0].body["config"] == {"host": "db2"}
    document = client.export_application(app.id)
    assert isinstance(document, ExportDocument) and [c.name for c in document.configurations] == ["db", "replica"]
    renamed = document.model_copy(update={"application": document.application.model_copy(update={"name": "prod"})})
    plan = client.import_document(renamed, dry_run=True)
    assert plan.application.action == "create" and plan.application.id is None
    assert client.find_application("prod") is None
    applied = client.import_document(renamed.model_dump(mode="json"), mode="replace")
    assert [c.action for c in applied.configurations] == ["create", "create"]
    assert client.import_document(renamed).application.action == "unchanged"


def test_the_feed_a_page_at_a_time_and_held(client):
    head = client.head_seq()
    app = client.create_application("orders")
    page = client.changes(after=head)
    assert [(c.seq, c.application_id, c.change) for c in page.changes] == [(head + 1, app.id, "create")]
    assert page.last_seq == head + 1 == client.head_seq()
    started = time.monotonic()
    assert client.changes(after=page.last_seq, wait=0.5).changes == []
    assert time.monotonic() - started >= 0.45


def test_tokens_and_me(service, client):
    assert (client.me().name, client.me().scope) == ("tests", "admin")
    app = client.create_application("billing")
    made = client.create_token("reader", "read", application_ids=[app.id])
    assert made.token and made.application_ids == [app.id]
    assert {t.name for t in client.tokens()} == {"tests", "reader"}
    with service.client(made.token) as reader:
        assert reader.get_application(app.id).id == app.id
        with pytest.raises(Forbidden):
            reader.create_application("nope")
    client.revoke_token(made.id)
    client.revoke_token(made.id)  # revoking again is harmless
    with service.client(made.token) as reader, pytest.raises(Unauthorized):
        reader.me()
    assert client.health()["status"] == "ok"


def test_errors_carry_the_problem(client):
    with pytest.raises(InvalidRequest) as invalid:
        client.create_application("")
    assert invalid.value.status == 422 and invalid.value.errors[0]["loc"][:2] == ["body", "name"]
    assert invalid.value.request_id
    client.create_application("taken")
    with pytest.raises(Conflict) as taken:
        client.create_application("taken")
    assert taken.value.status == 409 and "name" in taken.value.detail
    with pytest.raises(InvalidRequest) as bad_id:
        client.get_application("not-a-ulid")
    assert bad_id.value.status == 422


def test_url_and_token_default_to_the_environment(service, monkeypatch):
    monkeypatch.setenv("CONFIG_SERVICE_URL", service.url + "/")
    monkeypatch.setenv("CONFIG_SERVICE_TOKEN", service.token)
    with ConfigClient() as client:
        assert client.connection.url == service.url and client.me().name == "tests"


@contextmanager
def answers_cut(service, cuts: int = 1):
    """A client whose first `cuts` answers are cut by a proxy after the service served them; and the proxy."""
    proxy = AnswerCutter("127.0.0.1", int(service.url.rsplit(":", 1)[1]), cuts=cuts)
    try:
        with ConfigClient(f"http://127.0.0.1:{proxy.port}", service.token, backoff=FAST) as client:
            yield client, proxy
    finally:
        proxy.close()


def test_a_create_retried_through_a_connection_cut_after_the_commit_makes_one_application(service):
    with answers_cut(service) as (client, proxy):
        made = client.create_application("once")  # the first answer is cut: the client sends it again
        assert proxy.cuts == 0
        assert [a.id for a in client.applications()] == [made.id]


def test_a_conditional_update_whose_answer_was_lost_finds_its_own_change(service, client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "db", {"v": 1})
    with answers_cut(service) as (cut, proxy):
        updated = cut.update_configuration(made.id, name="db", config={"v": 2}, if_match=1)
        assert (updated.version, updated.config) == (2, {"v": 2})
        proxy.cuts = 1
        cut.delete_configuration(made.id, if_match=2)  # the retry finds it gone: done
    assert [r.version for r in client.revisions(made.id)] == [3, 2, 1]


def test_a_conditional_update_beaten_by_another_writer_still_fails(service, client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "db", {"v": 1})
    with answers_cut(service) as (cut, proxy):
        cut.update_configuration(made.id, name="db", config={"v": 2}, if_match=1)  # stored; answer lost
        client.update_configuration(made.id, name="db", config={"v": 3})  # someone else, version 3
        proxy.cuts = 1
        with pytest.raises(PreconditionFailed) as stale:
            cut.update_configuration(made.id, name="db", config={"v": 4}, if_match=2)
        assert stale.value.current_version == 3


def test_a_write_without_if_match_is_not_sent_again_after_an_unknown_outcome(service, client):
    app = client.create_application("billing")
    made = client.create_configuration(app.id, "db", {"v": 1})
    with answers_cut(service) as (cut, proxy):
        with pytest.raises(Unavailable) as unknown:
            cut.update_configuration(made.id, name="db", config={"v": 2})
        assert unknown.value.outcome_unknown and unknown.value.status is None
    assert client.get_configuration(made.id).version == 2  # it was stored, once


def test_reads_are_retried_until_the_service_answers(service):
    port = free_port()
    with ConfigClient(f"http://127.0.0.1:{port}", backoff=FAST) as client:
        with pytest.raises(Unavailable) as down:
            client.health()
        assert down.value.status is None and not down.value.outcome_unknown
    with answers_cut(service, cuts=3) as (client, proxy):
        assert client.me().name == "tests" and proxy.cuts == 0


def test_a_503_is_retried_with_its_retry_after_and_raised_when_it_lasts(monkeypatch):
    answers = iter([503, 503, 200])
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("idempotency-key"))
        status = next(answers, 503)
        body = {"status": "ok"} if status == 200 else {"title": "Service Unavailable", "status": 503}
        return httpx.Response(
            status, json=body, headers={"Retry-After": "0", "Content-Type": "application/problem+json"}
        )

    with ConfigClient("http://service.invalid", backoff=FAST) as client:
        client._http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://service.invalid")
        assert client.health() == {"status": "ok"}
        with pytest.raises(Unavailable) as lasting:
            client.call(Call("POST", "/x", lambda r: None, Safety.KEYED, headers={"Idempotency-Key": "k"}))
        assert lasting.value.status == 503 and lasting.value.retry_after == 0
    assert seen[3:] == ["k"] * FAST.attempts  # every try of one call sends the same key


def test_a_watch_yields_each_change_once_in_order_and_ends_when_the_caller_stops(client):
    app = client.create_application("orders")
    seen = []
    ready = threading.Event()

    def follow():
        for change in client.watch(after=0, application_id=app.id):
            seen.append((change.seq, change.change))
            ready.set()
            if len(seen) == 3:
                return

    thread = threading.Thread(target=follow)
    thread.start()
    assert ready.wait(5)
    made = client.create_configuration(app.id, "db", {"v": 1})
    client.update_configuration(made.id, name="db", config={"v": 2})
    client.create_application("elsewhere")  # another application's change: not this watch's
    thread.join(5)
    assert not thread.is_alive()
    assert [kind for _, kind in seen] == ["create", "create", "update"]
    assert [seq for seq, _ in seen] == sorted({seq for seq, _ in seen})


def test_a_watch_across_a_listener_kill_and_a_service_restart_yields_every_change_once_in_order(service_process):
    from config_service.testing.faults import kill_sessions

    database = service_process.database_url.rsplit("/", 1)[1]
    seen, wanted = [], 9
    with ConfigClient(service_process.url, backoff=FAST) as client:
        app = client.create_application("orders")
        made = client.create_configuration(app.id, "limits", {"n": 0})
        after = client.head_seq()

        def follow():
            with ConfigClient(service_process.url, backoff=FAST) as watcher:
                for change in watcher.watch(after=after, application_id=app.id):
                    seen.append(change.seq)
                    if len(seen) == wanted:
                        return

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        for n in range(1, 4):
            client.update_configuration(made.id, name="limits", config={"n": n})
        assert kill_sessions(database) > 0  # the listener's connection (and the pool's) die
        for n in range(4, 7):
            client.update_configuration(made.id, name="limits", config={"n": n})
        service_process.restart()  # every stream ends; the watch reconnects with Last-Event-ID
        for n in range(7, 10):
            client.update_configuration(made.id, name="limits", config={"n": n})
        thread.join(30)
        assert not thread.is_alive(), f"the watch saw {seen}"
        feed = [c.seq for c in client.changes(after=after, application_id=app.id).changes]
    assert seen == feed == list(range(after + 1, after + wanted + 1))


def test_a_configurations_schema_is_set_kept_enforced_checked_and_removed(client):
    app = client.create_application("billing")
    schema = {"type": "object", "properties": {"port": {"type": "integer"}}, "required": ["port"]}
    made = client.create_configuration(app.id, "db", {"port": 5432}, schema=schema)
    assert made.json_schema == schema and client.get_configuration(made.id).json_schema == schema
    with pytest.raises(InvalidRequest) as refused:
        client.update_configuration(made.id, name="db", config={"port": "x"})  # KEEP: the stored schema holds
    assert refused.value.errors[0]["type"] == "schema" and refused.value.errors[0]["loc"] == ["body", "config", "port"]
    check = client.validate(made.id, config={"port": "x"})
    assert not check.valid and check.errors[0]["msg"] == "must be of type integer"
    assert client.validate(made.id).valid and client.validate(made.id, config={}, schema=None).valid
    freed = client.update_configuration(made.id, name="db", config={"port": "x"}, schema=None)
    assert freed.json_schema is None and client.revision(made.id, 1).json_schema == schema
    exported = client.export_application(app.id)
    assert exported.configurations[0].json_schema is None
    assert "schema" in exported.model_dump(mode="json")["configurations"][0]  # on the wire as `schema`
