"""Hostile input: always a 4xx problem, never a 500, never the input echoed back whole."""

import pytest

APPS = "/api/v1/applications"
CONFIGS = "/api/v1/configurations"
MARK = "zq7" * 40  # a distinctive 120-character marker that must not come back

CASES = {
    "body over the limit": ("POST", APPS, b'{"name": "' + MARK.encode() * 9000 + b'"}', 413),
    "deep nesting": (
        "POST",
        CONFIGS,
        b'{"application_id": "@APP", "name": "n", "config": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}",
        422,
    ),
    "nesting just past 32": (
        "POST",
        CONFIGS,
        b'{"application_id": "@APP", "name": "n", "config": ' + b'{"a":' * 33 + b"1" + b"}" * 33 + b"}",
        422,
    ),
    "huge integer": (
        "POST",
        CONFIGS,
        b'{"application_id": "@APP", "name": "n", "config": {"k": ' + b"9" * 5000 + b"}}",
        422,
    ),
    "float overflow": ("POST", CONFIGS, b'{"application_id": "@APP", "name": "n", "config": {"k": 1e999}}', 422),
    "NaN": ("POST", CONFIGS, b'{"application_id": "@APP", "name": "n", "config": {"k": NaN}}', 422),
    "invalid UTF-8": ("POST", APPS, b'{"name": "\xff\xfe' + MARK.encode() + b'"}', 422),
    "lone surrogate": ("POST", APPS, b'{"name": "\\ud800' + MARK.encode() + b'"}', 422),
    "NUL in a name": ("POST", APPS, b'{"name": "a\\u0000' + MARK.encode() + b'"}', 422),
    "NUL in a config key": ("POST", CONFIGS, b'{"application_id": "@APP", "name": "n", "config": {"\\u0000": 1}}', 422),
    "oversized name": ("POST", APPS, b'{"name": "' + MARK.encode() * 3 + b'"}', 422),
    "oversized comments": ("POST", APPS, b'{"name": "n", "comments": "' + MARK.encode() * 9 + b'"}', 422),
    "unknown field": ("POST", APPS, b'{"name": "n", "' + MARK.encode() + b'": 1}', 422),
    "id in the body": ("POST", APPS, b'{"id": "01J0000000000000000000000A", "name": "n"}', 422),
    "not JSON": ("POST", APPS, b"name=" + MARK.encode(), 422),
    "truncated JSON": ("POST", APPS, b'{"name": "' + MARK.encode(), 422),
    "array body": ("POST", APPS, b'["' + MARK.encode() + b'"]', 422),
    "config not an object": (
        "POST",
        CONFIGS,
        b'{"application_id": "@APP", "name": "n", "config": ["' + MARK.encode() + b'"]}',
        422,
    ),
    "id not a ULID": ("GET", f"{APPS}/{MARK}", None, 422),
    "id overflowing 128 bits": ("GET", f"{APPS}/80000000000000000000000000", None, 422),
    "id with a path trick": ("GET", f"{CONFIGS}/..%2F..%2Fetc%2Fpasswd", None, 404),
    "application_id not a ULID": (
        "POST",
        CONFIGS,
        b'{"application_id": "' + MARK.encode() + b'", "name": "n", "config": {}}',
        422,
    ),
    "limit out of range": ("GET", f"{APPS}?limit=99999999999999999999999", None, 422),
    "after not a ULID": ("GET", f"{APPS}?after={MARK}", None, 422),
    "application_id a negative integer": ("POST", CONFIGS, b'{"application_id": -1, "name": "n", "config": {}}', 422),
    "application_id past 128 bits": (
        "POST",
        CONFIGS,
        b'{"application_id": ' + str(2**128).encode() + b', "name": "n", "config": {}}',
        422,
    ),
    "application_id zero": ("POST", CONFIGS, b'{"application_id": 0, "name": "n", "config": {}}', 422),
    "duplicate keys": ("POST", APPS, b'{"name": "n", "name": "' + MARK.encode() + b'"}', 422),
    "duplicate keys in a config": (
        "POST",
        CONFIGS,
        b'{"application_id": "@APP", "name": "n", "config": {"k": 1, "k": "' + MARK.encode() + b'"}}',
        422,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_a_small_4xx_problem(client, case):
    method, path, body, status = CASES[case]
    app_id = client.post(APPS, json={"name": "target"}).json()["id"]
    content = body.replace(b"@APP", app_id.encode()) if body else None
    response = client.request(method, path, content=content, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert MARK not in response.text
    assert len(response.content) < 2048


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE applications; --",
        "1 OR 1=1",
        '" ) UNION SELECT * FROM migrations --',
        "$$; SELECT pg_sleep(10); $$",
        "%s %(name)s {0}",
        "Robert'); --",
    ],
)
def test_sql_looking_strings_are_stored_and_returned_unchanged(client, text):
    app = client.post(APPS, json={"name": text, "comments": text}).json()
    config = client.post(CONFIGS, json={"application_id": app["id"], "name": text, "config": {text: text}}).json()
    assert client.get(f"{APPS}/{app['id']}").json()["name"] == text
    stored = client.get(f"{CONFIGS}/{config['id']}").json()
    assert (stored["name"], stored["config"]) == (text, {text: text})
    assert client.get(APPS).status_code == 200


@pytest.mark.parametrize("name", ["password=hunter2", "<img src=x onerror=alert(1)>", "Authorization: x"])
def test_an_unknown_field_with_a_hostile_name_is_not_echoed(client, name):
    response = client.post(APPS, json={"name": "n", name: 1})
    assert response.status_code == 422 and name not in response.text
    assert response.json()["errors"] == [{"loc": ["body"], "msg": "an unknown field was sent"}]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_write_that_is_not_declared_json_is_415_and_writes_nothing(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post(APPS, content=b'{"name": "cross-origin"}', headers=headers)
    assert response.status_code == 415 and response.headers["content-type"] == "application/problem+json"
    assert client.get(APPS).json() == []
