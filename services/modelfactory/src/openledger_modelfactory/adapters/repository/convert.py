"""Rows and JSON columns to domain values and back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from openledger_modelfactory.adapters.repository.tables import AdapterRow, JobRow
from openledger_modelfactory.domain.lineage import (
    config_from_json,
    config_to_json,
    metrics_from_json,
    metrics_to_json,
)
from openledger_modelfactory.domain.model import (
    Adapter,
    Attempt,
    ChainTx,
    Checkpoint,
    JobPhase,
    JobState,
    JobUpdate,
    MemoryEstimate,
    ObjectRef,
    Progress,
    SnapshotLineage,
    TrainingJob,
    TxStatus,
)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def checkpoint_json(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    return {**asdict(checkpoint), "create_time": checkpoint.create_time.isoformat()}


def checkpoint_from_json(data: Mapping[str, Any] | None) -> Checkpoint | None:
    if data is None:
        return None
    return Checkpoint(
        step=int(data["step"]),
        epoch=float(data["epoch"]),
        loss=float(data["loss"]),
        uri=str(data["uri"]),
        create_time=datetime.fromisoformat(data["create_time"]),
    )


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "start_time": attempt.start_time.isoformat(),
        "end_time": _time(attempt.end_time),
        "resumed_from": checkpoint_json(attempt.resumed_from),
        "failure_reason": attempt.failure_reason,
        "failure_message": attempt.failure_message,
    }


def attempt_from_json(data: Mapping[str, Any]) -> Attempt:
    return Attempt(
        attempt=int(data["attempt"]),
        start_time=datetime.fromisoformat(data["start_time"]),
        end_time=_parse_time(data.get("end_time")),
        resumed_from=checkpoint_from_json(data.get("resumed_from")),
        failure_reason=str(data.get("failure_reason", "")),
        failure_message=str(data.get("failure_message", "")),
    )


def progress_json(progress: Progress) -> dict[str, Any]:
    return asdict(progress)


def progress_from_json(data: Mapping[str, Any]) -> Progress:
    return Progress(**data)


def update_json(update: JobUpdate) -> dict[str, Any]:
    return {
        "job_id": update.job_id,
        "sequence": update.sequence,
        "state": update.state.value,
        "attempt": update.attempt,
        "progress": progress_json(update.progress),
        "progress_fraction": update.progress_fraction,
        "update_time": update.update_time.isoformat(),
        "checkpoint": checkpoint_json(update.checkpoint),
        "message": update.message,
        "adapter": update.adapter,
        "error_reason": update.error_reason,
        "error_message": update.error_message,
    }


def update_from_json(data: Mapping[str, Any]) -> JobUpdate:
    return JobUpdate(
        job_id=str(data["job_id"]),
        sequence=int(data["sequence"]),
        state=JobState(data["state"]),
        attempt=int(data["attempt"]),
        progress=progress_from_json(data["progress"]),
        progress_fraction=float(data["progress_fraction"]),
        update_time=datetime.fromisoformat(data["update_time"]),
        checkpoint=checkpoint_from_json(data.get("checkpoint")),
        message=str(data.get("message", "")),
        adapter=str(data.get("adapter", "")),
        error_reason=str(data.get("error_reason", "")),
        error_message=str(data.get("error_message", "")),
    )


def estimate_json(estimate: MemoryEstimate) -> dict[str, Any]:
    return asdict(estimate)


def fill_job_row(row: JobRow, job: TrainingJob) -> None:
    """Copy every mutable field of ``job`` onto ``row`` (ids and request keys are set once)."""
    row.display_name = job.display_name
    row.owner = job.owner
    row.config = config_to_json(job.config)
    row.base_model = job.config.base_model
    row.snapshot = job.config.snapshot
    row.adapter_id = job.config.adapter_id
    row.snapshot_merkle_root = job.snapshot_merkle_root
    row.snapshot_record_count = job.snapshot_record_count
    row.state = JobState(job.state).value
    row.phase = JobPhase(job.phase).value
    row.create_time = job.create_time
    row.update_time = job.update_time
    row.start_time = job.start_time
    row.end_time = job.end_time
    row.memory_estimate = estimate_json(job.memory_estimate)
    row.base_model_revision = job.base_model_revision
    row.progress_fraction = job.progress_fraction
    row.progress = progress_json(job.progress)
    row.error_reason = job.error_reason
    row.error_message = job.error_message
    row.attempts = [attempt_json(a) for a in job.attempts]
    row.max_attempts = job.max_attempts
    row.latest_checkpoint = checkpoint_json(job.latest_checkpoint)
    row.adapter = job.adapter
    row.ray_job_id = job.ray_job_id
    row.sequence = job.sequence


def new_job_row(job: TrainingJob) -> JobRow:
    row = JobRow(id=job.id, request_id=job.request_id or None, request_hash=job.request_hash)
    fill_job_row(row, job)
    return row


def job_from_row(row: JobRow) -> TrainingJob:
    return TrainingJob(
        id=row.id,
        display_name=row.display_name,
        owner=row.owner,
        config=config_from_json(row.config),
        snapshot_merkle_root=bytes(row.snapshot_merkle_root),
        snapshot_record_count=row.snapshot_record_count,
        state=JobState(row.state),
        phase=JobPhase(row.phase),
        create_time=row.create_time,
        update_time=row.update_time,
        memory_estimate=MemoryEstimate(**row.memory_estimate),
        base_model_revision=row.base_model_revision,
        request_id=row.request_id or "",
        request_hash=bytes(row.request_hash),
        progress_fraction=row.progress_fraction,
        progress=progress_from_json(row.progress),
        start_time=row.start_time,
        end_time=row.end_time,
        error_reason=row.error_reason,
        error_message=row.error_message,
        attempts=tuple(attempt_from_json(a) for a in row.attempts),
        max_attempts=row.max_attempts,
        latest_checkpoint=checkpoint_from_json(row.latest_checkpoint),
        adapter=row.adapter,
        ray_job_id=row.ray_job_id,
        sequence=row.sequence,
    )


def object_json(ref: ObjectRef) -> dict[str, Any]:
    return {
        "uri": ref.uri,
        "sha256": ref.sha256.hex(),
        "size_bytes": ref.size_bytes,
        "media_type": ref.media_type,
    }


def object_from_json(data: Mapping[str, Any]) -> ObjectRef:
    return ObjectRef(
        uri=str(data["uri"]),
        sha256=bytes.fromhex(data["sha256"]),
        size_bytes=int(data["size_bytes"]),
        media_type=str(data["media_type"]),
    )


def tx_json(tx: ChainTx) -> dict[str, Any]:
    return {
        "chain_id": tx.chain_id,
        "contract_address": tx.contract_address,
        "tx_hash": tx.tx_hash.hex(),
        "status": tx.status.value,
        "block_number": tx.block_number,
        "block_hash": tx.block_hash.hex(),
        "block_time": _time(tx.block_time),
    }


def tx_from_json(data: Mapping[str, Any]) -> ChainTx:
    return ChainTx(
        chain_id=int(data["chain_id"]),
        contract_address=str(data["contract_address"]),
        tx_hash=bytes.fromhex(data["tx_hash"]),
        status=TxStatus(data["status"]),
        block_number=int(data["block_number"]),
        block_hash=bytes.fromhex(data["block_hash"]),
        block_time=_parse_time(data.get("block_time")),
    )


def new_adapter_row(adapter: Adapter) -> AdapterRow:
    return AdapterRow(
        adapter_id=adapter.adapter_id,
        version=adapter.version,
        base_model=adapter.base_model,
        base_model_revision=adapter.base_model_revision,
        snapshots=[
            {
                "snapshot": s.snapshot,
                "merkle_root": s.merkle_root.hex(),
                "record_count": s.record_count,
            }
            for s in adapter.snapshots
        ],
        snapshot=adapter.snapshots[0].snapshot if adapter.snapshots else "",
        training_job=adapter.training_job,
        config=config_to_json(adapter.config),
        prompt_template=adapter.prompt_template,
        metrics=metrics_to_json(adapter.metrics),
        adapter_sha256=adapter.adapter_sha256,
        trainable_parameters=adapter.trainable_parameters,
        adapter_model=object_json(adapter.adapter_model),
        adapter_config=object_json(adapter.adapter_config),
        lineage_manifest=object_json(adapter.lineage_manifest),
        attribution_features=(
            object_json(adapter.attribution_features) if adapter.attribution_features else None
        ),
        registration=tx_json(adapter.registration),
        owner=adapter.owner,
        fee_per_1k_tokens=str(adapter.fee_per_1k_tokens),
        create_time=adapter.create_time,
    )


def adapter_from_row(row: AdapterRow) -> Adapter:
    return Adapter(
        adapter_id=row.adapter_id,
        version=row.version,
        base_model=row.base_model,
        base_model_revision=row.base_model_revision,
        snapshots=tuple(
            SnapshotLineage(
                snapshot=str(s["snapshot"]),
                merkle_root=bytes.fromhex(s["merkle_root"]),
                record_count=int(s["record_count"]),
            )
            for s in row.snapshots
        ),
        training_job=row.training_job,
        config=config_from_json(row.config),
        prompt_template=row.prompt_template,
        metrics=metrics_from_json(row.metrics),
        adapter_sha256=bytes(row.adapter_sha256),
        trainable_parameters=row.trainable_parameters,
        adapter_model=object_from_json(row.adapter_model),
        adapter_config=object_from_json(row.adapter_config),
        lineage_manifest=object_from_json(row.lineage_manifest),
        attribution_features=(
            object_from_json(row.attribution_features) if row.attribution_features else None
        ),
        registration=tx_from_json(row.registration),
        owner=row.owner,
        fee_per_1k_tokens=int(row.fee_per_1k_tokens),
        create_time=row.create_time,
    )
