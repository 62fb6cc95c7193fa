"""Connecting to a chain: ``AsyncWeb3`` over HTTP, with timeouts, a chain-id check, and
transport failures turned into ``ChainUnavailable``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import Web3RPCError
from web3.providers.rpc.utils import ExceptionRetryConfiguration

from openledger_kit.chain.errors import ChainIdMismatch, ChainUnavailable

_TRANSPORT_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)


def endpoint_label(url: str) -> str:
    """``scheme://host:port`` of an RPC URL: hosted endpoints put API keys in the path or
    query, which must not reach logs or error messages."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def endpoint_of(w3: AsyncWeb3[Any]) -> str:
    """The redacted endpoint of a connected ``AsyncWeb3`` (for messages)."""
    uri = getattr(w3.provider, "endpoint_uri", None)
    return endpoint_label(str(uri)) if uri else type(w3.provider).__name__


@contextlib.contextmanager
def transport_errors(endpoint: str) -> Iterator[None]:
    """Turn connection failures and timeouts inside the block into ``ChainUnavailable``."""
    try:
        yield
    except _TRANSPORT_ERRORS as exc:
        detail = str(exc) or type(exc).__name__
        raise ChainUnavailable(
            f"chain at {endpoint} unavailable: {detail}", metadata={"endpoint": endpoint}
        ) from exc


def rpc_error_message(error: Web3RPCError) -> str:
    """The node's own error text (``nonce too low``...) from a JSON-RPC error."""
    response = error.rpc_response
    if isinstance(response, dict):
        body = response.get("error")
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return str(body["message"])
    return str(error.message)


async def connect(
    url: str,
    *,
    timeout: float = 10.0,
    expected_chain_id: int | None = None,
    attempts: int = 3,
) -> AsyncWeb3[Any]:
    """An ``AsyncWeb3`` for the JSON-RPC endpoint at ``url``, checked to answer.

    ``timeout`` bounds each HTTP request; idempotent reads are tried ``attempts`` times with a
    short backoff (web3's retry, which covers ``eth_sendRawTransaction`` too: the nonce
    manager treats the node's "already known" answer to a retried send as success). With
    ``expected_chain_id``, a different chain raises ``ChainIdMismatch``. An unreachable node
    raises ``ChainUnavailable``. Close it with ``await w3.provider.disconnect()``, or use
    ``connected``.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    endpoint = endpoint_label(url)
    provider = AsyncHTTPProvider(
        url,
        request_kwargs={"timeout": aiohttp.ClientTimeout(total=timeout)},
        exception_retry_configuration=ExceptionRetryConfiguration(
            errors=_TRANSPORT_ERRORS, retries=attempts, backoff_factor=0.1
        ),
    )
    w3 = AsyncWeb3(provider)
    try:
        with transport_errors(endpoint):
            chain_id = await w3.eth.chain_id
        if expected_chain_id is not None and chain_id != expected_chain_id:
            raise ChainIdMismatch(expected_chain_id, chain_id, endpoint)
    except BaseException:
        await provider.disconnect()
        raise
    return w3


@contextlib.asynccontextmanager
async def connected(
    url: str,
    *,
    timeout: float = 10.0,
    expected_chain_id: int | None = None,
    attempts: int = 3,
) -> AsyncIterator[AsyncWeb3[Any]]:
    """``connect`` as an async context manager that closes the HTTP session on exit."""
    w3 = await connect(url, timeout=timeout, expected_chain_id=expected_chain_id, attempts=attempts)
    try:
        yield w3
    finally:
        await w3.provider.disconnect()
