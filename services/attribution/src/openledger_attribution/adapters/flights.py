"""Single-flight: concurrent requests for the same slow thing (a model load, an index build)
share one run instead of each starting its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}

    def running(self, key: K) -> bool:
        return key in self._running

    def start(self, key: K, start: Callable[[], Awaitable[V]]) -> asyncio.Future[V]:
        """The run in flight for ``key``, or ``start()`` begun now (at once, so a request
        that follows this call joins it). A failed run is forgotten: the next request tries
        again."""
        future = self._running.get(key)
        if future is None:
            future = asyncio.ensure_future(start())
            self._running[key] = future
            future.add_done_callback(lambda done: self._forget(key, done))
        return future

    async def run(self, key: K, start: Callable[[], Awaitable[V]]) -> V:
        """The result of ``self.start(key, start)``."""
        # A waiter that is cancelled must not cancel the run the others wait on.
        return await asyncio.shield(self.start(key, start))

    def _forget(self, key: K, done: asyncio.Future[V]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            # Retrieve the exception so a run nobody awaited any more is not reported unseen.
            done.exception()
