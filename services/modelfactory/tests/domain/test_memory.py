"""Memory estimates: the LoRA parameter count is exact against peft on a real tiny Llama, and
the byte figures follow the documented formulas."""

from __future__ import annotations

import dataclasses
from typing import Any

import peft
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from openledger_ml.catalogue import BaseModelInfo, BaseModelSource
from openledger_modelfactory.domain.jobconfig import preview
from openledger_modelfactory.domain.memory import (
    FRAMEWORK_OVERHEAD,
    estimate,
    lora_parameter_count,
)
from openledger_modelfactory.domain.model import (
    Precision,
    ResolvedAttribution,
    ResolvedJobConfig,
    ResolvedLora,
)
from openledger_modelfactory.domain.presets import PRESETS

LLAMA_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

KV_HEADS = 2
# Grouped-query attention (kv heads < heads) so k/v shapes differ from q/o.
CONFIG = LlamaConfig(
    vocab_size=512,
    hidden_size=64,
    intermediate_size=160,
    num_hidden_layers=2,
    num_attention_heads=8,
    num_key_value_heads=KV_HEADS,
    max_position_embeddings=256,
)


def build_model() -> LlamaForCausalLM:
    torch.manual_seed(0)
    return LlamaForCausalLM(CONFIG)


def base_info(parameter_count: int) -> BaseModelInfo:
    return BaseModelInfo(
        id="tiny-llama",
        display_name="Tiny Llama",
        description="a tiny Llama for tests",
        source=BaseModelSource.PACKAGED,
        source_location="tiny-llama",
        revision="00" * 32,
        architecture="LlamaForCausalLM",
        model_type="llama",
        parameter_count=parameter_count,
        context_length=CONFIG.max_position_embeddings,
        hidden_size=CONFIG.hidden_size,
        num_layers=CONFIG.num_hidden_layers,
        num_attention_heads=CONFIG.num_attention_heads,
        num_key_value_heads=KV_HEADS,
        intermediate_size=CONFIG.intermediate_size,
        vocab_size=CONFIG.vocab_size,
        weights_dtype="float32",
        weights_bytes=parameter_count * 4,
        tokenizer=None,
        max_lora_rank=64,
        supported_target_modules=LLAMA_MODULES,
        default_target_modules=("q_proj", "v_proj"),
        available=True,
    )


@pytest.fixture(scope="module")
def base() -> BaseModelInfo:
    return base_info(sum(p.numel() for p in build_model().parameters()))


def config(base: BaseModelInfo, **changes: Any) -> ResolvedJobConfig:
    return dataclasses.replace(preview(PRESETS["cpu-tiny"], base), **changes)


@pytest.mark.parametrize(
    ("rank", "targets"),
    [
        (4, ("q_proj", "v_proj")),
        (8, LLAMA_MODULES),
        (3, ("k_proj", "o_proj", "down_proj")),
        (16, ("gate_proj", "up_proj")),
    ],
)
def test_lora_count_equals_peft(base: BaseModelInfo, rank: int, targets: tuple[str, ...]) -> None:
    torch.set_num_threads(1)
    lora = peft.LoraConfig(r=rank, lora_alpha=2 * rank, target_modules=list(targets))
    model = peft.get_peft_model(build_model(), lora)
    trainable, _ = model.get_nb_trainable_parameters()

    resolved = config(
        base, lora=ResolvedLora(rank=rank, alpha=2.0 * rank, dropout=0.0, target_modules=targets)
    )
    assert estimate(base, resolved).trainable_parameters == trainable
    assert lora_parameter_count(base, rank, targets) == trainable


def test_byte_figures_follow_the_formulas(base: BaseModelInfo) -> None:
    resolved = config(base)
    result = estimate(base, resolved)
    p = result.trainable_parameters

    assert result.base_model == "tiny-llama"
    assert result.weights_bytes == base.parameter_count * 4  # FP32
    assert result.trainable_state_bytes == p * 4 * 4
    projection = p * resolved.attribution.projection_dim * 4
    assert result.attribution_bytes == p * 4 * resolved.batch_size + projection
    subtotal = (
        result.weights_bytes
        + result.trainable_state_bytes
        + result.activation_bytes
        + result.attribution_bytes
    )
    assert result.total_bytes == round(subtotal * (1 + FRAMEWORK_OVERHEAD))
    assert result.on_gpu is False
    assert "FP32" in result.assumptions
    assert "micro-batch 4 x 128 tokens" in result.assumptions
    assert "host memory" in result.assumptions


def test_activations_scale_with_the_micro_batch(base: BaseModelInfo) -> None:
    one = estimate(base, config(base, batch_size=4)).activation_bytes
    two = estimate(base, config(base, batch_size=8)).activation_bytes
    assert two == 2 * one
    longer = estimate(base, config(base, max_seq_length=256)).activation_bytes
    assert longer > 2 * one  # attention scores grow with the square of the length


def test_half_precision_halves_weights_and_counts_gpu_memory(base: BaseModelInfo) -> None:
    fp32 = estimate(base, config(base))
    bf16 = estimate(base, config(base, precision=Precision.BF16, gpus_per_worker=1))
    assert bf16.weights_bytes * 2 == fp32.weights_bytes
    assert bf16.trainable_state_bytes == fp32.trainable_state_bytes
    assert bf16.on_gpu is True
    assert "GPU memory" in bf16.assumptions


def test_disabled_attribution_costs_nothing(base: BaseModelInfo) -> None:
    off = ResolvedAttribution(enabled=False, projection_dim=64, projection_seed=1)
    result = estimate(base, config(base, attribution=off))
    assert result.attribution_bytes == 0
    assert "no attribution features" in result.assumptions


def test_every_preset_has_an_estimate(base: BaseModelInfo) -> None:
    for preset in PRESETS.values():
        result = estimate(base, preview(preset, base))
        assert result.total_bytes > result.weights_bytes > 0


def test_unknown_module_has_no_shape(base: BaseModelInfo) -> None:
    with pytest.raises(ValueError, match="lm_head"):
        lora_parameter_count(base, 4, ("lm_head",))
