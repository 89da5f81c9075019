"""Hand results of executor jobs back to the event loop, many per wake-up."""

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from typing import Any


class Handoff:
    """Completes asyncio futures from worker threads with one loop wake-up per batch.

    asyncio.wrap_future wakes the loop once per job (call_soon_threadsafe writes to its
    self-pipe). Under load many jobs finish while the loop is busy; here the first of
    them schedules one drain and the rest just queue up behind it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self._finished: deque = deque()
        self._lock = threading.Lock()
        self._drain_scheduled = False

    def job(self, future: asyncio.Future, work: Callable, args: tuple) -> None:
        """Run in a worker thread: do the work, then queue its outcome for the loop."""
        outcome: tuple[asyncio.Future, Any, BaseException | None]
        try:
            outcome = (future, work(*args), None)
        except BaseException as error:  # handed to the awaiting task, as wrap_future does
            outcome = (future, None, error)
        self._finished.append(outcome)
        with self._lock:
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            self._drain_scheduled = False
        while self._finished:
            future, result, error = self._finished.popleft()
            if future.done():  # its caller was cancelled or gave up
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
