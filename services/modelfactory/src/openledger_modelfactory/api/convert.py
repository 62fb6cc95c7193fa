"""Proto ⇄ domain translation for ``openledger.modelfactory.v1``.

Enums map by value name: the domain's ``TaskTemplate.CHAT`` is the proto's
``TASK_TEMPLATE_CHAT``; an UNSPECIFIED proto enum is ``None`` (unset) in a request. Optional
proto scalars are ``None`` when absent. Resource names are kept as given (``baseModels/x``,
``datanets/d/snapshots/v1``): the domain parses and checks them, naming the field.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from openledger.common.v1 import job_pb2
from openledger.modelfactory.v1 import (
    adapter_pb2,
    base_model_pb2,
    job_config_pb2,
    modelfactory_service_pb2,
    training_job_pb2,
)
from openledger_kit.values_proto import chain_tx_message, object_ref_message, timestamp
from openledger_ml.catalogue import BaseModelInfo
from openledger_modelfactory.adapters.bus import duration, job_state
from openledger_modelfactory.domain.errors import invalid
from openledger_modelfactory.domain.model import (
    Adapter,
    Attempt,
    AttributionSettings,
    Checkpoint,
    JobConfig,
    JobState,
    JobUpdate,
    LoraSettings,
    MemoryEstimate,
    Precision,
    Preset,
    ResolvedJobConfig,
    TaskTemplate,
    TrainingJob,
    adapter_name,
    base_model_name,
    job_name,
)
from openledger_modelfactory.domain.service import ExportChunk

E = TypeVar("E", bound=enum.Enum)

CONFIG_FIELD = "training_job.config"
UINT256_MAX = 2**256 - 1
ADAPTER_PREFIX = "adapters/"


def to_enum(kind: type[E], prefix: str, number: int, proto_enum: Any, field: str) -> E | None:
    """A proto enum number as the domain enum of the same name; None for UNSPECIFIED; an
    unknown number is ``InvalidArgument`` naming ``field``."""
    try:
        name = str(proto_enum.Name(number))
    except ValueError:
        raise invalid(field, f"unknown value {number}") from None
    bare = name.removeprefix(prefix)
    if bare == "UNSPECIFIED":
        return None
    try:
        return kind[bare]
    except KeyError:
        raise invalid(field, f"{name} is not supported") from None


def from_enum(value: enum.Enum | None, prefix: str, proto_enum: Any) -> Any:
    """The proto enum number of the same name; UNSPECIFIED (0) for None."""
    return 0 if value is None else proto_enum.Value(f"{prefix}{value.name}")


def stamp(when: Any) -> Timestamp | None:
    return None if when is None else timestamp(when)


def job_state_from_proto(number: int, field: str) -> JobState:
    state = to_enum(JobState, "JOB_STATE_", number, job_pb2.JobState, field)
    if state is None:
        raise invalid(field, "JOB_STATE_UNSPECIFIED is not a valid value here")
    return state


def adapter_resource(ref: str) -> str:
    """``adapters/{adapter_id}@{version}`` from the short form; empty stays empty."""
    return f"{ADAPTER_PREFIX}{ref}" if ref else ""


def parse_fee(text: str, field: str) -> int | None:
    """A decimal wei amount; None for empty (unset)."""
    if text == "":
        return None
    if not (text.isascii() and text.isdigit()):
        raise invalid(field, f"must be a decimal integer of wei (digits only), got {text!r}")
    value = int(text)
    if value > UINT256_MAX:
        raise invalid(field, "must fit in 256 bits")
    return value


# ---------------------------------------------------------------------------------- base models


def base_model_to_proto(base: BaseModelInfo) -> base_model_pb2.BaseModel:
    message = base_model_pb2.BaseModel(
        name=base.name,
        display_name=base.display_name,
        description=base.description,
        source=from_enum(base.source, "BASE_MODEL_SOURCE_", base_model_pb2.BaseModelSource),
        source_location=base.source_location,
        revision=base.revision,
        architecture=base.architecture,
        model_type=base.model_type,
        parameter_count=base.parameter_count,
        context_length=base.context_length,
        hidden_size=base.hidden_size,
        num_layers=base.num_layers,
        weights_dtype=base.weights_dtype,
        weights_bytes=base.weights_bytes,
        max_lora_rank=base.max_lora_rank,
        supported_target_modules=list(base.supported_target_modules),
        default_target_modules=list(base.default_target_modules),
        available=base.available,
        unavailable_reason=base.unavailable_reason,
        license=base.license,
    )
    if base.tokenizer is not None:
        t = base.tokenizer
        message.tokenizer.CopyFrom(
            base_model_pb2.TokenizerInfo(
                name_or_path=t.name_or_path,
                tokenizer_class=t.tokenizer_class,
                vocab_size=t.vocab_size,
                has_chat_template=t.has_chat_template,
                bos_token=t.bos_token,
                eos_token=t.eos_token,
                pad_token=t.pad_token,
            )
        )
    return message


# ---------------------------------------------------------------------------------- job config


def _optional(message: Any, name: str) -> Any:
    return getattr(message, name) if message.HasField(name) else None


def job_config_from_proto(
    message: job_config_pb2.TrainingJobConfig, field: str = CONFIG_FIELD
) -> JobConfig:
    """A requested config: unset optional fields are None, unset repeated fields empty."""
    lora = message.lora
    attribution = message.attribution
    return JobConfig(
        base_model=message.base_model,
        snapshot=message.snapshot,
        adapter_id=message.adapter_id,
        task_template=to_enum(
            TaskTemplate,
            "TASK_TEMPLATE_",
            message.task_template,
            job_config_pb2.TaskTemplate,
            f"{field}.task_template",
        ),
        field_mapping=dict(message.field_mapping),
        lora=LoraSettings(
            rank=_optional(lora, "rank"),
            alpha=_optional(lora, "alpha"),
            dropout=_optional(lora, "dropout"),
            target_modules=tuple(lora.target_modules),
        ),
        epochs=_optional(message, "epochs"),
        max_steps=_optional(message, "max_steps"),
        learning_rate=_optional(message, "learning_rate"),
        warmup_ratio=_optional(message, "warmup_ratio"),
        weight_decay=_optional(message, "weight_decay"),
        batch_size=_optional(message, "batch_size"),
        gradient_accumulation_steps=_optional(message, "gradient_accumulation_steps"),
        max_seq_length=_optional(message, "max_seq_length"),
        seed=_optional(message, "seed"),
        eval_fraction=_optional(message, "eval_fraction"),
        num_workers=_optional(message, "num_workers"),
        cpus_per_worker=_optional(message, "cpus_per_worker"),
        gpus_per_worker=_optional(message, "gpus_per_worker"),
        precision=to_enum(
            Precision,
            "TRAINING_PRECISION_",
            message.precision,
            job_config_pb2.TrainingPrecision,
            f"{field}.precision",
        ),
        checkpoint_every_steps=_optional(message, "checkpoint_every_steps"),
        max_failures=_optional(message, "max_failures"),
        fee_per_1k_tokens=parse_fee(message.fee_per_1k_tokens, f"{field}.fee_per_1k_tokens"),
        preset=message.preset,
        attribution=AttributionSettings(
            enabled=_optional(attribution, "enabled"),
            projection_dim=_optional(attribution, "projection_dim"),
            projection_seed=_optional(attribution, "projection_seed"),
        ),
    )


_SCALARS = (
    "epochs",
    "max_steps",
    "learning_rate",
    "warmup_ratio",
    "weight_decay",
    "batch_size",
    "gradient_accumulation_steps",
    "max_seq_length",
    "seed",
    "eval_fraction",
    "num_workers",
    "cpus_per_worker",
    "gpus_per_worker",
    "checkpoint_every_steps",
    "max_failures",
)


def _set(target: Any, name: str, value: Any) -> None:
    if value is not None:
        setattr(target, name, value)


def job_config_to_proto(config: JobConfig | ResolvedJobConfig) -> job_config_pb2.TrainingJobConfig:
    """A requested config (unset fields stay unset) or a resolved one (every field set; its
    base model is the catalogue id, written as the resource name)."""
    resolved = isinstance(config, ResolvedJobConfig)
    message = job_config_pb2.TrainingJobConfig(
        base_model=base_model_name(config.base_model) if resolved else config.base_model,
        snapshot=config.snapshot,
        adapter_id=config.adapter_id,
        task_template=from_enum(
            config.task_template, "TASK_TEMPLATE_", job_config_pb2.TaskTemplate
        ),
        field_mapping=dict(config.field_mapping),
        precision=from_enum(
            config.precision, "TRAINING_PRECISION_", job_config_pb2.TrainingPrecision
        ),
        fee_per_1k_tokens=(
            "" if config.fee_per_1k_tokens is None else str(config.fee_per_1k_tokens)
        ),
        preset=config.preset,
    )
    for name in _SCALARS:
        _set(message, name, getattr(config, name))
    lora = message.lora
    _set(lora, "rank", config.lora.rank)
    _set(lora, "alpha", config.lora.alpha)
    _set(lora, "dropout", config.lora.dropout)
    lora.target_modules.extend(config.lora.target_modules)
    attribution = message.attribution
    _set(attribution, "enabled", config.attribution.enabled)
    _set(attribution, "projection_dim", config.attribution.projection_dim)
    _set(attribution, "projection_seed", config.attribution.projection_seed)
    return message


def memory_estimate_to_proto(estimate: MemoryEstimate) -> job_config_pb2.MemoryEstimate:
    return job_config_pb2.MemoryEstimate(
        base_model=base_model_name(estimate.base_model),
        trainable_parameters=estimate.trainable_parameters,
        weights_bytes=estimate.weights_bytes,
        trainable_state_bytes=estimate.trainable_state_bytes,
        activation_bytes=estimate.activation_bytes,
        attribution_bytes=estimate.attribution_bytes,
        total_bytes=estimate.total_bytes,
        on_gpu=estimate.on_gpu,
        assumptions=estimate.assumptions,
    )


def preset_to_proto(
    preset: Preset, estimates: Sequence[MemoryEstimate]
) -> job_config_pb2.JobConfigPreset:
    return job_config_pb2.JobConfigPreset(
        name=preset.name,
        description=preset.description,
        config=job_config_to_proto(preset.config),
        memory_estimates=[memory_estimate_to_proto(e) for e in estimates],
    )


# ---------------------------------------------------------------------------------- jobs


def checkpoint_to_proto(checkpoint: Checkpoint) -> training_job_pb2.TrainingCheckpoint:
    return training_job_pb2.TrainingCheckpoint(
        step=checkpoint.step,
        epoch=checkpoint.epoch,
        loss=checkpoint.loss,
        uri=checkpoint.uri,
        create_time=timestamp(checkpoint.create_time),
    )


def attempt_to_proto(attempt: Attempt) -> training_job_pb2.TrainingAttempt:
    message = training_job_pb2.TrainingAttempt(
        attempt=attempt.attempt,
        start_time=timestamp(attempt.start_time),
        end_time=stamp(attempt.end_time),
        failure_reason=attempt.failure_reason,
        failure_message=attempt.failure_message,
    )
    if attempt.resumed_from is not None:
        message.resumed_from.CopyFrom(checkpoint_to_proto(attempt.resumed_from))
    return message


def training_job_to_proto(job: TrainingJob) -> training_job_pb2.TrainingJob:
    """A job; one without an id (a ``validate_only`` preview) has no name."""
    p = job.progress
    message = training_job_pb2.TrainingJob(
        name=job.name if job.id else "",
        display_name=job.display_name,
        owner=job.owner,
        config=job_config_to_proto(job.config),
        snapshot_merkle_root=job.snapshot_merkle_root,
        state=job_state(job.state),
        progress=job.progress_fraction,
        create_time=timestamp(job.create_time),
        start_time=stamp(job.start_time),
        end_time=stamp(job.end_time),
        update_time=timestamp(job.update_time),
        error_reason=job.error_reason,
        error_message=job.error_message,
        attempt=job.attempt,
        max_attempts=job.max_attempts,
        attempts=[attempt_to_proto(a) for a in job.attempts],
        step=p.step,
        total_steps=p.total_steps,
        epoch=p.epoch,
        loss=p.loss,
        eval_loss=p.eval_loss,
        learning_rate=p.learning_rate,
        tokens_per_second=p.tokens_per_second,
        tokens_processed=p.tokens_processed,
        train_examples=p.train_examples,
        eval_examples=p.eval_examples,
        skipped_examples=p.skipped_examples,
        truncated_examples=p.truncated_examples,
        memory_estimate=memory_estimate_to_proto(job.memory_estimate),
        adapter=adapter_resource(job.adapter),
        ray_job_id=job.ray_job_id,
    )
    if p.eta_seconds is not None:
        message.eta.CopyFrom(duration(p.eta_seconds))
    if job.resumed_from is not None:
        message.resumed_from.CopyFrom(checkpoint_to_proto(job.resumed_from))
    if job.latest_checkpoint is not None:
        message.latest_checkpoint.CopyFrom(checkpoint_to_proto(job.latest_checkpoint))
    return message


def job_update_to_proto(update: JobUpdate) -> training_job_pb2.TrainingJobUpdate:
    p = update.progress
    message = training_job_pb2.TrainingJobUpdate(
        job=job_name(update.job_id),
        sequence=update.sequence,
        state=job_state(update.state),
        attempt=update.attempt,
        step=p.step,
        total_steps=p.total_steps,
        epoch=p.epoch,
        loss=p.loss,
        eval_loss=p.eval_loss,
        learning_rate=p.learning_rate,
        tokens_per_second=p.tokens_per_second,
        progress=update.progress_fraction,
        message=update.message,
        adapter=adapter_resource(update.adapter),
        error_reason=update.error_reason,
        error_message=update.error_message,
        update_time=timestamp(update.update_time),
    )
    if p.eta_seconds is not None:
        message.eta.CopyFrom(duration(p.eta_seconds))
    if update.checkpoint is not None:
        message.checkpoint.CopyFrom(checkpoint_to_proto(update.checkpoint))
    return message


# ---------------------------------------------------------------------------------- adapters


def adapter_to_proto(adapter: Adapter) -> adapter_pb2.Adapter:
    m = adapter.metrics
    message = adapter_pb2.Adapter(
        name=adapter_name(adapter.adapter_id, adapter.version),
        adapter_id=adapter.adapter_id,
        version=adapter.version,
        base_model=base_model_name(adapter.base_model),
        base_model_revision=adapter.base_model_revision,
        snapshots=[
            adapter_pb2.SnapshotLineage(
                snapshot=s.snapshot, merkle_root=s.merkle_root, record_count=s.record_count
            )
            for s in adapter.snapshots
        ],
        training_job=job_name(adapter.training_job),
        training_config=job_config_to_proto(adapter.config),
        prompt_template=adapter.prompt_template,
        metrics=adapter_pb2.AdapterMetrics(
            train_loss=m.train_loss,
            eval_loss=m.eval_loss,
            eval_perplexity=m.eval_perplexity,
            train_examples=m.train_examples,
            eval_examples=m.eval_examples,
            train_tokens=m.train_tokens,
            steps=m.steps,
            train_duration=duration(m.train_duration_seconds),
            extra=dict(m.extra),
        ),
        adapter_sha256=adapter.adapter_sha256,
        trainable_parameters=adapter.trainable_parameters,
        adapter_model=object_ref_message(adapter.adapter_model),
        adapter_config=object_ref_message(adapter.adapter_config),
        lineage_manifest=object_ref_message(adapter.lineage_manifest),
        registration=chain_tx_message(adapter.registration),
        owner=adapter.owner,
        fee_per_1k_tokens=str(adapter.fee_per_1k_tokens),
        create_time=timestamp(adapter.create_time),
    )
    if adapter.attribution_features is not None:
        message.attribution_features.CopyFrom(object_ref_message(adapter.attribution_features))
    return message


def export_chunk_to_proto(chunk: ExportChunk) -> modelfactory_service_pb2.ExportAdapterResponse:
    return modelfactory_service_pb2.ExportAdapterResponse(
        file_name=chunk.file_name,
        file_size=chunk.file_size,
        offset=chunk.offset,
        data=chunk.data,
        last_chunk=chunk.last_chunk,
        file_sha256=chunk.file_sha256,
    )
