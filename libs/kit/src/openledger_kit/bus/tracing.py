"""W3C trace context across the bus: publishers inject the current span's context into the
envelope; consumers run each handler in a span whose parent is extracted from it."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager

from opentelemetry import propagate, trace
from opentelemetry.context import Context

from openledger.events.v1.envelope_pb2 import Envelope

_TRACER_NAME = "openledger_kit.bus"


def current_trace_context() -> dict[str, str]:
    """The current context as propagation headers (``traceparent``, ``tracestate``, ...)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


class HandlerSpans:
    """Starts the CONSUMER span each handler runs in."""

    def __init__(
        self, stream_key: str, group: str, provider: trace.TracerProvider | None = None
    ) -> None:
        self._provider = provider
        self._tracer = (provider or trace.get_tracer_provider()).get_tracer(_TRACER_NAME)
        self._name = f"process {stream_key}"
        self._stream_key = stream_key
        self._group = group
        self._off = provider is None
        self._checked_at = float("-inf")

    def _tracing_off(self) -> bool:
        # Until a service installs an SDK provider the global one is a proxy that records
        # nothing. Installing one is a one-way step, so once on stays on; while off, looking
        # again once a second keeps the check (an environment read) off the per-event path.
        if self._off and (now := time.monotonic()) - self._checked_at > 1.0:
            self._checked_at = now
            self._off = isinstance(
                trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider
            )
        return self._off

    def span(self, envelope: Envelope) -> AbstractContextManager[trace.Span] | None:
        """A span for handling ``envelope``, or None when it would neither record nor carry a
        parent (no tracer installed and no context in the envelope)."""
        carrier = envelope.trace_context
        if carrier:
            # The envelope's context only: never the consumer task's own (a span that was
            # current when the consumer started is not this event's parent).
            parent = propagate.extract(carrier, context=Context())
        elif self._tracing_off():
            return None
        else:
            parent = Context()
        return self._tracer.start_as_current_span(
            self._name,
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "redis",
                "messaging.operation.type": "process",
                "messaging.destination.name": self._stream_key,
                "messaging.consumer.group.name": self._group,
                "messaging.message.id": envelope.id,
            },
        )
