"""Publishing: entries on the stream, ids, trace context, trimming, type checks, metrics."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.wrappers_pb2 import Int64Value, StringValue
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from libs.kit.tests.bus.bus_support import unique_stream
from openledger_kit.bus import Publisher, Stream, connect, open_envelope
from openledger_kit.bus.envelope import open_payload
from openledger_kit.errors import InvalidArgument, Unavailable
from openledger_kit.localnet.processes import free_port
from openledger_kit.testing.processes import RedisProcess


async def _entries(redis: Redis, stream: Stream) -> list[tuple[bytes, dict[bytes, bytes]]]:
    entries: Any = await redis.xrange(stream.key)
    return list(entries)


async def test_publish_appends_one_envelope_per_event(
    redis: Redis, stream: Stream, registry: CollectorRegistry
) -> None:
    publisher = Publisher(redis, source="datanet", registry=registry)

    one = await publisher.publish(stream, StringValue(value="first"))
    many = await publisher.publish_many(
        stream, [StringValue(value=f"v{i}") for i in range(3)] + [Int64Value(value=7)]
    )

    entries = await _entries(redis, stream)
    assert [entry_id.decode() for entry_id, _ in entries] == [p.entry_id for p in [one, *many]]
    envelopes = [open_envelope(fields) for _, fields in entries]
    assert [e.id for e in envelopes] == [p.event_id for p in [one, *many]]
    assert sorted(e.id for e in envelopes) == [e.id for e in envelopes]
    assert {e.source for e in envelopes} == {"datanet"}
    assert [open_payload(e, StringValue).value for e in envelopes[:4]] == [
        "first",
        "v0",
        "v1",
        "v2",
    ]
    assert open_payload(envelopes[4], Int64Value).value == 7
    assert registry.get_sample_value("openledger_bus_published_total", {"stream": stream.key}) == 5


async def test_given_event_ids_are_kept(redis: Redis, stream: Stream) -> None:
    publisher = Publisher(redis, source="s", registry=CollectorRegistry())
    await publisher.publish(stream, StringValue(), event_id="request-42")
    await publisher.publish_many(stream, [StringValue(), StringValue()], event_ids=["a-1", "a-2"])

    ids = [open_envelope(fields).id for _, fields in await _entries(redis, stream)]
    assert ids == ["request-42", "a-1", "a-2"]


async def test_current_trace_context_is_injected(redis: Redis, stream: Stream) -> None:
    tracer = TracerProvider().get_tracer("test")
    publisher = Publisher(redis, source="s", registry=CollectorRegistry())

    with tracer.start_as_current_span("rpc") as span:
        await publisher.publish(stream, StringValue())
    await publisher.publish(stream, StringValue())

    inside, outside = [open_envelope(fields) for _, fields in await _entries(redis, stream)]
    trace_id = f"{span.get_span_context().trace_id:032x}"
    span_id = f"{span.get_span_context().span_id:016x}"
    assert inside.trace_context["traceparent"].startswith(f"00-{trace_id}-{span_id}-")
    assert "traceparent" not in outside.trace_context


async def test_streams_are_trimmed_to_about_maxlen(redis: Redis, stream: Stream) -> None:
    publisher = Publisher(redis, source="s", maxlen=100, registry=CollectorRegistry())
    await publisher.publish_many(stream, [StringValue(value=str(i)) for i in range(2000)])

    length = await redis.xlen(stream.key)
    # Approximate trimming drops whole radix-tree nodes (100 entries each by default).
    assert 100 <= length < 300


async def test_a_payload_type_the_stream_does_not_carry_is_rejected(redis: Redis) -> None:
    stream = unique_stream("google.protobuf.StringValue")
    publisher = Publisher(redis, source="s", registry=CollectorRegistry())

    with pytest.raises(InvalidArgument) as caught:
        await publisher.publish_many(stream, [StringValue(), Int64Value()])

    assert caught.value.reason == "PAYLOAD_TYPE_NOT_ALLOWED"
    assert await redis.exists(stream.key) == 0


async def test_mismatched_event_ids_are_rejected(redis: Redis, stream: Stream) -> None:
    publisher = Publisher(redis, source="s", registry=CollectorRegistry())
    with pytest.raises(InvalidArgument):
        await publisher.publish_many(stream, [StringValue(), StringValue()], event_ids=["only-one"])
    with pytest.raises(InvalidArgument):
        await publisher.publish(stream, StringValue(), event_id="with space")


async def test_unreachable_redis_is_unavailable(stream: Stream) -> None:
    client = connect(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    publisher = Publisher(client, source="s", registry=CollectorRegistry())
    try:
        with pytest.raises(Unavailable) as caught:
            await publisher.publish(stream, StringValue())
        assert caught.value.reason == "BUS_UNAVAILABLE"
    finally:
        await client.aclose()


def test_a_client_decoding_replies_is_refused(redis_server: RedisProcess) -> None:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    with pytest.raises(InvalidArgument):
        Publisher(client, source="s")
