"""connect(): credentials, default deadlines, streaming calls, TLS and mTLS, ServiceClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from eth_account.signers.local import LocalAccount
from google.protobuf.wrappers_pb2 import StringValue

from openledger_kit.client import NO_RETRY, ServiceClient, TlsConfig, connect
from openledger_kit.server.status import error_info

from .client_harness import (
    DEPLOYMENT_ID,
    SERVICE_TOKEN,
    Channels,
    ThingServer,
    ThingStub,
    serving_things,
)
from .client_pki import Pki


async def strings(*values: str) -> AsyncIterator[StringValue]:
    for value in values:
        yield StringValue(value=value)


def signing(
    channels: Channels, things: ThingServer, user: LocalAccount, **options: object
) -> ThingStub:
    return ThingStub(
        channels.connect(things.target, signer=user, deployment_id=DEPLOYMENT_ID, **options)
    )


async def test_default_deadline_is_applied(
    things: ThingServer, user: LocalAccount, channels: Channels
) -> None:
    stub = signing(channels, things, user, default_timeout=5.0)
    remaining = float((await stub.GetRemaining(StringValue())).value)
    # gRPC rounds the propagated timeout up to its wire precision, hence the slack.
    assert 0 < remaining < 7.0


async def test_explicit_timeout_wins_over_the_default(
    things: ThingServer, user: LocalAccount, channels: Channels
) -> None:
    stub = signing(channels, things, user, default_timeout=5.0)
    remaining = float((await stub.GetRemaining(StringValue(), timeout=300.0)).value)
    assert 100.0 < remaining < 302.0


async def test_no_default_deadline(
    things: ThingServer, user: LocalAccount, channels: Channels
) -> None:
    stub = signing(channels, things, user, default_timeout=None)
    assert (await stub.GetRemaining(StringValue())).value == "none"


async def test_default_deadline_ends_a_stuck_call(
    things: ThingServer, user: LocalAccount, channels: Channels
) -> None:
    stub = signing(channels, things, user, default_timeout=0.2, retry=NO_RETRY)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetStuck(StringValue(value="stuck"))
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_service_token_is_sent(things: ThingServer, channels: Channels) -> None:
    stub = ThingStub(channels.connect(things.target, token=SERVICE_TOKEN))
    assert (await stub.Internal(StringValue())).value == "service"


async def test_wrong_service_token_is_rejected(things: ThingServer, channels: Channels) -> None:
    stub = ThingStub(channels.connect(things.target, token="not-the-token"))
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.Internal(StringValue())
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    info = error_info(failure.value)
    assert info is not None and info.reason == "TOKEN_INVALID"


async def test_signature_for_another_deployment_is_rejected(
    things: ThingServer, user: LocalAccount, channels: Channels
) -> None:
    channel = channels.connect(things.target, signer=user, deployment_id="openledger-mainnet")
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await ThingStub(channel).GetThing(StringValue(value="x"))
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    info = error_info(failure.value)
    assert info is not None and info.reason == "SIGNATURE_INVALID"


async def test_streaming_calls_are_signed(
    things: ThingServer, user: LocalAccount, channels: Channels
) -> None:
    stub = signing(channels, things, user)
    address = user.address.lower()
    replies = [reply.value async for reply in stub.WatchThings(StringValue(value="job"))]
    assert replies == [f"{address} job 0", f"{address} job 1", f"{address} job 2"]
    uploaded = await stub.UploadThings(strings("a", "b"))
    assert uploaded.value == f"{address} a,b"


def test_signing_needs_a_deployment_id(user: LocalAccount) -> None:
    with pytest.raises(ValueError):
        connect("127.0.0.1:1", signer=user)


async def test_service_client_closes_its_channel(things: ThingServer, user: LocalAccount) -> None:
    channel = connect(things.target, signer=user, deployment_id=DEPLOYMENT_ID)
    async with ServiceClient(channel, ThingStub) as stub:
        assert (await stub.GetThing(StringValue(value="k"))).value == "thing k"
    with pytest.raises(grpc.aio.UsageError):
        await stub.GetThing(StringValue(value="k"))


async def test_tls_channel(pki: Pki, user: LocalAccount, channels: Channels) -> None:
    credentials = grpc.ssl_server_credentials([(pki.server.key, pki.server.cert)])
    async with serving_things(credentials) as things:
        tls = TlsConfig(root_certificates=pki.ca, server_name="localhost")
        stub = signing(channels, things, user, tls=tls, default_timeout=5.0)
        assert (await stub.GetThing(StringValue(value="k"))).value == "thing k"

        plaintext = signing(channels, things, user, default_timeout=5.0, retry=NO_RETRY)
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await plaintext.GetThing(StringValue(value="k"))
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_mutual_tls_channel(
    pki: Pki, user: LocalAccount, channels: Channels, tmp_path: Path
) -> None:
    credentials = grpc.ssl_server_credentials(
        [(pki.server.key, pki.server.cert)], root_certificates=pki.ca, require_client_auth=True
    )
    (tmp_path / "ca.pem").write_bytes(pki.ca)
    (tmp_path / "client.pem").write_bytes(pki.client.cert)
    (tmp_path / "client.key").write_bytes(pki.client.key)
    async with serving_things(credentials) as things:
        mutual = TlsConfig.from_files(
            ca_file=tmp_path / "ca.pem",
            cert_file=tmp_path / "client.pem",
            key_file=tmp_path / "client.key",
            server_name="localhost",
        )
        stub = signing(channels, things, user, tls=mutual, default_timeout=5.0)
        assert (await stub.GetThing(StringValue(value="k"))).value == "thing k"

        server_only = TlsConfig(root_certificates=pki.ca, server_name="localhost")
        anonymous = signing(
            channels, things, user, tls=server_only, default_timeout=5.0, retry=NO_RETRY
        )
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await anonymous.GetThing(StringValue(value="k"))
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


def test_client_certificate_needs_its_key(pki: Pki) -> None:
    with pytest.raises(ValueError):
        TlsConfig(root_certificates=pki.ca, client_certificate=pki.client.cert)
