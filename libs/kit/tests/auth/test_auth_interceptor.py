"""AuthInterceptor against a real grpc.aio server on loopback, called over a plain channel."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Any

import grpc
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health_pb2, health_pb2_grpc

from openledger_kit.auth import (
    Principal,
    PrincipalKind,
    RequestSignature,
    bearer_metadata,
    body_bytes,
    sign_request,
)
from openledger_kit.auth.interceptor import AuthInterceptor
from openledger_kit.config import ServiceSettings
from openledger_kit.errors import Unauthenticated
from openledger_kit.server.status import error_info

from .auth_harness import (
    DEPLOYMENT_ID,
    MAX_AGE_SECONDS,
    POLICY,
    SERVICE_TOKEN,
    EchoClient,
    make_interceptor,
    method,
    serving,
)

Metadata = Sequence[tuple[str, str]]


def signed(
    account: LocalAccount,
    name: str,
    request: StringValue | None,
    **overrides: Any,
) -> RequestSignature:
    """A signature for calling ``name`` with ``request`` (``None``: a streaming request)."""
    return sign_request(
        account,
        deployment_id=overrides.pop("deployment_id", DEPLOYMENT_ID),
        method=method(overrides.pop("method_name", name)),
        body=b"" if request is None else body_bytes(request),
        **overrides,
    )


async def rejection(call: Any) -> tuple[grpc.StatusCode, str | None]:
    """The status code and ErrorInfo reason of a call expected to fail."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await call
    info = error_info(failure.value)
    if info is not None:
        assert info.domain == "openledger.auth"
    return failure.value.code(), None if info is None else info.reason


async def messages(requests: Sequence[StringValue]) -> AsyncIterator[StringValue]:
    for request in requests:
        yield request


async def test_public_method_needs_nothing(echo: EchoClient) -> None:
    response = await echo.unary("Ping")(StringValue(value="hi"))
    assert response.value == "anonymous||False"


async def test_health_is_public(echo: EchoClient) -> None:
    stub = health_pb2_grpc.HealthStub(echo.channel)
    response = await stub.Check(health_pb2.HealthCheckRequest())
    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_signed_call_is_accepted_and_principal_visible(
    echo: EchoClient, user: LocalAccount
) -> None:
    request = StringValue(value="contribution")
    signature = signed(user, "Submit", request)
    response = await echo.unary("Submit")(request, metadata=signature.to_metadata())
    assert response.value == f"user|{user.address.lower()}|False"


async def test_missing_signature_on_signed_method(echo: EchoClient) -> None:
    assert await rejection(echo.unary("Submit")(StringValue(value="x"))) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "CREDENTIALS_MISSING",
    )


@pytest.mark.parametrize(
    "tamper",
    [
        "other_body",
        "other_method",
        "other_deployment",
        "other_nonce_header",
        "other_expiry_header",
        "corrupted_signature",
        "signer_mismatch",
    ],
)
async def test_signature_not_matching_the_call_is_rejected(
    echo: EchoClient, user: LocalAccount, tamper: str
) -> None:
    request = StringValue(value="contribution")
    good = signed(user, "Submit", request)
    bad = {
        "other_body": lambda: signed(user, "Submit", StringValue(value="something else")),
        "other_method": lambda: signed(user, "Submit", request, method_name="Ping"),
        "other_deployment": lambda: signed(user, "Submit", request, deployment_id="mainnet"),
        "other_nonce_header": lambda: replace(good, nonce="ab" * 16),
        "other_expiry_header": lambda: replace(good, expiry=good.expiry + 1),
        "corrupted_signature": lambda: replace(
            good,
            signature=good.signature[:10]
            + ("0" if good.signature[10] != "0" else "1")
            + good.signature[11:],
        ),
        "signer_mismatch": lambda: replace(good, signer=Account.create().address.lower()),
    }[tamper]()
    call = echo.unary("Submit")(request, metadata=bad.to_metadata())
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "SIGNATURE_INVALID")


async def test_expired_request_is_rejected(echo: EchoClient, user: LocalAccount) -> None:
    request = StringValue(value="late")
    signature = signed(user, "Submit", request, expiry=int(time.time()) - 5)
    call = echo.unary("Submit")(request, metadata=signature.to_metadata())
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "REQUEST_EXPIRED")


async def test_expiry_too_far_ahead_is_rejected(echo: EchoClient, user: LocalAccount) -> None:
    request = StringValue(value="early")
    expiry = int(time.time()) + MAX_AGE_SECONDS + 600
    signature = signed(user, "Submit", request, expiry=expiry)
    call = echo.unary("Submit")(request, metadata=signature.to_metadata())
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "EXPIRY_TOO_FAR")


async def test_replayed_nonce_is_rejected(echo: EchoClient, user: LocalAccount) -> None:
    request = StringValue(value="once")
    signature = signed(user, "Submit", request)
    await echo.unary("Submit")(request, metadata=signature.to_metadata())
    replay = echo.unary("Submit")(request, metadata=signature.to_metadata())
    assert await rejection(replay) == (grpc.StatusCode.UNAUTHENTICATED, "NONCE_REPLAYED")


async def test_same_nonce_from_another_signer_is_not_a_replay(
    echo: EchoClient, user: LocalAccount, admin: LocalAccount
) -> None:
    request = StringValue(value="shared nonce")
    nonce = "cd" * 16
    for account in (user, admin):
        signature = signed(account, "Submit", request, nonce=nonce)
        response = await echo.unary("Submit")(request, metadata=signature.to_metadata())
        assert response.value.startswith(f"user|{account.address.lower()}|")


@pytest.mark.parametrize(
    "headers",
    [
        [("x-ol-signer", "0x" + "11" * 20)],
        [
            ("x-ol-signer", "not-an-address"),
            ("x-ol-signature", "0x" + "00" * 65),
            ("x-ol-nonce", "00" * 16),
            ("x-ol-expiry", "1"),
        ],
        [
            ("x-ol-signer", "0x" + "11" * 20),
            ("x-ol-signature", "0x" + "00" * 65),
            ("x-ol-nonce", "0F" * 16),
            ("x-ol-expiry", "1"),
        ],
        [
            ("x-ol-signer", "0x" + "11" * 20),
            ("x-ol-signature", "0x" + "00" * 65),
            ("x-ol-nonce", "00" * 8),
            ("x-ol-expiry", "1"),
        ],
        [
            ("x-ol-signer", "0x" + "11" * 20),
            ("x-ol-signature", "0x" + "00" * 65),
            ("x-ol-nonce", "00" * 16),
            ("x-ol-expiry", "soon"),
        ],
        [("authorization", "Basic dXNlcjpwYXNz")],
    ],
    ids=["partial", "bad-address", "uppercase-nonce", "short-nonce", "bad-expiry", "not-bearer"],
)
async def test_malformed_credentials_are_rejected(echo: EchoClient, headers: Metadata) -> None:
    call = echo.unary("Submit")(StringValue(value="x"), metadata=tuple(headers))
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_MALFORMED")


async def test_repeated_credential_header_is_rejected(echo: EchoClient, user: LocalAccount) -> None:
    request = StringValue(value="x")
    first = signed(user, "Submit", request)
    second = signed(user, "Submit", request)
    headers = (*first.to_metadata(), ("x-ol-nonce", second.nonce))
    call = echo.unary("Submit")(request, metadata=headers)
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_MALFORMED")


async def test_admin_method_denies_a_valid_non_admin_signer(
    echo: EchoClient, user: LocalAccount
) -> None:
    request = StringValue(value="set threshold")
    signature = signed(user, "Configure", request)
    call = echo.unary("Configure")(request, metadata=signature.to_metadata())
    assert await rejection(call) == (grpc.StatusCode.PERMISSION_DENIED, "ADMIN_REQUIRED")


async def test_admin_method_admits_an_admin_signer(echo: EchoClient, admin: LocalAccount) -> None:
    request = StringValue(value="set threshold")
    signature = signed(admin, "Configure", request)
    response = await echo.unary("Configure")(request, metadata=signature.to_metadata())
    assert response.value == f"user|{admin.address.lower()}|True"


async def test_admin_method_rejects_the_service_token_unless_the_rule_allows_it(
    echo: EchoClient,
) -> None:
    token = (bearer_metadata(SERVICE_TOKEN),)
    call = echo.unary("Configure")(StringValue(value="x"), metadata=token)
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_MISSING")
    response = await echo.unary("Rotate")(StringValue(value="x"), metadata=token)
    assert response.value == "service||False"


async def test_service_method_accepts_the_right_token(echo: EchoClient) -> None:
    token = (bearer_metadata(SERVICE_TOKEN),)
    response = await echo.unary("Internal")(StringValue(value="x"), metadata=token)
    assert response.value == "service||False"


async def test_service_method_rejects_a_wrong_token(echo: EchoClient) -> None:
    token = (bearer_metadata(SERVICE_TOKEN + "x"),)
    call = echo.unary("Internal")(StringValue(value="x"), metadata=token)
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")


async def test_unlisted_method_needs_the_service_token_not_a_signature(
    echo: EchoClient, user: LocalAccount
) -> None:
    request = StringValue(value="x")
    signature = signed(user, "Internal", request)
    call = echo.unary("Internal")(request, metadata=signature.to_metadata())
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_MISSING")


async def test_server_without_a_service_token_admits_no_service() -> None:
    async with serving(make_interceptor(service_token=None)) as target:
        async with grpc.aio.insecure_channel(target) as channel:
            call = EchoClient(channel).unary("Internal")(
                StringValue(value="x"), metadata=(bearer_metadata(SERVICE_TOKEN),)
            )
            assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")


async def test_public_or_signed_method_admits_an_anonymous_caller(echo: EchoClient) -> None:
    response = await echo.unary("Browse")(StringValue(value="x"))
    assert response.value == "anonymous||False"


async def test_public_or_signed_method_sees_a_valid_signer(
    echo: EchoClient, user: LocalAccount, admin: LocalAccount
) -> None:
    request = StringValue(value="mine")
    for account, is_admin in ((user, False), (admin, True)):
        signature = signed(account, "Browse", request)
        response = await echo.unary("Browse")(request, metadata=signature.to_metadata())
        assert response.value == f"user|{account.address.lower()}|{is_admin}"


async def test_public_or_signed_method_admits_the_service_token(echo: EchoClient) -> None:
    token = (bearer_metadata(SERVICE_TOKEN),)
    response = await echo.unary("Browse")(StringValue(value="x"), metadata=token)
    assert response.value == "service||False"


@pytest.mark.parametrize(
    "credential", ["corrupted_signature", "expired", "replayed", "wrong_token", "partial"]
)
async def test_public_or_signed_method_never_downgrades_bad_credentials(
    echo: EchoClient, user: LocalAccount, credential: str
) -> None:
    """Credentials that fail are rejected, not ignored: the caller must not get an anonymous
    answer while believing it was computed for them."""
    request = StringValue(value="mine")
    good = signed(user, "Browse", request)
    if credential == "replayed":
        await echo.unary("Browse")(request, metadata=good.to_metadata())
    forge: dict[str, Callable[[], Metadata]] = {
        "corrupted_signature": lambda: replace(
            good,
            signature=good.signature[:10]
            + ("0" if good.signature[10] != "0" else "1")
            + good.signature[11:],
        ).to_metadata(),
        "expired": lambda: signed(
            user, "Browse", request, expiry=int(time.time()) - 5
        ).to_metadata(),
        "replayed": good.to_metadata,
        "wrong_token": lambda: (bearer_metadata(SERVICE_TOKEN + "x"),),
        "partial": lambda: good.to_metadata()[:1],
    }
    metadata = forge[credential]()
    expected = {
        "corrupted_signature": "SIGNATURE_INVALID",
        "expired": "REQUEST_EXPIRED",
        "replayed": "NONCE_REPLAYED",
        "wrong_token": "TOKEN_INVALID",
        "partial": "CREDENTIALS_MALFORMED",
    }[credential]
    call = echo.unary("Browse")(request, metadata=metadata)
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, expected)


async def test_server_streaming_call_is_signed_over_its_request(
    echo: EchoClient, user: LocalAccount
) -> None:
    request = StringValue(value="job-1")
    for name in ("Watch", "WatchWriter"):
        signature = signed(user, name, request)
        call = echo.unary_stream(name)(request, metadata=signature.to_metadata())
        replies = [reply.value async for reply in call]
        assert replies and all(r == f"user|{user.address.lower()}|False" for r in replies)


async def test_server_streaming_call_without_signature_is_rejected(echo: EchoClient) -> None:
    call = echo.unary_stream("Watch")(StringValue(value="job-1"))
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        async for _ in call:
            pass
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    info = error_info(failure.value)
    assert info is not None and info.reason == "CREDENTIALS_MISSING"


async def test_client_streaming_call_is_signed_over_an_empty_body(
    echo: EchoClient, user: LocalAccount
) -> None:
    chunks = [StringValue(value="a"), StringValue(value="b"), StringValue(value="c")]
    signature = signed(user, "Upload", None)
    response = await echo.stream_unary("Upload")(messages(chunks), metadata=signature.to_metadata())
    assert response.value == f"user|{user.address.lower()}|False|3"

    over_a_message = signed(user, "Upload", chunks[0])
    call = echo.stream_unary("Upload")(messages(chunks), metadata=over_a_message.to_metadata())
    assert await rejection(call) == (grpc.StatusCode.UNAUTHENTICATED, "SIGNATURE_INVALID")


async def test_bidirectional_call_is_signed_over_an_empty_body(
    echo: EchoClient, user: LocalAccount
) -> None:
    signature = signed(user, "Chat", None)
    call = echo.stream_stream("Chat")(
        messages([StringValue(value="hi"), StringValue(value="there")]),
        metadata=signature.to_metadata(),
    )
    replies = [reply.value async for reply in call]
    address = user.address.lower()
    assert replies == [f"user|{address}|False|hi", f"user|{address}|False|there"]


async def test_synchronous_handler_fails_closed() -> None:
    """A handler the interceptor cannot wrap is never run unauthenticated."""
    ran: list[str] = []

    def sync_handler(request: StringValue, context: Any) -> StringValue:
        ran.append(request.value)
        return request

    server = grpc.aio.server(interceptors=[make_interceptor()])
    handler = grpc.unary_unary_rpc_method_handler(
        sync_handler,
        request_deserializer=StringValue.FromString,
        response_serializer=StringValue.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("openledger.test.v1.SyncService", {"Do": handler}),)
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary(
                "/openledger.test.v1.SyncService/Do",
                request_serializer=StringValue.SerializeToString,
                response_deserializer=StringValue.FromString,
            )(StringValue(value="x"), metadata=(bearer_metadata(SERVICE_TOKEN),))
            with pytest.raises(grpc.aio.AioRpcError):
                await call
    finally:
        await server.stop(None)
    assert ran == []


async def test_interceptor_from_settings(user: LocalAccount) -> None:
    settings = ServiceSettings.model_validate(
        {
            "service_token": "from-settings",
            "admin_addresses": [user.address],
            "signature_max_age_seconds": 60,
            "deployment_id": DEPLOYMENT_ID,
            "auth_nonce_store": "memory",
        }
    )
    interceptor = AuthInterceptor.from_settings(settings, POLICY)
    internal = await interceptor.authenticate(
        method("Internal"), (bearer_metadata("from-settings"),), b""
    )
    assert internal.kind is PrincipalKind.SERVICE

    body = body_bytes(StringValue(value="x"))
    signature = signed(user, "Configure", StringValue(value="x"))
    admin = await interceptor.authenticate(method("Configure"), signature.to_metadata(), body)
    assert admin == Principal(PrincipalKind.USER, address=user.address.lower(), admin=True)

    too_far = signed(user, "Configure", StringValue(value="x"), expiry=int(time.time()) + 90)
    with pytest.raises(Unauthenticated) as failure:
        await interceptor.authenticate(method("Configure"), too_far.to_metadata(), body)
    assert failure.value.reason == "EXPIRY_TOO_FAR"
