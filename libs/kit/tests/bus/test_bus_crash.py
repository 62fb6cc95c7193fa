"""Three consumer processes in one group, one of them SIGKILLed mid-flight: every event's
effect is applied exactly once and nothing is lost."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.wrappers_pb2 import StringValue
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from libs.kit.tests.bus.bus_support import eventually
from openledger_kit.bus import Publisher, Stream
from openledger_kit.testing.processes import RedisProcess

REPO_ROOT = Path(__file__).resolve().parents[4]
EVENTS = 10_000
GROUP = "effects"


async def _spawn(
    url: str, stream: Stream, name: str, log_dir: Path, *options: str
) -> asyncio.subprocess.Process:
    with (log_dir / f"{name}.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "libs.kit.tests.bus.bus_worker",
            url,
            stream.key,
            GROUP,
            name,
            *options,
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
    return proc


async def _ready(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line == b"ready\n", line


async def _stats(proc: asyncio.subprocess.Process) -> dict[str, int]:
    proc.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0
    stats: dict[str, int] = json.loads(out.decode().strip().splitlines()[-1])
    return stats


async def _pending_of(redis: Redis, stream: Stream, consumer: str) -> int:
    consumers: list[dict[str, Any]] = await redis.xinfo_consumers(stream.key, GROUP)
    return next((int(c["pending"]) for c in consumers if c["name"] == consumer.encode()), 0)


@pytest.mark.slow
async def test_a_killed_consumer_loses_nothing_and_no_effect_runs_twice(
    redis: Redis, stream: Stream, redis_server: RedisProcess, tmp_path: Path
) -> None:
    effects, total = f"{stream.key}:effects", f"{stream.key}:total"
    await Publisher(redis, source="test", registry=CollectorRegistry()).publish_many(
        stream, [StringValue(value=str(i)) for i in range(EVENTS)]
    )
    url = redis_server.url
    # The victim is slow, so it always holds a prefetch of unacknowledged entries.
    victim = await _spawn(url, stream, "victim", tmp_path, "--delay-ms", "2", "--concurrency", "4")
    survivors = [await _spawn(url, stream, f"survivor-{i}", tmp_path) for i in range(2)]
    processes = [victim, *survivors]
    try:
        for proc in processes:
            await _ready(proc)

        async def victim_mid_flight() -> bool:
            done = int(await redis.get(total) or 0)
            return done >= 500 and await _pending_of(redis, stream, "victim") > 0

        await eventually(victim_mid_flight, what="the victim to hold pending entries")
        victim.kill()
        await victim.wait()
        orphaned = await _pending_of(redis, stream, "victim")
        assert orphaned > 0

        async def all_applied_and_acknowledged() -> bool:
            summary: dict[str, Any] = await redis.xpending(stream.key, GROUP)
            return int(await redis.get(total) or 0) >= EVENTS and summary["pending"] == 0

        await eventually(all_applied_and_acknowledged, timeout=90, what="every event")
        stats = [await _stats(proc) for proc in survivors]
    finally:
        for proc in processes:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    assert await redis.get(total) == str(EVENTS).encode()
    assert await redis.hlen(effects) == EVENTS
    assert set(await redis.hvals(effects)) == {b"1"}  # each effect exactly once
    assert await _pending_of(redis, stream, "victim") == 0
    # Everything the victim held was taken over with XAUTOCLAIM by the survivors.
    assert sum(s["reclaimed"] for s in stats) >= orphaned
    assert sum(s["dead_lettered"] for s in stats) == 0
