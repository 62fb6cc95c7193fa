"""Typed callers of OpenLedger services: ``connect()`` a channel, put a generated stub on it.

- :mod:`~openledger_kit.client.channel`: :func:`connect`, :class:`TlsConfig`,
  :class:`ServiceClient`;
- :mod:`~openledger_kit.client.interceptors`: default deadline, retry and credentials
  interceptors;
- :mod:`~openledger_kit.client.retry`: which calls are retried and the backoff.
"""

from openledger_kit.client.channel import (
    DEFAULT_TIMEOUT_SECONDS,
    ServiceClient,
    TlsConfig,
    connect,
)
from openledger_kit.client.interceptors import CallCredentials, client_interceptors
from openledger_kit.client.retry import NO_RETRY, RetryPolicy, has_request_id

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "NO_RETRY",
    "CallCredentials",
    "RetryPolicy",
    "ServiceClient",
    "TlsConfig",
    "client_interceptors",
    "connect",
    "has_request_id",
]
