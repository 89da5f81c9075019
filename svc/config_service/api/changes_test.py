import asyncio
import json
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from config_service.api.applications_test import create
from config_service.api.changes import EncodedChanges
from config_service.testing.live import live_app

APPS, CONFIGS, CHANGES = "/api/v1/applications", "/api/v1/configurations", "/api/v1/changes"


def new_config(client, app_id, name="database", config=None):
    return client.post(CONFIGS, json={"application_id": app_id, "name": name, "config": config or {"v": 1}})


def test_every_write_that_changed_something_names_its_seq(client):
    app = client.post(APPS, json={"name": "billing"})
    assert app.headers["change-seq"] == "1"
    app_id = app.json()["id"]
    config = new_config(client, app_id)
    assert config.headers["change-seq"] == "2"
    cfg = config.json()["id"]
    put = client.put(f"{CONFIGS}/{cfg}", json={"name": "database", "config": {"v": 2}})
    assert put.headers["change-seq"] == "3"
    same = client.put(f"{CONFIGS}/{cfg}", json={"name": "database", "config": {"v": 2}})
    assert same.status_code == 200 and "change-seq" not in same.headers and same.headers["etag"] == '"2"'
    assert client.delete(f"{CONFIGS}/{cfg}").headers["change-seq"] == "4"
    assert client.post(f"{CONFIGS}/{cfg}/revisions/1/restore").headers["change-seq"] == "5"
    assert client.put(f"{APPS}/{app_id}", json={"name": "invoicing"}).headers["change-seq"] == "6"
    client.delete(f"{CONFIGS}/{cfg}")
    assert client.delete(f"{APPS}/{app_id}").headers["change-seq"] == "8"
    feed = client.get(CHANGES).json()
    assert feed["last_seq"] == 8
    assert [(c["seq"], c["configuration_id"] is None, c["change"], c["version"]) for c in feed["changes"]] == [
        (1, True, "create", 1),
        (2, False, "create", 1),
        (3, False, "update", 2),
        (4, False, "delete", 3),
        (5, False, "restore", 4),
        (6, True, "update", 5),
        (7, False, "delete", 5),
        (8, True, "delete", 7),
    ]


def test_an_idempotent_replay_repeats_the_original_change_seq(client):
    first = client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k"})
    client.post(APPS, json={"name": "other"})
    again = client.post(APPS, json={"name": "billing"}, headers={"Idempotency-Key": "k"})
    assert again.headers["change-seq"] == first.headers["change-seq"] == "1"


def test_the_feed_filters_pages_and_links_to_the_next_page(client):
    a, b = create(client, "a")["id"], create(client, "b")["id"]
    for n in range(3):
        new_config(client, a, f"c{n}")
    page = client.get(CHANGES, params={"application_id": a, "limit": 2})
    assert [c["seq"] for c in page.json()["changes"]] == [1, 3] and page.json()["last_seq"] == 3
    assert page.headers["link"] == f'<{CHANGES}?application_id={a}&limit=2&after=3>; rel="next"'
    rest = client.get(CHANGES, params={"application_id": a, "limit": 2, "after": 3}).json()
    assert [c["seq"] for c in rest["changes"]] == [4, 5] and rest["last_seq"] == 5
    assert client.get(CHANGES, params={"application_id": b, "after": 2}).json() == {"changes": [], "last_seq": 5}


def test_after_above_the_head_answers_at_once_with_the_real_last_seq(client):
    create(client)
    started = time.monotonic()
    assert client.get(CHANGES, params={"after": 99, "wait": 5}).json() == {"changes": [], "last_seq": 1}
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("query", ["wait=61", "wait=-1", "limit=0", "limit=1001", "after=-1", "after=x"])
def test_bad_feed_parameters_are_422(client, query):
    assert client.get(f"{CHANGES}?{query}").status_code == 422


def test_a_long_poll_times_out_empty_with_a_last_seq_to_follow(client):
    create(client)
    started = time.monotonic()
    assert client.get(CHANGES, params={"after": 1, "wait": 0.3}).json() == {"changes": [], "last_seq": 1}
    assert time.monotonic() - started >= 0.3


@pytest.mark.anyio
async def test_a_held_long_poll_answers_as_soon_as_a_matching_change_commits(api):
    a = (await api.post(APPS, json={"name": "a"})).json()["id"]
    held = asyncio.ensure_future(api.get(CHANGES, params={"after": 1, "wait": 10, "application_id": a}))
    await asyncio.sleep(0.2)
    await api.post(APPS, json={"name": "b"})  # another application: not for this poll
    await asyncio.sleep(0.2)
    assert not held.done()
    started = time.monotonic()
    await api.post(CONFIGS, json={"application_id": a, "name": "db", "config": {}})
    answer = (await held).json()
    assert time.monotonic() - started < 0.5
    assert [c["seq"] for c in answer["changes"]] == [3] and answer["last_seq"] == 3


@pytest.mark.anyio
async def test_eight_writers_and_a_follower_every_write_once_in_order_without_gaps(api):
    """8 writers x 100 writes; a reader follows after=last_seq with wait and sees each exactly once."""
    app_id = (await api.post(APPS, json={"name": "busy"})).json()["id"]
    configs = [
        (await api.post(CONFIGS, json={"application_id": app_id, "name": f"c{w}", "config": {}})).json()["id"]
        for w in range(8)
    ]
    start = int((await api.get(CHANGES, params={"after": 0})).json()["last_seq"])
    seen, done = [], asyncio.Event()

    async def writer(config_id):
        for n in range(100):
            response = await api.put(f"{CONFIGS}/{config_id}", json={"name": config_id[-4:], "config": {"n": n}})
            assert response.status_code == 200, response.text

    async def reader():
        after = start
        while not done.is_set() or after < start + 800:
            page = (await api.get(CHANGES, params={"after": after, "wait": 1, "limit": 1000})).json()
            seen.extend(c["seq"] for c in page["changes"])
            after = page["last_seq"]

    following = asyncio.ensure_future(reader())
    await asyncio.gather(*(writer(c) for c in configs))
    done.set()
    await asyncio.wait_for(following, 30)
    assert seen == list(range(start + 1, start + 801))


def test_the_stream_sends_the_backlog_then_live_changes_and_resumes_by_last_event_id(settings):
    with live_app(settings) as (base, _):
        with httpx.Client(base_url=base, timeout=10) as client:
            a = client.post(APPS, json={"name": "a"}).json()["id"]
            client.post(APPS, json={"name": "b"})
            events = []

            def follow():
                with client.stream("GET", f"{CHANGES}/stream", params={"application_id": a}) as stream:
                    assert stream.headers["content-type"].startswith("text/event-stream")
                    for line in stream.iter_lines():
                        if line.startswith("data: "):
                            events.append(json.loads(line[6:]))
                        if len(events) == 2:
                            return

            reading = threading.Thread(target=follow)
            reading.start()
            time.sleep(0.3)
            client.post(CONFIGS, json={"application_id": a, "name": "db", "config": {}})
            reading.join(5)
            assert [e["seq"] for e in events] == [1, 3]
            with client.stream("GET", f"{CHANGES}/stream", headers={"Last-Event-ID": "2"}) as stream:
                lines = []
                for line in stream.iter_lines():
                    lines.append(line)
                    if line.startswith("data: "):
                        break
            assert lines[:2] == ["id: 3", "event: change"]
            with client.stream("GET", f"{CHANGES}/stream", params={"after": 99}) as stream:
                text = stream.read().decode()
            assert text == 'event: reset\ndata: {"last_seq": 3}\n\n'


@pytest.mark.anyio
async def test_with_the_listener_down_the_feed_reads_the_table_and_skips_nothing(api, connection):
    """A change this worker has not applied (its listener is down) is still reported, not
    stepped over by a last_seq taken from the table's head."""
    from config_service.repositories.changes import ChangeRepository

    app_id = (await api.post(APPS, json={"name": "a"})).json()["id"]
    await api.app.state.runtime.feed.listener.stop()
    api.app.state.runtime.feed.hub.disconnected()
    repository = ChangeRepository(connection)
    repository.record(app_id, None, "update", 2)  # another instance's write
    repository.flush()
    connection.commit()
    page = (await api.get(CHANGES, params={"after": 1})).json()
    assert [c["seq"] for c in page["changes"]] == [2] and page["last_seq"] == 2


def test_a_page_or_event_is_encoded_once_for_every_waiter_that_receives_it_and_the_memory_is_bounded():
    encoded = EncodedChanges(pages=2, events=1)
    item = {
        "seq": 7,
        "application_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "configuration_id": None,
        "change": "create",
        "version": 1,
        "changed_at": datetime(2026, 11, 27, tzinfo=UTC),
        "changed_by": "ci",
    }
    page = encoded.page([item], 7)
    assert json.loads(page) == {"changes": [{**item, "changed_at": "2026-11-27T00:00:00Z"}], "last_seq": 7}
    assert encoded.page([dict(item)], 7) is page  # the same seqs: the same bytes, not encoded again
    assert json.loads(encoded.page([], 7)) == {"changes": [], "last_seq": 7}
    assert json.loads(encoded.page([item], 9))["last_seq"] == 9
    assert encoded.page([item], 7) is not page  # two pages encoded since: the first was forgotten
    event = encoded.event(item)
    assert event.startswith("id: 7\nevent: change\ndata: {")
    assert json.loads(event.split("data: ")[1]) == json.loads(page)["changes"][0]
    assert encoded.event(dict(item)) is event
    encoded.event({**item, "seq": 8})
    assert encoded.event(item) is not event
    # a seq handed out again by a database restored from a backup is another change
    again = {**item, "changed_at": datetime(2026, 11, 28, tzinfo=UTC), "changed_by": "other"}
    assert json.loads(encoded.page([again], 7))["changes"][0]["changed_by"] == "other"
    assert '"changed_by":"other"' in encoded.event(again)


def test_a_quiet_stream_gets_keep_alives_while_the_listener_is_up(settings, monkeypatch):
    """No timer per stream then: the listener's heartbeat wakes the streams, each sends its comment."""
    from config_service.api import changes as changes_module
    from config_service.feed import listener as listener_module

    monkeypatch.setattr(changes_module, "HEARTBEAT_SECONDS", 0.3)
    monkeypatch.setattr(listener_module, "STREAM_WAKE_SECONDS", 0.1)
    monkeypatch.setattr(listener_module, "CATCH_UP_SECONDS", 0.1)
    with live_app(settings) as (base, _):
        with httpx.Client(base_url=base, timeout=10) as client:
            with client.stream("GET", f"{CHANGES}/stream") as stream:
                for line in stream.iter_lines():
                    if line == ": keep-alive":
                        break
