"""Tracing: server spans through OpenTelemetry's interceptor, and ``configure_tracing``."""

from __future__ import annotations

import asyncio
import logging
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf.wrappers_pb2 import StringValue
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.trace import SpanKind

from libs.kit.tests.server.server_echo import SERVICE, EchoServicer, Tracing, running, settings
from openledger_kit.server import configure_tracing


async def test_domain_error_code_reaches_the_server_span(tracing: Tracing) -> None:
    async with running(tracer_provider=tracing.provider) as srv:
        await srv.client.echo(StringValue(value="hi"))
        with pytest.raises(grpc.aio.AioRpcError):
            await srv.client.fail(StringValue(value="NOT_FOUND"))
        await srv.client.health_status()

    spans = {span.name: span for span in tracing.exporter.get_finished_spans()}
    assert set(spans) == {f"/{SERVICE}/Echo", f"/{SERVICE}/Fail"}  # health is not traced
    fail = spans[f"/{SERVICE}/Fail"]
    assert fail.kind == SpanKind.SERVER
    assert fail.attributes is not None
    assert fail.attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]


async def test_client_cancelling_a_stream_closes_span_and_metrics_in_place(
    tracing: Tracing, caplog: pytest.LogCaptureFixture
) -> None:
    total = "openledger_kittest_grpc_server_requests_total"
    cancelled = {"grpc_service": SERVICE, "grpc_method": "Flood", "grpc_code": "CANCELLED"}
    servicer = EchoServicer()
    async with running(tracer_provider=tracing.provider, servicer=servicer) as srv:
        flood = srv.client.flood(StringValue(value="10000"))
        await flood.read()
        flood.cancel()
        registry = srv.service.metrics_registry
        async with asyncio.timeout(20):
            while registry.get_sample_value(total, cancelled) != 1:
                await asyncio.sleep(0.01)
        in_flight = registry.get_sample_value(
            "openledger_kittest_grpc_server_in_flight_requests",
            {"grpc_service": SERVICE, "grpc_method": "Flood"},
        )

    assert in_flight == 0
    assert servicer.flood_cleanups == [True]  # the handler's finally ran inside its trace
    assert [span.name for span in tracing.exporter.get_finished_spans()] == [f"/{SERVICE}/Flood"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


class _Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """A real OTLP/gRPC trace endpoint keeping what it receives."""

    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    def Export(self, request: Any, context: Any) -> Any:
        self.requests.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


async def test_configure_tracing_exports_server_spans_over_otlp() -> None:
    collector = _Collector()
    otlp = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, otlp)  # type: ignore[no-untyped-call]
    port = otlp.add_insecure_port("127.0.0.1:0")
    otlp.start()
    try:
        config = settings(service_name="kit-otlp", otlp_endpoint=f"http://127.0.0.1:{port}")
        provider = configure_tracing(config, set_global=False)
        async with running(config, tracer_provider=provider) as srv:
            await srv.client.echo(StringValue(value="hi"))
        # The exporter is synchronous gRPC: flush it off the event loop.
        assert await asyncio.to_thread(provider.force_flush)
        await asyncio.to_thread(provider.shutdown)
    finally:
        otlp.stop(None)

    resource_spans = [rs for request in collector.requests for rs in request.resource_spans]
    service_names = {
        attribute.value.string_value
        for rs in resource_spans
        for attribute in rs.resource.attributes
        if attribute.key == "service.name"
    }
    span_names = [span.name for rs in resource_spans for ss in rs.scope_spans for span in ss.spans]
    assert service_names == {"kit-otlp"}
    assert span_names == [f"/{SERVICE}/Echo"]


def test_configure_tracing_records_spans_without_an_endpoint() -> None:
    provider = configure_tracing(settings(service_name="kit-local"), set_global=False)
    try:
        assert provider.resource.attributes["service.name"] == "kit-local"
        with provider.get_tracer("test").start_as_current_span("work") as span:
            assert span.is_recording() and span.get_span_context().is_valid
    finally:
        provider.shutdown()
