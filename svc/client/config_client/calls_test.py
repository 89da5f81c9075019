import httpx
import pytest

from config_client import calls
from config_client.errors import PreconditionFailed
from config_client.retries import Safety

STAMP = "2026-01-01T00:00:00Z"


def configuration(version: int, config: dict) -> dict:
    return {"id": "C", "application_id": "A", "name": "db", "comments": None, "config": config,
            "version": version, "created_at": STAMP, "updated_at": STAMP}  # fmt: skip


def test_creates_and_transactions_send_one_idempotency_key_each():
    first, second = calls.create_application("a"), calls.create_application("a")
    assert first.safety is Safety.KEYED and first.headers["Idempotency-Key"].startswith("client-")
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    assert calls.create_configuration("A", "db", {}).safety is Safety.KEYED
    assert calls.transaction([{"op": "check", "kind": "application", "id": "A"}]).safety is Safety.KEYED


def test_other_writes_are_conditional_with_if_match_and_sent_once_without():
    update = calls.update_configuration("C", "db", {}, None, if_match=3)
    assert (update.safety, update.headers) == (Safety.CONDITIONAL, {"If-Match": '"3"'})
    assert calls.update_configuration("C", "db", {}, None, if_match=None).safety is Safety.ONCE
    assert calls.delete_application("A", if_match=1).gone_is_done
    assert calls.restore("C", 1, if_match=4).safety is Safety.ONCE  # a second restore is a second version
    assert calls.import_document({"format": "config-service/v1"}, "merge", False).safety is Safety.ONCE
    assert calls.import_document({"format": "config-service/v1"}, "merge", True).safety is Safety.READ
    assert calls.get_configuration("C", fresh=True).headers == {"Cache-Control": "no-cache"}


def test_a_page_follows_its_link():
    page_call = calls.list_configurations("A", "db", 2)
    assert page_call.params == {"application_id": "A", "name": "db", "limit": 2}
    response = httpx.Response(
        200, json=[configuration(1, {})], headers={"Link": '</api/v1/configurations?limit=2&after=C>; rel="next"'}
    )
    page = page_call.parse(response)
    assert [c.id for c in page.items] == ["C"] and page.next.path == "/api/v1/configurations?limit=2&after=C"
    assert page.next.parse(httpx.Response(200, json=[])).next is None
    elsewhere = httpx.Response(200, json=[], headers={"Link": '<https://elsewhere.example/steal>; rel="next"'})
    assert page_call.parse(elsewhere).next is None  # the token is never sent to another origin


def test_a_retried_update_confirms_only_the_version_it_would_have_made_with_what_it_wrote():
    update = calls.update_configuration("C", "db", {"v": 2}, None, if_match=1)
    stale = PreconditionFailed(412, {"current_version": 2})
    check = update.confirm(stale)
    assert check.method == "GET" and check.headers == {"Cache-Control": "no-cache"}
    assert check.parse(httpx.Response(200, json=configuration(2, {"v": 2}))).version == 2
    with pytest.raises(PreconditionFailed):
        check.parse(httpx.Response(200, json=configuration(2, {"v": "someone else's"})))
    with pytest.raises(PreconditionFailed):
        check.parse(httpx.Response(200, json=configuration(3, {"v": 2})))
    renamed = calls.update_application("A", "b", None, if_match=1).confirm(stale)
    app = {"id": "A", "name": "b", "comments": None, "version": 2, "created_at": STAMP, "updated_at": STAMP}
    assert renamed.parse(httpx.Response(200, json=app)).name == "b"


def test_the_head_is_asked_with_an_after_above_any_seq_and_a_long_poll_waits_longer():
    assert calls.head_seq().params == {"after": calls.MAX_SEQ}
    assert calls.head_seq().parse(httpx.Response(200, json={"changes": [], "last_seq": 9})) == 9
    held = calls.changes(3, None, 10, 20)
    assert held.params == {"after": 3, "limit": 10, "wait": 20} and held.extra_timeout == 20
