import asyncio
import json
import os
import socket
import stat
import threading
import time

import pytest
from config_service.testing.server import free_port
from pydantic import BaseModel, ValidationError

from config_client import ConfigClient, NotFound, Unavailable
from config_client.live import AsyncLiveConfig, LiveConfig
from conftest import FAST


class Database(BaseModel):
    host: str
    port: int = 5432


def wait_for(predicate, seconds: float = 5) -> float:
    """How long it took for `predicate()` to hold (fails after `seconds`)."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < seconds, "it did not happen in time"
        time.sleep(0.005)
    return time.monotonic() - started


@pytest.fixture
def database(client):
    app = client.create_application("billing")
    return client.create_configuration(app.id, "database", {"host": "db1"})


def test_a_put_reaches_the_value_within_a_second_and_subscribers_hear_of_it(client, database):
    swaps = []
    with LiveConfig(Database, client, "billing", "database") as live:
        live.subscribe(lambda old, new: swaps.append((old.host, new.host)))
        assert (live.value, live.version, live.last_error) == (Database(host="db1"), 1, None)
        client.update_configuration(database.id, name="database", config={"host": "db2", "port": 6432})
        assert wait_for(lambda: live.value.host == "db2") < 1
        assert (live.value.port, live.version, live.configuration.version) == (6432, 2, 2)
        wait_for(lambda: swaps == [("db1", "db2")])


def test_an_invalid_change_is_rejected_and_the_last_good_value_kept(client, database, tmp_path):
    errors, cache = [], tmp_path / "database.json"
    with LiveConfig(Database, client, "billing", "database", cache_path=cache) as live:
        live.on_error(errors.append)
        client.update_configuration(database.id, name="database", config={"host": 5})
        wait_for(lambda: errors)
        assert isinstance(live.last_error, ValidationError) and errors == [live.last_error]
        assert (live.value, live.version) == (Database(host="db1"), 1)
        assert json.loads(cache.read_text())["config"] == {"host": "db1"}  # never the invalid one
        client.update_configuration(database.id, name="database", config={"host": "db3"})
        wait_for(lambda: live.value.host == "db3")
        assert live.last_error is None and json.loads(cache.read_text())["version"] == 3


def test_the_cache_file_is_written_atomically_and_readable_by_its_owner_only(client, database, tmp_path):
    cache = tmp_path / "cache" / "database.json"
    with LiveConfig(Database, client, "billing", "database", cache_path=cache):
        pass
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    assert json.loads(cache.read_text())["config"] == {"host": "db1"}
    assert [p.name for p in cache.parent.iterdir()] == ["database.json"]  # no temporary file left


def test_a_deleted_configuration_keeps_its_value_and_says_so(client, database):
    with LiveConfig(Database, client, "billing", "database") as live:
        client.delete_configuration(database.id)
        wait_for(lambda: isinstance(live.last_error, NotFound))
        assert live.value.host == "db1"
        client.restore(database.id, 1)
        wait_for(lambda: live.version == 3 and live.last_error is None)


def test_names_that_do_not_exist_or_a_value_that_does_not_validate_fail_the_start(client, database):
    with pytest.raises(NotFound):
        LiveConfig(Database, client, "billing", "cache").__enter__()
    with pytest.raises(NotFound):
        LiveConfig(Database, client, "nope", "database").__enter__()
    client.update_configuration(database.id, name="database", config={"port": 1})
    with pytest.raises(ValidationError):
        LiveConfig(Database, client, "billing", "database").__enter__()
    with pytest.raises(ValueError):
        LiveConfig(Database, client, "billing", "database", startup="later").__enter__()


def test_a_failed_start_leaves_no_thread_behind(client, database):
    before = threading.active_count()
    for _ in range(3):
        with pytest.raises(NotFound):
            LiveConfig(Database, client, "billing", "nope").__enter__()
    assert threading.active_count() == before


def test_started_while_the_service_is_down_fail_raises_at_once_and_wait_after_its_timeout():
    with ConfigClient(f"http://127.0.0.1:{free_port()}", backoff=FAST) as down:
        started = time.monotonic()
        with pytest.raises(Unavailable):
            LiveConfig(Database, down, "billing", "database", startup="fail").__enter__()
        assert time.monotonic() - started < 1
        started = time.monotonic()
        with pytest.raises(Unavailable):
            LiveConfig(Database, down, "billing", "database", startup="wait", startup_timeout=1.5).__enter__()
        assert 1.0 <= time.monotonic() - started < 2.5
        with pytest.raises(Unavailable):  # "cache" with no cache file: nothing to serve
            LiveConfig(Database, down, "billing", "database", startup="cache", cache_path="/nonexistent/x").__enter__()


def test_started_while_the_service_is_down_cache_serves_the_copy_and_catches_up(service_process, tmp_path):
    cache = tmp_path / "database.json"
    with ConfigClient(service_process.url, backoff=FAST) as client:
        app = client.create_application("billing")
        made = client.create_configuration(app.id, "database", {"host": "db1"})
        with LiveConfig(Database, client, "billing", "database", cache_path=cache):
            pass
        service_process.stop()
        swaps = []
        with LiveConfig(Database, client, "billing", "database", cache_path=cache, startup="cache") as live:
            live.subscribe(lambda old, new: swaps.append(new.host))
            assert (live.value.host, live.version, live.from_cache) == ("db1", 1, True)
            assert isinstance(live.last_error, Unavailable)
            service_process.start()
            client.update_configuration(made.id, name="database", config={"host": "db2"})
            wait_for(lambda: live.value.host == "db2", 15)
            assert not live.from_cache and live.last_error is None and swaps == ["db2"]


def test_the_async_live_config_follows_on_the_running_loop(service, database):
    async def scenario():
        async with service.async_client() as client:
            async with AsyncLiveConfig(Database, client, "billing", "database") as live:
                assert live.value.host == "db1"
                await client.update_configuration(database.id, name="database", config={"host": "db2"})
                for _ in range(200):
                    if live.value.host == "db2":
                        break
                    await asyncio.sleep(0.005)
                assert live.value.host == "db2" and live.version == 2

    asyncio.run(scenario())


def test_the_value_is_unavailable_before_the_start(client):
    with pytest.raises(RuntimeError):
        LiveConfig(Database, client, "billing", "database").value  # noqa: B018


def test_a_failing_subscriber_is_reported_and_the_value_still_follows(client, database):
    errors = []
    with LiveConfig(Database, client, "billing", "database") as live:
        live.on_error(errors.append)
        live.on_error(lambda error: 1 / 0)  # a broken handler stops nothing either
        live.subscribe(lambda old, new: 1 / 0)
        client.update_configuration(database.id, name="database", config={"host": "db2"})
        wait_for(lambda: live.value.host == "db2" and errors)
        assert isinstance(errors[0], ZeroDivisionError)
        client.update_configuration(database.id, name="database", config={"host": "db3"})
        wait_for(lambda: live.value.host == "db3")


def test_a_good_version_followed_at_once_by_a_bad_one_is_still_taken(client, database):
    seen = []
    with LiveConfig(Database, client, "billing", "database") as live:
        live.subscribe(lambda old, new: seen.append(new.host))
        client.update_configuration(database.id, name="database", config={"host": "db2"})
        client.update_configuration(database.id, name="database", config={"host": None})
        wait_for(lambda: isinstance(live.last_error, ValidationError))
        assert (live.value.host, live.version, seen) == ("db2", 2, ["db2"])


def test_a_configuration_deleted_and_made_again_under_its_name_is_followed_anew(client, database):
    with LiveConfig(Database, client, "billing", "database") as live:
        client.update_configuration(database.id, name="database", config={"host": "db2"})
        wait_for(lambda: live.version == 2)
        client.delete_configuration(database.id)
        wait_for(lambda: isinstance(live.last_error, NotFound))
        client.create_configuration(database.application_id, "other", {"host": "x"})  # not ours: still deleted
        again = client.create_configuration(database.application_id, "database", {"host": "db9"})
        wait_for(lambda: live.value.host == "db9")
        assert (live.version, live.configuration.id, live.last_error) == (1, again.id, None)


def test_a_cache_file_that_cannot_be_written_is_reported_and_the_value_swapped_all_the_same(client, database, tmp_path):
    (tmp_path / "a-file").write_text("")
    with LiveConfig(Database, client, "billing", "database", cache_path=tmp_path / "a-file" / "copy.json") as live:
        assert isinstance(live.last_error, OSError) and live.value.host == "db1"
        client.update_configuration(database.id, name="database", config={"host": "db2"})
        wait_for(lambda: live.value.host == "db2")


def test_losing_the_service_after_the_start_is_reported(service_process):
    with ConfigClient(service_process.url, backoff=FAST) as client:
        app = client.create_application("billing")
        client.create_configuration(app.id, "database", {"host": "db1"})
        with LiveConfig(Database, client, "billing", "database") as live:
            service_process.stop()
            wait_for(lambda: isinstance(live.last_error, Unavailable), 10)
            assert live.value.host == "db1"


def test_no_start_outlasts_its_timeout_even_when_the_service_never_answers():
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, then says nothing
    try:
        with ConfigClient(f"http://127.0.0.1:{silent.getsockname()[1]}", backoff=FAST, timeout=10) as client:
            for startup in ("fail", "wait"):
                started = time.monotonic()
                with pytest.raises(Unavailable):
                    LiveConfig(Database, client, "billing", "database", startup=startup, startup_timeout=1).__enter__()
                assert time.monotonic() - started < 2
    finally:
        silent.close()
