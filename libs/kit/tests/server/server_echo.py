"""A tiny servicer on well-known message types, a client for it, and a running-server helper.

Shared by the server tests and by ``server_sigterm_app`` (run as a real process). The service
protos are written elsewhere, so the methods are registered by hand with
``grpc.method_handlers_generic_handler`` and carry ``google.protobuf.StringValue``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from openledger_kit.config import ServiceSettings
from openledger_kit.errors import (
    Aborted,
    AlreadyExists,
    ErrorKind,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OpenLedgerError,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from openledger_kit.server import DependencyCheck, GrpcService, create_server

SERVICE = "openledger.kittest.v1.EchoService"
DOMAIN = "openledger.kittest"
SECRET = "password=hunter2"
BAD_FIELD = "datanet.display_name"

logger = logging.getLogger("kittest.echo")

_SIMPLE_ERRORS: dict[ErrorKind, type[OpenLedgerError]] = {
    ErrorKind.NOT_FOUND: NotFound,
    ErrorKind.ALREADY_EXISTS: AlreadyExists,
    ErrorKind.FAILED_PRECONDITION: FailedPrecondition,
    ErrorKind.PERMISSION_DENIED: PermissionDenied,
    ErrorKind.UNAUTHENTICATED: Unauthenticated,
    ErrorKind.RESOURCE_EXHAUSTED: ResourceExhausted,
    ErrorKind.UNAVAILABLE: Unavailable,
    ErrorKind.ABORTED: Aborted,
}


def reason_for(kind: ErrorKind) -> str:
    return f"TEST_{kind.value}"


def make_error(spec: str) -> Exception:
    """``boom`` → an unexpected exception carrying a secret; an ErrorKind name → its error."""
    if spec == "boom":
        return RuntimeError(f"db connect failed: {SECRET}")
    kind = ErrorKind[spec]
    metadata = {"kind": kind.value}
    if kind is ErrorKind.INVALID_ARGUMENT:
        return InvalidArgument(
            BAD_FIELD,
            "must not be empty",
            reason=reason_for(kind),
            domain=DOMAIN,
            metadata=metadata,
        )
    return _SIMPLE_ERRORS[kind](
        f"{kind.value.lower()} happened", reason=reason_for(kind), domain=DOMAIN, metadata=metadata
    )


class EchoServicer:
    """Methods of every streaming shape; ``release`` is awaited by ``Hold``."""

    def __init__(self, release: Callable[[], Awaitable[object]] | None = None) -> None:
        self._release = release
        self.flood_cleanups: list[bool] = []

    async def Echo(self, request: StringValue, context: Any) -> StringValue:
        logger.info("echo handled", extra={"echo_length": len(request.value)})
        return StringValue(value=request.value)

    async def Fail(self, request: StringValue, context: Any) -> StringValue:
        raise make_error(request.value)

    async def Big(self, request: StringValue, context: Any) -> StringValue:
        return StringValue(value="x" * int(request.value))

    async def Expand(self, request: StringValue, context: Any) -> AsyncIterator[StringValue]:
        """``"<n>:<error>"``: yields ``n`` messages, then raises ``<error>``."""
        count, _, spec = request.value.partition(":")
        for i in range(int(count)):
            yield StringValue(value=str(i))
        raise make_error(spec)

    async def Collect(self, requests: AsyncIterator[StringValue], context: Any) -> StringValue:
        """Joins the values; ``fail:<error>`` raises ``<error>``."""
        values = []
        async for request in requests:
            if request.value.startswith("fail:"):
                raise make_error(request.value.removeprefix("fail:"))
            values.append(request.value)
        return StringValue(value=",".join(values))

    async def Chat(
        self, requests: AsyncIterator[StringValue], context: Any
    ) -> AsyncIterator[StringValue]:
        """Echoes each value; ``fail:<error>`` raises ``<error>``."""
        async for request in requests:
            if request.value.startswith("fail:"):
                raise make_error(request.value.removeprefix("fail:"))
            yield request

    async def Flood(self, request: StringValue, context: Any) -> AsyncIterator[StringValue]:
        """``int(value)`` messages of 16 KiB: far more than flow control lets through unread.

        Its cleanup notes whether it ran inside the RPC's trace (in the RPC's own task).
        """
        try:
            for _ in range(int(request.value)):
                yield StringValue(value="x" * 16384)
        finally:
            self.flood_cleanups.append(trace.get_current_span().get_span_context().is_valid)

    async def Hold(self, request: StringValue, context: Any) -> AsyncIterator[StringValue]:
        """Yields ``entered``, waits for ``release``, yields ``done``."""
        yield StringValue(value="entered")
        assert self._release is not None, "Hold needs a release callable"
        await self._release()
        yield StringValue(value="done")


def register_echo(servicer: EchoServicer) -> Callable[[Any], None]:
    """A ``register`` callable for ``create_server`` adding ``servicer`` as ``SERVICE``."""
    codec = {
        "request_deserializer": StringValue.FromString,
        "response_serializer": StringValue.SerializeToString,
    }
    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(servicer.Echo, **codec),
        "Fail": grpc.unary_unary_rpc_method_handler(servicer.Fail, **codec),
        "Big": grpc.unary_unary_rpc_method_handler(servicer.Big, **codec),
        "Expand": grpc.unary_stream_rpc_method_handler(servicer.Expand, **codec),
        "Collect": grpc.stream_unary_rpc_method_handler(servicer.Collect, **codec),
        "Chat": grpc.stream_stream_rpc_method_handler(servicer.Chat, **codec),
        "Flood": grpc.unary_stream_rpc_method_handler(servicer.Flood, **codec),
        "Hold": grpc.unary_stream_rpc_method_handler(servicer.Hold, **codec),
    }

    def register(server: Any) -> None:
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))

    return register


class EchoClient:
    """Multi-callables for every ``SERVICE`` method, plus the health stub."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        codec = {
            "request_serializer": StringValue.SerializeToString,
            "response_deserializer": StringValue.FromString,
        }
        self.echo = channel.unary_unary(f"/{SERVICE}/Echo", **codec)
        self.fail = channel.unary_unary(f"/{SERVICE}/Fail", **codec)
        self.big = channel.unary_unary(f"/{SERVICE}/Big", **codec)
        self.expand = channel.unary_stream(f"/{SERVICE}/Expand", **codec)
        self.collect = channel.stream_unary(f"/{SERVICE}/Collect", **codec)
        self.chat = channel.stream_stream(f"/{SERVICE}/Chat", **codec)
        self.flood = channel.unary_stream(f"/{SERVICE}/Flood", **codec)
        self.hold = channel.unary_stream(f"/{SERVICE}/Hold", **codec)
        self.health = health_pb2_grpc.HealthStub(channel)

    async def health_status(self, service: str = "") -> int:
        response = await self.health.Check(health_pb2.HealthCheckRequest(service=service))
        return int(response.status)


def settings(**overrides: Any) -> ServiceSettings:
    """Test settings: loopback, port 0, no metrics endpoint unless asked for."""
    values: dict[str, Any] = {
        "service_name": "kittest",
        "grpc_host": "127.0.0.1",
        "grpc_port": 0,
        "metrics_port": None,
        "shutdown_grace_seconds": 5.0,
        "log_json": True,
    }
    values.update(overrides)
    return ServiceSettings(**values)


class Tracing:
    """A private tracer provider whose finished spans land in memory."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))


@dataclass
class Running:
    service: GrpcService
    port: int
    channel: grpc.aio.Channel
    client: EchoClient


@asynccontextmanager
async def running(
    config: ServiceSettings | None = None,
    *,
    servicer: EchoServicer | None = None,
    dependency_checks: Sequence[DependencyCheck] = (),
    wait_ready: bool = True,
    **create_kwargs: Any,
) -> AsyncIterator[Running]:
    """A started echo server on a loopback port, with an insecure channel to it."""
    service, port = create_server(
        config or settings(),
        register=register_echo(servicer or EchoServicer()),
        service_names=[SERVICE],
        dependency_checks=dependency_checks,
        **create_kwargs,
    )
    await service.start()
    try:
        if wait_ready:
            await service.wait_ready()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield Running(service, port, channel, EchoClient(channel))
    finally:
        await service.stop(grace=0)
