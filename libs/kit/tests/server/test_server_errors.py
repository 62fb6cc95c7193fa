"""The error interceptor: domain errors → rich statuses, anything else → a bare INTERNAL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf.wrappers_pb2 import StringValue

from libs.kit.tests.server.server_echo import (
    BAD_FIELD,
    DOMAIN,
    SECRET,
    SERVICE,
    Tracing,
    reason_for,
    running,
)
from openledger_kit.errors import ErrorKind, PermissionDenied
from openledger_kit.server import bad_request, error_info


async def _rpc_error(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


@pytest.mark.parametrize("kind", list(ErrorKind), ids=lambda kind: kind.value)
async def test_each_error_kind_maps_to_its_code_with_error_info(kind: ErrorKind) -> None:
    async with running() as srv:
        err = await _rpc_error(srv.client.fail(StringValue(value=kind.name)))

    assert err.code() == grpc.StatusCode[kind.value]
    info = error_info(err)
    assert info is not None
    assert (info.reason, info.domain) == (reason_for(kind), DOMAIN)
    assert dict(info.metadata) == {"kind": kind.value}


async def test_invalid_argument_names_the_field_in_bad_request() -> None:
    async with running() as srv:
        err = await _rpc_error(srv.client.fail(StringValue(value="INVALID_ARGUMENT")))

    violations = bad_request(err)
    assert violations is not None
    [violation] = violations.field_violations
    assert (violation.field, violation.description) == (BAD_FIELD, "must not be empty")
    assert err.details() == f"{BAD_FIELD}: must not be empty"


async def test_unexpected_exception_is_internal_without_its_message(
    caplog: pytest.LogCaptureFixture, tracing: Tracing
) -> None:
    with caplog.at_level(logging.ERROR, logger="openledger_kit.server.errors"):
        async with running(tracer_provider=tracing.provider) as srv:
            err = await _rpc_error(srv.client.fail(StringValue(value="boom")))

    assert err.code() == grpc.StatusCode.INTERNAL
    details = err.details() or ""
    assert SECRET not in details and "RuntimeError" not in details
    assert error_info(err) is None
    # The client may quote the trace id; it is the server span's.
    [span] = [s for s in tracing.exporter.get_finished_spans() if s.name.endswith("/Fail")]
    assert span.context is not None
    assert details == f"internal error (trace_id={span.context.trace_id:032x})"
    # The operator gets the whole story in the log.
    [record] = [r for r in caplog.records if r.name == "openledger_kit.server.errors"]
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])
    assert f"/{SERVICE}/Fail" in record.getMessage()


async def test_server_stream_error_after_messages_is_mapped() -> None:
    async with running() as srv:
        received: list[str] = []
        call = srv.client.expand(StringValue(value="2:NOT_FOUND"))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for message in call:
                received.append(message.value)
        internal = await _rpc_error(_drain(srv.client.expand(StringValue(value="0:boom"))))

    assert received == ["0", "1"]
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    info = error_info(caught.value)
    assert info is not None and info.reason == reason_for(ErrorKind.NOT_FOUND)
    assert internal.code() == grpc.StatusCode.INTERNAL
    assert SECRET not in (internal.details() or "")


async def test_client_stream_error_is_mapped() -> None:
    async def requests() -> AsyncIterator[StringValue]:
        yield StringValue(value="a")
        yield StringValue(value="fail:ALREADY_EXISTS")

    async with running() as srv:
        ok = await srv.client.collect(_values("a", "b"))
        err = await _rpc_error(srv.client.collect(requests()))

    assert ok.value == "a,b"
    assert err.code() == grpc.StatusCode.ALREADY_EXISTS
    info = error_info(err)
    assert info is not None and info.reason == reason_for(ErrorKind.ALREADY_EXISTS)


async def test_bidi_stream_error_is_mapped() -> None:
    async with running() as srv:
        received: list[str] = []
        call = srv.client.chat(_values("a", "b", "fail:PERMISSION_DENIED", "never"))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for message in call:
                received.append(message.value)

    assert received == ["a", "b"]
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    info = error_info(caught.value)
    assert info is not None and info.domain == DOMAIN


async def test_unknown_method_is_unimplemented_and_not_counted() -> None:
    async with running() as srv:
        unknown = srv.channel.unary_unary(
            f"/{SERVICE}/Missing",
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )
        err = await _rpc_error(unknown(StringValue(value="?")))
        registry = srv.service.metrics_registry

    assert err.code() == grpc.StatusCode.UNIMPLEMENTED
    counted = {
        sample.labels.get("grpc_method")
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == "openledger_kittest_grpc_server_requests_total"
    }
    assert counted == set()  # client-chosen paths never become label values


class DenyInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Stands in for the auth interceptor: rejects calls carrying ``x-deny`` with a domain
    error raised from the handler it substitutes."""

    async def intercept_service(
        self, continuation: Callable[[Any], Awaitable[Any]], details: Any
    ) -> Any:
        handler = await continuation(details)
        if ("x-deny", "1") not in tuple(details.invocation_metadata or ()):
            return handler

        async def deny(request: Any, context: Any) -> Any:
            raise PermissionDenied("no", reason="DENIED_BY_TEST", domain=DOMAIN)

        return grpc.unary_unary_rpc_method_handler(
            deny,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


async def test_extra_interceptors_sit_inside_error_mapping_and_metrics() -> None:
    async with running(interceptors=[DenyInterceptor()]) as srv:
        ok = await srv.client.echo(StringValue(value="hi"))
        err = await _rpc_error(
            srv.client.echo(StringValue(value="hi"), metadata=(("x-deny", "1"),))
        )
        registry = srv.service.metrics_registry

    assert ok.value == "hi"
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    info = error_info(err)
    assert info is not None and info.reason == "DENIED_BY_TEST"
    labels = {"grpc_service": SERVICE, "grpc_method": "Echo"}
    total = "openledger_kittest_grpc_server_requests_total"
    assert registry.get_sample_value(total, {**labels, "grpc_code": "PERMISSION_DENIED"}) == 1
    assert registry.get_sample_value(total, {**labels, "grpc_code": "OK"}) == 1


async def _drain(call: Any) -> None:
    async for _ in call:
        pass


async def _values(*values: str) -> AsyncIterator[StringValue]:
    for value in values:
        yield StringValue(value=value)
