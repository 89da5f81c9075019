import json
import shutil

import pytest

from config_service.bench import etcd, run
from config_service.conftest import make_settings
from config_service.db.pool import connect

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/health
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.61ms  512.33us  12.01ms   90.12%
  Latency Distribution
     50%    3.52ms
     75%    3.80ms
     90%    4.10ms
     99%    1.20s
  93012 requests in 10.00s, 13.04MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 5
Requests/sec:   9301.20
Transfer/sec:      1.30MB
"""


def test_parse_wrk_reads_rate_latencies_and_failures():
    assert run.parse_wrk(WRK_OUTPUT) == {
        "rps": 9301.2,
        "p50_ms": 3.52,
        "p99_ms": 1200.0,
        "requests": 93012,
        "non_2xx": 5,
        "socket_errors": 3,
    }


def test_summary_takes_medians_and_the_range():
    runs = [
        {"rps": r, "p50_ms": r / 100, "p99_ms": r / 10, "non_2xx": 1, "socket_errors": 0, "cpu_ms_per_request": 0.5}
        for r in (100.0, 300.0, 200.0)
    ]
    summary = run.summarize(runs)
    assert (summary["rps_median"], summary["rps_min"], summary["rps_max"], summary["non_2xx"]) == (200, 100, 300, 3)
    assert summary["p99_ms"] == 20.0


def test_table_shows_each_scenario_against_health():
    row = {
        "rps_median": 1000.0,
        "rps_min": 900.0,
        "rps_max": 1100.0,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "non_2xx": 0,
        "cpu_ms_per_request": 0.25,
        "pg_cpu_ms_per_request": 0.125,
    }
    text = run.table({1: {"GET /health": {**row, "rps_median": 4000.0}, "GET /x": row}})
    assert "| 1 | `GET /x` | 1,000 (900-1,100) | 25% | 1.00 | 2.00 | 0 | 0.250 | 0.125 | 0.375 |" in text


def test_seed_writes_the_data_set_and_returns_its_ids(database_url):
    connection = connect(make_settings(database_url))
    try:
        ids = run.seed(connection, applications=3, per_application=2)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) AS n, min(jsonb_array_length(jsonb_path_query_array(config, '$.*')))"
                " AS keys, count(schema) AS guarded FROM configurations"
            )
            row = cursor.fetchone()
    finally:
        connection.close()
    assert (len(ids["applications"]), len(ids["configurations"])) == (3, 6)
    assert len(ids["guarded"]) == 2 * run.SCHEMA_APPLICATIONS
    assert (row["n"], row["keys"], row["guarded"]) == (
        6 + 2 * run.SCHEMA_APPLICATIONS,
        run.KEYS_PER_CONFIG,
        len(ids["guarded"]),
    )


def test_lua_scripts_pick_existing_ids():
    ids = {
        "applications": ["01J0000000000000000000000A"],
        "configurations": [("01J0000000000000000000000C", "db")],
        "guarded": [("01J0000000000000000000000G", "db")],
    }
    assert "01J0000000000000000000000G" in run.lua_script(run.SCHEMA_PUT, ids)
    for scenario in run.SCENARIOS[1:]:
        script = run.lua_script(scenario, ids)
        assert "function request()" in script and "01J0000000000000000000000A" in script
    assert '\\"name\\": \\"" .. pick[2]' in run.lua_script("PUT /api/v1/configurations/{id}", ids)
    body = json.loads(
        run.lua_script("POST /api/v1/configurations", ids).split('config = "')[1].split('"\n')[0].replace('\\"', '"')
    )
    assert len(body) == run.KEYS_PER_CONFIG


def test_missing_wrk_is_said_plainly(monkeypatch, capsys):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert run.main() == 2
    assert "apt-get install wrk" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_a_short_benchmark_runs_end_to_end(empty_database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    for name, value in {
        "APPLICATIONS": 5,
        "CONFIGS_PER_APPLICATION": 2,
        "REPETITIONS": 1,
        "SECONDS": 1,
        "WARM_UP_SECONDS": 1,
        "WORKER_COUNTS": (1,),
        "RESULTS": tmp_path,
        "FAN_OUT_WAITERS": 20,
        "SCENARIOS": ["GET /health", "GET /api/v1/configurations/{id}"],
        "AUTH_COST_SCENARIOS": ["GET /api/v1/configurations/{id}"],
        "AUTH_COST_PAIRS": 1,
        "SCHEMA_COST_PAIRS": 1,
        "SCHEMA_APPLICATIONS": 2,
    }.items():
        monkeypatch.setattr(run, name, value)
    assert run.main() == 0
    report = json.loads(next(tmp_path.glob("bench-*.json")).read_text())
    results = report["results"]["1"]
    auth_cost = report["auth_cost"]["GET /api/v1/configurations/{id}"]
    assert auth_cost["tokens"]["non_2xx"] == auth_cost["off"]["non_2xx"] == 0 and auth_cost["rps_ratio"] > 0
    assert results["GET /api/v1/configurations/{id}"]["non_2xx"] == 0
    assert results["GET /health"]["rps_median"] > 0
    assert report["postgres"]["fsync"] in ("on", "off")
    assert report["fan_out"]["long-poll"]["waiters"] == report["fan_out"]["sse"]["waiters"] == 20
    assert report["batch"]["one transaction"]["operations"] == 9
    metrics_cost = report["metrics_cost"]["GET /api/v1/configurations/{id}"]
    assert metrics_cost["metrics"]["non_2xx"] == metrics_cost["off"]["non_2xx"] == 0 and metrics_cost["rps_ratio"] > 0
    schema_cost = report["schema_cost"]
    assert schema_cost["schema"]["non_2xx"] == schema_cost["none"]["non_2xx"] == 0 and schema_cost["rps_ratio"] > 0
    assert report["fan_out"]["sse"]["max_ms"] < 5000
    assert report["put_latency"]["waiters"] == 20 and report["writes_2_vs_1_workers"] == {}
    assert report["etcd"] == {} or report["etcd"][etcd.SCENARIOS[1]]["non_2xx"] == 0
    output = capsys.readouterr().out
    assert "vs /health" in output and "KiB per waiter" in output and "tokens/off" in output
    assert "PostgreSQL CPU ms/req" in output and "long-polls on another application" in output


def test_postgres_cpu_of_this_machine_is_read_and_grows_with_work(database_url):
    connection = connect(make_settings(database_url))
    try:
        before = run.postgres_cpu_seconds()  # a backend's CPU is counted while it lives
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM generate_series(1, 3000000)")
        assert run.postgres_cpu_seconds() > before > 0
    finally:
        connection.close()


def test_write_scaling_is_two_workers_against_one():
    rows = {
        workers: {
            "POST /api/v1/configurations": {"rps_median": rps},
            "PUT /api/v1/configurations/{id}": {"rps_median": 2 * rps},
        }
        for workers, rps in (("1", 100.0), ("2", 150.0))
    }
    assert run.writes_scaling(rows) == {"POST /api/v1/configurations": 1.5, "PUT /api/v1/configurations/{id}": 1.5}


def test_put_latency_table_shows_both_sides_and_their_ratio():
    latency = {
        "waiters": 10_000,
        "puts": 300,
        "none": {"p50_ms": 2.0, "p99_ms": 4.0},
        "held": {"p50_ms": 2.1, "p99_ms": 4.4},
        "ratio": 1.05,
    }
    text = run.put_latency_table(latency)
    assert "| 10,000 long-polls on another application | 2.10 | 4.40 |" in text and "1.05x" in text
