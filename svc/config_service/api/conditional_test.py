from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from config_service.api.conditional import (
    IfMatch,
    change_seq_header,
    matching_versions,
    none_match,
    representation,
    validators,
)
from config_service.api.problems import install_problem_handlers
from config_service.domain.versions import ANY_VERSION


@pytest.mark.parametrize(
    "header, versions",
    [
        (None, None),
        ("*", ANY_VERSION),
        ('"3"', [3]),
        ('"3", "5"', [3, 5]),
        ('W/"3"', []),
        ("3", []),
        ('"x"', []),
        ('"99999999999999999999"', []),
        ('"1", *', ANY_VERSION),
        ('"²"', []),
        ('"٣"', []),
        ('"3", "²"', [3]),
    ],
)
def test_if_match_gives_the_versions_it_accepts(header, versions):
    assert matching_versions(header) == versions


@pytest.mark.parametrize(
    "header, hit",
    [
        (None, False),
        ('"4"', True),
        ('W/"4"', True),
        ('"3", "4"', True),
        ("*", True),
        ('"3"', False),
        ("4", False),
    ],
)
def test_if_none_match_compares_weakly(header, hit):
    assert none_match(header, 4) is hit


def test_validators_are_a_quoted_version_and_an_http_date():
    moment = datetime(2026, 11, 27, 8, 0, 5, tzinfo=UTC)
    assert validators(7, moment) == {"ETag": '"7"', "Last-Modified": "Fri, 27 Nov 2026 08:00:05 GMT"}


class Thing(BaseModel):
    name: str


@pytest.fixture
def client():
    app = FastAPI()
    install_problem_handlers(app)
    app.state.runtime = SimpleNamespace(settings=SimpleNamespace(require_if_match=False))
    moment = datetime(2026, 1, 1, tzinfo=UTC)

    @app.get("/thing")
    async def get(request: __import__("fastapi").Request):
        return representation(request, Thing(name="a"), 2, moment)

    @app.put("/thing")
    async def put(versions: IfMatch):
        return {"versions": "*" if versions is ANY_VERSION else versions}

    return TestClient(app)


def test_get_sends_validators_and_answers_304_to_a_matching_if_none_match(client):
    first = client.get("/thing")
    assert (first.status_code, first.headers["etag"], first.json()) == (200, '"2"', {"name": "a"})
    again = client.get("/thing", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", '"2"')
    assert client.get("/thing", headers={"If-None-Match": '"1"'}).status_code == 200


def test_if_match_is_optional_unless_required(client):
    assert client.put("/thing").json() == {"versions": None}
    assert client.put("/thing", headers={"If-Match": '"4"'}).json() == {"versions": [4]}
    client.app.state.runtime.settings.require_if_match = True
    response = client.put("/thing")
    assert response.status_code == 428
    assert response.headers["content-type"] == "application/problem+json"
    assert client.put("/thing", headers={"If-Match": "*"}).status_code == 200


def test_a_change_names_its_seq_and_no_change_names_none():
    assert change_seq_header(12) == {"Change-Seq": "12"}
    assert change_seq_header(None) == {}
