"""Values the service, runner and repository tests share: a tiny base model, a resolved
config and jobs built from them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from openledger_ml.catalogue import BaseModelInfo, BaseModelSource, TokenizerInfo
from openledger_modelfactory.domain.model import (
    JobPhase,
    JobState,
    MemoryEstimate,
    Precision,
    ResolvedAttribution,
    ResolvedJobConfig,
    ResolvedLora,
    TaskTemplate,
    TrainingJob,
    new_id,
    utcnow,
)

ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
SNAPSHOT = "datanets/medicine/snapshots/v1"
ROOT = bytes.fromhex("ab" * 32)


def tiny_base(local_path: Path | None = None, *, available: bool = True) -> BaseModelInfo:
    return BaseModelInfo(
        id="tiny-llama",
        display_name="Tiny Llama",
        description="a tiny Llama for tests",
        source=BaseModelSource.PACKAGED,
        source_location="tiny-llama",
        revision="00" * 32,
        architecture="LlamaForCausalLM",
        model_type="llama",
        parameter_count=200_000,
        context_length=256,
        hidden_size=64,
        num_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        intermediate_size=128,
        vocab_size=512,
        weights_dtype="float32",
        weights_bytes=800_000,
        tokenizer=TokenizerInfo(
            "tiny", "PreTrainedTokenizerFast", 512, False, "<s>", "</s>", "</s>"
        ),
        max_lora_rank=64,
        supported_target_modules=("q_proj", "k_proj", "v_proj", "o_proj"),
        default_target_modules=("q_proj", "v_proj"),
        available=available,
        unavailable_reason="" if available else "weights missing",
        local_path=local_path,
    )


def resolved_config(**changes: object) -> ResolvedJobConfig:
    config = ResolvedJobConfig(
        base_model="tiny-llama",
        snapshot=SNAPSHOT,
        adapter_id="medical-qa",
        task_template=TaskTemplate.INSTRUCTION,
        field_mapping={"instruction": "/question", "output": "/answer"},
        lora=ResolvedLora(rank=4, alpha=8.0, dropout=0.0, target_modules=("q_proj", "v_proj")),
        epochs=1,
        max_steps=0,
        learning_rate=2e-4,
        warmup_ratio=0.03,
        weight_decay=0.0,
        batch_size=4,
        gradient_accumulation_steps=1,
        max_seq_length=128,
        seed=42,
        eval_fraction=0.05,
        num_workers=1,
        cpus_per_worker=1,
        gpus_per_worker=0,
        precision=Precision.FP32,
        checkpoint_every_steps=50,
        max_failures=1,
        fee_per_1k_tokens=3 * 10**18,
        preset="cpu-tiny",
        attribution=ResolvedAttribution(enabled=True, projection_dim=64, projection_seed=42),
    )
    return replace(config, **changes)  # type: ignore[arg-type]


def estimate() -> MemoryEstimate:
    return MemoryEstimate("tiny-llama", 1024, 800_000, 16_384, 100_000, 0, 1_100_000, False, "")


def make_job(
    *,
    owner: str = ALICE,
    request_id: str = "",
    request_hash: bytes = b"",
    config: ResolvedJobConfig | None = None,
) -> TrainingJob:
    now = utcnow()
    cfg = config or resolved_config()
    return TrainingJob(
        id=new_id(),
        display_name="medical qa",
        owner=owner,
        config=cfg,
        snapshot_merkle_root=ROOT,
        snapshot_record_count=10,
        state=JobState.QUEUED,
        phase=JobPhase.PENDING,
        create_time=now,
        update_time=now,
        memory_estimate=estimate(),
        base_model_revision="00" * 32,
        request_id=request_id,
        request_hash=request_hash,
        max_attempts=cfg.max_failures + 1,
    )
