"""Throwaway TLS material: a CA, a server certificate for localhost and a client certificate."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pem:
    """A private key and its certificate, PEM-encoded."""

    key: bytes
    cert: bytes


@dataclass(frozen=True)
class Pki:
    """A throwaway CA with a server certificate for ``localhost`` and a client certificate."""

    ca: bytes
    server: Pem
    client: Pem


def _issue(
    subject: str,
    issuer: x509.Name | None,
    issuer_key: ec.EllipticCurvePrivateKey | None,
    *,
    ca: bool = False,
    usage: x509.ObjectIdentifier | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if usage == ExtendedKeyUsageOID.SERVER_AUTH:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    certificate = builder.sign(issuer_key or key, hashes.SHA256())
    return key, certificate


def _pem(key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> Pem:
    return Pem(
        key=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert=certificate.public_bytes(serialization.Encoding.PEM),
    )


def make_pki() -> Pki:
    """A fresh CA and the two certificates it issues."""
    ca_key, ca_cert = _issue("openledger test CA", None, None, ca=True)
    server = _issue("localhost", ca_cert.subject, ca_key, usage=ExtendedKeyUsageOID.SERVER_AUTH)
    client = _issue(
        "datanet-service", ca_cert.subject, ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    return Pki(
        ca=ca_cert.public_bytes(serialization.Encoding.PEM),
        server=_pem(*server),
        client=_pem(*client),
    )
