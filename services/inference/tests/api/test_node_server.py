"""The node's ``InferenceService`` through a real channel to ``create_node_server`` (see
conftest): generation with an adapter and with the base model alone, unary and streamed; the
errors the proto documents, naming the field; the admin adapter RPCs; ListAdapters paging;
GetNodeStatus; and a stream cancelled by its client, recorded CANCELLED on the completion
stream."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import pytest
from eth_account.signers.local import LocalAccount
from grpc_health.v1 import health_pb2, health_pb2_grpc

from openledger.events.v1 import inference_events_pb2 as events
from openledger.inference.v1 import adapter_pb2, generation_pb2, node_pb2
from openledger.inference.v1 import inference_service_pb2 as pb
from openledger.inference.v1 import inference_service_pb2_grpc as pb_grpc
from openledger_kit.client import connect
from openledger_kit.server import bad_request
from services.inference.tests.api.conftest import (
    DEPLOYMENT_ID,
    SERVICE_TOKEN,
    RunningNode,
    completion_events,
)
from services.inference.tests.support.models import TINY_MODEL_ID

pytestmark = pytest.mark.slow


def stub(
    node: RunningNode, *, signer: LocalAccount | None = None, token: str | None = None
) -> tuple[grpc.aio.Channel, pb_grpc.InferenceServiceStub]:
    channel = connect(
        node.target,
        signer=signer,
        token=token,
        deployment_id=DEPLOYMENT_ID if signer is not None else None,
    )
    return channel, pb_grpc.InferenceServiceStub(channel)  # type: ignore[no-untyped-call]


def spec(adapter: str = "", *, max_tokens: int = 8, **fields: Any) -> generation_pb2.GenerationSpec:
    values: dict[str, Any] = {"prompt": "the quick brown fox"}
    values.update(fields)
    sampling = values.pop("sampling", generation_pb2.SamplingParams(temperature=0.0))
    sampling.max_tokens = sampling.max_tokens or max_tokens
    return generation_pb2.GenerationSpec(
        adapter=adapter,
        base_model="" if adapter else TINY_MODEL_ID,
        sampling=sampling,
        **values,
    )


async def refused(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await call
    return failed.value


def field_of(error: grpc.aio.AioRpcError) -> str:
    details = bad_request(error)
    assert details is not None, error.details()
    return str(details.field_violations[0].field)


async def test_health_and_status(node: RunningNode) -> None:
    channel, api = stub(node, signer=node.user)
    health = health_pb2_grpc.HealthStub(channel)
    reply = await health.Check(
        health_pb2.HealthCheckRequest(service="openledger.inference.v1.InferenceService")
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING

    status = (await api.GetNodeStatus(pb.GetNodeStatusRequest())).status
    assert status.engine == node_pb2.ENGINE_KIND_TORCH
    assert status.engine_version.startswith("torch ")
    assert list(status.base_models) == [TINY_MODEL_ID]
    assert status.healthy and not status.draining
    assert status.capacity.device == "cpu"
    assert status.capacity.max_concurrent_requests == 4
    assert status.capacity.max_loras == 2
    assert status.capacity.max_context_tokens == 512
    assert status.node == "" and status.pool_state == node_pb2.NODE_STATE_UNSPECIFIED
    assert status.HasField("start_time")
    await channel.close()

    anonymous_channel, anonymous = stub(node)
    unsigned = await refused(anonymous.GetNodeStatus(pb.GetNodeStatusRequest()))
    assert unsigned.code() == grpc.StatusCode.UNAUTHENTICATED
    await anonymous_channel.close()


async def test_generate_with_an_adapter_and_the_base_model_unary_and_streamed(
    node: RunningNode,
) -> None:
    channel, api = stub(node, signer=node.user)
    adapter = node.adapters[0]
    name = str(adapter.ref)
    for model in (name, ""):
        unary = (await api.Generate(pb.GenerateRequest(spec=spec(model)))).completion
        assert unary.inference_id and unary.adapter == model
        assert unary.base_model == TINY_MODEL_ID
        assert unary.adapter_sha256 == (adapter.adapter_sha256 if model else b"")
        assert unary.finish_reason in (
            generation_pb2.FINISH_REASON_LENGTH,
            generation_pb2.FINISH_REASON_STOP,
        )
        assert 1 <= len(unary.output_token_ids) <= 8
        assert unary.usage.output_tokens == len(unary.output_token_ids)
        assert unary.usage.prompt_tokens > 0
        assert unary.timings.HasField("total_duration") and unary.HasField("create_time")
        if model:
            tokens = unary.usage.prompt_tokens + unary.usage.output_tokens
            assert unary.usage.fee_per_1k_tokens == "2000000000000"
            assert int(unary.usage.fee) == -(-2_000_000_000_000 * tokens // 1000)

        chunks = [
            response.chunk
            async for response in api.GenerateStream(pb.GenerateStreamRequest(spec=spec(model)))
        ]
        assert [c.index for c in chunks] == list(range(len(chunks)))
        assert len({c.inference_id for c in chunks}) == 1
        assert chunks[0].inference_id != unary.inference_id
        assert chunks[0].adapter == model and chunks[0].base_model == TINY_MODEL_ID
        assert all(not c.base_model for c in chunks[1:])
        last = chunks[-1]
        assert last.finish_reason == unary.finish_reason and last.HasField("usage")
        assert all(c.finish_reason == generation_pb2.FINISH_REASON_UNSPECIFIED for c in chunks[:-1])
        # Greedy: the stream is the same generation as the unary call.
        assert [t for c in chunks for t in c.token_ids] == list(unary.output_token_ids)
        assert "".join(c.text_delta for c in chunks) == unary.output_text

    other = await api.Generate(pb.GenerateRequest(spec=spec(str(node.adapters[1].ref))))
    base = (await api.Generate(pb.GenerateRequest(spec=spec("")))).completion
    assert other.completion.output_token_ids != base.output_token_ids
    await channel.close()


async def test_invalid_requests_name_the_field(node: RunningNode) -> None:
    channel, api = stub(node, signer=node.user)

    async def invalid(request: pb.GenerateRequest) -> str:
        error = await refused(api.Generate(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
        return field_of(error)

    assert await invalid(pb.GenerateRequest()) == "spec"
    assert await invalid(pb.GenerateRequest(spec=spec("not a ref"))) == "spec.adapter"
    assert await invalid(pb.GenerateRequest(spec=spec("legal-qa"))) == "spec.adapter"
    zero_p = spec(sampling=generation_pb2.SamplingParams(top_p=0.0))
    assert await invalid(pb.GenerateRequest(spec=zero_p)) == "spec.sampling.top_p"
    hot = spec(sampling=generation_pb2.SamplingParams(temperature=3.0))
    assert await invalid(pb.GenerateRequest(spec=hot)) == "spec.sampling.temperature"
    no_input = generation_pb2.GenerationSpec(base_model=TINY_MODEL_ID)
    assert await invalid(pb.GenerateRequest(spec=no_input)) == "spec.input"
    no_role = generation_pb2.GenerationSpec(
        base_model=TINY_MODEL_ID,
        chat=generation_pb2.ChatConversation(
            messages=[generation_pb2.ChatMessage(content="hello")]
        ),
    )
    assert await invalid(pb.GenerateRequest(spec=no_role)) == "spec.chat.messages[0].role"
    too_long = generation_pb2.GenerationSpec(
        base_model=TINY_MODEL_ID,
        prompt_tokens=generation_pb2.PromptTokens(token_ids=[5] * 510),
        sampling=generation_pb2.SamplingParams(max_tokens=8),
    )
    assert (await invalid(pb.GenerateRequest(spec=too_long))).startswith("spec.")
    fee = pb.GenerateRequest(spec=spec(), max_fee="1.5")
    assert await invalid(fee) == "max_fee"

    streamed = await refused(
        _first(api.GenerateStream(pb.GenerateStreamRequest(spec=spec("not a ref"))))
    )
    assert streamed.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(streamed) == "spec.adapter"

    unknown = await refused(api.Generate(pb.GenerateRequest(spec=spec("nobody-knows@1"))))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND, unknown.details()

    payer = await refused(
        api.Generate(pb.GenerateRequest(spec=spec(), payer_address=node.admin.address))
    )
    assert payer.code() == grpc.StatusCode.PERMISSION_DENIED
    await channel.close()


async def _first(stream: Any) -> Any:
    async for response in stream:
        return response
    return None


async def test_the_router_names_the_payer_with_the_service_token(node: RunningNode) -> None:
    channel, api = stub(node, token=SERVICE_TOKEN)
    reply = await api.Generate(pb.GenerateRequest(spec=spec(), payer_address=node.user.address))
    assert reply.completion.inference_id
    await channel.close()


async def test_load_and_unload_are_for_admins_and_replay_by_request_id(node: RunningNode) -> None:
    name = str(node.adapters[1].ref)
    user_channel, as_user = stub(node, signer=node.user)
    denied = await refused(as_user.LoadAdapter(pb.LoadAdapterRequest(adapter=name)))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    denied = await refused(as_user.UnloadAdapter(pb.UnloadAdapterRequest(adapter=name)))
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    await user_channel.close()

    channel, api = stub(node, signer=node.admin)
    bad = await refused(api.LoadAdapter(pb.LoadAdapterRequest(adapter="nope")))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and field_of(bad) == "adapter"

    request_id = str(uuid.uuid4())
    load = pb.LoadAdapterRequest(
        adapter=name, tier=adapter_pb2.ADAPTER_TIER_CPU, pin=True, request_id=request_id
    )
    loaded = (await api.LoadAdapter(load)).adapter
    assert loaded.adapter == name and loaded.base_model == TINY_MODEL_ID
    assert loaded.tier == adapter_pb2.ADAPTER_TIER_CPU and loaded.pinned
    assert loaded.adapter_sha256 == node.adapters[1].adapter_sha256
    assert loaded.rank == 4 and loaded.size_bytes > 0
    assert (await api.LoadAdapter(load)).adapter == loaded

    pinned = await api.ListAdapters(pb.ListAdaptersRequest(pinned_only=True))
    assert [a.adapter for a in pinned.adapters] == [name]

    unload = pb.UnloadAdapterRequest(adapter=name, request_id=str(uuid.uuid4()))
    left = (await api.UnloadAdapter(unload)).adapter
    assert left.adapter == name
    assert left.tier == adapter_pb2.ADAPTER_TIER_DISK and not left.pinned
    assert (await api.UnloadAdapter(unload)).adapter == left
    never_held = await api.UnloadAdapter(pb.UnloadAdapterRequest(adapter="never-held@1"))
    assert not never_held.HasField("adapter")
    await channel.close()


async def test_list_adapters_pages_with_tokens_bound_to_the_filters(node: RunningNode) -> None:
    channel, api = stub(node, signer=node.user)
    for adapter in node.adapters:
        await api.Generate(pb.GenerateRequest(spec=spec(str(adapter.ref), max_tokens=1)))

    everything = await api.ListAdapters(pb.ListAdaptersRequest())
    names = [a.adapter for a in everything.adapters]
    assert {str(a.ref) for a in node.adapters} <= set(names)
    assert everything.total_size == len(names) and not everything.next_page_token
    tiers = [a.tier for a in everything.adapters]
    assert tiers == sorted(tiers)

    paged: list[str] = []
    token = ""
    while True:
        page = await api.ListAdapters(pb.ListAdaptersRequest(page_size=1, page_token=token))
        assert page.total_size == len(names)
        paged += [a.adapter for a in page.adapters]
        token = page.next_page_token
        if not token:
            break
    assert paged == names

    first = await api.ListAdapters(pb.ListAdaptersRequest(page_size=1))
    assert first.next_page_token
    other_filters = await refused(
        api.ListAdapters(
            pb.ListAdaptersRequest(
                page_size=1, page_token=first.next_page_token, base_model=TINY_MODEL_ID
            )
        )
    )
    assert other_filters.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(other_filters) == "page_token"
    made_up = await refused(api.ListAdapters(pb.ListAdaptersRequest(page_token="garbage!")))
    assert made_up.code() == grpc.StatusCode.INVALID_ARGUMENT

    gpu = await api.ListAdapters(pb.ListAdaptersRequest(tier=adapter_pb2.ADAPTER_TIER_GPU))
    assert all(a.tier == adapter_pb2.ADAPTER_TIER_GPU for a in gpu.adapters)
    assert gpu.total_size >= 1
    elsewhere = await api.ListAdapters(pb.ListAdaptersRequest(base_model="another-model"))
    assert elsewhere.total_size == 0 and not elsewhere.adapters
    await channel.close()


async def test_a_stream_cancelled_by_its_client_is_recorded_cancelled(node: RunningNode) -> None:
    channel, api = stub(node, signer=node.user)
    long = spec(str(node.adapters[0].ref), max_tokens=400)
    call = api.GenerateStream(pb.GenerateStreamRequest(spec=long))
    first = await call.read()
    inference_id = first.chunk.inference_id
    call.cancel()

    recorded: list[events.CompletionRecorded] = []
    for _ in range(200):
        recorded = await completion_events(node.redis_url, inference_id)
        if recorded:
            break
        await asyncio.sleep(0.05)
    assert len(recorded) == 1
    event = recorded[0]
    assert event.finish_reason == events.COMPLETION_FINISH_REASON_CANCELLED
    assert event.output_token_count < 400
    assert event.adapter == str(node.adapters[0].ref)
    assert event.payer_address == node.user.address
    await channel.close()
