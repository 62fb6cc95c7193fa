"""Analytic peak-memory estimate of one training worker, from the base model's shape and the
resolved config. Nothing is measured; the figures are meant to be within about 25%.

Per worker, with P trainable LoRA parameters, micro-batch B, sequence length T, hidden size H,
intermediate size I, L layers, A attention heads, vocabulary V and b bytes per activation
element (2 under BF16/FP16, 4 under FP32):

- weights: the base model's parameters held in the training precision (b bytes each);
- trainable state: P x 4 bytes x 4 (float32 parameters, gradients and both AdamW moments);
- activations of one micro-batch kept for the backward pass, no gradient checkpointing and
  eager attention: B x T x L x (12 H + 4 I + 2 A T) x b, the 12 H covering the norms, q/k/v,
  rotary, attention output, residuals and LoRA dropout inputs, 4 I the MLP's gate, up,
  activation and product, 2 A T the attention scores and probabilities; plus the logits,
  B x T x V x 4 x 2 (float32 logits and their log-softmax);
- attribution (when enabled): per-example gradients of a micro-batch, P x 4 x B, and the
  projection blocks, P x dim x 4, capped at the projector's 256 MiB block cache;
- 20% on top of their sum for the framework (allocator slack, CUDA context or Ray worker).
"""

from __future__ import annotations

from openledger_ml.catalogue import BaseModelInfo
from openledger_modelfactory.domain.model import (
    MemoryEstimate,
    Precision,
    ResolvedJobConfig,
)

FRAMEWORK_OVERHEAD = 0.20
PROJECTION_CACHE_BYTES = 256 * 1024 * 1024
"""The projector's default block cache; larger projections are regenerated per call."""

_BYTES = {Precision.FP32: 4, Precision.BF16: 2, Precision.FP16: 2}
_FLOAT32 = 4
_ADAMW_COPIES = 4  # parameters, gradients, exp_avg, exp_avg_sq


def _shapes(base: BaseModelInfo) -> dict[str, tuple[int, int]]:
    """(in, out) features of each Llama-family linear module."""
    head_dim = base.hidden_size // base.num_attention_heads
    attention = base.num_attention_heads * head_dim
    kv = base.num_key_value_heads * head_dim
    h, i = base.hidden_size, base.intermediate_size
    return {
        "q_proj": (h, attention),
        "k_proj": (h, kv),
        "v_proj": (h, kv),
        "o_proj": (attention, h),
        "gate_proj": (h, i),
        "up_proj": (h, i),
        "down_proj": (i, h),
    }


def lora_parameter_count(base: BaseModelInfo, rank: int, target_modules: tuple[str, ...]) -> int:
    """Trainable parameters of LoRA on ``target_modules`` of every layer: A (rank x in) plus
    B (out x rank) per module."""
    shapes = _shapes(base)
    total = 0
    for module in target_modules:
        shape = shapes.get(module)
        if shape is None:
            raise ValueError(f"no shape known for module {module!r} of {base.architecture}")
        fan_in, fan_out = shape
        total += rank * (fan_in + fan_out)
    return total * base.num_layers


def estimate(base: BaseModelInfo, config: ResolvedJobConfig) -> MemoryEstimate:
    element = _BYTES[config.precision]
    batch, seq = config.batch_size, config.max_seq_length
    trainable = lora_parameter_count(base, config.lora.rank, config.lora.target_modules)
    weights = base.parameter_count * element
    state = trainable * _FLOAT32 * _ADAMW_COPIES
    per_token_layer = (
        12 * base.hidden_size + 4 * base.intermediate_size + 2 * base.num_attention_heads * seq
    )
    activations = batch * seq * base.num_layers * per_token_layer * element
    activations += batch * seq * base.vocab_size * _FLOAT32 * 2
    attribution = 0
    if config.attribution.enabled:
        projection = min(
            trainable * config.attribution.projection_dim * _FLOAT32, PROJECTION_CACHE_BYTES
        )
        attribution = trainable * _FLOAT32 * batch + projection
    subtotal = weights + state + activations + attribution
    total = round(subtotal * (1 + FRAMEWORK_OVERHEAD))
    on_gpu = config.gpus_per_worker > 0
    features = (
        f"attribution features of dimension {config.attribution.projection_dim} computed "
        f"{batch} examples at a time"
        if config.attribution.enabled
        else "no attribution features"
    )
    assumptions = (
        f"{config.precision.value} training ({element} bytes per frozen weight and activation); "
        f"micro-batch {batch} x {seq} tokens; LoRA rank {config.lora.rank} on "
        f"{', '.join(config.lora.target_modules)} ({trainable} trainable parameters) with "
        "float32 AdamW state; no gradient checkpointing; eager attention; "
        f"{features}; +{FRAMEWORK_OVERHEAD:.0%} framework overhead; "
        f"{'GPU' if on_gpu else 'host'} memory of one worker"
    )
    return MemoryEstimate(
        base_model=base.id,
        trainable_parameters=trainable,
        weights_bytes=weights,
        trainable_state_bytes=state,
        activation_bytes=activations,
        attribution_bytes=attribution,
        total_bytes=total,
        on_gpu=on_gpu,
        assumptions=assumptions,
    )
