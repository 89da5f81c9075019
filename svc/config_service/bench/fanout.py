"""Fan-out: many clients wait on one worker (long-poll or SSE); one PUT; how fast all hear of it.

Clients are plain sockets (no HTTP library), so the client side costs little of the two cores.
"""

import asyncio
import statistics
import time
from pathlib import Path

import httpx

from config_service.bench.processes import process_tree_cpu_seconds

WAIT_SECONDS = 30


def resident_kib(pid: int) -> int:
    """Resident memory of a process and its children (the workers), in KiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


async def settled(pid: int, quiet_share: float = 0.05, interval: float = 0.2, timeout: float = 60.0) -> None:
    """Wait until the server (and its workers) uses less than `quiet_share` of a core: the
    requests sent to it have all been taken in (10,000 of them keep one worker busy for seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = process_tree_cpu_seconds(pid)
        await asyncio.sleep(interval)
        if process_tree_cpu_seconds(pid) - before < quiet_share * interval:
            return


async def _open(host: str, port: int, path: str, token: str):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    await writer.drain()
    return reader, writer


async def _heard(reader: asyncio.StreamReader, marker: bytes) -> float:
    await reader.readuntil(marker)
    return time.monotonic()


async def fan_out(base_url: str, pid: int, config_id: str, name: str, kind: str, token: str, count: int = 1000) -> dict:
    """`kind` is "long-poll" or "sse". Milliseconds from the PUT's response until each waiter heard of it."""
    host, port = base_url.removeprefix("http://").split(":")
    async with httpx.AsyncClient(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        head = (await client.get("/api/v1/changes", params={"after": 2**62})).json()["last_seq"]
        before = resident_kib(pid)
        if kind == "long-poll":
            path, marker = f"/api/v1/changes?after={head}&wait={WAIT_SECONDS}", b"\r\n\r\n"
        else:
            path, marker = f"/api/v1/changes/stream?after={head}", b"event: change"
        connections = await asyncio.gather(*(_open(host, int(port), path, token) for _ in range(count)))
        if kind == "sse":  # the stream has started once its head arrived
            await asyncio.gather(*(reader.readuntil(b"\r\n\r\n") for reader, _ in connections))
        await settled(pid)  # every request taken in and waiting: the PUT's fan-out alone is timed
        held = resident_kib(pid)
        waiting = [asyncio.ensure_future(_heard(reader, marker)) for reader, _ in connections]
        response = await client.put(
            f"/api/v1/configurations/{config_id}",
            json={"name": name, "comments": f"fan-out {time.time()}", "config": {}},
        )
        written = time.monotonic()
        assert response.status_code == 200, response.text
        heard = await asyncio.wait_for(asyncio.gather(*waiting), WAIT_SECONDS)
        for _, writer in connections:
            writer.close()
    latencies = sorted(max(0.0, at - written) * 1000 for at in heard)
    return {
        "waiters": count,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "max_ms": latencies[-1],
        "kib_per_waiter": (held - before) / count,
    }


async def put_latency(
    base_url: str,
    pid: int,
    config_id: str,
    name: str,
    other_application_id: str,
    token: str,
    waiters: int,
    puts: int = 300,
) -> dict:
    """Median and p99 ms of `puts` PUTs one after another, with no waiters held and then with
    `waiters` long-polls held on another application (none of which a PUT may wake)."""
    host, port = base_url.removeprefix("http://").split(":")
    async with httpx.AsyncClient(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:

        async def timed() -> list[float]:
            latencies = []
            for n in range(puts):
                started = time.perf_counter()
                response = await client.put(
                    f"/api/v1/configurations/{config_id}",
                    json={"name": name, "comments": f"latency {time.time()} {n}", "config": {}},
                )
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
            return sorted(latencies)

        alone = await timed()
        head = (await client.get("/api/v1/changes", params={"after": 2**62})).json()["last_seq"]
        path = f"/api/v1/changes?after={head}&application_id={other_application_id}&wait=60"
        connections = await asyncio.gather(*(_open(host, int(port), path, token) for _ in range(waiters)))
        await settled(pid)
        held = await timed()
        # A change of their application answers them all (a held request would keep the server from stopping).
        response = await client.post(
            "/api/v1/configurations",
            json={"application_id": other_application_id, "name": f"bench-wake-{time.time()}", "config": {}},
        )
        assert response.status_code == 201, response.text
        await asyncio.wait_for(
            asyncio.gather(*(reader.readuntil(b"\r\n\r\n") for reader, _ in connections)), WAIT_SECONDS
        )
        for _, writer in connections:
            writer.close()

    def summary(latencies: list[float]) -> dict:
        return {"p50_ms": statistics.median(latencies), "p99_ms": latencies[int(len(latencies) * 0.99) - 1]}

    return {
        "waiters": waiters,
        "puts": puts,
        "none": summary(alone),
        "held": summary(held),
        "ratio": statistics.median(held) / statistics.median(alone),
    }
