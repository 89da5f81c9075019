import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from config_service.cache.read_cache import Entry, ReadCache
from config_service.feed.hub import PING_AFTER_SECONDS, STREAM_QUEUE_BATCHES, ChangeHub

pytestmark = pytest.mark.anyio
EVERY = lambda change: True  # noqa: E731


def change(seq: int, application_id="A", configuration_id="C") -> dict:
    return {
        "seq": seq,
        "application_id": application_id,
        "configuration_id": configuration_id,
        "change": "update",
        "version": seq,
        "changed_at": None,
    }


@pytest.fixture
def hub():
    """A hub whose listener vouches for every change (feed/worker.py): announcements are not held back."""
    hub = ChangeHub(ReadCache(100, 10**6))
    hub.vouch(2**62)
    return hub


def test_changes_apply_in_seq_order_and_wait_for_a_gap_to_close(hub):
    gaps = []
    hub.subscribe_listener(SimpleNamespace(request_catch_up=lambda: gaps.append(1), ping=lambda: None))
    hub.apply([change(1), change(3)])
    assert hub.seen == 1 and gaps == [1]
    hub.apply([change(2), change(3)])  # the gap closes; the repeat of 3 is harmless
    assert hub.seen == 3 and [c["seq"] for c in hub.changes_after(0, EVERY, 10)] == [1, 2, 3]


def test_a_change_invalidates_its_configuration_and_application_before_it_is_reported(hub):
    token = hub.cache.fill_token()
    for key in (("configuration", "C"), ("application", "A"), ("configuration", "other")):
        hub.cache.fill(key, Entry(b"{}", 1, "x", "A"), token)
    hub.apply([change(2)])  # beyond a gap: not reported yet, but already invalidated
    assert hub.seen == 0 and hub.cache.get(("configuration", "C")) is None
    assert hub.cache.get(("application", "A")) is None and hub.cache.get(("configuration", "other"))


def test_changes_after_filters_limits_and_says_when_memory_does_not_reach_back(hub, monkeypatch):
    hub.apply([change(1, "A"), change(2, "B"), change(3, "A")])
    assert [c["seq"] for c in hub.changes_after(0, lambda c: c["application_id"] == "A", 10)] == [1, 3]
    assert [c["seq"] for c in hub.changes_after(0, EVERY, 2)] == [1, 2]
    assert hub.changes_after(3, EVERY, 10) == []
    small = ChangeHub(ReadCache(1, 1000))
    small._buffer = type(small._buffer)(maxlen=2)
    small.apply([change(1), change(2), change(3)])
    assert small.changes_after(0, EVERY, 10) is None and len(small.changes_after(1, EVERY, 10)) == 2


async def test_a_waiter_wakes_on_a_matching_change_only(hub):
    waiting = asyncio.ensure_future(hub.wait(0, lambda c: c["application_id"] == "B", 5))
    await asyncio.sleep(0.01)
    hub.apply([change(1, "A")])
    await asyncio.sleep(0.01)
    assert not waiting.done()
    hub.apply([change(2, "B")])
    assert await waiting is True
    assert await hub.wait(0, EVERY, 5) is True  # already there: no wait
    assert await hub.wait(2, EVERY, 0.05) is False


async def test_ten_thousand_waiters_are_woken_without_stalling_the_loop(hub):
    waiters = [asyncio.ensure_future(hub.wait(0, EVERY, 30)) for _ in range(10_000)]
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    hub.apply([change(1)])
    assert loop.time() - started < 0.2
    assert all(await asyncio.gather(*waiters))


async def test_streams_get_each_batch_and_a_stream_too_far_behind_is_ended(hub):
    queue = hub.subscribe()
    hub.apply([change(1)])
    assert [c["seq"] for c in queue.get_nowait()] == [1]
    for seq in range(2, STREAM_QUEUE_BATCHES + 3):
        hub.apply([change(seq)])
    items = [queue.get_nowait() for _ in range(queue.qsize())]
    assert items[-1] is None  # the end, after which the client resumes by Last-Event-ID
    hub.unsubscribe(queue)


def test_a_lost_listener_turns_the_cache_off_and_empties_it(hub):
    hub.listening = True
    hub.cache.fill(("configuration", "C"), Entry(b"{}", 1, "x", "A"), hub.cache.fill_token())
    hub.disconnected()
    assert not hub.listening and len(hub.cache) == 0


def changed_at(second: int) -> datetime:
    return datetime(2026, 12, 1, 8, 0, second, tzinfo=UTC)


def test_a_change_under_a_seen_seq_that_is_not_the_one_applied_is_invalidated_and_asks_for_a_read(hub):
    """This worker's own write after a restore comes back under a seq it has seen: its keys go stale all the same."""
    reads = []
    hub.subscribe_listener(SimpleNamespace(request_catch_up=lambda: reads.append(1), ping=lambda: None))
    hub.apply([{**change(seq), "changed_at": changed_at(seq)} for seq in (1, 2, 3)])
    hub.apply([{**change(2), "changed_at": changed_at(2)}])  # a repeat of the change applied: nothing to do
    assert reads == []
    hub.cache.fill(("configuration", "C"), Entry(b"{}", 3, "x", "A"), hub.cache.fill_token())
    hub.apply([{**change(2), "changed_at": changed_at(9)}])  # seq 2 again, another change
    assert hub.cache.get(("configuration", "C")) is None and reads == [1] and hub.seen == 3


def test_rows_are_consistent_when_each_at_or_below_seen_is_the_change_applied_under_its_seq(hub):
    applied = [{**change(seq), "changed_at": changed_at(seq)} for seq in (1, 2, 3)]
    hub.apply(applied)
    assert hub.consistent(applied[1:] + [{**change(4), "changed_at": changed_at(4)}])
    for field, other in (
        ("changed_at", changed_at(9)),
        ("version", 7),
        ("change", "delete"),
        ("application_id", "B"),
        ("configuration_id", None),
    ):
        assert not hub.consistent([applied[1], {**applied[2], field: other}]), field
    small = ChangeHub(ReadCache(1, 1000))
    small._buffer = type(small._buffer)(maxlen=1)
    small.apply(applied)
    assert small.consistent([{**applied[0], "changed_at": changed_at(9)}])  # beyond memory: the listener decides


async def test_a_restart_forgets_the_history_refuses_fills_begun_before_and_wakes_every_waiter_and_stream(hub):
    hub.apply([change(1), change(2), change(3)])
    hub.cache.fill(("configuration", "C"), Entry(b"{}", 3, "x", "A"), hub.cache.fill_token())
    begun = hub.cache.fill_token()  # a miss that read the database before the restart
    waiting = asyncio.ensure_future(hub.wait(3, EVERY, 30))
    queue = hub.subscribe()
    await asyncio.sleep(0.01)
    hub.restart({**change(2), "changed_at": changed_at(9)})
    assert await asyncio.wait_for(waiting, 1) is True and queue.get_nowait() == []
    assert (hub.seen, hub.restarts, hub.restarted_at, len(hub.cache)) == (2, 1, 2, 0)
    assert not hub.cache.fill(("configuration", "C"), Entry(b"{}", 3, "x", "A"), begun)
    assert hub.changes_after(0, EVERY, 10) is None  # memory holds nothing before the head: the table answers
    hub.apply([change(3)])
    assert hub.seen == 3 and [c["seq"] for c in hub.changes_after(2, EVERY, 10)] == [3]
    hub.restart(None)  # an empty table
    assert hub.seen == 0 and hub.restarts == 2


async def test_waiters_and_streams_hear_of_a_change_only_once_the_listener_vouches_for_it():
    hub = ChangeHub(ReadCache(100, 10**6))
    queue = hub.subscribe()
    waiter = asyncio.ensure_future(hub.wait(0, EVERY, 5))
    await asyncio.sleep(0)
    hub.apply([change(1), change(2)])
    await asyncio.sleep(0.01)
    assert not waiter.done() and queue.empty() and hub.seen == 2  # applied (the cache knows), not announced
    hub.vouch(1)
    assert await waiter and [c["seq"] for c in queue.get_nowait()] == [1]
    hub.vouch(5)
    assert [c["seq"] for c in queue.get_nowait()] == [2]
    hub.unsubscribe(queue)


async def test_a_change_wakes_only_the_waiters_and_streams_of_its_resources_and_those_of_every_change(hub):
    mine = asyncio.ensure_future(hub.wait(0, EVERY, 5, ("application", "A")))
    config = asyncio.ensure_future(hub.wait(0, EVERY, 5, ("configuration", "C")))
    everything = asyncio.ensure_future(hub.wait(0, EVERY, 5))
    others = [asyncio.ensure_future(hub.wait(0, EVERY, 5, ("application", "B"))) for _ in range(100)]
    streams = {topic: hub.subscribe(topic) for topic in (None, ("application", "A"), ("application", "B"))}
    await asyncio.sleep(0)
    assert not hub.idle()
    hub.apply([change(1)])
    assert await mine and await config and await everything
    assert not any(other.done() for other in others)
    assert [streams[None].qsize(), streams[("application", "A")].qsize(), streams[("application", "B")].qsize()] == [
        1,
        1,
        0,
    ]
    for other in others:
        other.cancel()
    await asyncio.gather(*others, return_exceptions=True)
    for queue in streams.values():
        hub.unsubscribe(queue)
    hub.unsubscribe(streams[None])  # twice: nothing to do
    assert hub.idle() and hub._waiters == {} and hub._streams == {}


async def test_while_listening_waiters_wait_for_a_wake_up_and_the_listeners_loss_wakes_them_all(hub):
    hub.listening = True
    assert hub.recheck_seconds(1.0) == float("inf")
    waiter = asyncio.ensure_future(hub.wait(0, EVERY, 30, ("application", "B")))
    queue = hub.subscribe(("application", "B"))
    await asyncio.sleep(0)
    hub.disconnected()
    assert await asyncio.wait_for(waiter, 1) is True and queue.get_nowait() == []
    assert hub.recheck_seconds(1.0) == 1.0


async def test_a_change_the_listener_does_not_vouch_for_soon_asks_for_a_ping_while_someone_waits():
    hub, pings = ChangeHub(ReadCache(100, 10**6)), []
    hub.subscribe_listener(SimpleNamespace(request_catch_up=lambda: None, ping=lambda: pings.append(hub.seen)))
    hub.apply([change(1)])  # nobody waits: no ping
    waiter = asyncio.ensure_future(hub.wait(1, EVERY, 5))
    await asyncio.sleep(0)
    hub.apply([change(2)])
    hub.apply([change(3)])
    hub.vouch(3)  # its notification came in time: no ping for it
    assert await waiter is True
    again = asyncio.ensure_future(hub.wait(3, EVERY, 5))
    await asyncio.sleep(0)
    hub.apply([change(4)])
    await asyncio.sleep(PING_AFTER_SECONDS * 3)
    assert pings == [4] and not again.done()
    hub.vouch(4)
    assert await again is True


async def test_what_a_write_touches_is_waited_for_only_by_its_own_topics_or_every_change(hub):
    assert not hub.waits_for([("A", "C")])
    other = asyncio.ensure_future(hub.wait(0, EVERY, 5, ("application", "B")))
    await asyncio.sleep(0)
    assert not hub.waits_for([("A", "C")]) and hub.waits_for([("B", None)])
    config = hub.subscribe(("configuration", "C"))
    assert hub.waits_for([("A", "C")]) and not hub.waits_for([("A", "D")])
    hub.unsubscribe(config)
    everything = hub.subscribe()
    assert hub.waits_for([("A", "D")])
    hub.unsubscribe(everything)
    other.cancel()
    await asyncio.gather(other, return_exceptions=True)


def test_a_listener_unsubscribed_is_asked_for_nothing_more(hub):
    gaps = []
    unsubscribe = hub.subscribe_listener(SimpleNamespace(request_catch_up=lambda: gaps.append(1), ping=lambda: None))
    unsubscribe()
    hub.apply([change(1), change(3)])
    assert gaps == []


async def test_a_drain_ends_every_stream_wakes_every_waiter_and_holds_nothing_after(hub):
    hub.apply([change(1)])
    streams = [hub.subscribe(), hub.subscribe(("configuration", "C"))]
    waiter = asyncio.ensure_future(hub.wait(1, EVERY, 60))
    await asyncio.sleep(0)
    hub.drain()
    assert [stream.get_nowait() for stream in streams] == [None, None]
    assert await asyncio.wait_for(waiter, 1) is False
    assert hub.subscribe().get_nowait() is None  # a stream opened while stopping ends at once
    assert await asyncio.wait_for(hub.wait(1, EVERY, 60), 1) is False
    hub.apply([change(2)])
    assert all(stream.empty() for stream in streams)  # ended streams hear of nothing more
