"""Message size limits come from settings and are enforced by gRPC itself."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.wrappers_pb2 import StringValue

from libs.kit.tests.server.server_echo import running, settings

LIMIT = 1024


async def test_oversize_request_is_resource_exhausted() -> None:
    async with running(settings(max_message_bytes=LIMIT)) as srv:
        fits = await srv.client.echo(StringValue(value="x" * (LIMIT - 16)))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await srv.client.echo(StringValue(value="x" * (2 * LIMIT)))
        registry = srv.service.metrics_registry

    assert len(fits.value) == LIMIT - 16
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "Received message larger than max" in (caught.value.details() or "")
    # Rejected before any handler ran: counted once, for the call that fit.
    total = "openledger_kittest_grpc_server_requests_total"
    labels = {"grpc_service": "openledger.kittest.v1.EchoService", "grpc_method": "Echo"}
    assert registry.get_sample_value(total, {**labels, "grpc_code": "OK"}) == 1
    assert registry.get_sample_value(total, {**labels, "grpc_code": "RESOURCE_EXHAUSTED"}) is None


async def test_oversize_response_is_resource_exhausted() -> None:
    async with running(settings(max_message_bytes=LIMIT)) as srv:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await srv.client.big(StringValue(value=str(2 * LIMIT)))

    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "Sent message larger than max" in (caught.value.details() or "")
