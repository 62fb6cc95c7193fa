"""The whole edge together: bootstrap + AuthInterceptor (Redis replay store) + the typed client.

The auth and server packages are tested on their own elsewhere; this proves they compose the way a
service wires them: rejections come back as mapped statuses with ErrorInfo and are counted in the
server's metrics, and a signed client call reaches the servicer.
"""

from __future__ import annotations

import grpc
import pytest
from eth_account import Account
from google.protobuf.wrappers_pb2 import StringValue

from libs.kit.tests.server.server_echo import SERVICE, EchoClient, running, settings
from openledger_kit.auth import Access, AuthPolicy
from openledger_kit.auth.interceptor import AuthInterceptor
from openledger_kit.client import connect
from openledger_kit.server import error_info
from openledger_kit.testing.processes import RedisProcess

DEPLOYMENT = "openledger-edge-test"
POLICY = AuthPolicy({f"/{SERVICE}/Echo": Access.SIGNED, f"/{SERVICE}/Big": Access.ADMIN})


async def test_signed_calls_pass_and_rejections_are_mapped_and_counted(
    redis_server: RedisProcess,
) -> None:
    user, stranger = Account.create(), Account.create()
    config = settings(
        redis_url=redis_server.url,
        deployment_id=DEPLOYMENT,
        auth_nonce_store="redis",
        admin_addresses=[user.address],
    )
    auth = AuthInterceptor.from_settings(config, POLICY)
    async with running(config, interceptors=[auth]) as server:
        target = f"127.0.0.1:{server.port}"

        async with connect(target, signer=user, deployment_id=DEPLOYMENT) as channel:
            client = EchoClient(channel)
            assert (await client.echo(StringValue(value="hi"))).value == "hi"
            assert (await client.big(StringValue(value="3"))).value == "xxx"

        with pytest.raises(grpc.aio.AioRpcError) as unsigned:
            await server.client.echo(StringValue(value="hi"))
        assert unsigned.value.code() is grpc.StatusCode.UNAUTHENTICATED
        info = error_info(unsigned.value)
        assert info is not None and info.reason == "CREDENTIALS_MISSING"

        async with connect(target, signer=stranger, deployment_id=DEPLOYMENT) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as not_admin:
                await EchoClient(channel).big(StringValue(value="3"))
        assert not_admin.value.code() is grpc.StatusCode.PERMISSION_DENIED

        async with connect(target, signer=user, deployment_id="another-network") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as wrong_network:
                await EchoClient(channel).echo(StringValue(value="hi"))
        assert wrong_network.value.code() is grpc.StatusCode.UNAUTHENTICATED

        def count(code: str) -> float:
            value = server.service.metrics_registry.get_sample_value(
                "openledger_kittest_grpc_server_requests_total",
                {"grpc_service": SERVICE, "grpc_method": "Echo", "grpc_code": code},
            )
            return value or 0.0

        assert count("OK") == 1
        assert count("UNAUTHENTICATED") == 2
