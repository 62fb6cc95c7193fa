"""The forwarder in a real pool: a router with two tiny-Llama nodes that registered and
heartbeat like providers' nodes. Requests go through the router's gRPC API, signed by a user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from eth_account import Account

from openledger.events.v1 import inference_events_pb2 as events
from openledger.inference.v1 import generation_pb2
from openledger.inference.v1 import inference_pool_service_pb2 as pool_pb
from openledger.inference.v1 import inference_pool_service_pb2_grpc as pool_grpc
from openledger.inference.v1 import inference_service_pb2 as node_pb
from openledger.inference.v1 import inference_service_pb2_grpc as node_grpc
from openledger_inference.adapters.metering import COMPLETION_STREAM
from openledger_inference.domain.model import Tier
from openledger_inference.router.forwarder import RequestAffinity
from openledger_inference.router.routing import rank_candidates
from openledger_kit import bus
from openledger_kit.bus.envelope import open_envelope, open_payload
from openledger_kit.client import NO_RETRY, connect
from openledger_kit.server.status import bad_request
from services.inference.tests.router.conftest import (
    POOL_DEPLOYMENT_ID,
    POOL_SERVICE_TOKEN,
    RunningPool,
)
from services.inference.tests.support.models import TINY_MODEL_ID

pytestmark = pytest.mark.slow


def spec(
    *, adapter: str = "", base_model: str = "", max_tokens: int = 4, **sampling: Any
) -> generation_pb2.GenerationSpec:
    sampling.setdefault("temperature", 0.0)
    return generation_pb2.GenerationSpec(
        adapter=adapter,
        base_model=base_model,
        prompt="the pool routes",
        sampling=generation_pb2.SamplingParams(max_tokens=max_tokens, **sampling),
    )


@pytest.fixture(scope="module")
async def pool(running_pool: RunningPool) -> RunningPool:
    while len(running_pool.nodes) < 2:
        await running_pool.start_node(f"n{len(running_pool.nodes)}")
    return running_pool


@pytest.fixture
async def router(pool: RunningPool) -> AsyncIterator[Any]:
    channel = connect(pool.target, signer=pool.user, deployment_id=POOL_DEPLOYMENT_ID)
    yield pool_grpc.InferencePoolServiceStub(channel)  # type: ignore[no-untyped-call]
    await channel.close()


async def test_a_completion_names_its_node_and_includes_the_router_time(
    pool: RunningPool, router: Any
) -> None:
    adapter = str(pool.adapters[0].ref)
    response = await router.Generate(
        pool_pb.InferencePoolServiceGenerateRequest(spec=spec(adapter=adapter))
    )
    completion = response.completion
    assert completion.node in {node.name for node in pool.routable()}
    assert completion.adapter == adapter and completion.base_model == TINY_MODEL_ID
    assert completion.usage.output_tokens == len(completion.output_token_ids) > 0
    assert int(completion.usage.fee) > 0
    total = completion.timings.total_duration.ToTimedelta()
    assert total >= completion.timings.time_to_first_token.ToTimedelta()


async def test_requests_go_to_the_node_holding_the_adapter(pool: RunningPool, router: Any) -> None:
    adapter = str(pool.adapters[1].ref)
    # The node routing would pick last without residency loads the adapter (a request sent to
    # it directly, as the router would), so that only residency can make it the first choice.
    holder = rank_candidates(pool.routable(), None)[-1]
    channel = connect(holder.endpoint, token=POOL_SERVICE_TOKEN, retry=NO_RETRY)
    direct = node_grpc.InferenceServiceStub(channel)  # type: ignore[no-untyped-call]
    await direct.Generate(
        node_pb.GenerateRequest(spec=spec(adapter=adapter), payer_address=pool.user.address)
    )
    await channel.close()
    for _ in range(500):
        if any(
            n.adapters.get(adapter) is Tier.GPU for n in pool.routable() if n.name == holder.name
        ):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the holder's heartbeat never reported the adapter")

    for _ in range(3):
        response = await router.Generate(
            pool_pb.InferencePoolServiceGenerateRequest(spec=spec(adapter=adapter))
        )
        assert response.completion.node == holder.name
    stream = router.GenerateStream(
        pool_pb.InferencePoolServiceGenerateStreamRequest(spec=spec(adapter=adapter))
    )
    chunks = [response.chunk async for response in stream]
    assert chunks[0].node == holder.name
    assert chunks[-1].finish_reason != generation_pb2.FINISH_REASON_UNSPECIFIED


async def test_a_stream_relays_every_chunk_unchanged(pool: RunningPool, router: Any) -> None:
    stream = router.GenerateStream(
        pool_pb.InferencePoolServiceGenerateStreamRequest(spec=spec(base_model=TINY_MODEL_ID))
    )
    chunks = [response.chunk async for response in stream]
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    assert chunks[0].base_model == TINY_MODEL_ID and chunks[0].adapter == ""
    tokens = [token for chunk in chunks for token in chunk.token_ids]
    assert chunks[-1].usage.output_tokens == len(tokens) > 0
    assert {chunk.inference_id for chunk in chunks} == {chunks[0].inference_id}


async def test_a_retry_with_the_same_request_id_replays_the_completion(
    pool: RunningPool, router: Any
) -> None:
    request = pool_pb.InferencePoolServiceGenerateRequest(
        spec=spec(adapter=str(pool.adapters[0].ref)),
        request_id="0190f1c2-7a5e-7c3d-9e21-4b1d2c3e4f50",
    )
    first = (await router.Generate(request)).completion
    again = (await router.Generate(request)).completion
    assert again.inference_id == first.inference_id
    assert again.node == first.node
    assert list(again.output_token_ids) == list(first.output_token_ids)


async def test_node_errors_pass_through_with_their_field(pool: RunningPool, router: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await router.Generate(
            pool_pb.InferencePoolServiceGenerateRequest(
                spec=spec(base_model=TINY_MODEL_ID, top_p=1.5, temperature=0.7)
            )
        )
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = bad_request(invalid.value)
    assert violations is not None
    assert violations.field_violations[0].field == "spec.sampling.top_p"


async def test_an_unpublished_adapter_is_not_found(router: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await router.Generate(
            pool_pb.InferencePoolServiceGenerateRequest(spec=spec(adapter="never-published@1"))
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert "never-published@1" in (missing.value.details() or "")


async def test_a_base_model_nobody_serves_is_unavailable(router: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as none:
        await router.Generate(
            pool_pb.InferencePoolServiceGenerateRequest(spec=spec(base_model="no-such-model"))
        )
    assert none.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "no ACTIVE node" in (none.value.details() or "")


def test_affinity_is_per_payer_bounded_and_expires() -> None:
    payer, other = Account.create().address, Account.create().address
    affinity = RequestAffinity(ttl_seconds=10.0, max_entries=2)
    affinity.remember(payer, "r1", "nodes/a", now=0.0)
    assert affinity.node_for(payer.lower(), "r1", now=5.0) == "nodes/a"
    assert affinity.node_for(other, "r1", now=5.0) is None
    assert affinity.node_for(payer, "r1", now=10.0) is None  # expired, and forgotten
    assert len(affinity) == 0

    for request_id in ("r1", "r2", "r3"):
        affinity.remember(payer, request_id, f"nodes/{request_id}", now=0.0)
    assert len(affinity) == 2
    assert affinity.node_for(payer, "r1", now=1.0) is None  # the oldest went first
    assert affinity.node_for(payer, "r3", now=1.0) == "nodes/r3"


async def test_a_client_that_cancels_cancels_the_node_call(pool: RunningPool, router: Any) -> None:
    stream = router.GenerateStream(
        pool_pb.InferencePoolServiceGenerateStreamRequest(
            spec=spec(base_model=TINY_MODEL_ID, max_tokens=400)
        )
    )
    inference_id = (await stream.read()).chunk.inference_id
    stream.cancel()

    client = bus.connect(pool.redis_url)
    try:
        for _ in range(500):
            entries: Any = await client.xrange(COMPLETION_STREAM.key)
            recorded = [
                open_payload(open_envelope(fields), events.CompletionRecorded)
                for _, fields in entries
            ]
            mine = [event for event in recorded if event.inference_id == inference_id]
            if mine:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the node never recorded the cancelled generation")
    finally:
        await client.aclose()
    assert [event.finish_reason for event in mine] == [events.COMPLETION_FINISH_REASON_CANCELLED]
    assert mine[0].output_token_count < 400
