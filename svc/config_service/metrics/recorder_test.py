import asyncio
from types import SimpleNamespace

from prometheus_client import CollectorRegistry, Histogram

from config_service.metrics import families
from config_service.metrics.recorder import UNROUTED, Recorder, _add_observations, recording


def value(metric, suffix="", **labels) -> float:
    """A sample of one of the service's metrics, read back from prometheus-client."""
    for family in metric.collect():
        for sample in family.samples:
            if sample.name == family.name + suffix and sample.labels == labels:
                return sample.value
    return 0.0


class FakeCache:
    bytes = 2048

    def __len__(self) -> int:
        return 2


def fake_sources():
    """What a flush samples: a feed and a database, their figures fixed."""
    feed = SimpleNamespace(
        cache_hits=10,
        cache_misses=2,
        listener=SimpleNamespace(reconnects=1),
        cache=FakeCache(),
        seen=41,
        listening=True,
        hub=SimpleNamespace(stream_count=3, waiter_count=4),
    )
    database = SimpleNamespace(
        saturated=5, pool=SimpleNamespace(maxconn=8), connections_in_use=lambda: 6, queue_depth=lambda: 7
    )
    return database, feed


def test_counts_wait_in_the_worker_until_a_flush_moves_them_into_the_metrics():
    database, feed = fake_sources()
    recorder = Recorder(database, feed)
    labels = {"method": "GET", "route": "/test/recorder/{id}", "status": "200"}
    before = value(families.REQUESTS, "_total", **labels)
    for seconds in (0.0004, 0.003, 0.003, 2.0):
        recorder.request("GET", "/test/recorder/{id}", 200, seconds)
    recorder.request("GET", None, 404, 0.001)
    assert value(families.REQUESTS, "_total", **labels) == before  # nothing yet
    recorder.flush()
    assert value(families.REQUESTS, "_total", **labels) == before + 4
    assert value(families.REQUESTS, "_total", method="GET", route=UNROUTED, status="404") >= 1
    duration = {"method": "GET", "route": "/test/recorder/{id}"}
    assert value(families.DURATION, "_count", **duration) == 4
    assert value(families.DURATION, "_bucket", le="0.0005", **duration) == 1
    assert value(families.DURATION, "_bucket", le="0.005", **duration) == 3
    assert abs(value(families.DURATION, "_sum", **duration) - 2.0064) < 1e-9
    recorder.flush()  # a second flush adds nothing
    assert value(families.REQUESTS, "_total", **labels) == before + 4


def test_adding_many_observations_at_once_is_what_observing_them_one_by_one_gives():
    observations = [0.0001, 0.0005, 0.0007, 0.02, 0.02, 45.0, 100.0]
    one_by_one = Histogram("one", "x", registry=CollectorRegistry(), buckets=families.DURATION_BUCKETS)
    at_once = Histogram("one", "x", registry=CollectorRegistry(), buckets=families.DURATION_BUCKETS)
    for seconds in observations:
        one_by_one.observe(seconds)
    recorder = Recorder(*fake_sources())
    for seconds in observations:
        recorder.request("GET", "/x", 200, seconds)
    _add_observations(at_once, recorder._durations[("GET", "/x")])

    def samples(histogram):
        return [(s.name, s.labels, s.value) for s in list(histogram.collect())[0].samples if s.name != "one_created"]

    assert samples(at_once) == samples(one_by_one)


def test_a_flush_samples_the_gauges_and_adds_what_running_totals_grew_by():
    database, feed = fake_sources()
    recorder = Recorder(database, feed)
    hits = value(families.CACHE_HITS, "_total")
    recorder.flush()
    assert value(families.CACHE_HITS, "_total") == hits + 10
    feed.cache_hits = 15
    recorder.flush()
    assert value(families.CACHE_HITS, "_total") == hits + 15
    assert (value(families.POOL_IN_USE), value(families.POOL_SIZE), value(families.QUEUE_DEPTH)) == (6, 8, 7)
    assert (value(families.OPEN_STREAMS), value(families.HELD_REQUESTS), value(families.SEEN_SEQ)) == (3, 4, 41)
    assert (value(families.LISTENER_CONNECTED), value(families.CACHE_ENTRIES), value(families.CACHE_BYTES)) == (
        1,
        2,
        2048,
    )


def test_token_checks_and_writes_are_counted_by_their_labels():
    recorder = Recorder(*fake_sources())
    accepted = value(families.TOKEN_CHECKS, "_total", outcome="accepted")
    creates = value(families.WRITES, "_total", kind="configuration", change="create")
    recorder.token_check("accepted")
    recorder.committed([{"configuration_id": "C", "change": "create"}, {"configuration_id": None, "change": "update"}])
    recorder.doubted()
    assert recorder.quiet_channel([("A", None)]) is None
    recorder.flush()
    assert value(families.TOKEN_CHECKS, "_total", outcome="accepted") == accepted + 1
    assert value(families.WRITES, "_total", kind="configuration", change="create") == creates + 1


def test_recording_hears_the_databases_writes_flushes_periodically_and_once_more_at_the_end(monkeypatch):
    from config_service.metrics import recorder as module

    monkeypatch.setattr(module, "FLUSH_SECONDS", 0.01)
    database, feed = fake_sources()
    subscribed = []
    database.subscribe = lambda observer: subscribed.append(observer) or (lambda: subscribed.remove(observer))
    route = {"method": "GET", "route": "/test/recording", "status": "200"}
    before = value(families.REQUESTS, "_total", **route)

    async def scenario():
        async with recording(database, feed) as recorder:
            assert subscribed == [recorder]
            recorder.request("GET", "/test/recording", 200, 0.001)
            await asyncio.sleep(0.05)
            assert value(families.REQUESTS, "_total", **route) == before + 1  # flushed by the timer
            recorder.request("GET", "/test/recording", 200, 0.001)
        assert subscribed == []

    asyncio.run(scenario())
    assert value(families.REQUESTS, "_total", **route) == before + 2  # the last one at exit
