"""Shared by the bus tests and by ``bus_worker`` (run as a real process)."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from openledger_kit.bus import ConsumerOptions, Stream


def unique_stream(*payload_types: str) -> Stream:
    """A stream key no other test uses."""
    return Stream(f"ol:test:{uuid.uuid4().hex[:16]}:v1", payload_types)


def fast_options(**overrides: Any) -> ConsumerOptions:
    """Consumer options with short timeouts, so retries and reclaims happen within a test."""
    options = ConsumerOptions(
        block_seconds=0.2,
        visibility_timeout_seconds=30.0,
        reclaim_interval_seconds=0.05,
        metrics_interval_seconds=0.1,
        batch_size=50,
        concurrency=8,
    )
    return dataclasses.replace(options, **overrides)


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    timeout: float = 30.0,
    what: str = "condition",
) -> None:
    """Wait until ``condition()`` (sync or async) holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not await _holds(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def _holds(condition: Callable[[], bool | Awaitable[bool]]) -> bool:
    result = condition()
    return await result if inspect.isawaitable(result) else result
