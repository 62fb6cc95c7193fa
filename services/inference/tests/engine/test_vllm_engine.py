"""The vLLM engine: the engine contract on a GPU with vLLM installed (skipped elsewhere), and
its translation to and from vLLM's types, which runs everywhere."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from typing import Any

import pytest
import torch

from openledger_inference.domain.model import EngineKind, EngineOutput, FinishReason, Sampling
from openledger_inference.engine.vllm_engine import (
    VLLM_LORA_RANKS,
    VllmEngine,
    engine_args,
    engine_outputs,
    finish_reason,
    lora_int_id,
    lora_rank_slot,
    sampling_kwargs,
)
from openledger_kit.errors import FailedPrecondition
from services.inference.tests.engine.contract import EngineContract, EngineFactory
from services.inference.tests.support.models import tiny_model

VLLM_INSTALLED = importlib.util.find_spec("vllm") is not None

# ------------------------------------------------------------------------- on a GPU, with vLLM


@pytest.mark.gpu
@pytest.mark.slow
@pytest.mark.skipif(
    not (VLLM_INSTALLED and torch.cuda.is_available()), reason="needs vLLM and a CUDA GPU"
)
class TestVllmEngine(EngineContract):
    @pytest.fixture
    async def make_engine(self) -> AsyncIterator[EngineFactory]:
        engines: list[VllmEngine] = []

        async def make(**overrides: Any) -> VllmEngine:
            # Eager mode starts in seconds; a small memory share lets a test run two engines.
            engine = VllmEngine(
                tiny_model(), enforce_eager=True, gpu_memory_utilization=0.15, **overrides
            )
            engines.append(engine)
            await engine.start()
            return engine

        yield make
        for engine in engines:
            await engine.stop()

    def test_describes_itself(self) -> None:
        import vllm

        model = tiny_model()
        engine = VllmEngine(model, max_loras=3, max_cpu_loras=5, max_lora_rank=16)
        assert engine.kind is EngineKind.VLLM
        assert engine.version == f"vllm {vllm.__version__}"
        assert engine.capacity.device == "cuda"
        assert engine.capacity.accelerator_count == torch.cuda.device_count()
        assert engine.capacity.max_context_tokens == model.context_length
        assert (engine.capacity.max_loras, engine.capacity.max_cpu_loras) == (3, 5)


# ------------------------------------------------------------------------------ everywhere


@pytest.mark.skipif(VLLM_INSTALLED, reason="vLLM is installed here")
def test_without_vllm_the_engine_says_how_to_get_it() -> None:
    with pytest.raises(FailedPrecondition, match="requirements/vllm.txt"):
        VllmEngine(tiny_model())


@pytest.mark.parametrize(
    ("rank", "slot"), [(1, 1), (2, 8), (8, 8), (9, 16), (64, 64), (65, 128), (300, 320)]
)
def test_lora_rank_slot_is_the_smallest_vllm_rank_that_fits(rank: int, slot: int) -> None:
    assert lora_rank_slot(rank) == slot


def test_lora_rank_beyond_vllm_is_refused() -> None:
    with pytest.raises(FailedPrecondition, match="OL_INFERENCE_MAX_LORA_RANK"):
        lora_rank_slot(VLLM_LORA_RANKS[-1] + 1)


def test_lora_int_id_is_stable_and_positive() -> None:
    # Derived from the name alone: the same on every node and after restarts.
    assert lora_int_id("legal-qa@3", {}) == 518413801
    assert lora_int_id("legal-qa@4", {}) == 1493339664
    names = [f"adapter-{i}@{v}" for i in range(200) for v in (1, 2)]
    ids = [lora_int_id(name, {}) for name in names]
    assert all(0 < i < 2**31 for i in ids)
    assert len(set(ids)) == len(names)


def test_lora_int_id_moves_past_ids_of_other_adapters() -> None:
    own = lora_int_id("legal-qa@3", {})
    assert lora_int_id("legal-qa@3", {own: "legal-qa@3"}) == own
    moved = lora_int_id("legal-qa@3", {own: "other@1", own + 1: "other@2"})
    assert moved == own + 2


def test_engine_args_size_vllm_to_both_tiers() -> None:
    model = tiny_model()
    args = engine_args(
        model,
        max_concurrent_requests=6,
        max_loras=4,
        max_cpu_loras=12,
        max_lora_rank=20,
        max_context_tokens=256,
        gpu_memory_utilization=0.5,
        enforce_eager=False,
    )
    assert args["model"] == args["tokenizer"] == str(model.path)
    assert args["enable_lora"] is True
    assert (args["max_loras"], args["max_cpu_loras"], args["max_lora_rank"]) == (4, 16, 32)
    assert (args["max_num_seqs"], args["max_model_len"]) == (6, 256)
    assert args["gpu_memory_utilization"] == 0.5


def test_sampling_kwargs_carry_the_request_and_no_text() -> None:
    sampling = Sampling(
        max_tokens=40,
        temperature=0.7,
        top_p=0.9,
        top_k=0,
        seed=11,
        stop_sequences=("###",),
        stop_token_ids=(2, 9),
        repetition_penalty=1.3,
    )
    kwargs = sampling_kwargs(sampling, room=100)
    assert kwargs == {
        "n": 1,
        "max_tokens": 40,
        "temperature": 0.7,
        "top_p": 0.9,
        "top_k": 0,
        "seed": 11,
        "stop_token_ids": [2, 9],
        "repetition_penalty": 1.3,
        "detokenize": False,
        "skip_special_tokens": False,
    }
    # No more than the context window leaves.
    assert sampling_kwargs(sampling, room=7)["max_tokens"] == 7


@pytest.mark.parametrize(
    ("reason", "finish"),
    [
        ("stop", FinishReason.STOP),
        ("length", FinishReason.LENGTH),
        ("abort", FinishReason.CANCELLED),
        ("error", FinishReason.ERROR),
        ("repetition", FinishReason.STOP),
        ("something-new", FinishReason.ERROR),
    ],
)
def test_finish_reasons(reason: str, finish: FinishReason) -> None:
    assert finish_reason(reason) is finish


def test_deltas_stream_one_token_per_output() -> None:
    assert engine_outputs((4, 5, 6), None, None) == [
        EngineOutput((4,)),
        EngineOutput((5,)),
        EngineOutput((6,)),
    ]
    assert engine_outputs((), None, None) == []
    assert engine_outputs((7, 8), "length", None) == [
        EngineOutput((7,)),
        EngineOutput((8,), FinishReason.LENGTH),
    ]


def test_the_token_that_stopped_is_left_out() -> None:
    # End of sequence (stop_reason None) and a stop token id (stop_reason that id).
    assert engine_outputs((7, 2), "stop", None) == [EngineOutput((7,), FinishReason.STOP)]
    assert engine_outputs((9,), "stop", 9) == [EngineOutput((), FinishReason.STOP)]
    assert engine_outputs((), "stop", None) == [EngineOutput((), FinishReason.STOP)]
    # A stop string (never asked for by this engine) leaves the tokens as they are.
    assert engine_outputs((3,), "stop", "###") == [EngineOutput((3,), FinishReason.STOP)]


def test_errors_and_aborts_end_the_stream() -> None:
    [error] = engine_outputs((), "error", None)
    assert error.finish_reason is FinishReason.ERROR
    assert "error" in error.error
    assert engine_outputs((), "abort", None) == [EngineOutput((), FinishReason.CANCELLED)]
