"""Failover and drain in a real pool: nodes that die before their first token are replaced by
another node; a node that dies mid-stream ends the stream UNAVAILABLE and the completion is
never generated (or metered) twice; a drained node gets no new requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from openledger.events.v1 import inference_events_pb2 as events
from openledger.inference.v1 import generation_pb2
from openledger.inference.v1 import inference_pool_service_pb2 as pool_pb
from openledger.inference.v1 import inference_pool_service_pb2_grpc as pool_grpc
from openledger_inference.adapters.metering import COMPLETION_STREAM
from openledger_inference.node_server import NodeServer
from openledger_inference.router.routing import rank_candidates
from openledger_kit import bus
from openledger_kit.bus.envelope import open_envelope, open_payload
from openledger_kit.client import connect
from openledger_kit.values import Caller
from services.inference.tests.router.conftest import POOL_DEPLOYMENT_ID, RunningPool
from services.inference.tests.support.models import TINY_MODEL_ID

pytestmark = pytest.mark.slow


def spec(max_tokens: int = 4) -> generation_pb2.GenerationSpec:
    return generation_pb2.GenerationSpec(
        base_model=TINY_MODEL_ID,
        prompt="failover",
        sampling=generation_pb2.SamplingParams(max_tokens=max_tokens, temperature=0.0),
    )


@pytest.fixture
async def pool(running_pool: RunningPool) -> AsyncIterator[RunningPool]:
    """Two fresh nodes per test: the tests kill or drain them."""
    await running_pool.stop_nodes()
    for label in ("a", "b"):
        await running_pool.start_node(label)
    yield running_pool
    await running_pool.stop_nodes()


@pytest.fixture
async def router(pool: RunningPool) -> AsyncIterator[Any]:
    channel = connect(pool.target, signer=pool.user, deployment_id=POOL_DEPLOYMENT_ID)
    yield pool_grpc.InferencePoolServiceStub(channel)  # type: ignore[no-untyped-call]
    await channel.close()


def first_choice(pool: RunningPool) -> tuple[str, NodeServer, str]:
    """The node routing picks first now, its server, and the other node's name."""
    first, other = rank_candidates(pool.routable(), None)[:2]
    return first.name, pool.node_named(first.name), other.name


async def completion_events(pool: RunningPool) -> list[events.CompletionRecorded]:
    client = bus.connect(pool.redis_url)
    try:
        entries: Any = await client.xrange(COMPLETION_STREAM.key)
    finally:
        await client.aclose()
    recorded = [
        open_payload(open_envelope(fields), events.CompletionRecorded) for _, fields in entries
    ]
    return [event for event in recorded if event.payer_address == pool.user.address]


async def test_a_dead_node_is_replaced_before_the_first_token(
    pool: RunningPool, router: Any
) -> None:
    dead, server, survivor = first_choice(pool)
    # Gone without a word: the router still holds it ACTIVE (its lease has not lapsed).
    await server.stop(0)
    assert dead in {node.name for node in pool.routable()}

    response = await router.Generate(pool_pb.InferencePoolServiceGenerateRequest(spec=spec()))
    assert response.completion.node == survivor
    # The failed call took the dead node out of routing until it heartbeats again.
    assert dead not in {node.name for node in pool.routable()}

    stream = router.GenerateStream(pool_pb.InferencePoolServiceGenerateStreamRequest(spec=spec()))
    chunks = [response.chunk async for response in stream]
    assert chunks[0].node == survivor


async def test_a_stream_is_replaced_when_its_node_dies_before_answering(
    pool: RunningPool, router: Any
) -> None:
    _, server, survivor = first_choice(pool)
    await server.stop(0)
    stream = router.GenerateStream(pool_pb.InferencePoolServiceGenerateStreamRequest(spec=spec()))
    chunks = [response.chunk async for response in stream]
    assert chunks[0].node == survivor
    assert chunks[-1].finish_reason != generation_pb2.FINISH_REASON_UNSPECIFIED


async def test_a_node_killed_mid_stream_ends_it_unavailable_and_meters_once(
    pool: RunningPool, router: Any
) -> None:
    # Greedy decoding is deterministic: this prompt runs to max_tokens, so the stream is still
    # generating when its node dies.
    long = spec(max_tokens=400)
    probe = await router.Generate(pool_pb.InferencePoolServiceGenerateRequest(spec=long))
    assert probe.completion.finish_reason == generation_pb2.FINISH_REASON_LENGTH
    before = {event.inference_id for event in await completion_events(pool)}

    victim, server, _ = first_choice(pool)
    stream = router.GenerateStream(pool_pb.InferencePoolServiceGenerateStreamRequest(spec=long))
    first = (await stream.read()).chunk
    assert first.node == victim
    await server.grpc.server.stop(None)  # abrupt: in-flight calls are cut

    with pytest.raises(grpc.aio.AioRpcError) as broken:
        while True:
            message = await stream.read()
            assert message is not grpc.aio.EOF, "the stream ended normally"
            assert message.chunk.finish_reason == generation_pb2.FINISH_REASON_UNSPECIFIED
    assert broken.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "mid-stream" in (broken.value.details() or "")

    await server.stop(0)  # the node records what it generated, as CANCELLED
    await asyncio.sleep(0.5)
    new = [e for e in await completion_events(pool) if e.inference_id not in before]
    # Whatever the dying node recorded, no other node generated the request again.
    assert {event.node for event in new} <= {victim}
    assert len(new) <= 1


async def test_a_drained_node_gets_no_new_requests(pool: RunningPool, router: Any) -> None:
    drained, _, survivor = first_choice(pool)
    await pool.router.pool.drain(
        drained, deregister=False, reason="maintenance", caller=Caller(admin=True)
    )
    assert {node.name for node in pool.routable()} == {survivor}
    for _ in range(3):
        response = await router.Generate(pool_pb.InferencePoolServiceGenerateRequest(spec=spec()))
        assert response.completion.node == survivor
