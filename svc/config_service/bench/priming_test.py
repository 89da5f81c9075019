import httpx
import pytest

from config_service.bench.priming import passes_for, prime
from config_service.testing.live import live_app


def test_one_pass_fills_a_single_workers_cache_with_every_path(settings):
    with live_app(settings) as (base, app):
        with httpx.Client(base_url=base) as client:
            app_id = client.post("/api/v1/applications", json={"name": "a"}).json()["id"]
            ids = [
                client.post(
                    "/api/v1/configurations", json={"application_id": app_id, "name": f"c{n}", "config": {}}
                ).json()["id"]
                for n in range(30)
            ]
        cache = app.state.runtime.feed.cache
        cache.clear()
        prime(
            base,
            [f"/api/v1/configurations/{id}" for id in ids] + [f"/api/v1/applications/{app_id}"],
            "unused-with-auth-off",
            passes_for(1),
        )
        assert len(cache) == 31


def test_a_failed_priming_read_stops_the_bench(settings):
    with live_app(settings) as (base, _):
        with pytest.raises(SystemExit, match="1 priming reads failed"):
            prime(base, ["/api/v1/applications/01ARZ3NDEKTSV4RRFFQ69G5FAV"], "unused-with-auth-off", 1)


def test_more_workers_take_more_passes():
    assert passes_for(1) == 1 and passes_for(2) == 5 and passes_for(4) > passes_for(2)
