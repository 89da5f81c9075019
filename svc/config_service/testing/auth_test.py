"""Tokens end to end: 401 before anything else, the scope matrix, application limits, audit,
no secret anywhere it should not be, and revocation across processes."""

import asyncio
import logging
import re
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from config_service.auth.usage import record_usage
from config_service.conftest import make_settings
from config_service.logs import UtcFormatter
from config_service.main import create_app
from config_service.testing.faults import _admin, database_name
from config_service.testing.server import start_server, stop, wait_until_ready
from config_service.testing.tokens import bearer, make_token

APPS, CONFIGS, CHANGES, TOKENS = "/api/v1/applications", "/api/v1/configurations", "/api/v1/changes", "/api/v1/tokens"
ULID = "01J0000000000000000000000A"


@pytest.fixture
def secured(database_url):
    settings = make_settings(database_url, auth="tokens")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.settings = settings
        yield client


@pytest.fixture
def admin(secured):
    return bearer(make_token(secured.settings, "root", "admin"))


def every_operation(app) -> list[tuple[str, str]]:
    operations = []
    for route in app.routes:
        if route.path.startswith("/api/v1"):
            path = route.path.replace("{id}", ULID).replace("{version}", "1")
            operations += [(method, path) for method in route.methods]
    return operations


def test_every_endpoint_and_method_answers_401_without_a_valid_token(secured, admin, connection):
    operations = every_operation(secured.app)
    assert len(operations) >= 17
    expired = make_token(secured.settings, "expired", "admin")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tokens SET expires_at = now() - interval '1 second' WHERE name = 'expired'")
    connection.commit()
    revoked = make_token(secured.settings, "revoked", "admin")
    wait_for(lambda: secured.get(APPS, headers=bearer(revoked)).status_code == 200)
    secured.delete(f"{TOKENS}/{secured.get(TOKENS, headers=admin).json()[-1]['id']}", headers=admin)
    wait_for(lambda: secured.get(APPS, headers=bearer(revoked)).status_code == 401)
    for method, path in operations:
        for headers in (
            {},
            bearer("cfg_unknown"),
            bearer(revoked),
            bearer(expired),
            {"Authorization": "Basic cm9vdDpyb290"},
            {"Authorization": "Bearer"},
        ):
            response = secured.request(
                method, path, headers={**headers, "content-type": "text/plain"}, content=b"not even json"
            )
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.headers["content-type"] == "application/problem+json"


def wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def test_health_ready_docs_and_openapi_stay_open(secured):
    for path in ("/health", "/ready", "/docs", "/openapi.json"):
        assert secured.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "scope, read, write, manage", [("read", 200, 403, 403), ("write", 200, 201, 403), ("admin", 200, 201, 201)]
)
def test_each_scope_against_each_kind_of_operation(secured, admin, scope, read, write, manage):
    app_id = secured.post(APPS, json={"name": "billing"}, headers=admin).json()["id"]
    config = secured.post(CONFIGS, json={"application_id": app_id, "name": "db", "config": {}}, headers=admin).json()
    token = bearer(make_token(secured.settings, f"as-{scope}", scope))
    assert secured.get(f"{CONFIGS}/{config['id']}", headers=token).status_code == read
    assert secured.get(CHANGES, headers=token).status_code == read
    assert secured.post(APPS, json={"name": f"new-{scope}"}, headers=token).status_code == write
    put = secured.put(f"{CONFIGS}/{config['id']}", json={"name": "db", "config": {"by": scope}}, headers=token)
    assert put.status_code == (200 if write == 201 else 403)
    assert secured.post(f"{CONFIGS}/{config['id']}/revisions/1/restore", headers=token).status_code == (
        200 if write == 201 else 403
    )
    assert secured.delete(f"{CONFIGS}/{config['id']}", headers=token).status_code == (204 if write == 201 else 403)
    assert secured.post(TOKENS, json={"name": f"made-by-{scope}", "scope": "read"}, headers=token).status_code == manage
    assert secured.get(TOKENS, headers=token).status_code == (200 if manage == 201 else 403)


def test_a_token_limited_to_one_application_sees_nothing_of_the_others(secured, admin):
    a = secured.post(APPS, json={"name": "a"}, headers=admin).json()["id"]
    b = secured.post(APPS, json={"name": "b"}, headers=admin).json()["id"]
    config_a = secured.post(CONFIGS, json={"application_id": a, "name": "db", "config": {}}, headers=admin).json()["id"]
    config_b = secured.post(CONFIGS, json={"application_id": b, "name": "db", "config": {}}, headers=admin).json()["id"]
    limited = bearer(make_token(secured.settings, "only-a", "write", [a]))
    assert [app["id"] for app in secured.get(APPS, headers=limited).json()] == [a]
    assert [c["id"] for c in secured.get(CONFIGS, headers=limited).json()] == [config_a]
    assert {c["application_id"] for c in secured.get(CHANGES, headers=limited).json()["changes"]} == {a}
    assert secured.get(CHANGES, params={"application_id": b}, headers=limited).json()["changes"] == []
    assert secured.get(CONFIGS, params={"application_id": b}, headers=limited).json() == []
    neighbour = [
        ("GET", f"{APPS}/{b}"),
        ("PUT", f"{APPS}/{b}"),
        ("DELETE", f"{APPS}/{b}"),
        ("GET", f"{CONFIGS}/{config_b}"),
        ("PUT", f"{CONFIGS}/{config_b}"),
        ("DELETE", f"{CONFIGS}/{config_b}"),
        ("POST", f"{CONFIGS}/{config_b}/revisions/1/restore"),
        ("GET", f"{CONFIGS}/{config_b}/revisions"),
        ("GET", f"{CONFIGS}/{config_b}/revisions/1"),
    ]
    for method, path in neighbour:
        body = None if method != "PUT" else {"name": "x"} if path.startswith(APPS) else {"name": "x", "config": {}}
        response = secured.request(method, path, json=body, headers=limited)
        assert response.status_code == 404, (method, path, response.text)
        missing = secured.request(method, path.replace(b if b in path else config_b, ULID), json=body, headers=limited)
        assert response.json()["detail"] == missing.json()["detail"]  # exactly as if it did not exist
    assert (
        secured.post(CONFIGS, json={"application_id": b, "name": "x", "config": {}}, headers=limited).status_code == 422
    )
    assert secured.post(APPS, json={"name": "c"}, headers=limited).status_code == 403
    assert secured.get(f"{CONFIGS}/{config_a}", headers=limited).status_code == 200
    assert (
        secured.put(f"{CONFIGS}/{config_a}", json={"name": "db", "config": {"v": 2}}, headers=limited).status_code
        == 200
    )
    admin_limited = bearer(make_token(secured.settings, "admin-a", "admin", [a]))
    assert secured.get(TOKENS, headers=admin_limited).status_code == 403


def test_revisions_and_feed_items_name_who_changed_them(secured, admin):
    app_id = secured.post(APPS, json={"name": "billing"}, headers=admin).json()["id"]
    writer = bearer(make_token(secured.settings, "deploy-bot", "write"))
    config = secured.post(CONFIGS, json={"application_id": app_id, "name": "db", "config": {}}, headers=writer).json()
    secured.put(f"{CONFIGS}/{config['id']}", json={"name": "db", "config": {"v": 2}}, headers=admin)
    revisions = secured.get(f"{CONFIGS}/{config['id']}/revisions", headers=writer).json()
    assert [r["changed_by"] for r in revisions] == ["root", "deploy-bot"]
    assert secured.get(f"{CONFIGS}/{config['id']}/revisions/1", headers=writer).json()["changed_by"] == "deploy-bot"
    feed = secured.get(CHANGES, headers=writer).json()["changes"]
    assert [c["changed_by"] for c in feed] == ["root", "deploy-bot", "root"]


def test_tokens_are_created_listed_and_revoked_through_the_api(secured, admin):
    app_id = secured.post(APPS, json={"name": "billing"}, headers=admin).json()["id"]
    created = secured.post(
        TOKENS, json={"name": "ci@team:x", "scope": "read", "application_ids": [app_id]}, headers=admin
    )
    assert created.status_code == 201 and re.fullmatch(r"cfg_[A-Za-z0-9_-]{43}", created.json()["token"])
    assert created.headers["cache-control"] == "no-store"
    assert secured.get(APPS, headers=bearer(created.json()["token"])).status_code == 200
    listed = secured.get(TOKENS, headers=admin).json()
    assert [t["name"] for t in listed] == ["root", "ci@team:x"]
    assert all("token" not in t and "secret_hash" not in t for t in listed)
    assert secured.delete(f"{TOKENS}/{created.json()['id']}", headers=admin).status_code == 204
    assert secured.get(APPS, headers=bearer(created.json()["token"])).status_code == 401
    assert secured.post(TOKENS, json={"name": "ci@team:x", "scope": "read"}, headers=admin).status_code == 409
    assert secured.delete(f"{TOKENS}/{ULID}", headers=admin).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"name": "has space", "scope": "read"},
        {"name": "x" * 129, "scope": "read"},
        {"name": "ok", "scope": "root"},
        {"name": "ok", "scope": "read", "application_ids": []},
        {"name": "ok", "scope": "read", "application_ids": [ULID]},
        {"name": "ok", "scope": "read", "expires_at": "2001-01-01T00:00:00Z"},
    ],
)
def test_a_bad_token_request_is_422(secured, admin, body):
    assert secured.post(TOKENS, json=body, headers=admin).status_code == 422


def test_no_secret_appears_in_a_log_line_a_response_or_an_error_after_creation(secured, admin, caplog):
    caplog.set_level(logging.DEBUG, logger="config_service")
    created = secured.post(TOKENS, json={"name": "watched", "scope": "write"}, headers=admin).json()
    secret = created["token"]
    answers = [
        secured.get(APPS, headers=bearer(secret)),
        secured.get(TOKENS, headers=admin),
        secured.post(APPS, json={"nme": secret}, headers=bearer(secret)),  # an echo attempt
        secured.get(f"{APPS}/{secret}", headers=bearer(secret)),
        secured.get(APPS, headers=bearer(secret + "x")),
        secured.get(APPS, headers={"Authorization": secret}),
    ]
    secured.delete(f"{TOKENS}/{created['id']}", headers=admin)
    answers += [secured.get(APPS, headers=bearer(secret)), secured.get(TOKENS, headers=admin)]
    root = admin["Authorization"].removeprefix("Bearer ")
    for response in answers:
        assert secret not in response.text and root not in response.text
        assert secret not in str(response.headers)
    lines = [UtcFormatter().format(record) for record in caplog.records]
    assert lines and not any(secret in line or root in line for line in lines)
    assert any("token=watched" in line for line in lines)


def test_last_used_at_is_recorded_off_the_request_path(secured, admin):
    secured.get(APPS, headers=admin)
    registry = secured.app.state.runtime.tokens
    assert registry.used and secured.get(TOKENS, headers=admin).json()[0]["last_used_at"] is None

    async def once():
        task = asyncio.ensure_future(record_usage(secured.app.state.runtime.database, registry, every=0.01))
        await asyncio.sleep(0.2)
        task.cancel()

    secured.portal.call(once)
    assert secured.get(TOKENS, headers=admin).json()[0]["last_used_at"] is not None


def test_auth_off_is_refused_on_a_non_loopback_host(database_url):
    from config_service.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="AUTH=off"):
        load_settings(_env_file=None, database_url=database_url, auth="off", host="0.0.0.0")
    assert load_settings(_env_file=None, database_url=database_url, auth="off", host="::1").auth == "off"


def test_a_revoked_token_is_refused_by_another_process_within_a_second(database_url, settings):
    servers = [start_server(database_url, AUTH="tokens", LOG_LEVEL="WARNING") for _ in range(2)]
    try:
        for process, base in servers:
            wait_until_ready(process, base)
        (_, a), (_, b) = servers
        root = bearer(make_token(make_settings(database_url), "root", "admin"))
        for round in range(2):
            created = httpx.post(
                f"{a}{TOKENS}", json={"name": f"short-lived-{round}", "scope": "read"}, headers=root
            ).json()
            token = bearer(created["token"])
            deadline = time.monotonic() + 5
            while httpx.get(f"{b}{APPS}", headers=token).status_code != 200:  # B hears of the new token
                assert time.monotonic() < deadline
            if round == 1:  # the second time, B's listener is reconnecting when the revocation comes
                connection = _admin()
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = %s AND query LIKE 'LISTEN%%'",
                        (database_name(settings),),
                    )
                connection.close()
            assert httpx.delete(f"{a}{TOKENS}/{created['id']}", headers=root).status_code == 204
            revoked_at = time.monotonic()
            while httpx.get(f"{b}{APPS}", headers=token).status_code != 401:
                assert time.monotonic() - revoked_at < 1.0, "B still accepts the revoked token"
                time.sleep(0.02)
    finally:
        for process, _ in servers:
            stop(process)


def test_a_token_that_only_the_database_can_vouch_for_while_it_is_down_is_503_not_500(secured, admin, settings):
    from config_service.testing.faults import database_down

    secured.app.state.runtime.tokens.trusted = False  # as while the listener is disconnected
    with database_down(database_name(secured.settings)):
        response = secured.get(APPS, headers=admin)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
