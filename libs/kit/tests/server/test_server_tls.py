"""TLS and mutual TLS with certificates made here by ``cryptography``, over real channels."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from google.protobuf.wrappers_pb2 import StringValue

from libs.kit.tests.server.server_echo import EchoClient, running, settings
from openledger_kit.server import server_credentials


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


class Authority:
    """A throwaway certificate authority writing PEM files into ``directory``."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = self._builder(self.name, self.key, ca=True).sign(self.key, hashes.SHA256())
        self.cert_file = directory / f"{name.replace(' ', '-')}.crt"
        self.cert_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def _builder(
        self, subject: x509.Name, key: ec.EllipticCurvePrivateKey, *, ca: bool
    ) -> x509.CertificateBuilder:
        now = dt.datetime.now(dt.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )

    def issue(self, stem: str, *, server: bool) -> Issued:
        """A leaf certificate: for 127.0.0.1/localhost when ``server``, else for a client."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, stem)])
        builder = self._builder(subject, key, ca=False)
        if server:
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        issued = Issued(self.directory / f"{stem}.crt", self.directory / f"{stem}.key")
        issued.cert.write_bytes(
            builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
        )
        issued.key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return issued


@dataclass(frozen=True)
class Pki:
    ca: Path
    server: Issued
    client: Issued
    stranger: Issued  # a client certificate from a CA the server does not trust


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    authority = Authority(directory, "openledger test CA")
    stranger_ca = Authority(directory, "stranger CA")
    return Pki(
        ca=authority.cert_file,
        server=authority.issue("server", server=True),
        client=authority.issue("client", server=False),
        stranger=stranger_ca.issue("stranger", server=False),
    )


async def _echo_over_tls(port: int, pki: Pki, client: Issued | None) -> str:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=pki.ca.read_bytes(),
        private_key=client.key.read_bytes() if client else None,
        certificate_chain=client.cert.read_bytes() if client else None,
    )
    async with grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
        reply = await EchoClient(channel).echo(StringValue(value="over tls"), timeout=10)
    return str(reply.value)


async def test_tls_serves_clients_that_trust_the_ca(pki: Pki) -> None:
    config = settings(tls_cert_file=pki.server.cert, tls_key_file=pki.server.key)
    async with running(config) as srv:
        assert await _echo_over_tls(srv.port, pki, client=None) == "over tls"
        # The plaintext channel ``running`` opened cannot talk to a TLS port.
        with pytest.raises(grpc.aio.AioRpcError) as plaintext:
            await srv.client.echo(StringValue(value="plain"), timeout=10)

    assert plaintext.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_mtls_requires_a_client_certificate_from_the_ca(pki: Pki) -> None:
    config = settings(
        tls_cert_file=pki.server.cert, tls_key_file=pki.server.key, tls_client_ca_file=pki.ca
    )
    async with running(config) as srv:
        assert await _echo_over_tls(srv.port, pki, client=pki.client) == "over tls"
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await _echo_over_tls(srv.port, pki, client=None)
        with pytest.raises(grpc.aio.AioRpcError) as stranger:
            await _echo_over_tls(srv.port, pki, client=pki.stranger)

    assert anonymous.value.code() == grpc.StatusCode.UNAVAILABLE
    assert stranger.value.code() == grpc.StatusCode.UNAVAILABLE


def test_half_a_tls_configuration_is_refused(pki: Pki) -> None:
    with pytest.raises(ValueError, match="set together"):
        server_credentials(settings(tls_key_file=pki.server.key))
    with pytest.raises(ValueError, match="needs tls_cert_file"):
        server_credentials(settings(tls_client_ca_file=pki.ca))
    assert server_credentials(settings()) is None
