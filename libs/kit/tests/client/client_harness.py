"""Test harness: a real ``grpc.aio`` "thing" service behind ``AuthInterceptor``.

Each method can be scripted to fail: ``server.fail(key, [codes...])`` makes the next attempts
for ``key`` fail with those codes in turn. Every attempt is recorded with the nonce it was signed
with, so tests see how many attempts reached the server and that each was signed afresh.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import StringValue

from openledger_kit.auth import Access, AuthPolicy, InMemoryNonceStore, current_principal
from openledger_kit.auth.interceptor import AuthInterceptor
from openledger_kit.client import connect

SERVICE_NAME = "openledger.test.v1.ThingService"
DEPLOYMENT_ID = "openledger-client-test"
SERVICE_TOKEN = "client-test-token-0123456789"


def method(name: str) -> str:
    return f"/{SERVICE_NAME}/{name}"


def _create_request_class() -> type[Message]:
    """``CreateThingRequest {string request_id = 1; string key = 2;}``, built at run time."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="openledger_test/thing.proto", package="openledger.test.v1", syntax="proto3"
    )
    message = proto.message_type.add(name="CreateThingRequest")
    for number, name in enumerate(("request_id", "key"), start=1):
        message.field.add(
            name=name,
            number=number,
            type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
        )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    descriptor = pool.FindMessageTypeByName("openledger.test.v1.CreateThingRequest")
    return message_factory.GetMessageClass(descriptor)


CreateThingRequest = _create_request_class()

POLICY = AuthPolicy(
    {
        method("GetThing"): Access.SIGNED,
        method("CreateThing"): Access.SIGNED,
        method("GetRemaining"): Access.SIGNED,
        method("GetStuck"): Access.SIGNED,
        method("WatchThings"): Access.SIGNED,
        method("UploadThings"): Access.SIGNED,
        # "Internal" has no rule: the service token is needed.
    }
)


class ThingServer:
    """The servicer's state: scripted failures and the attempts that arrived."""

    def __init__(self) -> None:
        self.failures: dict[str, list[grpc.StatusCode]] = defaultdict(list)
        self.attempts: dict[str, list[str]] = defaultdict(list)
        self.target = ""

    def fail(self, key: str, codes: list[grpc.StatusCode]) -> None:
        self.failures[key] = list(codes)

    async def _attempt(self, key: str, context: Any) -> None:
        nonce = dict(context.invocation_metadata()).get("x-ol-nonce", "")
        self.attempts[key].append(nonce)
        if self.failures[key]:
            code = self.failures[key].pop(0)
            await context.abort(code, f"scripted {code.name}")

    async def get_thing(self, request: StringValue, context: Any) -> StringValue:
        await self._attempt(request.value, context)
        return StringValue(value=f"thing {request.value}")

    async def create_thing(self, request: Any, context: Any) -> StringValue:
        await self._attempt(request.key, context)
        return StringValue(value=f"created {request.key}")

    async def get_remaining(self, request: StringValue, context: Any) -> StringValue:
        remaining = context.time_remaining()
        return StringValue(value="none" if remaining is None else repr(remaining))

    async def get_stuck(self, request: StringValue, context: Any) -> StringValue:
        await self._attempt(request.value, context)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def internal(self, request: StringValue, context: Any) -> StringValue:
        return StringValue(value=current_principal().kind.value)

    async def watch_things(self, request: StringValue, context: Any) -> AsyncIterator[StringValue]:
        principal = current_principal()
        for index in range(3):
            yield StringValue(value=f"{principal.address} {request.value} {index}")

    async def upload_things(
        self, requests: AsyncIterator[StringValue], context: Any
    ) -> StringValue:
        values = [request.value async for request in requests]
        return StringValue(value=f"{current_principal().address} {','.join(values)}")

    def handlers(self) -> Any:
        string_serde: dict[str, Any] = {
            "request_deserializer": StringValue.FromString,
            "response_serializer": StringValue.SerializeToString,
        }
        unary = grpc.unary_unary_rpc_method_handler
        return grpc.method_handlers_generic_handler(
            SERVICE_NAME,
            {
                "GetThing": unary(self.get_thing, **string_serde),
                "CreateThing": unary(
                    self.create_thing,
                    request_deserializer=CreateThingRequest.FromString,
                    response_serializer=StringValue.SerializeToString,
                ),
                "GetRemaining": unary(self.get_remaining, **string_serde),
                "GetStuck": unary(self.get_stuck, **string_serde),
                "Internal": unary(self.internal, **string_serde),
                "WatchThings": grpc.unary_stream_rpc_method_handler(
                    self.watch_things, **string_serde
                ),
                "UploadThings": grpc.stream_unary_rpc_method_handler(
                    self.upload_things, **string_serde
                ),
            },
        )


def interceptor() -> AuthInterceptor:
    return AuthInterceptor(
        POLICY,
        service_token=SERVICE_TOKEN,
        nonce_store=InMemoryNonceStore(),
        max_age_seconds=300,
        deployment_id=DEPLOYMENT_ID,
    )


@asynccontextmanager
async def serving_things(
    server_credentials: Any | None = None,
) -> AsyncIterator[ThingServer]:
    """Serve a fresh :class:`ThingServer` on loopback (TLS when credentials are given)."""
    things = ThingServer()
    server = grpc.aio.server(interceptors=[interceptor()])
    server.add_generic_rpc_handlers((things.handlers(),))
    if server_credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", server_credentials)
    await server.start()
    things.target = f"127.0.0.1:{port}"
    try:
        yield things
    finally:
        await server.stop(None)


class ThingStub:
    """What a generated stub would be for the thing service."""

    def __init__(self, channel: Any) -> None:
        def unary(name: str, request_type: type[Message] = StringValue) -> Any:
            return channel.unary_unary(
                method(name),
                request_serializer=request_type.SerializeToString,
                response_deserializer=StringValue.FromString,
            )

        self.GetThing = unary("GetThing")
        self.CreateThing = unary("CreateThing", CreateThingRequest)
        self.GetRemaining = unary("GetRemaining")
        self.GetStuck = unary("GetStuck")
        self.Internal = unary("Internal")
        self.WatchThings = channel.unary_stream(
            method("WatchThings"),
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )
        self.UploadThings = channel.stream_unary(
            method("UploadThings"),
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )


class Channels:
    """Opens channels with :func:`connect` and closes them all when the test ends."""

    def __init__(self) -> None:
        self.opened: list[Any] = []

    def connect(self, target: str, **options: Any) -> Any:
        channel = connect(target, **options)
        self.opened.append(channel)
        return channel
