"""Fixtures for the bus tests: a bytes Redis client on the session Redis and a fresh stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from libs.kit.tests.bus.bus_support import unique_stream
from openledger_kit.bus import Stream, connect
from openledger_kit.testing.processes import RedisProcess


@pytest.fixture
async def redis(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    client = connect(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
async def stream(redis: Redis) -> AsyncIterator[Stream]:
    """A stream of its own for the test; its keys (DLQ, done-sets) are deleted afterwards."""
    stream = unique_stream()
    yield stream
    keys = [key async for key in redis.scan_iter(match=f"{stream.key}*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def registry() -> CollectorRegistry:
    """A private metrics registry, so counts start at zero."""
    return CollectorRegistry()
