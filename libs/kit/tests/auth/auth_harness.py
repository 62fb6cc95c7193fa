"""Test harness: a real ``grpc.aio`` server on a loopback port, guarded by ``AuthInterceptor``.

The servicer is a generic handler over ``google.protobuf.wrappers_pb2.StringValue``: every method
answers with a description of ``current_principal()``, so tests see what the servicer saw.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import grpc
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health, health_pb2_grpc

from openledger_kit.auth import (
    Access,
    AuthPolicy,
    InMemoryNonceStore,
    NonceStore,
    Principal,
    Rule,
    current_principal,
)
from openledger_kit.auth.interceptor import AuthInterceptor

SERVICE_NAME = "openledger.test.v1.EchoService"
DEPLOYMENT_ID = "openledger-test"
SERVICE_TOKEN = "test-service-token-0123456789"
MAX_AGE_SECONDS = 120


def method(name: str) -> str:
    return f"/{SERVICE_NAME}/{name}"


POLICY = AuthPolicy(
    {
        method("Ping"): Access.PUBLIC,
        method("Browse"): Access.PUBLIC_OR_SIGNED,
        method("Submit"): Access.SIGNED,
        method("Configure"): Access.ADMIN,
        method("Rotate"): Rule(Access.ADMIN, allow_service_token=True),
        method("Watch"): Access.SIGNED,
        method("WatchWriter"): Access.SIGNED,
        method("Upload"): Access.SIGNED,
        method("Chat"): Access.SIGNED,
        # "Internal" has no rule: the default (SERVICE) applies.
    }
)


def describe(principal: Principal) -> str:
    return f"{principal.kind.value}|{principal.address or ''}|{principal.admin}"


async def _unary(request: StringValue, context: Any) -> StringValue:
    return StringValue(value=describe(current_principal()))


async def _watch(request: StringValue, context: Any) -> AsyncIterator[StringValue]:
    for _ in range(2):
        yield StringValue(value=describe(current_principal()))


async def _watch_writer(request: StringValue, context: Any) -> None:
    await context.write(StringValue(value=describe(current_principal())))


async def _upload(requests: AsyncIterator[StringValue], context: Any) -> StringValue:
    count = 0
    async for _ in requests:
        count += 1
    return StringValue(value=f"{describe(current_principal())}|{count}")


async def _chat(requests: AsyncIterator[StringValue], context: Any) -> AsyncIterator[StringValue]:
    async for request in requests:
        yield StringValue(value=f"{describe(current_principal())}|{request.value}")


_SERDE: dict[str, Any] = {
    "request_deserializer": StringValue.FromString,
    "response_serializer": StringValue.SerializeToString,
}


def echo_handlers() -> Any:
    unary = {
        name: grpc.unary_unary_rpc_method_handler(_unary, **_SERDE)
        for name in ("Ping", "Browse", "Submit", "Internal", "Configure", "Rotate")
    }
    return grpc.method_handlers_generic_handler(
        SERVICE_NAME,
        {
            **unary,
            "Watch": grpc.unary_stream_rpc_method_handler(_watch, **_SERDE),
            "WatchWriter": grpc.unary_stream_rpc_method_handler(_watch_writer, **_SERDE),
            "Upload": grpc.stream_unary_rpc_method_handler(_upload, **_SERDE),
            "Chat": grpc.stream_stream_rpc_method_handler(_chat, **_SERDE),
        },
    )


@asynccontextmanager
async def serving(interceptor: AuthInterceptor) -> AsyncIterator[str]:
    """Serve the echo service (and gRPC health) behind ``interceptor``; yield the target."""
    server = grpc.aio.server(interceptors=[interceptor])
    server.add_generic_rpc_handlers((echo_handlers(),))
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(None)


def make_interceptor(
    *,
    nonce_store: NonceStore | None = None,
    admin_addresses: Sequence[str] = (),
    service_token: str | None = SERVICE_TOKEN,
) -> AuthInterceptor:
    return AuthInterceptor(
        POLICY,
        service_token=service_token,
        admin_addresses=admin_addresses,
        nonce_store=nonce_store or InMemoryNonceStore(),
        max_age_seconds=MAX_AGE_SECONDS,
        deployment_id=DEPLOYMENT_ID,
    )


class EchoClient:
    """Raw callables on a plain channel: tests put the metadata on themselves."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel

    def unary(self, name: str) -> Any:
        return self.channel.unary_unary(
            method(name),
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )

    def unary_stream(self, name: str) -> Any:
        return self.channel.unary_stream(
            method(name),
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )

    def stream_unary(self, name: str) -> Any:
        return self.channel.stream_unary(
            method(name),
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )

    def stream_stream(self, name: str) -> Any:
        return self.channel.stream_stream(
            method(name),
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )
