"""Completions are metered exactly once: the real node (torch engine, adapter manager, anvil,
Redis) publishes one ``CompletionRecorded`` per completion with the fee from ``ModelRegistry``
and the token ids, whether it finished, was cancelled, or was retried; a completion recorded
but not published before a crash is published once by the next process."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import pytest

from openledger.events.v1 import inference_events_pb2 as events
from openledger_inference.adapters.metering import open_ledger
from openledger_inference.adapters.repository import Repository
from openledger_inference.domain.ledger import utc_now
from openledger_inference.domain.model import (
    ChatMessage,
    ChatRole,
    Completion,
    CompletionDelta,
    FinishReason,
    GenerationInput,
    GenerationRequest,
    GenerationSpec,
    Sampling,
)
from openledger_kit import bus
from openledger_kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    Unavailable,
)
from openledger_kit.values import Caller
from services.inference.tests.metering.conftest import ADAPTER_FEE_PER_1K, World

GREEDY = Sampling(max_tokens=8, temperature=0.0)


def request(world: World, *, sampling: Sampling = GREEDY, **changes: object) -> GenerationRequest:
    spec = GenerationSpec(
        adapter=world.adapter.ref,
        base_model="",
        input=GenerationInput(prompt="The quick brown fox"),
        sampling=sampling,
    )
    return replace(GenerationRequest(spec=spec), **changes)  # type: ignore[arg-type]


def reason_of(event: events.CompletionRecorded) -> str:
    return events.CompletionFinishReason.Name(event.finish_reason)


def expected_fee(completion: Completion) -> int:
    tokens = completion.usage.prompt_tokens + completion.usage.output_tokens
    return -(-ADAPTER_FEE_PER_1K * tokens // 1000)


async def test_a_completion_is_published_once_with_its_fee_and_tokens(world: World) -> None:
    completion = await world.node.generate(request(world), world.user)

    assert completion.finish_reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert completion.adapter == world.adapter.ref
    assert completion.payer_address == world.user.address
    assert completion.usage.output_tokens == len(completion.output_token_ids) > 0
    assert completion.usage.fee == expected_fee(completion)
    (event,) = await world.events_of(completion.inference_id)
    assert event.adapter == str(world.adapter.ref)
    assert event.adapter_sha256 == world.adapter.adapter_sha256
    assert event.base_model == world.engine.model.id
    assert event.payer_address == world.user.address
    assert list(event.prompt_token_ids) == list(completion.prompt_token_ids)
    assert list(event.output_token_ids) == list(completion.output_token_ids)
    assert event.prompt_token_count == completion.usage.prompt_tokens
    assert event.output_token_count == completion.usage.output_tokens
    assert event.fee == str(expected_fee(completion))
    assert event.fee_per_1k_tokens == str(ADAPTER_FEE_PER_1K)
    assert event.fee_rate_block_number == completion.usage.fee_rate.block_number > 0
    assert event.output_text == completion.output_text
    assert event.HasField("first_token_time") and event.HasField("complete_time")
    assert reason_of(event) == f"COMPLETION_FINISH_REASON_{completion.finish_reason.value}"


async def test_a_stream_adds_up_to_its_completion_and_stops_at_a_stop_sequence(
    world: World,
) -> None:
    free = await world.node.generate(
        request(world, sampling=replace(GREEDY, max_tokens=16)), world.user
    )
    text = free.output_text
    # A piece of the greedy output that first occurs after some text: the same greedy run
    # with it as a stop sequence ends just before it.
    start = next(i for i in range(2, len(text) - 1) if text.find(text[i : i + 2]) == i)
    stop = text[start : start + 2]
    spec_sampling = replace(GREEDY, max_tokens=16, stop_sequences=(stop,))
    deltas = [
        d
        async for d in world.node.generate_stream(
            request(world, sampling=spec_sampling), world.user
        )
    ]
    completion = deltas[-1].completion
    assert completion is not None and all(d.completion is None for d in deltas[:-1])
    assert [d.index for d in deltas] == list(range(len(deltas)))
    assert deltas[0].adapter == world.adapter.ref and deltas[0].base_model == "tiny-llama"
    assert "".join(d.text for d in deltas) == completion.output_text == text[:start]
    assert sum((list(d.token_ids) for d in deltas), []) == list(completion.output_token_ids)
    assert completion.finish_reason is FinishReason.STOP
    assert completion.matched_stop_sequence == stop
    assert len(await world.events_of(completion.inference_id)) == 1


async def test_a_stream_closed_by_its_client_is_recorded_cancelled(world: World) -> None:
    stream = world.node.generate_stream(
        request(world, sampling=replace(GREEDY, max_tokens=16)), world.user
    )
    first = await anext(stream)
    assert first.token_ids and first.completion is None
    await stream.aclose()

    (event,) = await world.events_of(first.inference_id)
    assert reason_of(event) == "COMPLETION_FINISH_REASON_CANCELLED"
    assert 1 <= event.output_token_count < 16
    tokens = event.prompt_token_count + event.output_token_count
    assert event.fee == str(-(-ADAPTER_FEE_PER_1K * tokens // 1000))


async def test_a_cancelled_task_records_its_generation_before_it_ends(world: World) -> None:
    received: asyncio.Queue[CompletionDelta] = asyncio.Queue()

    async def consume() -> None:
        # The generation awaits the engine's next token when its task is cancelled.
        async for delta in world.node.generate_stream(
            request(world, sampling=replace(GREEDY, max_tokens=16)), world.user
        ):
            received.put_nowait(delta)

    task = asyncio.create_task(consume())
    first = await received.get()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (event,) = await world.events_of(first.inference_id)
    assert reason_of(event) == "COMPLETION_FINISH_REASON_CANCELLED"
    streamed = [first.token_ids] + [
        received.get_nowait().token_ids for _ in range(received.qsize())
    ]
    assert list(event.output_token_ids) == [t for ids in streamed for t in ids]


async def test_a_retried_request_id_returns_the_recorded_completion(world: World) -> None:
    retried = request(world, request_id=str(uuid.uuid4()))
    first, concurrent = await asyncio.gather(
        world.node.generate(retried, world.user), world.node.generate(retried, world.user)
    )
    again = await world.node.generate(retried, world.user)
    replayed = [d async for d in world.node.generate_stream(retried, world.user)]

    assert concurrent == first and again == first
    assert len(replayed) == 1 and replayed[0].completion == first
    assert len(await world.events_of(first.inference_id)) == 1
    # The key is the payer's: another payer's request id of the same value is its own.
    other = Caller(address="0x" + "ab" * 20)
    theirs = await world.node.generate(retried, other)
    assert theirs.inference_id != first.inference_id


async def test_a_completion_recorded_before_a_crash_is_published_once(world: World) -> None:
    # Redis unreachable: the completion is recorded, its publish fails, and the process dies.
    completion = _recorded_completion(world)
    down = bus.connect("redis://127.0.0.1:9")
    crashed = await open_ledger(world.database_url, down, source="crashed")
    assert await crashed.record(completion) == completion
    await crashed.stop()
    await down.aclose()
    assert await world.events_of(completion.inference_id) == []

    for _ in range(2):  # the next process, restarted once more
        restarted = await open_ledger(world.database_url, world.redis, source="restarted")
        await restarted.start()
        await restarted.stop()
    (event,) = await world.events_of(completion.inference_id)
    assert list(event.output_token_ids) == [5, 6, 7]
    repository = Repository.open(world.database_url)
    pending = repository.unpublished_sync(1000)
    repository.close()
    assert completion.inference_id not in {c.inference_id for c in pending}


async def test_requests_the_node_refuses(world: World) -> None:
    node, user = world.node, world.user
    with pytest.raises(PermissionDenied):
        await node.generate(request(world, payer_address=user.address), user)
    with pytest.raises(FailedPrecondition) as fee:
        await node.generate(request(world, max_fee=1), user)
    assert fee.value.reason == "MAX_FEE_EXCEEDED"
    with pytest.raises(InvalidArgument) as window:
        await node.generate(request(world, sampling=replace(GREEDY, max_tokens=510)), user)
    assert window.value.field == "spec.sampling.max_tokens"
    chat = replace(
        request(world).spec, input=GenerationInput(chat=(ChatMessage(ChatRole.USER, "Hi"),))
    )
    with pytest.raises(InvalidArgument) as not_chat:  # the adapter was trained on completions
        await node.generate(GenerationRequest(spec=chat), user)
    assert not_chat.value.field == "spec.chat"
    wrong_model = replace(request(world).spec, base_model="other-model")
    with pytest.raises(FailedPrecondition):
        await node.generate(GenerationRequest(spec=wrong_model), user)
    node.set_pool_state("DRAINING", draining=True)
    try:
        with pytest.raises(Unavailable):
            await node.generate(request(world), user)
    finally:
        node.set_pool_state("", draining=False)


async def test_the_router_names_the_payer(world: World) -> None:
    payer = "0x" + "cd" * 20
    completion = await world.node.generate(
        request(world, payer_address=payer, sampling=replace(GREEDY, max_tokens=2)),
        Caller(service=True),
    )
    assert completion.payer_address.lower() == payer
    (event,) = await world.events_of(completion.inference_id)
    assert event.payer_address == completion.payer_address


async def test_a_base_model_generation_is_metered_at_the_base_models_rate(world: World) -> None:
    spec = GenerationSpec(
        adapter=None,
        base_model=world.engine.model.id,
        input=GenerationInput(chat=(ChatMessage(ChatRole.USER, "Hello there"),)),
        sampling=replace(GREEDY, max_tokens=4),
    )
    completion = await world.node.generate(GenerationRequest(spec=spec), world.user)
    rate = await world.registry.base_model_fee(world.engine.model.id)

    assert completion.adapter is None and completion.adapter_sha256 == b""
    assert completion.usage.fee_rate.fee_per_1k_tokens == rate.fee_per_1k_tokens
    (event,) = await world.events_of(completion.inference_id)
    assert event.adapter == "" and event.adapter_sha256 == b""
    tokens = event.prompt_token_count + event.output_token_count
    assert event.fee == str(-(-rate.fee_per_1k_tokens * tokens // 1000))


def _recorded_completion(world: World) -> Completion:
    from openledger_inference.domain.model import FeeRate, Timings, Usage
    from openledger_inference.domain.node import new_inference_id

    now = utc_now()
    return Completion(
        inference_id=new_inference_id(),
        adapter=world.adapter.ref,
        adapter_sha256=world.adapter.adapter_sha256,
        base_model=world.engine.model.id,
        node="",
        provider_address="",
        payer_address=world.user.address or "",
        prompt_token_ids=(1, 2, 3, 4),
        output_token_ids=(5, 6, 7),
        output_text="abc",
        finish_reason=FinishReason.LENGTH,
        matched_stop_sequence="",
        usage=Usage(4, 3, 22, FeeRate(ADAPTER_FEE_PER_1K, 7)),
        timings=Timings(now, now, now, now),
    )
