import asyncio
import threading

import pytest

from config_service.db.handoff import Handoff

pytestmark = pytest.mark.anyio


async def test_a_job_completes_its_future_on_the_loop():
    handoff = Handoff(asyncio.get_running_loop())
    future = handoff.loop.create_future()
    worker = threading.Thread(target=handoff.job, args=(future, pow, (2, 10)))
    worker.start()
    assert await future == 1024
    worker.join()


async def test_an_error_reaches_the_awaiting_task():
    handoff = Handoff(asyncio.get_running_loop())
    future = handoff.loop.create_future()
    threading.Thread(target=handoff.job, args=(future, int, ("not a number",))).start()
    with pytest.raises(ValueError):
        await future


async def test_jobs_finishing_together_share_one_wake_up():
    handoff = Handoff(asyncio.get_running_loop())
    drains = []
    original = handoff._drain
    handoff._drain = lambda: (drains.append(1), original())
    futures = [handoff.loop.create_future() for _ in range(50)]
    # All finish while the loop is busy here, before it can run a drain.
    workers = [threading.Thread(target=handoff.job, args=(f, abs, (-n,))) for n, f in enumerate(futures)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert await asyncio.gather(*futures) == list(range(50))
    assert len(drains) == 1


async def test_a_cancelled_caller_is_skipped():
    handoff = Handoff(asyncio.get_running_loop())
    gone, kept = handoff.loop.create_future(), handoff.loop.create_future()
    gone.cancel()
    for future in (gone, kept):
        threading.Thread(target=handoff.job, args=(future, len, ("abc",))).start()
    assert await kept == 3
    assert gone.cancelled()
