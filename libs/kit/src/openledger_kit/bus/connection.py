"""The Redis client the bus runs on."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from openledger_kit.bus.streams import BUS_DOMAIN
from openledger_kit.errors import InvalidArgument


def connect(url: str, **kwargs: Any) -> Redis:
    """A ``redis.asyncio`` client for ``url`` (e.g. ``ServiceSettings.redis_url``) as the bus
    needs it: replies as bytes, since envelopes are binary."""
    return Redis.from_url(url, decode_responses=False, **kwargs)


def require_bytes_client(redis: Redis) -> None:
    """Reject a client the bus cannot use: one that decodes replies to ``str`` (binary envelopes
    would not survive) or speaks RESP3 (stream replies would have another shape)."""
    kwargs = redis.connection_pool.connection_kwargs
    if kwargs.get("decode_responses"):
        problem = "the event bus needs a client with decode_responses=False"
    elif kwargs.get("protocol") not in (None, 2, "2"):
        problem = "the event bus needs a RESP2 client (protocol=2, the default)"
    else:
        return
    raise InvalidArgument("redis", problem, reason="REDIS_CLIENT_UNSUITABLE", domain=BUS_DOMAIN)
