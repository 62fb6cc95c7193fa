"""Consumer groups: handling and acknowledging, idempotency, retries and the DLQ, replay,
reclaim and graceful drain."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.wrappers_pb2 import Int64Value, StringValue
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from libs.kit.tests.bus.bus_support import eventually, fast_options, unique_stream
from openledger_kit.bus import Consumer, EventContext, Publisher, Stream, connect
from openledger_kit.bus.envelope import ENVELOPE_FIELD
from openledger_kit.errors import AlreadyExists, FailedPrecondition
from openledger_kit.testing.processes import running_redis

GROUP = "workers"


def _publisher(redis: Redis) -> Publisher:
    return Publisher(redis, source="producer", registry=CollectorRegistry())


async def _pending(redis: Redis, stream: Stream) -> int:
    summary: dict[str, Any] = await redis.xpending(stream.key, GROUP)
    return int(summary["pending"])


async def _dead_letters(redis: Redis, stream: Stream) -> list[dict[bytes, bytes]]:
    entries: Any = await redis.xrange(stream.dead_letter_key)
    return [fields for _, fields in entries]


async def test_events_are_handled_and_acknowledged(
    redis: Redis, stream: Stream, registry: CollectorRegistry
) -> None:
    handled: list[tuple[str, EventContext]] = []
    consumer = Consumer(
        redis, stream, group=GROUP, name="c1", registry=registry, options=fast_options()
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        handled.append((message.value, ctx))

    # Published before the group exists: a new group starts at the beginning of the stream.
    published = await _publisher(redis).publish_many(
        stream, [StringValue(value=str(i)) for i in range(120)]
    )
    async with consumer:
        await eventually(lambda: consumer.stats.processed == 120, what="120 handled")

    assert sorted(value for value, _ in handled) == sorted(str(i) for i in range(120))
    by_event = {ctx.event_id: ctx for _, ctx in handled}
    assert set(by_event) == {p.event_id for p in published}
    first = by_event[published[0].event_id]
    assert first.entry_id == published[0].entry_id
    assert (first.delivery_count, first.source, first.type) == (
        1,
        "producer",
        "google.protobuf.StringValue",
    )
    assert (first.stream, first.group, first.consumer) == (stream.key, GROUP, "c1")
    assert await _pending(redis, stream) == 0
    done: Any = await redis.zrange(stream.done_key(GROUP), 0, -1)
    assert {member.decode() for member in done} == set(by_event)
    assert (
        registry.get_sample_value(
            "openledger_bus_processed_total", {"stream": stream.key, "group": GROUP}
        )
        == 120
    )


async def test_duplicate_event_ids_are_handled_once(redis: Redis, stream: Stream) -> None:
    handled: list[str] = []
    consumer = Consumer(
        redis, stream, group=GROUP, name="c1", registry=CollectorRegistry(), options=fast_options()
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        handled.append(ctx.event_id)

    publisher = _publisher(redis)
    # A retried publish (same id twice in one batch), and an event finished in an earlier run.
    await publisher.publish_many(
        stream, [StringValue(), StringValue(), StringValue()], event_ids=["dup", "dup", "new"]
    )
    await redis.zadd(stream.done_key(GROUP), {"old": time.time_ns() // 1_000_000})
    await publisher.publish(stream, StringValue(), event_id="old")
    async with consumer:
        await eventually(lambda: consumer.stats.processed + consumer.stats.duplicates == 4)
        # Published again after it was handled in this run.
        await publisher.publish(stream, StringValue(), event_id="new")
        await eventually(lambda: consumer.stats.duplicates == 3)

    assert sorted(handled) == ["dup", "new"]
    assert consumer.stats.processed == 2
    assert await _pending(redis, stream) == 0


async def test_a_poison_message_is_dead_lettered_after_max_deliveries(
    redis: Redis, stream: Stream, registry: CollectorRegistry
) -> None:
    attempts: list[int] = []
    consumer = Consumer(
        redis,
        stream,
        group=GROUP,
        name="c1",
        registry=registry,
        options=fast_options(max_deliveries=3, visibility_timeout_seconds=0.2),
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        if message.value == "poison":
            attempts.append(ctx.delivery_count)
            raise ValueError("cannot digest this")

    publisher = _publisher(redis)
    poison = await publisher.publish(stream, StringValue(value="poison"))
    await publisher.publish(stream, StringValue(value="fine"))
    async with consumer:
        await eventually(lambda: consumer.stats.dead_lettered == 1, what="the dead letter")

    assert attempts == [1, 2, 3]
    assert consumer.stats.processed == 1 and consumer.stats.failed == 3
    (letter,) = await _dead_letters(redis, stream)
    assert letter[b"dlq_origin_id"].decode() == poison.entry_id
    assert letter[b"dlq_deliveries"] == b"3"
    assert letter[b"dlq_group"] == GROUP.encode() and letter[b"dlq_consumer"] == b"c1"
    assert b"ValueError: cannot digest this" in letter[b"dlq_error"]
    original: Any = await redis.xrange(stream.key, poison.entry_id, poison.entry_id)
    assert letter[ENVELOPE_FIELD] == original[0][1][ENVELOPE_FIELD]
    assert await _pending(redis, stream) == 0
    labels = {"stream": stream.key, "group": GROUP}
    assert registry.get_sample_value("openledger_bus_dead_lettered_total", labels) == 1
    assert registry.get_sample_value("openledger_bus_failed_total", labels) == 3


async def test_entries_that_cannot_be_handled_go_straight_to_the_dlq(
    redis: Redis, stream: Stream
) -> None:
    consumer = Consumer(
        redis, stream, group=GROUP, name="c1", registry=CollectorRegistry(), options=fast_options()
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        return None

    await redis.xadd(stream.key, {b"not": b"an envelope"})
    await redis.xadd(stream.key, {ENVELOPE_FIELD: b"\xff\xfe garbage"})
    await _publisher(redis).publish(stream, Int64Value(value=1))  # no handler for it
    async with consumer:
        await eventually(lambda: consumer.stats.dead_lettered == 3, what="three dead letters")

    letters = await _dead_letters(redis, stream)
    assert [letter[b"dlq_deliveries"] for letter in letters] == [b"1", b"1", b"1"]
    assert letters[0][b"not"] == b"an envelope"
    assert b"no 'envelope' field" in letters[0][b"dlq_error"]
    assert b"does not decode" in letters[1][b"dlq_error"]
    assert b"no handler for google.protobuf.Int64Value" in letters[2][b"dlq_error"]
    assert await _pending(redis, stream) == 0


async def test_unhandled_types_can_be_acknowledged_instead(redis: Redis, stream: Stream) -> None:
    consumer = Consumer(
        redis,
        stream,
        group=GROUP,
        name="c1",
        registry=CollectorRegistry(),
        options=fast_options(dead_letter_unhandled=False),
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        return None

    await _publisher(redis).publish(stream, Int64Value(value=1))
    async with consumer:
        await eventually(lambda: consumer.stats.discarded == 1)
    assert await redis.exists(stream.dead_letter_key) == 0
    assert await _pending(redis, stream) == 0


async def test_a_restarted_consumer_replays_its_own_pending_entries(
    redis: Redis, stream: Stream
) -> None:
    started: list[str] = []
    first = Consumer(
        redis, stream, group=GROUP, name="c1", registry=CollectorRegistry(), options=fast_options()
    )

    @first.handle(StringValue)
    async def hang(message: StringValue, ctx: EventContext) -> None:
        started.append(ctx.event_id)
        await asyncio.Event().wait()  # the process "dies" before finishing

    published = await _publisher(redis).publish_many(stream, [StringValue() for _ in range(3)])
    await first.start()
    await eventually(lambda: len(started) == 3)
    await first.stop(timeout=0.1)  # gives up on the hung handlers: nothing is acknowledged
    assert await _pending(redis, stream) == 3

    replayed: list[tuple[str, int]] = []
    # Same name; a visibility timeout so long that only the replay can bring the entries back.
    second = Consumer(
        redis,
        stream,
        group=GROUP,
        name="c1",
        registry=CollectorRegistry(),
        options=fast_options(visibility_timeout_seconds=3600),
    )

    @second.handle(StringValue)
    async def finish(message: StringValue, ctx: EventContext) -> None:
        replayed.append((ctx.event_id, ctx.delivery_count))

    async with second:
        await eventually(lambda: second.stats.processed == 3, what="the replay")

    assert sorted(replayed) == sorted((p.event_id, 2) for p in published)
    assert second.stats.replayed == 3 and second.stats.reclaimed == 0
    assert await _pending(redis, stream) == 0


async def test_entries_of_a_dead_consumer_are_reclaimed(
    redis: Redis, stream: Stream, registry: CollectorRegistry
) -> None:
    published = await _publisher(redis).publish_many(stream, [StringValue() for _ in range(5)])
    # A consumer that read the entries and died without acknowledging them.
    await redis.xgroup_create(stream.key, GROUP, id="0")
    await redis.xreadgroup(GROUP, "ghost", {stream.key: ">"}, count=10)

    handled: list[tuple[str, int]] = []
    consumer = Consumer(
        redis,
        stream,
        group=GROUP,
        name="alive",
        registry=registry,
        options=fast_options(visibility_timeout_seconds=0.3),
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        handled.append((ctx.event_id, ctx.delivery_count))

    async with consumer:
        await eventually(lambda: consumer.stats.processed == 5, what="the reclaim")

    assert sorted(handled) == sorted((p.event_id, 2) for p in published)
    assert consumer.stats.reclaimed == 5
    consumers: list[dict[str, Any]] = await redis.xinfo_consumers(stream.key, GROUP)
    assert {c["name"]: c["pending"] for c in consumers}[b"ghost"] == 0
    assert (
        registry.get_sample_value(
            "openledger_bus_reclaimed_total", {"stream": stream.key, "group": GROUP}
        )
        == 5
    )


async def test_an_effect_marked_done_with_the_hook_is_not_repeated(
    redis: Redis, stream: Stream
) -> None:
    """The handler commits its effect and the done mark in one MULTI, then fails before the
    acknowledgement (the crash window): the redelivery is recognised and not handled again."""
    counter = f"{stream.key}:effects"
    calls: list[int] = []
    consumer = Consumer(
        redis,
        stream,
        group=GROUP,
        name="c1",
        registry=CollectorRegistry(),
        options=fast_options(visibility_timeout_seconds=0.2),
    )

    @consumer.handle(StringValue)
    async def apply(message: StringValue, ctx: EventContext) -> None:
        calls.append(ctx.delivery_count)
        pipe = redis.pipeline(transaction=True)
        pipe.incr(counter)
        ctx.mark_done(pipe)
        await pipe.execute()
        raise ConnectionError("lost the connection after the commit")

    await _publisher(redis).publish(stream, StringValue())
    async with consumer:
        await eventually(lambda: consumer.stats.duplicates == 1, what="the redelivery")

    assert calls == [1]
    assert await redis.get(counter) == b"1"
    assert await _pending(redis, stream) == 0


async def test_stop_drains_in_flight_handlers_before_returning(
    redis: Redis, stream: Stream
) -> None:
    gate = asyncio.Event()
    started: list[str] = []
    finished: list[str] = []
    consumer = Consumer(
        redis, stream, group=GROUP, name="c1", registry=CollectorRegistry(), options=fast_options()
    )

    @consumer.handle(StringValue)
    async def slow(message: StringValue, ctx: EventContext) -> None:
        started.append(ctx.event_id)
        await gate.wait()
        finished.append(ctx.event_id)

    await _publisher(redis).publish_many(stream, [StringValue() for _ in range(3)])
    await consumer.start()
    await eventually(lambda: len(started) == 3)

    stopping = asyncio.create_task(consumer.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done()  # still waiting for the three handlers
    gate.set()
    await stopping

    assert sorted(finished) == sorted(started)
    assert consumer.stats.processed == 3
    assert await _pending(redis, stream) == 0


async def test_the_group_is_created_with_its_stream(redis: Redis, stream: Stream) -> None:
    consumer = Consumer(
        redis,
        stream,
        group=GROUP,
        name="c1",
        registry=CollectorRegistry(),
        options=fast_options(start_id="$"),
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        return None

    async with consumer:
        groups: list[dict[str, Any]] = await redis.xinfo_groups(stream.key)
    assert [g["name"] for g in groups] == [GROUP.encode()]


async def test_handler_declarations_are_checked(redis: Redis, stream: Stream) -> None:
    consumer = Consumer(redis, stream, group=GROUP, registry=CollectorRegistry())
    with pytest.raises(FailedPrecondition):
        await consumer.start()

    async def on_string(message: StringValue, ctx: EventContext) -> None:
        return None

    consumer.handle(StringValue)(on_string)
    with pytest.raises(AlreadyExists):
        consumer.handle(StringValue)(on_string)


async def test_done_marks_older_than_the_retention_are_trimmed(
    redis: Redis, stream: Stream
) -> None:
    now_ms = time.time_ns() // 1_000_000
    await redis.zadd(stream.done_key(GROUP), {"ancient": now_ms - 7_200_000, "recent": now_ms})
    consumer = Consumer(
        redis,
        stream,
        group=GROUP,
        name="c1",
        registry=CollectorRegistry(),
        options=fast_options(dedupe_retention_seconds=3600, dedupe_trim_interval_seconds=0.05),
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        return None

    async def trimmed() -> bool:
        return await redis.zscore(stream.done_key(GROUP), "ancient") is None

    async with consumer:
        await eventually(trimmed, what="the trim")
    assert await redis.zscore(stream.done_key(GROUP), "recent") == now_ms


async def test_the_consumer_outlasts_a_redis_restart(tmp_path: Path) -> None:
    with running_redis(tmp_path / "redis") as server:
        client = connect(server.url)
        stream = unique_stream()
        publisher = _publisher(client)
        handled: list[str] = []
        consumer = Consumer(
            client,
            stream,
            group=GROUP,
            name="c1",
            registry=CollectorRegistry(),
            options=fast_options(block_seconds=1.0),
        )

        @consumer.handle(StringValue)
        async def on_string(message: StringValue, ctx: EventContext) -> None:
            handled.append(message.value)

        try:
            async with consumer:
                await publisher.publish_many(stream, [StringValue(value=f"a{i}") for i in range(5)])
                await eventually(lambda: len(handled) == 5)
                await asyncio.to_thread(server.restart)
                await publisher.publish_many(stream, [StringValue(value=f"b{i}") for i in range(5)])
                await eventually(lambda: len(handled) == 10, what="events after the restart")
            assert sorted(handled) == sorted(
                [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
            )
            assert await _pending(client, stream) == 0
        finally:
            await client.aclose()
