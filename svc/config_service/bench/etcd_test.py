import base64
import json

import httpx
import pytest

from config_service.bench import etcd
from config_service.bench.processes import free_port


def test_the_put_script_writes_a_new_base64_key_each_request_with_the_value():
    script = etcd.lua_script(etcd.SCENARIOS[0], {"a": 1})
    assert etcd.encoded(json.dumps({"a": 1})) in script
    assert "base64('bench/' .. tag .. '/' .. counter)" in script and '"/v3/kv/put"' in script


def test_the_range_script_reads_the_stored_document():
    script = etcd.lua_script(etcd.SCENARIOS[1], {"a": 1})
    assert etcd.encoded(etcd.DOCUMENT_KEY) in script and '"/v3/kv/range"' in script


def test_ratios_compare_two_workers_with_etcd():
    results = {
        "2": {
            "PUT /api/v1/configurations/{id}": {"rps_median": 500.0},
            "GET /api/v1/configurations/{id}": {"rps_median": 6000.0},
        }
    }
    measured = {etcd.SCENARIOS[0]: {"rps_median": 2000.0}, etcd.SCENARIOS[1]: {"rps_median": 5000.0}}
    assert etcd.ratios(results, measured) == {"PUT vs etcd put": 0.25, "cached GET vs etcd range": 1.2}
    assert etcd.ratios(results, {}) == {}


def test_the_table_says_when_etcd_was_not_measured():
    assert "not installed" in etcd.table({}, {})
    row = {"rps_median": 1000.0, "rps_min": 900.0, "rps_max": 1100.0, "p50_ms": 1.0, "p99_ms": 2.0}
    text = etcd.table({etcd.SCENARIOS[0]: row}, {"PUT vs etcd put": 0.3})
    assert "1,000 (900-1,100)" in text and "PUT vs etcd put (2 workers): 0.30x" in text


@pytest.mark.skipif(not etcd.installed(), reason="etcd is not installed (apt-get install etcd-server)")
def test_a_throwaway_node_starts_stores_the_document_and_stops():
    with etcd.running(free_port(), free_port()) as base_url:
        etcd.store_document(base_url, {"a": 1})
        answer = httpx.post(f"{base_url}/v3/kv/range", json={"key": etcd.encoded(etcd.DOCUMENT_KEY)}).json()
    assert json.loads(base64.b64decode(answer["kvs"][0]["value"])) == {"a": 1}
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base_url}/health", timeout=1)
