"""Replay stores: in memory, and in a real Redis shared by several server replicas."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import redis.asyncio as aioredis
from eth_account.signers.local import LocalAccount
from google.protobuf.wrappers_pb2 import StringValue

from openledger_kit.auth import InMemoryNonceStore, RedisNonceStore, body_bytes, sign_request
from openledger_kit.errors import ResourceExhausted, Unavailable
from openledger_kit.server.status import error_info
from openledger_kit.testing.processes import RedisProcess, running_redis

from .auth_harness import (
    DEPLOYMENT_ID,
    EchoClient,
    make_interceptor,
    method,
    serving,
)

SIGNER = "0x" + "12" * 20


class Clock:
    """A settable clock for the in-memory store (its only notion of time)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_memory_store_rejects_a_replay_per_signer() -> None:
    store = InMemoryNonceStore()
    expiry = int(time.time()) + 60
    assert await store.claim(SIGNER, "aa" * 16, expiry)
    assert not await store.claim(SIGNER, "aa" * 16, expiry)
    assert await store.claim("0x" + "34" * 20, "aa" * 16, expiry)


async def test_memory_store_forgets_nonces_once_their_request_expired() -> None:
    clock = Clock(1_000.0)
    store = InMemoryNonceStore(clock=clock)
    assert await store.claim(SIGNER, "aa" * 16, 1_010)
    assert await store.claim(SIGNER, "bb" * 16, 1_100)
    clock.now = 1_010.0
    assert await store.claim(SIGNER, "cc" * 16, 1_100)
    assert len(store) == 2  # "aa" expired with its request and was dropped
    assert not await store.claim(SIGNER, "bb" * 16, 1_100)


async def test_memory_store_fails_closed_when_full() -> None:
    clock = Clock(1_000.0)
    store = InMemoryNonceStore(max_entries=2, clock=clock)
    assert await store.claim(SIGNER, "aa" * 16, 1_050)
    assert await store.claim(SIGNER, "bb" * 16, 1_100)
    with pytest.raises(ResourceExhausted) as failure:
        await store.claim(SIGNER, "cc" * 16, 1_100)
    assert failure.value.reason == "NONCE_STORE_FULL"
    clock.now = 1_050.0
    assert await store.claim(SIGNER, "cc" * 16, 1_100)


@pytest.fixture
async def redis_client(redis_server: RedisProcess) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"test:nonce:{uuid.uuid4().hex}"


async def test_redis_store_rejects_a_replay_per_signer(
    redis_client: aioredis.Redis, prefix: str
) -> None:
    store = RedisNonceStore(redis_client, prefix=prefix)
    expiry = int(time.time()) + 60
    assert await store.claim(SIGNER, "aa" * 16, expiry)
    assert not await store.claim(SIGNER, "aa" * 16, expiry)
    assert await store.claim("0x" + "34" * 20, "aa" * 16, expiry)


async def test_redis_key_expires_with_the_request_plus_margin(
    redis_client: aioredis.Redis, prefix: str
) -> None:
    store = RedisNonceStore(redis_client, prefix=prefix, skew_margin_seconds=30)
    expiry = int(time.time()) + 60
    assert await store.claim(SIGNER, "aa" * 16, expiry)
    expires_at_ms = await redis_client.pexpiretime(store.key(SIGNER, "aa" * 16))
    assert expires_at_ms == (expiry + 30) * 1000


async def test_redis_store_unreachable_is_unavailable(tmp_path: Path) -> None:
    with running_redis(tmp_path / "redis") as private:
        client = aioredis.Redis.from_url(private.url)
        store = RedisNonceStore(client, prefix="test:nonce")
        assert await store.claim(SIGNER, "aa" * 16, int(time.time()) + 60)
        private.stop()
        try:
            with pytest.raises(Unavailable) as failure:
                await store.claim(SIGNER, "bb" * 16, int(time.time()) + 60)
            assert failure.value.reason == "NONCE_STORE_UNAVAILABLE"
        finally:
            await client.aclose()


async def test_replay_against_another_replica_is_rejected(
    redis_client: aioredis.Redis, prefix: str, user: LocalAccount
) -> None:
    """Two servers sharing the Redis store: a request accepted by one is a replay at the other."""
    request = StringValue(value="contribution")
    signature = sign_request(
        user, deployment_id=DEPLOYMENT_ID, method=method("Submit"), body=body_bytes(request)
    )
    first = make_interceptor(nonce_store=RedisNonceStore(redis_client, prefix=prefix))
    second = make_interceptor(nonce_store=RedisNonceStore(redis_client, prefix=prefix))
    async with serving(first) as target_a, serving(second) as target_b:
        async with (
            grpc.aio.insecure_channel(target_a) as channel_a,
            grpc.aio.insecure_channel(target_b) as channel_b,
        ):
            accepted = await EchoClient(channel_a).unary("Submit")(
                request, metadata=signature.to_metadata()
            )
            assert accepted.value.startswith(f"user|{user.address.lower()}|")
            with pytest.raises(grpc.aio.AioRpcError) as failure:
                await EchoClient(channel_b).unary("Submit")(
                    request, metadata=signature.to_metadata()
                )
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    info = error_info(failure.value)
    assert info is not None and info.reason == "NONCE_REPLAYED"
