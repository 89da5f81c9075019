import os

import httpx

from config_service.bench.batch import compare, table
from config_service.testing.live import live_app


def test_a_transaction_and_single_puts_are_timed_side_by_side(settings):
    with live_app(settings) as (base, _):
        with httpx.Client(base_url=base) as client:
            app_id = client.post("/api/v1/applications", json={"name": "a"}).json()["id"]
            configs = [
                (
                    client.post(
                        "/api/v1/configurations", json={"application_id": app_id, "name": f"c{n}", "config": {}}
                    ).json()["id"],
                    f"c{n}",
                )
                for n in range(5)
            ]
        result = compare(base, os.getpid(), configs, "unused-with-auth-off", rounds=2)
    assert result["one transaction"]["operations"] == 5 and result["single PUTs"]["ms"] > 0
    assert "one transaction" in table(result)
