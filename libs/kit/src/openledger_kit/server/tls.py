"""Server credentials from settings: TLS with a certificate, mTLS when a client CA is given."""

from __future__ import annotations

from typing import Any

import grpc

from openledger_kit.config import ServiceSettings


def server_credentials(settings: ServiceSettings) -> Any | None:
    """``grpc.ServerCredentials`` for the configured files, or ``None`` for plaintext.

    With ``tls_client_ca_file`` set, clients must present a certificate signed by that CA.
    Raises ``ValueError`` for half a configuration (a key without a certificate, or a client
    CA without a server certificate), which would otherwise fall back to plaintext silently.
    """
    cert, key, client_ca = (
        settings.tls_cert_file,
        settings.tls_key_file,
        settings.tls_client_ca_file,
    )
    if cert is None and key is None:
        if client_ca is not None:
            raise ValueError("tls_client_ca_file needs tls_cert_file and tls_key_file")
        return None
    if cert is None or key is None:
        raise ValueError("tls_cert_file and tls_key_file must be set together")
    root = client_ca.read_bytes() if client_ca is not None else None
    return grpc.ssl_server_credentials(
        [(key.read_bytes(), cert.read_bytes())],
        root_certificates=root,
        require_client_auth=root is not None,
    )
