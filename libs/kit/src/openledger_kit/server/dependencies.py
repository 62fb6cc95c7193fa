"""Dependency checks that gate readiness: a server reports SERVING only once all pass.

A check is any async callable (ping Redis, read a chain id); it fails by raising, by returning
``False`` or by timing out, and is retried with capped exponential backoff until it passes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import Engine, text

logger = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class DependencyCheck:
    """A named probe of something the service cannot work without."""

    name: str
    probe: Probe
    timeout_seconds: float = 5.0
    initial_backoff_seconds: float = 0.1
    max_backoff_seconds: float = 5.0


async def _attempt(check: DependencyCheck) -> str | None:
    """``None`` when the probe passes, else why it did not."""
    try:
        async with asyncio.timeout(check.timeout_seconds):
            result = await check.probe()
    except TimeoutError:
        return f"no answer within {check.timeout_seconds}s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "probe returned False" if result is False else None


async def wait_until_passing(check: DependencyCheck) -> None:
    """Retry ``check`` with capped exponential backoff until it passes once."""
    delay = check.initial_backoff_seconds
    attempt = 1
    while (failure := await _attempt(check)) is not None:
        logger.warning(
            "dependency %s not ready (attempt %d): %s",
            check.name,
            attempt,
            failure,
            extra={"dependency": check.name, "attempt": attempt},
        )
        await asyncio.sleep(delay)
        delay = min(delay * 2, check.max_backoff_seconds)
        attempt += 1
    logger.info("dependency %s ready", check.name, extra={"dependency": check.name})


async def wait_for_dependencies(checks: Sequence[DependencyCheck]) -> None:
    """Return once every check has passed; checks run concurrently."""
    async with asyncio.TaskGroup() as group:
        for check in checks:
            group.create_task(wait_until_passing(check))


def redis_check(url: str, *, name: str = "redis", timeout_seconds: float = 5.0) -> DependencyCheck:
    """A check that ``PING``s the Redis at ``url`` on a fresh connection each attempt."""

    async def ping() -> object:
        client = Redis.from_url(url, socket_connect_timeout=timeout_seconds)
        try:
            return await client.ping()
        finally:
            await client.aclose()

    return DependencyCheck(name=name, probe=ping, timeout_seconds=timeout_seconds)


def database_check(
    engine: Engine, *, name: str = "database", timeout_seconds: float = 5.0
) -> DependencyCheck:
    """A check that runs ``SELECT 1`` on ``engine`` (in a thread: the engine is synchronous)."""

    def select_one() -> bool:
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1

    async def ping() -> bool:
        return await asyncio.to_thread(select_one)

    return DependencyCheck(name=name, probe=ping, timeout_seconds=timeout_seconds)
