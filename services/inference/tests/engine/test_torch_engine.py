"""The torch engine: the engine contract on the CPU, and what is particular to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import torch

from openledger_inference.domain.model import EngineKind, FinishReason, Sampling
from openledger_inference.engine.torch_engine import TorchEngine
from openledger_kit.errors import InvalidArgument, Unavailable
from services.inference.tests.engine.contract import (
    PROMPTS,
    EngineContract,
    EngineFactory,
    collect,
    request,
)
from services.inference.tests.support.models import tiny_model


class TestTorchEngine(EngineContract):
    @pytest.fixture
    async def make_engine(self) -> AsyncIterator[EngineFactory]:
        engines: list[TorchEngine] = []

        async def make(**overrides: Any) -> TorchEngine:
            engine = TorchEngine(tiny_model(), **overrides)
            engines.append(engine)
            await engine.start()
            return engine

        yield make
        for engine in engines:
            await engine.stop()


def test_describes_itself() -> None:
    model = tiny_model()
    engine = TorchEngine(model, max_loras=3, max_cpu_loras=5, max_lora_rank=16)
    assert engine.kind is EngineKind.TORCH
    assert engine.version == f"torch {torch.__version__}"
    assert engine.capacity.device == "cpu"
    assert engine.capacity.max_context_tokens == model.context_length
    assert (engine.capacity.max_loras, engine.capacity.max_cpu_loras) == (3, 5)
    assert engine.capacity.max_lora_rank == 16


def test_context_beyond_the_model_is_invalid() -> None:
    model = tiny_model()
    with pytest.raises(InvalidArgument):
        TorchEngine(model, max_context_tokens=model.context_length + 1)


def test_submit_before_start_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        TorchEngine(tiny_model()).submit(request(PROMPTS[0]))


async def test_repetition_penalty_avoids_repeats() -> None:
    engine = TorchEngine(tiny_model())
    await engine.start()
    try:
        plain, _ = await collect(engine.submit(request(PROMPTS[4])))
        penalised = Sampling(max_tokens=12, temperature=0.0, repetition_penalty=50.0)
        tokens, reason = await collect(engine.submit(request(PROMPTS[4], sampling=penalised)))
    finally:
        await engine.stop()
    assert len(set(plain)) < len(plain)  # the tiny model loops when greedy
    assert len(set(tokens)) == len(tokens)
    assert not set(tokens) & set(PROMPTS[4])
    assert reason is FinishReason.LENGTH


class FaultyEngine(TorchEngine):
    """Fails every prefill that holds ``POISON``: a fault inside the generation loop."""

    POISON = 666

    def _prefill(self, rows: list[Any]) -> Any:
        if any(self.POISON in row.request.prompt_token_ids for row in rows):
            raise RuntimeError("prefill failed")
        return super()._prefill(rows)


async def test_a_failing_step_ends_its_requests_with_error_and_the_engine_goes_on() -> None:
    engine = FaultyEngine(tiny_model())
    await engine.start()
    try:
        outputs = [o async for o in engine.submit(request((1, FaultyEngine.POISON, 2)))]
        healthy = await collect(engine.submit(request(PROMPTS[0])))
    finally:
        await engine.stop()
    assert [(o.finish_reason, o.error) for o in outputs] == [
        (FinishReason.ERROR, "RuntimeError: prefill failed")
    ]
    assert healthy[1] is FinishReason.LENGTH
