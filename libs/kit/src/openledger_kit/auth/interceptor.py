"""Server-side authentication: one ``grpc.aio`` interceptor that admits or aborts each call.

For every method that is not PUBLIC the interceptor wraps the handler so that, before the
servicer runs, it

1. parses the credentials (``x-ol-*`` signature headers, ``authorization: Bearer``);
2. checks them against the method's :class:`~openledger_kit.auth.policy.Rule`: the service
   token by constant-time comparison, or the signature by
   :class:`~openledger_kit.auth.verifier.RequestVerifier` (expiry window, EIP-191 recovery to
   ``x-ol-signer``, nonce unused) and, for ADMIN, the admin set;
3. binds the :class:`~openledger_kit.auth.principal.Principal` that servicers read with
   :func:`~openledger_kit.auth.principal.current_principal`, or aborts through
   :func:`openledger_kit.server.status.abort` (UNAUTHENTICATED / PERMISSION_DENIED with
   ``ErrorInfo`` in domain ``openledger.auth``).

PUBLIC_OR_SIGNED methods are wrapped too: a call without credentials is bound the anonymous
principal, and one with credentials goes through the same checks as above.

**Streaming requests.** When the handler runs, a unary request is already parsed, so its
signature covers the request body. For client-streaming and bidirectional RPCs no message has
arrived yet, so those are signed over an *empty* body (``sha256(b"")``) plus the method,
deployment, nonce and expiry: the signature authenticates the caller and the call, not the
messages in the stream. Servicers of such methods must not treat stream messages as signed
statements (contributions that must be individually attributable carry their own signature in
the message). Server-streaming RPCs (unary request) are signed over their request as usual.

Handlers must be ``async`` (coroutines or async generators), as in every OpenLedger service.
"""

from __future__ import annotations

import hmac
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Any

import grpc
import redis.asyncio as aioredis

from openledger_kit.auth import reasons
from openledger_kit.auth.credentials import Credentials, MetadataPairs, parse_credentials
from openledger_kit.auth.digest import body_bytes
from openledger_kit.auth.nonces import InMemoryNonceStore, NonceStore, RedisNonceStore
from openledger_kit.auth.policy import Access, AuthPolicy, Rule
from openledger_kit.auth.principal import (
    ANONYMOUS,
    SERVICE,
    Principal,
    PrincipalKind,
    bind_principal,
    unbind_principal,
)
from openledger_kit.auth.verifier import RequestVerifier
from openledger_kit.config import ServiceSettings
from openledger_kit.errors import OpenLedgerError, PermissionDenied, Unauthenticated
from openledger_kit.server._wrapping import wrap_rpc_handler
from openledger_kit.server.status import abort

_LOG = logging.getLogger(__name__)

Authenticate = Callable[[bytes], Awaitable[Principal]]


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Authenticates every call by the access level its method has in ``policy``.

    ``service_token`` is the shared secret services present (``None`` disables service access:
    SERVICE methods then reject everyone); ``admin_addresses`` hold the admin role;
    ``max_age_seconds`` bounds signature expiries; ``deployment_id`` must match the one clients
    sign with.
    """

    def __init__(
        self,
        policy: AuthPolicy,
        *,
        service_token: str | None,
        admin_addresses: Iterable[str] = (),
        nonce_store: NonceStore,
        max_age_seconds: int = 300,
        deployment_id: str,
    ) -> None:
        self._policy = policy
        self._token = service_token.encode() if service_token else None
        self._admins = frozenset(address.lower() for address in admin_addresses)
        self._verifier = RequestVerifier(
            deployment_id=deployment_id, nonce_store=nonce_store, max_age_seconds=max_age_seconds
        )

    @classmethod
    def from_settings(
        cls,
        settings: ServiceSettings,
        policy: AuthPolicy,
        *,
        nonce_store: NonceStore | None = None,
    ) -> AuthInterceptor:
        """An interceptor configured from a service's settings.

        Without an explicit ``nonce_store`` the settings choose one: Redis at
        ``settings.redis_url`` (replicas share replay protection) or process memory.
        """
        token = settings.service_token.get_secret_value() if settings.service_token else None
        if nonce_store is None:
            nonce_store = (
                RedisNonceStore(aioredis.Redis.from_url(settings.redis_url))
                if settings.auth_nonce_store == "redis"
                else InMemoryNonceStore()
            )
        return cls(
            policy,
            service_token=token,
            admin_addresses=settings.admin_addresses,
            nonce_store=nonce_store,
            max_age_seconds=settings.signature_max_age_seconds,
            deployment_id=settings.deployment_id,
        )

    async def authenticate(self, method: str, metadata: MetadataPairs, body: bytes) -> Principal:
        """The principal for one call, or an ``Unauthenticated`` / ``PermissionDenied`` error.

        ``body`` is the request's bytes as in :func:`~openledger_kit.auth.digest.body_bytes`
        (empty for streaming requests).
        """
        rule = self._policy.rule_for(method)
        if rule.access is Access.PUBLIC:
            return ANONYMOUS
        credentials = parse_credentials(metadata)
        if rule.access is Access.SERVICE:
            return self._service(credentials)
        if rule.access is Access.PUBLIC_OR_SIGNED:
            if credentials.signature is None and credentials.bearer_token is None:
                return ANONYMOUS
            # The method is open to anyone, so the service token needs no opt-in here.
            rule = Rule(Access.SIGNED, allow_service_token=True)
        return await self._user(rule, credentials, method, body)

    def _service(self, credentials: Credentials) -> Principal:
        if credentials.bearer_token is None:
            raise Unauthenticated(
                "this method needs the service token",
                reason=reasons.CREDENTIALS_MISSING,
                domain=reasons.DOMAIN,
            )
        presented = credentials.bearer_token.encode()
        if self._token is None or not hmac.compare_digest(presented, self._token):
            raise Unauthenticated(
                "service token rejected", reason=reasons.TOKEN_INVALID, domain=reasons.DOMAIN
            )
        return SERVICE

    async def _user(
        self, rule: Rule, credentials: Credentials, method: str, body: bytes
    ) -> Principal:
        if credentials.signature is None:
            if rule.allow_service_token and credentials.bearer_token is not None:
                return self._service(credentials)
            raise Unauthenticated(
                "this method needs a signed request",
                reason=reasons.CREDENTIALS_MISSING,
                domain=reasons.DOMAIN,
            )
        address = await self._verifier.verify(credentials.signature, method=method, body=body)
        admin = address in self._admins
        if rule.access is Access.ADMIN and not admin:
            raise PermissionDenied(
                "this method needs the admin role",
                reason=reasons.ADMIN_REQUIRED,
                domain=reasons.DOMAIN,
            )
        return Principal(PrincipalKind.USER, address=address, admin=admin)

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        """The method's handler, behind authentication unless the method is PUBLIC."""
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method: str = handler_call_details.method
        if self._policy.rule_for(method).access is Access.PUBLIC:
            return handler
        metadata = tuple(handler_call_details.invocation_metadata or ())

        async def authenticate(body: bytes) -> Principal:
            return await self.authenticate(method, metadata, body)

        return _guard(handler, authenticate, method)


async def _admit(authenticate: Authenticate, body: bytes, context: Any, method: str) -> Principal:
    try:
        return await authenticate(body)
    except OpenLedgerError as err:
        _LOG.info("rejected %s: %s", method, err.reason)
        await abort(context, err)
        raise  # abort() always raises; this keeps the control flow explicit


def _guard(handler: Any, authenticate: Authenticate, method: str) -> Any:
    """``handler`` with the same kind and serializers, its behaviour behind ``authenticate``."""
    if handler.request_streaming and handler.response_streaming:
        behaviour = handler.stream_stream
    elif handler.request_streaming:
        behaviour = handler.stream_unary
    elif handler.response_streaming:
        behaviour = handler.unary_stream
    else:
        behaviour = handler.unary_unary
    # Refused up front, not at call time: a synchronous handler would have run before the
    # wrapper could notice it cannot be awaited.
    if not (
        inspect.iscoroutinefunction(behaviour)
        or (handler.response_streaming and inspect.isasyncgenfunction(behaviour))
    ):
        raise TypeError(f"AuthInterceptor needs async handlers; {method} has a synchronous one")
    streaming_requests = handler.request_streaming

    @asynccontextmanager
    async def authenticated(request: object, context: Any) -> AsyncIterator[None]:
        body = b"" if streaming_requests else body_bytes(request)
        token = bind_principal(await _admit(authenticate, body, context, method))
        try:
            yield
        finally:
            # A response generator may be finalised from another context, where reset() fails;
            # the binding dies with this RPC's task anyway.
            with suppress(ValueError):
                unbind_principal(token)

    return wrap_rpc_handler(handler, authenticated)
