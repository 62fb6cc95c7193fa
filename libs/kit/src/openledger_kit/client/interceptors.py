"""Client interceptors: default deadlines, retries, and credentials on every attempt.

``grpc.aio`` files each interceptor object under one call kind only (the first base class it
matches), so each behaviour here comes as one small object per kind; :func:`client_interceptors`
assembles them in the order that matters:

    deadline -> retry -> credentials

The deadline is set once for the whole call, retries run inside it, and credentials are added
innermost so that every attempt is signed afresh: a retried call that reused its signature would
be rejected by the server's replay check.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

import grpc
from eth_account.signers.local import LocalAccount

from openledger_kit.auth.credentials import (
    AUTHORIZATION_HEADER,
    SIGNATURE_HEADERS,
    bearer_metadata,
)
from openledger_kit.auth.digest import body_bytes
from openledger_kit.auth.signer import DEFAULT_TTL_SECONDS, sign_request
from openledger_kit.client.retry import RetryPolicy

_LOG = logging.getLogger(__name__)
_CREDENTIAL_HEADERS = frozenset((*SIGNATURE_HEADERS, AUTHORIZATION_HEADER))


def method_path(details: Any) -> str:
    """The full method path of a call (``grpc.aio`` passes it as bytes)."""
    method = details.method
    return method.decode() if isinstance(method, bytes) else str(method)


def replace_details(details: Any, *, timeout: Any = ..., metadata: Any = ...) -> Any:
    """A copy of ``ClientCallDetails`` with ``timeout`` and/or ``metadata`` replaced."""
    return grpc.aio.ClientCallDetails(
        details.method,
        details.timeout if timeout is ... else timeout,
        details.metadata if metadata is ... else metadata,
        details.credentials,
        details.wait_for_ready,
    )


class DetailsRewriter(Protocol):
    """Rewrites one attempt's call details; ``request`` is ``None`` for streaming requests."""

    def rewrite(self, details: Any, request: object | None, *, unary: bool) -> Any: ...


class DefaultDeadline:
    """Gives calls without a timeout a default one.

    Unary calls get ``unary_timeout``; calls with a streaming side (``Watch*``, uploads, exports)
    get ``stream_timeout``, by default none, since they are long-lived by design.
    """

    def __init__(self, unary_timeout: float | None, stream_timeout: float | None = None) -> None:
        self._unary = unary_timeout
        self._stream = stream_timeout

    def rewrite(self, details: Any, request: object | None, *, unary: bool) -> Any:
        if details.timeout is not None:
            return details
        default = self._unary if unary else self._stream
        return details if default is None else replace_details(details, timeout=default)


class CallCredentials:
    """Adds the service token and/or a fresh request signature to each attempt.

    Signed calls cover the request body (unary requests) or an empty body (streaming requests),
    as :mod:`openledger_kit.auth.interceptor` expects.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        signer: LocalAccount | None = None,
        deployment_id: str | None = None,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> None:
        if signer is not None and not deployment_id:
            raise ValueError("signing requests needs the server's deployment_id")
        self._token = token
        self._signer = signer
        self._deployment_id = deployment_id or ""
        self._ttl = ttl_seconds

    def rewrite(self, details: Any, request: object | None, *, unary: bool) -> Any:
        pairs = [
            (key, value)
            for key, value in (details.metadata or ())
            if key.lower() not in _CREDENTIAL_HEADERS
        ]
        if self._token is not None:
            pairs.append(bearer_metadata(self._token))
        if self._signer is not None:
            signature = sign_request(
                self._signer,
                deployment_id=self._deployment_id,
                method=method_path(details),
                body=b"" if request is None else body_bytes(request),
                ttl_seconds=self._ttl,
            )
            pairs.extend(signature.to_metadata())
        return replace_details(details, metadata=grpc.aio.Metadata(*pairs))


class _UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    def __init__(self, rewriter: DetailsRewriter) -> None:
        self._rewriter = rewriter

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: object
    ) -> Any:
        return await continuation(self._rewriter.rewrite(details, request, unary=True), request)


class _UnaryStream(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    def __init__(self, rewriter: DetailsRewriter) -> None:
        self._rewriter = rewriter

    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: Any, request: object
    ) -> Any:
        return await continuation(self._rewriter.rewrite(details, request, unary=False), request)


class _StreamUnary(grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[misc]
    def __init__(self, rewriter: DetailsRewriter) -> None:
        self._rewriter = rewriter

    async def intercept_stream_unary(
        self, continuation: Callable[..., Any], details: Any, request_iterator: Any
    ) -> Any:
        details = self._rewriter.rewrite(details, None, unary=False)
        return await continuation(details, request_iterator)


class _StreamStream(grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    def __init__(self, rewriter: DetailsRewriter) -> None:
        self._rewriter = rewriter

    async def intercept_stream_stream(
        self, continuation: Callable[..., Any], details: Any, request_iterator: Any
    ) -> Any:
        details = self._rewriter.rewrite(details, None, unary=False)
        return await continuation(details, request_iterator)


def for_every_kind(rewriter: DetailsRewriter) -> list[Any]:
    """One interceptor per call kind, all applying ``rewriter``."""
    return [
        _UnaryUnary(rewriter),
        _UnaryStream(rewriter),
        _StreamUnary(rewriter),
        _StreamStream(rewriter),
    ]


class RetryInterceptor(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Retries unary calls that :class:`~openledger_kit.client.retry.RetryPolicy` deems safe.

    The call's timeout is a deadline for all attempts together; each attempt gets what is left
    (capped by ``per_attempt_timeout``), and no retry starts whose backoff would end past it.
    The last attempt's call is returned, so a caller sees its status, details and trailers.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: object
    ) -> Any:
        method = method_path(details)
        if not self._policy.is_retryable_call(method, request):
            return await continuation(details, request)
        read = self._policy.is_read(method)
        loop = asyncio.get_running_loop()
        deadline = None if details.timeout is None else loop.time() + details.timeout
        attempt = 1
        while True:
            timeout = self._attempt_timeout(deadline, loop.time())
            call = await continuation(replace_details(details, timeout=timeout), request)
            code = await call.code()
            if (
                code == grpc.StatusCode.OK
                or attempt >= self._policy.max_attempts
                or not self._policy.is_retryable_code(code, read=read)
            ):
                return call
            delay = self._policy.backoff(attempt)
            if deadline is not None and loop.time() + delay >= deadline:
                return call
            _LOG.debug("retrying %s after %s (attempt %d)", method, code.name, attempt + 1)
            await asyncio.sleep(delay)
            attempt += 1

    def _attempt_timeout(self, deadline: float | None, now: float) -> float | None:
        cap = self._policy.per_attempt_timeout
        if deadline is None:
            return cap
        remaining = max(deadline - now, 0.0)
        return remaining if cap is None else min(cap, remaining)


def client_interceptors(
    *,
    default_timeout: float | None,
    stream_timeout: float | None = None,
    retry: RetryPolicy | None = None,
    credentials: CallCredentials | None = None,
) -> list[Any]:
    """The interceptors for one channel, outermost first (see the module docstring)."""
    chain: list[Any] = for_every_kind(DefaultDeadline(default_timeout, stream_timeout))
    if retry is not None and retry.max_attempts > 1:
        chain.append(RetryInterceptor(retry))
    if credentials is not None:
        chain.extend(for_every_kind(credentials))
    return chain
