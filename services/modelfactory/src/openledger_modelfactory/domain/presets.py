"""The published presets: partial configs for common hardware, referenced by
``TrainingJobConfig.preset``. A preset never names a base model, snapshot, adapter, template
or field mapping, so one preset fits every catalogue model (values above a model's limits are
capped when resolved, see ``domain.jobconfig``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from openledger_modelfactory.domain.model import (
    AttributionSettings,
    JobConfig,
    LoraSettings,
    Precision,
    Preset,
)

_PRESETS = (
    Preset(
        name="cpu-small",
        description=(
            "CPU training on a small machine or local Ray cluster: 2 data-parallel workers "
            "with 1 CPU each, micro-batch 8 x 256 tokens, LoRA rank 8, 256-dimensional "
            "attribution features. Needs 2 free CPU cores."
        ),
        config=JobConfig(
            lora=LoraSettings(rank=8),
            batch_size=8,
            max_seq_length=256,
            num_workers=2,
            cpus_per_worker=1,
            gpus_per_worker=0,
            precision=Precision.FP32,
            attribution=AttributionSettings(projection_dim=256),
        ),
    ),
    Preset(
        name="cpu-tiny",
        description=(
            "Tests and demos on a 2-core laptop or CI runner: 1 worker with 1 CPU, one epoch, "
            "micro-batch 4 x 128 tokens, LoRA rank 4, 64-dimensional attribution features, "
            "a checkpoint every 50 steps. Meant for the tiny Llama and SmolLM2-135M."
        ),
        config=JobConfig(
            lora=LoraSettings(rank=4),
            epochs=1,
            batch_size=4,
            max_seq_length=128,
            num_workers=1,
            cpus_per_worker=1,
            gpus_per_worker=0,
            precision=Precision.FP32,
            checkpoint_every_steps=50,
            attribution=AttributionSettings(projection_dim=64),
        ),
    ),
    Preset(
        name="gpu-default",
        description=(
            "One GPU with bfloat16 support (NVIDIA Ampere or newer, e.g. A100, L4, H100): "
            "1 worker with 1 GPU and 4 CPUs, BF16 mixed precision, micro-batch "
            "16 x 1024 tokens, LoRA rank 16, 512-dimensional attribution features."
        ),
        config=JobConfig(
            lora=LoraSettings(rank=16),
            batch_size=16,
            max_seq_length=1024,
            num_workers=1,
            cpus_per_worker=4,
            gpus_per_worker=1,
            precision=Precision.BF16,
            attribution=AttributionSettings(projection_dim=512),
        ),
    ),
)

PRESETS: Mapping[str, Preset] = MappingProxyType(
    {preset.name: preset for preset in sorted(_PRESETS, key=lambda p: p.name)}
)
"""The presets by name, in name order (the order ``GetJobConfigSchema`` lists them)."""
