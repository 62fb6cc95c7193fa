"""OpenTelemetry: the process tracer provider and the gRPC server span interceptor."""

from __future__ import annotations

from typing import Any

from grpc_health.v1 import health
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from openledger_kit.config import ServiceSettings

# Probes and reflection would drown the real traffic in spans.
_UNTRACED_SERVICES = (health.SERVICE_NAME, reflection.SERVICE_NAME)


def configure_tracing(settings: ServiceSettings, *, set_global: bool = True) -> TracerProvider:
    """Build the tracer provider for this process and (by default) install it globally.

    Spans are always recorded, so log lines carry trace ids even where nothing collects them;
    they are exported over OTLP/gRPC only when ``settings.otlp_endpoint`` is set
    (``http://host:4317`` for plaintext, ``https://`` for TLS). OpenTelemetry lets a process
    install its global provider once; later calls return a provider that is not global.
    """
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.service_name}))
    if settings.otlp_endpoint:
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
        )
    if set_global:
        trace.set_tracer_provider(provider)
    return provider


def tracing_interceptor(tracer_provider: trace.TracerProvider | None = None) -> Any:
    """OpenTelemetry's aio server interceptor: one server span per RPC, remote context honoured.

    ``tracer_provider`` defaults to the global one. Health and reflection calls are not traced.
    """
    untraced = filters.any_of(*(filters.service_name(name) for name in _UNTRACED_SERVICES))
    # The instrumentation package leaves this factory unannotated.
    return aio_server_interceptor(  # type: ignore[no-untyped-call, unused-ignore]
        tracer_provider=tracer_provider, filter_=filters.negate(untraced)
    )
