"""Opening channels to OpenLedger services, with credentials, deadlines and retries built in.

Callers write::

    channel = connect("datanet:50051", token=service_token, tls=TlsConfig(root_certificates=ca))
    stub = DatanetServiceStub(channel)

or, to close the channel with the block::

    async with ServiceClient(connect(target, signer=account, deployment_id=...),
                             DatanetServiceStub) as stub:
        await stub.GetDatanet(GetDatanetRequest(name=...))

gRPC's own retry (service config ``retryPolicy``) is deliberately not used: it resends the same
metadata, and a signed call's nonce may be used only once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

import grpc
from eth_account.signers.local import LocalAccount

from openledger_kit.auth.signer import DEFAULT_TTL_SECONDS
from openledger_kit.client.interceptors import CallCredentials, client_interceptors
from openledger_kit.client.retry import RetryPolicy

StubT = TypeVar("StubT")

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class TlsConfig:
    """How a client verifies the server and, for mTLS, proves itself.

    ``root_certificates`` (PEM) are the CAs to trust (``None``: the system's roots);
    ``client_certificate`` and ``client_key`` (PEM, both or neither) enable mutual TLS;
    ``server_name`` overrides the name checked against the server certificate (for IP targets
    or a certificate issued to the service's in-cluster name).
    """

    root_certificates: bytes | None = None
    client_certificate: bytes | None = None
    client_key: bytes | None = None
    server_name: str | None = None

    def __post_init__(self) -> None:
        if (self.client_certificate is None) != (self.client_key is None):
            raise ValueError("client_certificate and client_key go together")

    @classmethod
    def from_files(
        cls,
        *,
        ca_file: Path | None = None,
        cert_file: Path | None = None,
        key_file: Path | None = None,
        server_name: str | None = None,
    ) -> TlsConfig:
        """Read the PEM files (any may be omitted, as in the constructor)."""
        return cls(
            root_certificates=ca_file.read_bytes() if ca_file else None,
            client_certificate=cert_file.read_bytes() if cert_file else None,
            client_key=key_file.read_bytes() if key_file else None,
            server_name=server_name,
        )

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """The ``grpc.ChannelCredentials`` for this configuration."""
        return grpc.ssl_channel_credentials(
            root_certificates=self.root_certificates,
            private_key=self.client_key,
            certificate_chain=self.client_certificate,
        )


def connect(
    target: str,
    *,
    tls: TlsConfig | None = None,
    token: str | None = None,
    signer: LocalAccount | None = None,
    deployment_id: str | None = None,
    default_timeout: float | None = DEFAULT_TIMEOUT_SECONDS,
    stream_timeout: float | None = None,
    retry: RetryPolicy | None = None,
    signature_ttl_seconds: int = DEFAULT_TTL_SECONDS,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """A ``grpc.aio.Channel`` to ``target`` whose calls carry credentials and deadlines.

    - ``tls``: ``None`` for plaintext (loopback, or a mesh that terminates TLS), else
      :class:`TlsConfig`;
    - ``token``: the service token, sent as ``authorization: Bearer`` (service-to-service);
    - ``signer`` with ``deployment_id``: sign every call (and every retry) with this key;
    - ``default_timeout``: deadline for unary calls that set none; ``stream_timeout`` the same
      for streaming calls (default: none);
    - ``retry``: retries of idempotent unary calls (:class:`RetryPolicy`; default
      ``RetryPolicy()``; :data:`~openledger_kit.client.retry.NO_RETRY` turns them off);
    - ``options``: extra channel arguments.

    The service token is a bearer secret: over plaintext anyone on the path can reuse it, so
    outside loopback use ``tls`` (or a mesh that encrypts). Close with ``await channel.close()``.
    """
    credentials = None
    if token is not None or signer is not None:
        credentials = CallCredentials(
            token=token,
            signer=signer,
            deployment_id=deployment_id,
            ttl_seconds=signature_ttl_seconds,
        )
    interceptors = client_interceptors(
        default_timeout=default_timeout,
        stream_timeout=stream_timeout,
        retry=retry if retry is not None else RetryPolicy(),
        credentials=credentials,
    )
    channel_options = list(options)
    if tls is None:
        return grpc.aio.insecure_channel(target, options=channel_options, interceptors=interceptors)
    if tls.server_name is not None:
        channel_options.append(("grpc.ssl_target_name_override", tls.server_name))
    return grpc.aio.secure_channel(
        target, tls.channel_credentials(), options=channel_options, interceptors=interceptors
    )


class ServiceClient(Generic[StubT]):
    """A channel and one stub over it, closed together (``async with ... as stub``)."""

    def __init__(
        self, channel: grpc.aio.Channel, stub_factory: Callable[[grpc.aio.Channel], StubT]
    ) -> None:
        self.channel = channel
        self.stub = stub_factory(channel)

    async def close(self) -> None:
        """Close the channel; calls in flight are cancelled."""
        await self.channel.close()

    async def __aenter__(self) -> StubT:
        return self.stub

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
