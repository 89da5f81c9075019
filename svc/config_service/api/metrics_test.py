from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from config_service.conftest import make_settings
from config_service.main import create_app
from config_service.testing.tokens import bearer, make_token

LISTED = {
    "config_service_http_requests": "counter",
    "config_service_http_request_duration_seconds": "histogram",
    "config_service_db_pool_connections_in_use": "gauge",
    "config_service_db_pool_connections": "gauge",
    "config_service_executor_queue_depth": "gauge",
    "config_service_queue_wait_rejections": "counter",
    "config_service_read_cache_hits": "counter",
    "config_service_read_cache_misses": "counter",
    "config_service_read_cache_entries": "gauge",
    "config_service_read_cache_bytes": "gauge",
    "config_service_feed_seen_seq": "gauge",
    "config_service_feed_head_seq": "gauge",
    "config_service_feed_listener_connected": "gauge",
    "config_service_feed_listener_reconnects": "counter",
    "config_service_open_streams": "gauge",
    "config_service_held_requests": "gauge",
    "config_service_token_checks": "counter",
    "config_service_writes": "counter",
}


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def sample(families, name, suffix="", **labels) -> float:
    return next(
        (s.value for s in families[name].samples if s.name == name + suffix and s.labels == labels),
        0.0,
    )


def test_every_listed_metric_is_there_parsed_with_its_type_and_labels_are_route_templates(client):
    app_id = client.post("/api/v1/applications", json={"name": "billing"}).json()["id"]
    config_id = client.post(
        "/api/v1/configurations", json={"application_id": app_id, "name": "db", "config": {"a": 1}}
    ).json()["id"]
    for _ in range(3):
        client.get(f"/api/v1/configurations/{config_id}")
    client.get(f"/nowhere/{config_id}")
    families = scrape(client)
    assert {name: families[name].type for name in LISTED} == LISTED
    route = {"method": "GET", "route": "/api/v1/configurations/{id}", "status": "200"}
    assert sample(families, "config_service_http_requests", "_total", **route) >= 3
    labels = {value for family in families.values() for s in family.samples for value in s.labels.values()}
    assert not any(app_id in value or config_id in value for value in labels)  # no label holds an id
    assert sample(families, "config_service_writes", "_total", kind="configuration", change="create") >= 1
    assert sample(families, "config_service_read_cache_hits", "_total") >= 1
    assert sample(families, "config_service_feed_head_seq") == sample(families, "config_service_feed_seen_seq") >= 2
    assert sample(families, "config_service_feed_listener_connected") == 1
    assert sample(families, "config_service_db_pool_connections") == 4


def test_metrics_are_open_unless_a_token_is_required_then_the_metrics_scope_or_admin(database_url):
    open_settings = make_settings(database_url, auth="tokens")
    with TestClient(create_app(open_settings)) as client:
        assert client.get("/metrics").status_code == 200
    settings = make_settings(database_url, auth="tokens", metrics_token_required=True)
    scraper, admin = make_token(settings, "prometheus", "metrics"), make_token(settings, "ops", "admin")
    reader = make_token(settings, "reader", "read")
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=bearer(reader)).status_code == 403
        families = scrape(client, **bearer(scraper))
        assert sample(families, "config_service_token_checks", "_total", outcome="missing") >= 1
        assert sample(families, "config_service_token_checks", "_total", outcome="insufficient_scope") >= 1
        scrape(client, **bearer(admin))
        assert client.get("/api/v1/applications", headers=bearer(scraper)).status_code == 403  # nothing else
        assert client.get("/health").status_code == 200


def test_with_metrics_off_nothing_is_recorded_and_there_is_no_metrics_endpoint(database_url):
    settings = make_settings(database_url, metrics_enabled=False)
    with TestClient(create_app(settings)) as client:
        assert client.app.state.runtime.metrics is None
        assert client.get("/api/v1/applications").status_code == 200
        response = client.get("/metrics")
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
