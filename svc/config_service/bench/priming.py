"""Fill the workers' read caches before the cached scenarios are timed: a cached GET is
measured in the steady state its name claims, not while the cache is still filling (a slow
machine's warm-up would otherwise reach only part of the 11,000 ids).

Each pass requests every path once through fresh connections; the kernel hands each connection
to one of the workers, so with W workers a path is in a given worker's cache after k passes
with probability 1 - (1 - 1/W)^k."""

import asyncio

import httpx

CONCURRENCY = 16


async def _one_pass(base_url: str, paths: list[str], token: str) -> int:
    pending = iter(paths)
    failures = 0

    async def walk(client: httpx.AsyncClient) -> None:
        nonlocal failures
        for path in pending:  # one shared iterator: each path is taken by one walker
            if (await client.get(path)).status_code != 200:
                failures += 1

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        await asyncio.gather(*(walk(client) for _ in range(CONCURRENCY)))
    return failures


def prime(base_url: str, paths: list[str], token: str, passes: int) -> None:
    for _ in range(passes):
        failures = asyncio.run(_one_pass(base_url, paths, token))
        if failures:
            raise SystemExit(f"bench: {failures} priming reads failed")


def passes_for(workers: int) -> int:
    """Enough passes that a path misses a given worker's cache less than 5% of the time."""
    passes, miss = 1, 1 - 1 / workers
    while miss**passes >= 0.05:
        passes += 1
    return passes
