"""Wrap every kind of gRPC method handler around one async context manager.

The error, metrics and authentication interceptors all need the same thing: run code around the
whole life of an RPC (unary or streaming, either direction), see its request and how it ended.
Writing that once keeps the four handler kinds in one place.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import grpc

# Given one call's request (the request iterator when requests stream) and servicer context,
# a context manager spanning that call.
Observer = Callable[[Any, Any], AbstractAsyncContextManager[None]]


def wrap_rpc_handler(handler: Any, observe: Observer) -> Any:
    """A copy of ``handler`` (a ``grpc.RpcMethodHandler``) whose behaviour runs inside ``observe``.

    Handlers must be aio-style: coroutines, or async generators for streamed responses.
    Streamed responses are always re-exposed as async generators, also when the handler writes
    through ``context.write`` (as the gRPC health ``Watch`` does), because outer interceptors
    such as OpenTelemetry's iterate the behaviour they wrap.
    """
    if handler.response_streaming:
        stream_behavior = (
            handler.stream_stream if handler.request_streaming else handler.unary_stream
        )

        async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
            async with observe(request, context):
                result = stream_behavior(request, context)
                if inspect.isawaitable(result):
                    await result
                    return
                try:
                    async for response in result:
                        yield response
                finally:
                    await aclose(result)

        stream_factory = (
            grpc.stream_stream_rpc_method_handler
            if handler.request_streaming
            else grpc.unary_stream_rpc_method_handler
        )
        return stream_factory(
            streaming,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    unary_behavior = handler.stream_unary if handler.request_streaming else handler.unary_unary

    async def unary(request: Any, context: Any) -> Any:
        async with observe(request, context):
            return await unary_behavior(request, context)

    unary_factory = (
        grpc.stream_unary_rpc_method_handler
        if handler.request_streaming
        else grpc.unary_unary_rpc_method_handler
    )
    return unary_factory(
        unary,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class StreamCloser(grpc.aio.ServerInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Outermost interceptor: drives streamed responses from the RPC's own task.

    gRPC iterates a response generator and, when the client goes away mid-send, abandons it
    suspended at a ``yield``; Python then closes it later from another task and context, where
    OpenTelemetry cannot detach its span context and the metrics ``finally`` runs late. Writing
    each response here and closing the generator in ``finally`` keeps the cleanup in the task
    and context that started it.
    """

    async def intercept_service(
        self, continuation: Callable[[Any], Awaitable[Any]], handler_call_details: Any
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None or not handler.response_streaming:
            return handler
        behavior = handler.stream_stream if handler.request_streaming else handler.unary_stream

        async def writing(request: Any, context: Any) -> None:
            responses = behavior(request, context)
            if inspect.isawaitable(responses):
                await responses
                return
            try:
                async for response in responses:
                    await context.write(response)
            finally:
                await aclose(responses)

        factory = (
            grpc.stream_stream_rpc_method_handler
            if handler.request_streaming
            else grpc.unary_stream_rpc_method_handler
        )
        return factory(
            writing,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


async def aclose(responses: AsyncIterator[Any]) -> None:
    """Close a response generator now, in this task, rather than whenever it is collected."""
    close = getattr(responses, "aclose", None)
    if close is not None:
        await close()


def split_method(full_method: str) -> tuple[str, str]:
    """``/pkg.Service/Method`` → ``("pkg.Service", "Method")``."""
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service or "unknown", method or "unknown"
