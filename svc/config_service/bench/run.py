"""The benchmark: `cd svc && pipenv run bench`.

Creates a fresh database, seeds it, starts the service as `serve` does with 1 and then 2
workers, drives each scenario with wrk and prints (and saves) the figures.
"""

import asyncio
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg2
from psycopg2.extras import Json, execute_values

from config_service.bench import auth_cost, etcd, schema_cost
from config_service.bench.batch import compare as compare_batch
from config_service.bench.batch import table as batch_table
from config_service.bench.fanout import fan_out, put_latency
from config_service.bench.priming import passes_for, prime
from config_service.bench.processes import free_port, postgres_cpu_seconds, process_tree_cpu_seconds
from config_service.db import migrations
from config_service.db.pool import connect
from config_service.db.unit_of_work import run_once
from config_service.domain.rows import new_id
from config_service.services import tokens
from config_service.settings import load_settings

SVC = Path(__file__).resolve().parent.parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
APPLICATIONS, CONFIGS_PER_APPLICATION, KEYS_PER_CONFIG = 1000, 10, 20
CONNECTIONS, WARM_UP_SECONDS = 32, 3
# Shorter runs for a quick look: BENCH_REPETITIONS=1 BENCH_SECONDS=3 pipenv run bench
REPETITIONS = int(os.environ.get("BENCH_REPETITIONS", 3))
SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
WORKER_COUNTS = (1, 2)
# The scenarios answered from the read cache, and what fills it for them (bench/priming.py).
CACHED = {
    "GET /api/v1/configurations/{id}": lambda ids: [f"/api/v1/configurations/{id}" for id, _ in ids["configurations"]],
    "GET /api/v1/applications/{id}": lambda ids: [f"/api/v1/applications/{id}" for id in ids["applications"]],
}
STARTUP_SECONDS = 60
FAN_OUT_KINDS, FAN_OUT_WAITERS = ("long-poll", "sse"), 10_000
# Each server may hold every fan-out connection (and the bench as many sockets): the cap and fd limit allow it.
MAX_CONNECTIONS = 3 * FAN_OUT_WAITERS
# What checking a token costs: pairs of runs against a worker with AUTH=off (bench/auth_cost.py).
AUTH_COST_SCENARIOS = [
    "GET /api/v1/configurations/{id}",
    "GET /api/v1/configurations/{id} no-cache",
    "PUT /api/v1/configurations/{id}",
]
AUTH_COST_PAIRS = int(os.environ.get("BENCH_AUTH_PAIRS", 6))
# What recording metrics costs: the same scenarios, a worker with metrics and one without, alternating.
METRICS_SIDES = ("metrics", "off")
# What a configuration's JSON Schema costs a PUT: the same PUT to configurations with one and without (schema_cost.py).
SCHEMA_PUT = "PUT /api/v1/configurations/{id} with a schema"
SCHEMA_COST_SCENARIOS = {"schema": SCHEMA_PUT, "none": "PUT /api/v1/configurations/{id}"}
SCHEMA_COST_PAIRS = int(os.environ.get("BENCH_SCHEMA_PAIRS", 6))
SCHEMA_APPLICATIONS = 100
SCENARIOS = [
    "GET /health",
    "GET /api/v1/configurations/{id}",
    "GET /api/v1/configurations/{id} no-cache",
    "GET /api/v1/applications/{id}",
    "GET /api/v1/applications/{id} no-cache",
    "GET /api/v1/applications?limit=100",
    "POST /api/v1/configurations",
    "PUT /api/v1/configurations/{id}",
]


# --- data -----------------------------------------------------------------------------


def sample_config(n: int) -> dict:
    """About 20 keys of mixed JSON values."""
    config = {
        f"key_{k:02d}": (
            f"value-{n}-{k}"
            if k % 4 == 0
            else k * n
            if k % 4 == 1
            else k % 3 == 0
            if k % 4 == 2
            else {"nested": [k, n, "x"]}
        )
        for k in range(KEYS_PER_CONFIG)
    }
    return config


def seed(connection, applications: int, per_application: int) -> dict:
    """Insert the data set; return the ids the scenarios pick from. Besides, SCHEMA_APPLICATIONS
    more applications whose configurations each carry a schema for their config."""
    app_rows, config_rows, guarded_rows = [], [], []
    schema = Json(schema_cost.schema_for(sample_config(7)))
    for a in range(applications + SCHEMA_APPLICATIONS):
        app_id = new_id()
        app_rows.append((app_id, f"app-{a:05d}", f"seeded application {a}"))
        for c in range(per_application):
            row = (new_id(), app_id, f"config-{c:02d}", None, Json(sample_config(a * 100 + c)))
            if a < applications:
                config_rows.append((*row, None))
            else:
                guarded_rows.append((*row, schema))
    with connection.cursor() as cursor:
        execute_values(cursor, "INSERT INTO applications (id, name, comments) VALUES %s", app_rows)
        execute_values(
            cursor,
            "INSERT INTO configurations (id, application_id, name, comments, config, schema) VALUES %s",
            config_rows + guarded_rows,
            page_size=1000,
        )
    connection.commit()
    return {
        "applications": [row[0] for row in app_rows[:applications]],
        "configurations": [(row[0], row[2]) for row in config_rows],
        "guarded": [(row[0], row[2]) for row in guarded_rows],
    }


# wrk's Lua: a random configuration's (or application's) path, as wrk.format's first two arguments.
CONFIG_PATH = '"GET", "/api/v1/configurations/" .. configs[math.random(#configs)][1]'
APP_PATH = '"GET", "/api/v1/applications/" .. apps[math.random(#apps)]'


def lua_script(scenario: str, ids: dict, token: str = "") -> str:
    """A wrk script that sends the scenario's request with random existing ids."""
    apps = ",".join(f'"{id}"' for id in ids["applications"])
    picked = ids["guarded"] if scenario == SCHEMA_PUT else ids["configurations"]
    configs = ",".join(f'{{"{id}","{name}"}}' for id, name in picked)
    body = json.dumps(sample_config(7)).replace("\\", "\\\\").replace('"', '\\"')
    requests = {
        "GET /api/v1/configurations/{id}": f"return wrk.format({CONFIG_PATH}, auth)",
        "GET /api/v1/applications/{id}": f"return wrk.format({APP_PATH}, auth)",
        # The same reads, past the worker's read cache (Cache-Control: no-cache): a trip to PostgreSQL each.
        "GET /api/v1/configurations/{id} no-cache": f"return wrk.format({CONFIG_PATH}, nocache)",
        "GET /api/v1/applications/{id} no-cache": f"return wrk.format({APP_PATH}, nocache)",
        "GET /api/v1/applications?limit=100": 'return wrk.format("GET", "/api/v1/applications?limit=100", auth)',
        "POST /api/v1/configurations": "counter = counter + 1\n"
        '  local body = "{\\"application_id\\": \\"" .. apps[math.random(#apps)] .. "\\", \\"name\\": \\"bench-"'
        ' .. tag .. "-" .. counter .. "\\", \\"config\\": " .. config .. "}"\n'
        '  return wrk.format("POST", "/api/v1/configurations", headers, body)',
        # A new comment every time: each PUT is a real change (one that changes nothing writes nothing).
        "PUT /api/v1/configurations/{id}": "counter = counter + 1\n"
        "  local pick = configs[math.random(#configs)]\n"
        '  local body = "{\\"name\\": \\"" .. pick[2] .. "\\", \\"comments\\": \\"bench-" .. tag .. "-" .. counter'
        ' .. "\\", \\"config\\": " .. config .. "}"\n'
        '  return wrk.format("PUT", "/api/v1/configurations/" .. pick[1], headers, body)',
    }
    requests[SCHEMA_PUT] = requests["PUT /api/v1/configurations/{id}"]  # the same PUT, to configurations with a schema
    return (
        f'apps = {{{apps}}}\nconfigs = {{{configs}}}\nconfig = "{body}"\n'
        f'auth = {{["Authorization"] = "Bearer {token}"}}\n'
        f'headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}\n'
        f'nocache = {{["Cache-Control"] = "no-cache", ["Authorization"] = "Bearer {token}"}}\n'
        "counter = 0\n"
        "tag = tostring(math.random(1, 1000000000))\n"
        "function init(args)\n  math.randomseed(os.time() + math.floor(os.clock() * 1000000))\n"
        "  tag = tostring(math.random(1, 1000000000))\nend\n"
        f"function request()\n  {requests[scenario]}\nend\n"
    )


# --- measuring ------------------------------------------------------------------------


def parse_wrk(output: str) -> dict:
    """Requests/s, p50 and p99 (ms) and the non-2xx count from `wrk --latency` output."""

    def millis(text: str) -> float:
        value, unit = cast("re.Match[str]", re.fullmatch(r"([\d.]+)(us|ms|s)", text)).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    # wrk --latency always prints these lines: a missing one fails here, as before (on None)
    requests = int(cast("re.Match[str]", re.search(r"(\d+) requests in", output)).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "rps": float(cast("re.Match[str]", re.search(r"Requests/sec:\s+([\d.]+)", output)).group(1)),
        "p50_ms": millis(cast("re.Match[str]", re.search(r"^\s+50%\s+(\S+)", output, re.M)).group(1)),
        "p99_ms": millis(cast("re.Match[str]", re.search(r"^\s+99%\s+(\S+)", output, re.M)).group(1)),
        "requests": requests,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def summarize(runs: list[dict]) -> dict:
    """Median and range over repetitions."""
    rps = [run["rps"] for run in runs]
    return {
        "rps_median": statistics.median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "non_2xx": sum(run["non_2xx"] + run["socket_errors"] for run in runs),
        "cpu_ms_per_request": statistics.median(run["cpu_ms_per_request"] for run in runs),
        "pg_cpu_ms_per_request": statistics.median(run.get("pg_cpu_ms_per_request", 0.0) for run in runs),
    }


def table(results: dict) -> str:
    """The results as a Markdown table, each scenario with its ratio to /health."""
    lines = [
        "| workers | scenario | req/s median (min-max) | vs /health | p50 ms | p99 ms | non-2xx | CPU ms/req "
        "| PostgreSQL CPU ms/req | both |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for workers, scenarios in results.items():
        health = scenarios["GET /health"]["rps_median"]
        for name, row in scenarios.items():
            lines.append(
                f"| {workers} | `{name}` | {row['rps_median']:,.0f} ({row['rps_min']:,.0f}-{row['rps_max']:,.0f}) "
                f"| {row['rps_median'] / health:.0%} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
                f"| {row['non_2xx']} | {row['cpu_ms_per_request']:.3f} | {row['pg_cpu_ms_per_request']:.3f} "
                f"| {row['cpu_ms_per_request'] + row['pg_cpu_ms_per_request']:.3f} |"
            )
    return "\n".join(lines)


def fan_out_table(fan_outs: dict) -> str:
    """One worker, N clients waiting, one PUT: from its response until each client heard of it."""
    lines = ["| 1 worker, waiting clients | p50 ms | p99 ms | max ms | KiB per waiter |", "|---|---|---|---|---|"]
    for kind, row in fan_outs.items():
        lines.append(
            f"| {row['waiters']:,} {kind} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['max_ms']:.1f} "
            f"| {row['kib_per_waiter']:.1f} |"
        )
    return "\n".join(lines)


def put_latency_table(latency: dict) -> str:
    lines = [
        "| 1 worker, PUTs one at a time | p50 ms | p99 ms |",
        "|---|---|---|",
        f"| no waiters | {latency['none']['p50_ms']:.2f} | {latency['none']['p99_ms']:.2f} |",
        f"| {latency['waiters']:,} long-polls on another application | {latency['held']['p50_ms']:.2f} "
        f"| {latency['held']['p99_ms']:.2f} |",
    ]
    return "\n".join(lines) + f"\n\nheld/none (medians): {latency['ratio']:.2f}x"


def writes_scaling(results: dict) -> dict:
    """Write throughput with 2 workers against 1 ({} unless both were measured)."""
    if not {"1", "2"} <= results.keys():
        return {}
    return {
        scenario: results["2"][scenario]["rps_median"] / results["1"][scenario]["rps_median"]
        for scenario in ("POST /api/v1/configurations", "PUT /api/v1/configurations/{id}")
    }


def run_wrk(base_url: str, scenario: str, script: Path | None, seconds: int) -> str:
    path = "/health" if scenario == "GET /health" else "/"
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    return subprocess.run([*command, base_url + path], capture_output=True, text=True, check=True).stdout


def measure(server_pid: int, base_url: str, scenario: str, script: Path | None) -> dict:
    run_wrk(base_url, scenario, script, WARM_UP_SECONDS)
    before, postgres = process_tree_cpu_seconds(server_pid), postgres_cpu_seconds()
    result = parse_wrk(run_wrk(base_url, scenario, script, SECONDS))
    requests = max(result["requests"], 1)
    result["cpu_ms_per_request"] = (process_tree_cpu_seconds(server_pid) - before) * 1000 / requests
    result["pg_cpu_ms_per_request"] = (postgres_cpu_seconds() - postgres) * 1000 / requests
    return result


# --- orchestration --------------------------------------------------------------------


def start_service(
    database_url: str, workers: int, port: int, auth: str = "tokens", metrics: bool = True
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WORKERS": str(workers),
        "PORT": str(port),
        "AUTH": auth,
        "METRICS_ENABLED": "true" if metrics else "false",
        "HOST": "127.0.0.1",
        "MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "config_service.cli.serve"],
        cwd=SVC,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    exited = process.poll()
    process.kill()
    process.wait()
    why = f"it exited with {exited}" if exited is not None else f"not ready within {STARTUP_SECONDS} s"
    raise SystemExit(f"bench: the service did not start ({why})")


def server_settings(connection) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN"
            " ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'server_version')"
        )
        return {row["name"]: row["setting"] for row in cursor.fetchall()}


def main() -> int:
    if not shutil.which("wrk"):
        print("bench: wrk is not installed; install it with `apt-get install wrk` and run again", file=sys.stderr)
        return 2
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # the servers inherit it
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    settings = load_settings()
    name = f"config_service_bench_{int(time.time())}"
    admin_url = urlunsplit(urlsplit(str(settings.database_url))._replace(path="/postgres"))
    database_url = urlunsplit(urlsplit(str(settings.database_url))._replace(path="/" + name))
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')  # a generated name, never input
    try:
        connection = connect(load_settings(database_url=database_url))
        migrations.apply(connection, migrations.discover())
        ids = seed(connection, APPLICATIONS, CONFIGS_PER_APPLICATION)
        database = server_settings(connection)
        connection.close()
        ids["token"] = run_once(
            load_settings(database_url=database_url),
            lambda uow: tokens.create_token(uow, "bench", "admin", None, None),
            "bench",
        )[1]
        results, fan_outs, batches, costs, latency, schemas = run_all(database_url, ids)
        measured_etcd = measure_etcd()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(),
        "cpus": os.cpu_count(),
        "connections": CONNECTIONS,
        "repetitions": REPETITIONS,
        "seconds": SECONDS,
        "postgres": database,
        "results": results,
        "fan_out": fan_outs,
        "put_latency": latency,
        "batch": batches,
        "auth_cost": costs["auth"],
        "metrics_cost": costs["metrics"],
        "schema_cost": schemas,
        "writes_2_vs_1_workers": writes_scaling(results),
        "etcd": measured_etcd,
        "etcd_ratios": etcd.ratios(results, measured_etcd),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2))
    scaling = ", ".join(f"{name}: {ratio:.2f}x" for name, ratio in report["writes_2_vs_1_workers"].items())
    tables = [
        table(results),
        f"writes, 2 workers vs 1: {scaling}",
        fan_out_table(fan_outs),
        put_latency_table(latency),
        etcd.table(measured_etcd, report["etcd_ratios"]),
        batch_table(batches),
        auth_cost.table(costs["auth"]),
        auth_cost.table(costs["metrics"], METRICS_SIDES, ("metrics", "METRICS_ENABLED=false")),
        schema_cost.table(schemas),
    ]
    print(f"\nPostgreSQL: {database}\n\n" + "\n\n".join(tables) + f"\n\nsaved {out}")
    return 0


def run_all(database_url: str, ids: dict) -> tuple[dict, dict, dict, dict, dict, dict]:
    results: dict[str, dict[str, Any]]
    results, fan_outs, batches, latency, schemas = {}, {}, {}, {}, {}
    with tempfile.TemporaryDirectory() as folder:
        scripts: dict[str, Path] = {}
        for scenario in dict.fromkeys(SCENARIOS + AUTH_COST_SCENARIOS + list(SCHEMA_COST_SCENARIOS.values())):
            if scenario == "GET /health":
                continue
            scripts[scenario] = Path(folder) / f"{len(scripts)}.lua"
            scripts[scenario].write_text(lua_script(scenario, ids, ids["token"]))
        for workers in WORKER_COUNTS:
            label, port = str(workers), free_port()
            process = start_service(database_url, workers, port)
            try:
                results[label] = {}
                for scenario in SCENARIOS:
                    if scenario in CACHED:
                        prime(f"http://127.0.0.1:{port}", CACHED[scenario](ids), ids["token"], passes_for(workers))
                    runs = [
                        measure(process.pid, f"http://127.0.0.1:{port}", scenario, scripts.get(scenario))
                        for _ in range(REPETITIONS)
                    ]
                    results[label][scenario] = summarize(runs)
                    print(
                        f"{label} worker(s) {scenario}: {results[label][scenario]['rps_median']:,.0f} req/s", flush=True
                    )
                if label == "1":
                    batches = compare_batch(
                        f"http://127.0.0.1:{port}", process.pid, ids["configurations"][1:], ids["token"]
                    )
                    print(f"batch: {batches}", flush=True)
                    schemas = schema_cost.compare(
                        lambda pid, base_url, scenario: measure(pid, base_url, scenario, scripts[scenario]),
                        process.pid,
                        f"http://127.0.0.1:{port}",
                        SCHEMA_COST_SCENARIOS,
                        SCHEMA_COST_PAIRS,
                    )
                    print(f"schema cost: {schemas}", flush=True)
                    config_id, name = ids["configurations"][0]
                    for kind in FAN_OUT_KINDS:
                        fan_outs[kind] = asyncio.run(
                            fan_out(
                                f"http://127.0.0.1:{port}",
                                process.pid,
                                config_id,
                                name,
                                kind,
                                ids["token"],
                                FAN_OUT_WAITERS,
                            )
                        )
                        print(f"fan-out {kind}: {fan_outs[kind]}", flush=True)
                    latency = asyncio.run(
                        put_latency(
                            f"http://127.0.0.1:{port}",
                            process.pid,
                            config_id,
                            name,
                            ids["applications"][-1],
                            ids["token"],
                            FAN_OUT_WAITERS,
                        )
                    )
                    print(f"PUT latency: {latency}", flush=True)
            finally:
                process.terminate()
                process.wait(timeout=30)
        costs = {
            "auth": measure_auth_cost(database_url, ids, scripts),
            "metrics": measure_metrics_cost(database_url, ids, scripts),
        }
    return results, fan_outs, batches, costs, latency, schemas


def measure_etcd() -> dict:
    """etcd's put and range, as the service's scenarios are run; {} when etcd is not installed."""
    if not etcd.installed():
        return {}
    value, results = sample_config(7), {}
    with tempfile.TemporaryDirectory() as folder, etcd.running(free_port(), free_port()) as base_url:
        etcd.store_document(base_url, value)
        for scenario in etcd.SCENARIOS:
            script = Path(folder) / "etcd.lua"
            script.write_text(etcd.lua_script(scenario, value))
            results[scenario] = summarize([measure_etcd_run(base_url, script) for _ in range(REPETITIONS)])
            print(f"{scenario}: {results[scenario]['rps_median']:,.0f} req/s", flush=True)
    return results


def measure_etcd_run(base_url: str, script: Path) -> dict:
    run_wrk(base_url, "etcd", script, WARM_UP_SECONDS)
    result = parse_wrk(run_wrk(base_url, "etcd", script, SECONDS))
    return {**result, "cpu_ms_per_request": 0.0}


def measure_auth_cost(database_url: str, ids: dict, scripts: dict) -> dict:
    """A worker with tokens and one with AUTH=off, both up, measured in alternation."""
    return _side_by_side(database_url, ids, scripts, auth_cost.SIDES, lambda side: {"auth": side})


def measure_metrics_cost(database_url: str, ids: dict, scripts: dict) -> dict:
    """A worker that records metrics and one with METRICS_ENABLED=false, measured in alternation."""
    return _side_by_side(database_url, ids, scripts, METRICS_SIDES, lambda side: {"metrics": side == "metrics"})


def _side_by_side(database_url: str, ids: dict, scripts: dict, sides: tuple[str, str], options) -> dict:
    servers, processes = {}, []
    try:
        for side in sides:
            port = free_port()
            processes.append(start_service(database_url, 1, port, **options(side)))
            servers[side] = (processes[-1].pid, f"http://127.0.0.1:{port}")

        for _, base_url in servers.values():
            for scenario in AUTH_COST_SCENARIOS:
                if scenario in CACHED:
                    prime(base_url, CACHED[scenario](ids), ids["token"], passes_for(1))

        def one_run(pid: int, base_url: str, scenario: str) -> dict:
            return measure(pid, base_url, scenario, scripts[scenario])

        results = auth_cost.compare(one_run, servers, AUTH_COST_SCENARIOS, AUTH_COST_PAIRS, sides)
        print(f"{' / '.join(sides)}: {results}", flush=True)
        return results
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
