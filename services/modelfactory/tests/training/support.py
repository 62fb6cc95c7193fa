"""Shared helpers of the training tests: a job config on the tiny Llama, records to train on."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from openledger_ml.templates import TaskTemplate, default_field_mapping
from openledger_ml.testing import tiny_llama_path
from openledger_modelfactory.domain.model import (
    Precision,
    ResolvedAttribution,
    ResolvedJobConfig,
    ResolvedLora,
)
from openledger_modelfactory.domain.ports import SnapshotRecordData
from openledger_modelfactory.training.spec import RunSpec

SNAPSHOT = "datanets/recipes/snapshots/v1"
MERKLE_ROOT = "0x" + "ab" * 32

COLOURS = ("red", "green", "blue", "yellow", "black", "white", "orange", "purple")
THINGS = ("apple", "leaf", "sky", "sun", "night", "snow", "fruit", "grape")


def config(**changes: Any) -> ResolvedJobConfig:
    """A small, fast job config on the tiny Llama; ``changes`` override fields."""
    base = ResolvedJobConfig(
        base_model="tiny-llama",
        snapshot=SNAPSHOT,
        adapter_id="colours",
        task_template=TaskTemplate.COMPLETION,
        field_mapping=default_field_mapping(TaskTemplate.COMPLETION),
        lora=ResolvedLora(rank=4, alpha=8.0, dropout=0.0, target_modules=("q_proj", "v_proj")),
        epochs=2,
        max_steps=0,
        learning_rate=5e-3,
        warmup_ratio=0.1,
        weight_decay=0.0,
        batch_size=4,
        gradient_accumulation_steps=1,
        max_seq_length=64,
        seed=7,
        eval_fraction=0.2,
        num_workers=1,
        cpus_per_worker=1,
        gpus_per_worker=0,
        precision=Precision.FP32,
        checkpoint_every_steps=1000,
        max_failures=0,
        fee_per_1k_tokens=0,
        preset="",
        attribution=ResolvedAttribution(enabled=True, projection_dim=16, projection_seed=3),
    )
    return dataclasses.replace(base, **changes)


def spec(job_id: str = "job-1", base_model: Path | None = None, **changes: Any) -> RunSpec:
    path = base_model if base_model is not None else tiny_llama_path()
    return RunSpec(
        job_id=job_id,
        config=config(**changes),
        base_model_path=str(path),
        base_model_revision="test",
        snapshot_merkle_root=MERKLE_ROOT,
        snapshot_record_count=0,
    )


def content(i: int) -> dict[str, Any]:
    return {
        "prompt": f"What colour is the {THINGS[i % len(THINGS)]}?",
        "text": f" The {THINGS[i % len(THINGS)]} is {COLOURS[i % len(COLOURS)]}.",
    }


def records(count: int) -> list[SnapshotRecordData]:
    return [
        SnapshotRecordData(
            index=i,
            record_id=f"0190a000-0000-7000-8000-{i:012d}",
            contributor="0x" + f"{i + 1:040x}",
            content=content(i),
        )
        for i in range(count)
    ]
