"""Trace context across the bus, and the lag and throughput metrics."""

from __future__ import annotations

from google.protobuf.wrappers_pb2 import StringValue
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from libs.kit.tests.bus.bus_support import eventually, fast_options
from openledger_kit.bus import Consumer, EventContext, Publisher, Stream

GROUP = "observers"


async def test_handlers_run_in_a_span_continuing_the_publishers_trace(
    redis: Redis, stream: Stream
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    publisher = Publisher(redis, source="s", registry=CollectorRegistry())
    seen: list[trace.SpanContext] = []
    consumer = Consumer(
        redis,
        stream,
        group=GROUP,
        name="c1",
        registry=CollectorRegistry(),
        options=fast_options(),
        tracer_provider=provider,
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        seen.append(trace.get_current_span().get_span_context())

    with provider.get_tracer("test").start_as_current_span("rpc") as rpc:
        published = await publisher.publish(stream, StringValue(value="traced"))
        # Started inside the span: its tasks must still not run handlers under it.
        await consumer.start()
    await publisher.publish(stream, StringValue(value="untraced"))
    await eventually(lambda: consumer.stats.processed == 2)
    await consumer.stop()

    parent = rpc.get_span_context()
    traced, untraced = seen
    assert traced.trace_id == parent.trace_id and traced.span_id != parent.span_id
    assert untraced.trace_id != parent.trace_id
    spans = {span.context.span_id: span for span in exporter.get_finished_spans()}
    handler_span = spans[traced.span_id]
    assert handler_span.name == f"process {stream.key}"
    assert handler_span.kind is trace.SpanKind.CONSUMER
    assert handler_span.parent is not None and handler_span.parent.span_id == parent.span_id
    assert handler_span.attributes is not None
    assert handler_span.attributes["messaging.message.id"] == published.event_id
    root = spans[untraced.span_id]
    assert root.parent is None
    provider.shutdown()


async def test_lag_pending_and_handler_metrics(
    redis: Redis, stream: Stream, registry: CollectorRegistry
) -> None:
    labels = {"stream": stream.key, "group": GROUP}
    consumer = Consumer(
        redis, stream, group=GROUP, name="c1", registry=registry, options=fast_options()
    )

    @consumer.handle(StringValue)
    async def on_string(message: StringValue, ctx: EventContext) -> None:
        return None

    await redis.xgroup_create(stream.key, GROUP, id="0", mkstream=True)
    await Publisher(redis, source="s", registry=registry).publish_many(
        stream, [StringValue() for _ in range(5)]
    )
    await redis.xreadgroup(GROUP, "someone-else", {stream.key: ">"}, count=2)
    await consumer.refresh_metrics()
    assert registry.get_sample_value("openledger_bus_lag_entries", labels) == 3
    assert registry.get_sample_value("openledger_bus_pending_entries", labels) == 2

    async with consumer:
        await eventually(lambda: consumer.stats.processed == 3)
        await consumer.refresh_metrics()

    assert registry.get_sample_value("openledger_bus_lag_entries", labels) == 0
    assert registry.get_sample_value("openledger_bus_pending_entries", labels) == 2
    assert registry.get_sample_value("openledger_bus_processed_total", labels) == 3
    assert registry.get_sample_value("openledger_bus_handler_duration_seconds_count", labels) == 3
    assert registry.get_sample_value("openledger_bus_published_total", {"stream": stream.key}) == 5
    # Only stream and group label the series: no event or entry ids.
    for family in registry.collect():
        for sample in family.samples:
            assert set(sample.labels) - {"le"} <= {"stream", "group"}
