"""Every metric the service exports: Prometheus's naming conventions (`_total`, `_seconds`,
`_bytes`), a `config_service_` prefix, and no label whose values grow with the data (routes are
templates, never paths with ids). With several workers (prometheus-client's multiprocess mode)
counters and histograms add up over all of them; each gauge says how its workers' values combine."""

from prometheus_client import Counter, Gauge, Histogram

# Request durations: from a cached GET (well under a millisecond) to a long-poll held a minute.
DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

REQUESTS = Counter("config_service_http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
DURATION = Histogram(
    "config_service_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer.",
    ["method", "route"],
    buckets=DURATION_BUCKETS,
)
POOL_IN_USE = Gauge(
    "config_service_db_pool_connections_in_use",
    "Pooled database connections borrowed now.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "config_service_db_pool_connections",
    "Pooled database connections at most (POOL_SIZE).",
    multiprocess_mode="livesum",
)
QUEUE_DEPTH = Gauge(
    "config_service_executor_queue_depth",
    "Database jobs waiting for a free executor thread.",
    multiprocess_mode="livesum",
)
SATURATED = Counter(
    "config_service_queue_wait_rejections_total",
    "Requests answered 503 because no database worker was free within QUEUE_WAIT_SECONDS.",
)
CACHE_HITS = Counter("config_service_read_cache_hits_total", "Reads answered from a worker's read cache.")
CACHE_MISSES = Counter(
    "config_service_read_cache_misses_total", "Cacheable reads that went to the database (then filled the cache)."
)
CACHE_ENTRIES = Gauge("config_service_read_cache_entries", "Entries in the read caches.", multiprocess_mode="livesum")
CACHE_BYTES = Gauge("config_service_read_cache_bytes", "Bytes the read caches hold.", multiprocess_mode="livesum")
SEEN_SEQ = Gauge(
    "config_service_feed_seen_seq",
    "The change feed's seq every worker has applied (the lowest of the workers').",
    multiprocess_mode="livemin",
)
HEAD_SEQ = Gauge(
    "config_service_feed_head_seq",
    "The changes table's newest seq, read when scraped (lag: head - seen).",
    multiprocess_mode="max",
)
LISTENER_CONNECTED = Gauge(
    "config_service_feed_listener_connected",
    "1 while every worker's change listener is connected and caught up, 0 otherwise.",
    multiprocess_mode="livemin",
)
LISTENER_RECONNECTS = Counter(
    "config_service_feed_listener_reconnects_total", "Times a worker's change listener lost its connection."
)
OPEN_STREAMS = Gauge(
    "config_service_open_streams", "Open event streams (GET /api/v1/changes/stream).", multiprocess_mode="livesum"
)
HELD_REQUESTS = Gauge(
    "config_service_held_requests",
    "Requests held for a change: long-polls (wait=) and watches (Prefer: wait=).",
    multiprocess_mode="livesum",
)
TOKEN_CHECKS = Counter(
    "config_service_token_checks_total",
    "Bearer tokens checked, by outcome: accepted, missing, unknown (or revoked or expired), insufficient_scope.",
    ["outcome"],
)
WRITES = Counter(
    "config_service_writes_total",
    "Committed changes, by kind (application, configuration) and change (create, update, delete, restore).",
    ["kind", "change"],
)
