"""Domain values with every field set, for the tests of the edges (bus, proto conversion) that
translate them field by field."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from openledger_ml.catalogue import BaseModelInfo, BaseModelSource, TokenizerInfo
from openledger_modelfactory.domain.model import (
    Adapter,
    AdapterMetrics,
    Attempt,
    ChainTx,
    Checkpoint,
    JobPhase,
    JobState,
    JobUpdate,
    MemoryEstimate,
    ObjectRef,
    Precision,
    Progress,
    ResolvedAttribution,
    ResolvedJobConfig,
    ResolvedLora,
    SnapshotLineage,
    TaskTemplate,
    TrainingJob,
    TxStatus,
    new_id,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
OWNER = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
ROOT = hashlib.sha256(b"root").digest()


def base_model(base_id: str = "tiny-llama") -> BaseModelInfo:
    return BaseModelInfo(
        id=base_id,
        display_name="Tiny Llama",
        description="a test model",
        source=BaseModelSource.PACKAGED,
        source_location="tiny-llama",
        revision="ab" * 32,
        architecture="LlamaForCausalLM",
        model_type="llama",
        parameter_count=123_456,
        context_length=64,
        hidden_size=32,
        num_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        intermediate_size=64,
        vocab_size=512,
        weights_dtype="float32",
        weights_bytes=493_824,
        tokenizer=TokenizerInfo(
            name_or_path="/models/tiny",
            tokenizer_class="PreTrainedTokenizerFast",
            vocab_size=512,
            has_chat_template=True,
            bos_token="<s>",
            eos_token="</s>",
            pad_token="</s>",
        ),
        max_lora_rank=32,
        supported_target_modules=("q_proj", "k_proj", "v_proj", "o_proj"),
        default_target_modules=("q_proj", "v_proj"),
        available=False,
        unavailable_reason="not built yet",
        license="Apache-2.0",
    )


def resolved_config(**changes: object) -> ResolvedJobConfig:
    values: dict[str, object] = {
        "base_model": "tiny-llama",
        "snapshot": "datanets/medical/snapshots/v3",
        "adapter_id": "medical-qa",
        "task_template": TaskTemplate.INSTRUCTION,
        "field_mapping": {"instruction": "/question", "output": "/answer", "input": "/input"},
        "lora": ResolvedLora(rank=8, alpha=16.0, dropout=0.05, target_modules=("q_proj", "v_proj")),
        "epochs": 3,
        "max_steps": 0,
        "learning_rate": 2e-4,
        "warmup_ratio": 0.03,
        "weight_decay": 0.0,
        "batch_size": 8,
        "gradient_accumulation_steps": 1,
        "max_seq_length": 64,
        "seed": 42,
        "eval_fraction": 0.05,
        "num_workers": 2,
        "cpus_per_worker": 1,
        "gpus_per_worker": 1,
        "precision": Precision.BF16,
        "checkpoint_every_steps": 200,
        "max_failures": 2,
        "fee_per_1k_tokens": 10**20,
        "preset": "cpu-tiny",
        "attribution": ResolvedAttribution(enabled=True, projection_dim=64, projection_seed=7),
    }
    values.update(changes)
    return ResolvedJobConfig(**values)  # type: ignore[arg-type]


def memory_estimate() -> MemoryEstimate:
    return MemoryEstimate(
        base_model="tiny-llama",
        trainable_parameters=2048,
        weights_bytes=493_824,
        trainable_state_bytes=32_768,
        activation_bytes=100_000,
        attribution_bytes=5_000,
        total_bytes=700_000,
        on_gpu=False,
        assumptions="fp32, batch 8, 64 tokens",
    )


def checkpoint(step: int = 200) -> Checkpoint:
    return Checkpoint(
        step=step, epoch=1.5, loss=1.25, uri=f"file:///ckpt/checkpoint_{step}", create_time=T0
    )


def training_job(**changes: object) -> TrainingJob:
    values: dict[str, object] = {
        "id": new_id(),
        "display_name": "medical fine-tune",
        "owner": OWNER,
        "config": resolved_config(),
        "snapshot_merkle_root": ROOT,
        "snapshot_record_count": 300,
        "state": JobState.RUNNING,
        "phase": JobPhase.TRAINING,
        "create_time": T0,
        "update_time": T0 + timedelta(minutes=5),
        "memory_estimate": memory_estimate(),
        "base_model_revision": "ab" * 32,
        "progress_fraction": 0.5,
        "progress": Progress(
            step=200,
            total_steps=400,
            epoch=1.5,
            loss=1.25,
            eval_loss=1.5,
            learning_rate=1e-4,
            tokens_per_second=321.5,
            tokens_processed=102_400,
            eta_seconds=90.5,
            train_examples=280,
            eval_examples=15,
            skipped_examples=5,
            truncated_examples=3,
        ),
        "start_time": T0 + timedelta(seconds=10),
        "attempts": (
            Attempt(
                attempt=1,
                start_time=T0 + timedelta(seconds=10),
                end_time=T0 + timedelta(minutes=2),
                failure_reason="WORKER_LOST",
                failure_message="worker 1 died",
            ),
            Attempt(attempt=2, start_time=T0 + timedelta(minutes=2), resumed_from=checkpoint(100)),
        ),
        "max_attempts": 3,
        "latest_checkpoint": checkpoint(200),
        "ray_job_id": "local:123:job:2",
        "sequence": 9,
    }
    values.update(changes)
    return TrainingJob(**values)  # type: ignore[arg-type]


def job_update(job: TrainingJob, sequence: int, **changes: object) -> JobUpdate:
    values: dict[str, object] = {
        "job_id": job.id,
        "sequence": sequence,
        "state": job.state,
        "attempt": job.attempt,
        "progress": job.progress,
        "progress_fraction": job.progress_fraction,
        "update_time": T0 + timedelta(minutes=5, seconds=sequence),
        "checkpoint": checkpoint(200),
        "message": "checkpoint saved",
    }
    values.update(changes)
    return JobUpdate(**values)  # type: ignore[arg-type]


def object_ref(name: str, media_type: str = "application/octet-stream") -> ObjectRef:
    digest = hashlib.sha256(name.encode()).digest()
    return ObjectRef(
        uri=f"file:///objects/{digest.hex()}", sha256=digest, size_bytes=1000, media_type=media_type
    )


def adapter(**changes: object) -> Adapter:
    model = object_ref("adapter_model.safetensors")
    values: dict[str, object] = {
        "adapter_id": "medical-qa",
        "version": 3,
        "base_model": "tiny-llama",
        "base_model_revision": "ab" * 32,
        "snapshots": (
            SnapshotLineage(
                snapshot="datanets/medical/snapshots/v3", merkle_root=ROOT, record_count=300
            ),
        ),
        "training_job": new_id(),
        "config": resolved_config(),
        "prompt_template": "### Instruction:\n{{ instruction }}\n### Response:\n",
        "metrics": AdapterMetrics(
            train_loss=1.1,
            eval_loss=1.3,
            eval_perplexity=3.67,
            train_examples=280,
            eval_examples=15,
            train_tokens=204_800,
            steps=400,
            train_duration_seconds=612.25,
            extra={"eval_token_accuracy": 0.42},
        ),
        "adapter_sha256": model.sha256,
        "trainable_parameters": 2048,
        "adapter_model": model,
        "adapter_config": object_ref("adapter_config.json", "application/json"),
        "lineage_manifest": object_ref("lineage.json", "application/json"),
        "attribution_features": object_ref("attribution_features.safetensors"),
        "registration": ChainTx(
            chain_id=901,
            contract_address="0x0000000000000000000000000000000000000A11",
            tx_hash=hashlib.sha256(b"tx").digest(),
            status=TxStatus.SUCCEEDED,
            block_number=77,
            block_hash=hashlib.sha256(b"block").digest(),
            block_time=T0 + timedelta(minutes=11),
        ),
        "owner": OWNER,
        "fee_per_1k_tokens": 10**20,
        "create_time": T0 + timedelta(minutes=11),
    }
    values.update(changes)
    return Adapter(**values)  # type: ignore[arg-type]
