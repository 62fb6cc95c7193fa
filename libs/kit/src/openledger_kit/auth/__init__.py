"""Request authentication: EIP-191 signed requests, service tokens and the admin role.

- :mod:`~openledger_kit.auth.digest`: the canonical request digest (byte layout documented);
- :mod:`~openledger_kit.auth.signer`: signing and recovering EIP-191 signatures;
- :mod:`~openledger_kit.auth.credentials`: the ``x-ol-*`` / ``authorization`` metadata;
- :mod:`~openledger_kit.auth.verifier`: freshness, signature and replay checks;
- :mod:`~openledger_kit.auth.nonces`: replay stores (in memory, Redis);
- :mod:`~openledger_kit.auth.policy`: per-method access levels;
- :mod:`~openledger_kit.auth.principal`: the caller as servicers see it;
- :mod:`~openledger_kit.auth.interceptor`: the ``grpc.aio`` server interceptor. It is not
  re-exported here, so that importing this package never imports the server package (which
  may itself import auth): ``from openledger_kit.auth.interceptor import AuthInterceptor``.
"""

from openledger_kit.auth.credentials import (
    Credentials,
    RequestSignature,
    bearer_metadata,
    parse_credentials,
)
from openledger_kit.auth.digest import body_bytes, request_digest
from openledger_kit.auth.nonces import InMemoryNonceStore, NonceStore, RedisNonceStore
from openledger_kit.auth.policy import Access, AuthPolicy, Rule
from openledger_kit.auth.principal import (
    Principal,
    PrincipalKind,
    current_caller,
    current_principal,
)
from openledger_kit.auth.signer import new_nonce, recover_signer, sign_request
from openledger_kit.auth.verifier import RequestVerifier

__all__ = [
    "Access",
    "AuthPolicy",
    "Credentials",
    "InMemoryNonceStore",
    "NonceStore",
    "Principal",
    "PrincipalKind",
    "RedisNonceStore",
    "RequestSignature",
    "RequestVerifier",
    "Rule",
    "bearer_metadata",
    "body_bytes",
    "current_caller",
    "current_principal",
    "new_nonce",
    "parse_credentials",
    "recover_signer",
    "request_digest",
    "sign_request",
]
