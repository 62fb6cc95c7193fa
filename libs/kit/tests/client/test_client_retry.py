"""Retries: which calls, on which codes, how many times, each attempt signed afresh."""

from __future__ import annotations

import uuid

import grpc
import pytest
from eth_account.signers.local import LocalAccount
from google.protobuf.wrappers_pb2 import StringValue

from openledger_kit.client import NO_RETRY, RetryPolicy, has_request_id

from .client_harness import (
    DEPLOYMENT_ID,
    Channels,
    CreateThingRequest,
    ThingServer,
    ThingStub,
)

FAST = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05)
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
DEADLINE_EXCEEDED = grpc.StatusCode.DEADLINE_EXCEEDED


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def stub(things: ThingServer, user: LocalAccount, channels: Channels) -> ThingStub:
    """A signing client of ``things`` with fast retries."""
    return ThingStub(
        channels.connect(things.target, signer=user, deployment_id=DEPLOYMENT_ID, retry=FAST)
    )


async def test_read_is_retried_through_unavailable_and_each_attempt_is_resigned(
    things: ThingServer, stub: ThingStub
) -> None:
    thing = key()
    things.fail(thing, [UNAVAILABLE, UNAVAILABLE])
    response = await stub.GetThing(StringValue(value=thing))
    assert response.value == f"thing {thing}"
    nonces = things.attempts[thing]
    assert len(nonces) == 3
    assert len(set(nonces)) == 3 and all(nonces)


async def test_mutation_without_request_id_is_never_retried(
    things: ThingServer, stub: ThingStub
) -> None:
    thing = key()
    things.fail(thing, [UNAVAILABLE])
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.CreateThing(CreateThingRequest(key=thing))
    assert failure.value.code() == UNAVAILABLE
    assert len(things.attempts[thing]) == 1


async def test_mutation_with_request_id_is_retried_on_unavailable(
    things: ThingServer, stub: ThingStub
) -> None:
    thing = key()
    things.fail(thing, [UNAVAILABLE, UNAVAILABLE])
    request = CreateThingRequest(key=thing, request_id=key())
    response = await stub.CreateThing(request)
    assert response.value == f"created {thing}"
    assert len(things.attempts[thing]) == 3


async def test_attempts_are_bounded(things: ThingServer, stub: ThingStub) -> None:
    thing = key()
    things.fail(thing, [UNAVAILABLE] * 10)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetThing(StringValue(value=thing))
    assert failure.value.code() == UNAVAILABLE
    assert failure.value.details() == "scripted UNAVAILABLE"
    assert len(things.attempts[thing]) == FAST.max_attempts


async def test_deadline_exceeded_is_retried_for_reads_only(
    things: ThingServer, stub: ThingStub
) -> None:
    read, write = key(), key()
    things.fail(read, [DEADLINE_EXCEEDED])
    things.fail(write, [DEADLINE_EXCEEDED])
    client = stub
    assert (await client.GetThing(StringValue(value=read))).value == f"thing {read}"
    assert len(things.attempts[read]) == 2
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await client.CreateThing(CreateThingRequest(key=write, request_id=key()))
    assert failure.value.code() == DEADLINE_EXCEEDED
    assert len(things.attempts[write]) == 1


@pytest.mark.parametrize(
    "code",
    [grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL],
)
async def test_other_failures_are_not_retried(
    things: ThingServer, stub: ThingStub, code: grpc.StatusCode
) -> None:
    thing = key()
    things.fail(thing, [code])
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.GetThing(StringValue(value=thing))
    assert failure.value.code() == code
    assert len(things.attempts[thing]) == 1


async def test_no_retry_policy_attempts_once(
    things: ThingServer, user: LocalAccount, channels: Channels
) -> None:
    thing = key()
    things.fail(thing, [UNAVAILABLE])
    channel = channels.connect(
        things.target, signer=user, deployment_id=DEPLOYMENT_ID, retry=NO_RETRY
    )
    with pytest.raises(grpc.aio.AioRpcError):
        await ThingStub(channel).GetThing(StringValue(value=thing))
    assert len(things.attempts[thing]) == 1


async def test_per_attempt_timeout_lets_a_stuck_read_be_retried(
    things: ThingServer, user: LocalAccount, channels: Channels
) -> None:
    thing = key()
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.01, per_attempt_timeout=0.2)
    channel = channels.connect(
        things.target, signer=user, deployment_id=DEPLOYMENT_ID, retry=policy
    )
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await ThingStub(channel).GetStuck(StringValue(value=thing), timeout=30)
    assert failure.value.code() == DEADLINE_EXCEEDED
    assert len(things.attempts[thing]) == 3


def test_reads_are_recognised_by_name() -> None:
    policy = RetryPolicy()
    assert policy.is_read("/openledger.datanet.v1.DatanetService/GetDatanet")
    assert policy.is_read("/openledger.datanet.v1.DatanetService/ListContributions")
    assert not policy.is_read("/openledger.datanet.v1.DatanetService/SubmitContributions")
    assert not policy.is_read("/openledger.datanet.v1.DatanetService/ForgetContributor")


def test_request_id_makes_a_call_retryable() -> None:
    policy = RetryPolicy()
    create = "/openledger.test.v1.ThingService/CreateThing"
    assert not policy.is_retryable_call(create, CreateThingRequest(key="k"))
    assert policy.is_retryable_call(create, CreateThingRequest(key="k", request_id="r-1"))
    assert not has_request_id(StringValue(value="request_id"))
    assert not NO_RETRY.is_retryable_call("/a.B/GetC", StringValue())


def test_backoff_grows_exponentially_to_its_cap_with_full_jitter() -> None:
    policy = RetryPolicy(initial_backoff=0.1, multiplier=2.0, max_backoff=0.5)
    ceilings = [policy.backoff(n, uniform=lambda low, high: high) for n in range(1, 6)]
    assert ceilings == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
    assert policy.backoff(3, uniform=lambda low, high: low) == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"initial_backoff": -1.0},
        {"multiplier": 0.5},
        {"per_attempt_timeout": 0.0},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
