"""Event bus throughput: events published, consumed and acknowledged end to end per second.

The subject is ``openledger_kit.bus``: ``Publisher.publish_many`` of typed messages, then a
``Consumer`` in a fresh group with a handler that does nothing, until every event is
acknowledged. The baseline moves the same envelope bytes through the same Redis in the same
run with raw redis-py done the way an expert would: pipelined ``XADD`` (same ``MAXLEN ~``
trimming), ``XREADGROUP`` in batches of the same size and one ``XACK`` per batch. (Pipelining
each XACK with the next read was tried and is slower with redis-py's asyncio pipelines.)
Library and baseline rounds alternate; the median round of each is reported.

Redis: ``OL_BENCH_REDIS_URL`` if set, else a private ``redis-server`` started for the run.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf.wrappers_pb2 import StringValue
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from bench.result import BenchResult, Row
from openledger_kit.bus import (
    DEFAULT_MAXLEN,
    Consumer,
    ConsumerOptions,
    EventContext,
    Publisher,
    Stream,
    connect,
    seal,
)
from openledger_kit.bus.envelope import ENVELOPE_FIELD
from openledger_kit.testing.processes import running_redis

URL_ENV = "OL_BENCH_REDIS_URL"
BATCH = 500  # XADDs per pipeline and entries per XREADGROUP, for both sides
PAYLOAD_CHARS = 96  # a payload of roughly the size of the platform's small events
POLL_SECONDS = 0.001


@dataclass(frozen=True)
class Round:
    """One pass of ``events`` events: seconds spent publishing, then consuming."""

    events: int
    publish_s: float
    consume_s: float

    @property
    def end_to_end(self) -> float:
        return self.events / (self.publish_s + self.consume_s)

    @property
    def publish_rate(self) -> float:
        return self.events / self.publish_s

    @property
    def consume_rate(self) -> float:
        return self.events / self.consume_s


def _fresh_stream() -> Stream:
    return Stream(f"ol:bench:bus-{uuid.uuid4().hex[:12]}:v1")


def _message() -> StringValue:
    return StringValue(value="x" * PAYLOAD_CHARS)


async def _raw_round(redis: Redis, events: int, envelope: bytes) -> Round:
    key, group = _fresh_stream().key, "bench"
    await redis.xgroup_create(key, group, id="0", mkstream=True)
    try:
        started = time.perf_counter()
        for start in range(0, events, BATCH):
            pipe = redis.pipeline(transaction=False)
            for _ in range(min(BATCH, events - start)):
                pipe.xadd(key, {ENVELOPE_FIELD: envelope}, maxlen=DEFAULT_MAXLEN, approximate=True)
            await pipe.execute()
        published = time.perf_counter()

        received = 0
        while received < events:
            reply: Any = await redis.xreadgroup(group, "raw", {key: ">"}, count=BATCH, block=1000)
            entry_ids: list[bytes] = [entry_id for entry_id, _ in reply[0][1]] if reply else []
            if entry_ids:
                received += len(entry_ids)
                await redis.xack(key, group, *entry_ids)
        consumed = time.perf_counter()
        return Round(events, published - started, consumed - published)
    finally:
        await redis.delete(key)


async def _library_round(redis: Redis, events: int) -> Round:
    stream, group = _fresh_stream(), "bench"
    registry = CollectorRegistry()
    publisher = Publisher(redis, source="bench", chunk_size=BATCH, registry=registry)
    consumer = Consumer(
        redis,
        stream,
        group=group,
        name="library",
        registry=registry,
        options=ConsumerOptions(batch_size=BATCH),
    )

    @consumer.handle(StringValue)
    async def ignore(message: StringValue, ctx: EventContext) -> None:
        return None

    messages = [_message() for _ in range(events)]
    await redis.xgroup_create(stream.key, group, id="0", mkstream=True)
    try:
        started = time.perf_counter()
        await publisher.publish_many(stream, messages)
        published = time.perf_counter()
        await consumer.start()
        while consumer.stats.processed < events:
            await asyncio.sleep(POLL_SECONDS)
        consumed = time.perf_counter()
        await consumer.stop()
        return Round(events, published - started, consumed - published)
    finally:
        await consumer.stop()
        await redis.delete(stream.key, stream.done_key(group), stream.dead_letter_key)


async def _measure(url: str, events: int, rounds: int) -> tuple[list[Round], list[Round], str]:
    redis = connect(url)
    try:
        envelope = seal(_message(), source="bench").SerializeToString()
        # One small pass of each first, so imports, scripts and connections are warm.
        await _raw_round(redis, min(events, 2000), envelope)
        await _library_round(redis, min(events, 2000))
        raw: list[Round] = []
        library: list[Round] = []
        for _ in range(rounds):
            raw.append(await _raw_round(redis, events, envelope))
            library.append(await _library_round(redis, events))
        info: dict[str, Any] = await redis.info("server")
        return raw, library, str(info.get("redis_version", "?"))
    finally:
        await redis.aclose()


@contextmanager
def _redis_url() -> Iterator[tuple[str, str]]:
    if url := os.environ.get(URL_ENV):
        yield url, URL_ENV
        return
    with (
        tempfile.TemporaryDirectory(prefix="ol-bench-redis-") as tmp,
        running_redis(Path(tmp)) as server,
    ):
        yield server.url, "private redis-server"


def _median(rounds: list[Round], measure: str) -> float:
    return statistics.median(float(getattr(r, measure)) for r in rounds)


def run(quick: bool) -> BenchResult:
    """Measure library vs raw redis-py; ``quick`` uses 20k events a round, else 100k."""
    events, rounds = (20_000, 3) if quick else (100_000, 3)
    with _redis_url() as (url, redis_source):
        raw, library, redis_version = asyncio.run(_measure(url, events, rounds))

    rows = [
        Row(label, _median(library, measure), _median(raw, measure), "events/s")
        for label, measure in [
            ("end to end", "end_to_end"),
            ("publish", "publish_rate"),
            ("consume + ack", "consume_rate"),
        ]
    ]
    headline = rows[0]
    return BenchResult(
        bench="bus",
        value=headline.value,
        baseline=headline.baseline,
        unit="events/s",
        rows=rows,
        extra={
            "events": events,
            "rounds": rounds,
            "payload_bytes": len(seal(_message(), source="bench").SerializeToString()),
            "batch": BATCH,
            "publish_events_per_s": round(rows[1].value, 1),
            "publish_baseline_events_per_s": round(rows[1].baseline, 1),
            "consume_events_per_s": round(rows[2].value, 1),
            "consume_baseline_events_per_s": round(rows[2].baseline, 1),
            "redis": redis_version,
            "redis_source": redis_source,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
    )
