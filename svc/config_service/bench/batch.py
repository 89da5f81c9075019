"""A 100-operation transaction against 100 single PUTs of the same configurations: wall time and
the server's CPU, medians of a few rounds (one client, one request at a time)."""

import statistics
import time

import httpx

from config_service.bench.processes import process_tree_cpu_seconds

OPERATIONS = 100


def compare(base_url: str, pid: int, configurations: list[tuple[str, str]], token: str, rounds: int = 5) -> dict:
    picked = configurations[:OPERATIONS]
    results: dict[str, list[tuple[float, float]]] = {"single PUTs": [], "one transaction": []}
    with httpx.Client(base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        for round in range(rounds):
            stamp = f"batch-{time.time()}-{round}"
            started, cpu = time.perf_counter(), process_tree_cpu_seconds(pid)
            for id, name in picked:
                response = client.put(
                    f"/api/v1/configurations/{id}",
                    json={"name": name, "comments": stamp + "-s", "config": {"round": round}},
                )
                assert response.status_code == 200, response.text
            results["single PUTs"].append((time.perf_counter() - started, process_tree_cpu_seconds(pid) - cpu))
            operations = [
                {
                    "op": "update_configuration",
                    "id": id,
                    "body": {"name": name, "comments": stamp + "-t", "config": {"round": round}},
                }
                for id, name in picked
            ]
            started, cpu = time.perf_counter(), process_tree_cpu_seconds(pid)
            response = client.post("/api/v1/transactions", json={"operations": operations})
            assert response.status_code == 200, response.text
            results["one transaction"].append((time.perf_counter() - started, process_tree_cpu_seconds(pid) - cpu))
    return {
        way: {
            "operations": len(picked),
            "ms": statistics.median(t for t, _ in runs) * 1000,
            "cpu_ms": statistics.median(c for _, c in runs) * 1000,
        }
        for way, runs in results.items()
    }


def table(result: dict) -> str:
    lines = ["| 1 worker, 100 updates | wall ms (median) | server CPU ms |", "|---|---|---|"]
    lines += [f"| {way} | {row['ms']:.1f} | {row['cpu_ms']:.1f} |" for way, row in result.items()]
    return "\n".join(lines)
