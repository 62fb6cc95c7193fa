"""Replay protection: a nonce is accepted once per signer until its request expires.

A nonce only has to be remembered until its request's expiry: after that the request is
rejected as expired anyway, so both stores forget entries then and stay bounded by
(request rate x maximum signature age).

- :class:`InMemoryNonceStore` for one replica (and tests);
- :class:`RedisNonceStore` for several replicas behind one load balancer: ``SET NX PXAT``
  makes the first claim win atomically across all of them.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from openledger_kit.auth import reasons
from openledger_kit.errors import ResourceExhausted, Unavailable


class NonceStore(Protocol):
    """Remembers ``(signer, nonce)`` pairs until their request expires."""

    async def claim(self, signer: str, nonce: str, expires_at: int) -> bool:
        """Record the pair; ``True`` the first time, ``False`` for a replay.

        ``expires_at`` is the request's expiry in unix seconds; the pair must be remembered at
        least until then.
        """
        ...


class InMemoryNonceStore:
    """A process-local nonce store for a single replica.

    Bounded: expired entries are dropped on each claim, and when ``max_entries`` unexpired
    entries are held a new claim fails closed with ``RESOURCE_EXHAUSTED`` rather than forgetting
    a live nonce (which would reopen a replay window). Use from one event loop.
    """

    def __init__(
        self, max_entries: int = 100_000, *, clock: Callable[[], float] = time.time
    ) -> None:
        if max_entries <= 0:
            raise ValueError("max_entries must be positive")
        self._max_entries = max_entries
        self._clock = clock
        self._expiry: dict[tuple[str, str], int] = {}
        self._by_expiry: list[tuple[int, str, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def _purge(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            _, signer, nonce = heapq.heappop(self._by_expiry)
            self._expiry.pop((signer, nonce), None)

    async def claim(self, signer: str, nonce: str, expires_at: int) -> bool:
        self._purge(self._clock())
        key = (signer, nonce)
        if key in self._expiry:
            return False
        if len(self._expiry) >= self._max_entries:
            raise ResourceExhausted(
                "too many live request nonces",
                reason=reasons.NONCE_STORE_FULL,
                domain=reasons.DOMAIN,
            )
        self._expiry[key] = expires_at
        heapq.heappush(self._by_expiry, (expires_at, signer, nonce))
        return True


class RedisNonceStore:
    """A nonce store shared by every replica through Redis.

    Each claim is one ``SET <prefix>:<signer>:<nonce> 1 NX PXAT <ms>``. The key lives until the
    request's expiry plus ``skew_margin_seconds``, because Redis expires keys by its own clock:
    if that clock ran ahead of a replica's, the key could vanish while the replica still took
    the request as unexpired.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "ol:auth:nonce",
        skew_margin_seconds: int = 60,
    ) -> None:
        if skew_margin_seconds < 0:
            raise ValueError("skew_margin_seconds must not be negative")
        self._client = client
        self._prefix = prefix
        self._margin_ms = skew_margin_seconds * 1000

    def key(self, signer: str, nonce: str) -> str:
        """The Redis key for one claim."""
        return f"{self._prefix}:{signer}:{nonce}"

    async def claim(self, signer: str, nonce: str, expires_at: int) -> bool:
        try:
            created = await self._client.set(
                self.key(signer, nonce), b"1", nx=True, pxat=expires_at * 1000 + self._margin_ms
            )
        except RedisError as err:
            raise Unavailable(
                "nonce store unavailable",
                reason=reasons.NONCE_STORE_UNAVAILABLE,
                domain=reasons.DOMAIN,
            ) from err
        return bool(created)
