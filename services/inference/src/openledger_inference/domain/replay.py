"""The first result per request id, so that a retried admin call returns what the first one
did instead of acting twice."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

MAX_REMEMBERED_REQUESTS = 4096
"""Request ids whose first result a retry gets back; the oldest are forgotten first."""

R = TypeVar("R")


class RequestReplay(Generic[R]):
    """The first result per ``request_id``, bounded. A retry while the first call still runs
    waits for it; a failed call is forgotten so that a retry runs again."""

    def __init__(self, capacity: int = MAX_REMEMBERED_REQUESTS) -> None:
        self.capacity = capacity
        self._results: OrderedDict[str, asyncio.Future[R]] = OrderedDict()

    async def run(self, request_id: str, call: Callable[[], Awaitable[R]]) -> R:
        if not request_id:
            return await call()
        known = self._results.get(request_id)
        if known is not None:
            self._results.move_to_end(request_id)
            # Shielded: a retry that gives up must not cancel the first call.
            return await asyncio.shield(known)
        future: asyncio.Future[R] = asyncio.ensure_future(call())
        self._results[request_id] = future
        while len(self._results) > self.capacity:
            self._results.popitem(last=False)
        try:
            return await asyncio.shield(future)
        except BaseException:
            if future.done() and (future.cancelled() or future.exception() is not None):
                self._results.pop(request_id, None)
            raise
