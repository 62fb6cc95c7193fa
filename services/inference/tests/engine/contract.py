"""The engine contract: what every ``Engine`` (torch, vLLM) must do, as tests on the tiny Llama
with real LoRA adapters. An engine's test module subclasses ``EngineContract`` and provides
``make_engine``: an async factory ``(**capacity_overrides) -> started engine`` that also stops
every engine it made when the test ends."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from openledger_inference.domain.model import (
    AdapterDescriptor,
    AdapterRef,
    EngineOutput,
    EngineRequest,
    FinishReason,
    LocalAdapter,
    Sampling,
    Tier,
)
from openledger_inference.domain.ports import Engine, GenerationHandle
from openledger_kit.errors import (
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
    Unavailable,
)
from services.inference.tests.support.adapters import make_adapter
from services.inference.tests.support.models import tiny_model

EngineFactory = Callable[..., Awaitable[Engine]]

GREEDY = Sampling(max_tokens=12, temperature=0.0)
PROMPTS: tuple[tuple[int, ...], ...] = (
    (5, 6, 7, 8, 9),
    (10, 11, 12),
    (100, 200, 300, 400, 500, 600, 700),
    (3, 4),
    (50, 60, 70, 80),
)
ADAPTER_COUNT = 4


def local_adapter(directory: Path, adapter_id: str, *, seed: int, rank: int = 4) -> LocalAdapter:
    """A real LoRA adapter on the tiny model, as the node's disk cache holds it."""
    model = tiny_model()
    saved = make_adapter(model.path, directory, seed=seed, rank=rank)
    descriptor = AdapterDescriptor(
        ref=AdapterRef(adapter_id, 1),
        base_model=model.id,
        base_model_revision=model.revision,
        adapter_sha256=bytes.fromhex(saved.sha256),
        adapter_config_sha256=b"",
    )
    return LocalAdapter(
        descriptor=descriptor,
        directory=directory,
        rank=rank,
        size_bytes=saved.model_file.stat().st_size,
    )


async def collect(handle: GenerationHandle) -> tuple[list[int], FinishReason | None]:
    tokens: list[int] = []
    reason = None
    async for output in handle:
        tokens += output.token_ids
        reason = output.finish_reason
    return tokens, reason


def request(
    prompt: Sequence[int],
    adapter: LocalAdapter | None = None,
    sampling: Sampling = GREEDY,
    request_id: str = "r",
) -> EngineRequest:
    return EngineRequest(request_id, tuple(prompt), adapter, sampling)


async def with_adapters(engine: Engine, adapters: Sequence[LocalAdapter]) -> Engine:
    for adapter in adapters:
        await engine.add_adapter(adapter, Tier.GPU, pinned=False)
    return engine


class EngineContract:
    @pytest.fixture
    async def make_engine(self) -> Any:
        raise NotImplementedError("an engine's test class provides make_engine")

    @pytest.fixture(scope="class")
    @classmethod
    def adapters(cls, tmp_path_factory: pytest.TempPathFactory) -> list[LocalAdapter]:
        root = tmp_path_factory.mktemp("adapters")
        return [
            local_adapter(root / f"a{seed}", f"contract-{seed}", seed=seed)
            for seed in range(1, ADAPTER_COUNT + 1)
        ]

    @pytest.fixture(scope="class")
    @classmethod
    def wide_adapter(cls, tmp_path_factory: pytest.TempPathFactory) -> LocalAdapter:
        return local_adapter(tmp_path_factory.mktemp("wide"), "contract-wide", seed=99, rank=16)

    async def test_greedy_mixed_batch_equals_single_runs(
        self, make_engine: EngineFactory, adapters: list[LocalAdapter]
    ) -> None:
        engine = await with_adapters(await make_engine(), adapters)
        rows = list(zip(PROMPTS, [*adapters, None], strict=True))
        alone = [await collect(engine.submit(request(p, a))) for p, a in rows]

        together = await asyncio.gather(*[collect(engine.submit(request(p, a))) for p, a in rows])
        assert list(together) == alone

        # Rows joining a batch that is already decoding.
        staggered = []
        for prompt, adapter in rows:
            staggered.append(
                asyncio.ensure_future(collect(engine.submit(request(prompt, adapter))))
            )
            await asyncio.sleep(0.002)
        assert list(await asyncio.gather(*staggered)) == alone
        assert all(reason is FinishReason.LENGTH and len(t) == 12 for t, reason in alone)

    async def test_adapters_change_outputs(
        self, make_engine: EngineFactory, adapters: list[LocalAdapter]
    ) -> None:
        engine = await with_adapters(await make_engine(), adapters)
        prompt = PROMPTS[0]
        outputs = [await collect(engine.submit(request(prompt, a))) for a in [None, *adapters]]
        assert len({tuple(tokens) for tokens, _ in outputs}) == len(outputs)

    async def test_seeded_sampling_is_reproducible_whatever_the_batch(
        self, make_engine: EngineFactory, adapters: list[LocalAdapter]
    ) -> None:
        engine = await with_adapters(await make_engine(), adapters)
        sampling = Sampling(max_tokens=12, temperature=0.9, top_p=0.95, top_k=200, seed=7)
        alone = await collect(engine.submit(request(PROMPTS[2], adapters[0], sampling)))

        mates = [
            engine.submit(request(p, a, Sampling(max_tokens=12, temperature=1.0, seed=i)))
            for i, (p, a) in enumerate(zip(PROMPTS, adapters[1:], strict=False))
        ]
        again = engine.submit(request(PROMPTS[2], adapters[0], sampling))
        results = await asyncio.gather(collect(again), *[collect(m) for m in mates])
        assert results[0] == alone

        other_seed = Sampling(max_tokens=12, temperature=0.9, top_p=0.95, top_k=200, seed=8)
        other = await collect(engine.submit(request(PROMPTS[2], adapters[0], other_seed)))
        assert other != alone

    async def test_max_tokens_ends_with_length(self, make_engine: EngineFactory) -> None:
        engine = await make_engine()
        sampling = Sampling(max_tokens=5, temperature=0.0)
        tokens, reason = await collect(engine.submit(request(PROMPTS[0], sampling=sampling)))
        assert reason is FinishReason.LENGTH
        assert len(tokens) == 5

    async def test_context_window_ends_with_length(self, make_engine: EngineFactory) -> None:
        engine = await make_engine(max_context_tokens=10)
        tokens, reason = await collect(engine.submit(request(PROMPTS[2])))
        assert reason is FinishReason.LENGTH
        assert len(tokens) == 10 - len(PROMPTS[2])

    async def test_stop_token_ends_with_stop_without_the_token(
        self, make_engine: EngineFactory, adapters: list[LocalAdapter]
    ) -> None:
        engine = await with_adapters(await make_engine(), adapters)
        full, _ = await collect(engine.submit(request(PROMPTS[1], adapters[1])))
        cut = next(i for i in range(1, len(full)) if full[i] not in full[:i])
        sampling = Sampling(max_tokens=12, temperature=0.0, stop_token_ids=(full[cut],))
        tokens, reason = await collect(engine.submit(request(PROMPTS[1], adapters[1], sampling)))
        assert reason is FinishReason.STOP
        assert tokens == full[:cut]

    async def test_streams_one_token_per_output(self, make_engine: EngineFactory) -> None:
        engine = await make_engine()
        outputs: list[EngineOutput] = []
        running_while_streaming = []
        async for output in engine.submit(request(PROMPTS[0])):
            outputs.append(output)
            running_while_streaming.append(engine.load().running_requests)
        assert [len(o.token_ids) for o in outputs] == [1] * 12
        assert [o.finish_reason for o in outputs] == [None] * 11 + [FinishReason.LENGTH]
        assert running_while_streaming[0] == 1

    async def test_cancel_ends_with_cancelled_and_frees_the_slot(
        self, make_engine: EngineFactory
    ) -> None:
        engine = await make_engine(max_concurrent_requests=1)
        handle = engine.submit(request(PROMPTS[0]))
        queued = engine.submit(request(PROMPTS[1]))
        outputs = []
        async for output in handle:
            outputs.append(output)
            if len(outputs) == 2:
                handle.cancel()
        assert outputs[-1].finish_reason is FinishReason.CANCELLED
        assert len(outputs) < 12
        assert handle.start_time is not None

        # The cancelled request's slot goes to the one that waited.
        tokens, reason = await collect(queued)
        assert (len(tokens), reason) == (12, FinishReason.LENGTH)
        handle.cancel()  # idempotent after the end

    async def test_cancel_while_queued(self, make_engine: EngineFactory) -> None:
        engine = await make_engine(max_concurrent_requests=1)
        running = engine.submit(request(PROMPTS[0]))
        queued = engine.submit(request(PROMPTS[1]))
        queued.cancel()
        assert await collect(queued) == ([], FinishReason.CANCELLED)
        assert queued.start_time is None
        assert (await collect(running))[1] is FinishReason.LENGTH

    async def test_full_queue_is_resource_exhausted(self, make_engine: EngineFactory) -> None:
        engine = await make_engine(max_concurrent_requests=1, max_queued_requests=2)
        running = engine.submit(request(PROMPTS[0]))
        outputs = aiter(running)
        await anext(outputs)  # running: it holds the one batch slot
        waiting = [engine.submit(request(PROMPTS[0], request_id=str(i))) for i in range(2)]
        assert engine.load().queue_depth == 2
        with pytest.raises(ResourceExhausted):
            engine.submit(request(PROMPTS[0]))
        for handle in [running, *waiting]:
            handle.cancel()
        assert [(await collect(h))[1] for h in waiting] == [FinishReason.CANCELLED] * 2
        assert [o.finish_reason async for o in outputs][-1] is FinishReason.CANCELLED

    async def test_submit_needs_the_adapter_in_the_gpu_tier(
        self, make_engine: EngineFactory, adapters: list[LocalAdapter]
    ) -> None:
        engine = await make_engine()
        with pytest.raises(FailedPrecondition):
            engine.submit(request(PROMPTS[0], adapters[0]))
        await engine.add_adapter(adapters[0], Tier.CPU, pinned=False)
        with pytest.raises(FailedPrecondition):
            engine.submit(request(PROMPTS[0], adapters[0]))

    async def test_bad_prompts_are_invalid_arguments(self, make_engine: EngineFactory) -> None:
        engine = await make_engine(max_context_tokens=8)
        vocab = tiny_model().vocab_size
        for prompt in [(), (1, vocab), (-1,), tuple(range(1, 9))]:
            with pytest.raises(InvalidArgument):
                engine.submit(request(prompt))

    async def test_tier_moves_add_and_remove(
        self, make_engine: EngineFactory, adapters: list[LocalAdapter]
    ) -> None:
        engine = await make_engine(max_loras=2, max_cpu_loras=1)
        first, second, third = adapters[:3]
        expected = await collect(
            (await with_adapters(await make_engine(), [first])).submit(request(PROMPTS[0], first))
        )

        # CPU → GPU: promoted from host memory, serving the same outputs.
        await engine.add_adapter(first, Tier.CPU, pinned=False)
        with pytest.raises(ResourceExhausted):
            await engine.add_adapter(second, Tier.CPU, pinned=False)
        await engine.add_adapter(first, Tier.GPU, pinned=True)
        assert await collect(engine.submit(request(PROMPTS[0], first))) == expected

        # The CPU tier has room again; the GPU tier fills at two.
        await engine.add_adapter(second, Tier.GPU, pinned=False)
        with pytest.raises(ResourceExhausted):
            await engine.add_adapter(third, Tier.GPU, pinned=False)
        await engine.add_adapter(second, Tier.GPU, pinned=False)  # already there: no-op

        # GPU → CPU: no longer servable, and its GPU slot is free.
        await engine.add_adapter(first, Tier.CPU, pinned=False)
        with pytest.raises(FailedPrecondition):
            engine.submit(request(PROMPTS[0], first))
        await engine.add_adapter(third, Tier.GPU, pinned=False)

        # And back, still the same adapter.
        await engine.remove_adapter(third.name)
        await engine.add_adapter(first, Tier.GPU, pinned=False)
        assert await collect(engine.submit(request(PROMPTS[0], first))) == expected

        await engine.remove_adapter(first.name)
        await engine.remove_adapter(first.name)  # absent: no-op
        with pytest.raises(FailedPrecondition):
            engine.submit(request(PROMPTS[0], first))

    async def test_removing_an_adapter_in_use_spares_its_requests(
        self, make_engine: EngineFactory, adapters: list[LocalAdapter]
    ) -> None:
        engine = await with_adapters(await make_engine(), adapters[:1])
        adapter = adapters[0]
        expected = await collect(engine.submit(request(PROMPTS[3], adapter)))

        handle = engine.submit(request(PROMPTS[3], adapter))
        tokens: list[int] = []
        reason = None
        async for output in handle:
            if not tokens:
                await engine.remove_adapter(adapter.name)
                with pytest.raises(FailedPrecondition):
                    engine.submit(request(PROMPTS[3], adapter))
            tokens += output.token_ids
            reason = output.finish_reason
        assert (tokens, reason) == expected

    async def test_rank_above_the_limit_is_refused(
        self, make_engine: EngineFactory, wide_adapter: LocalAdapter
    ) -> None:
        engine = await make_engine(max_lora_rank=8)
        for tier in (Tier.GPU, Tier.CPU):
            with pytest.raises(FailedPrecondition):
                await engine.add_adapter(wide_adapter, tier, pinned=False)

    async def test_stop_cancels_and_refuses(self, make_engine: EngineFactory) -> None:
        engine = await make_engine()
        outputs = aiter(engine.submit(request(PROMPTS[0])))
        first = await anext(outputs)
        assert first.finish_reason is None
        await engine.stop()
        assert [o.finish_reason async for o in outputs][-1] is FinishReason.CANCELLED
        with pytest.raises(Unavailable):
            engine.submit(request(PROMPTS[0]))
