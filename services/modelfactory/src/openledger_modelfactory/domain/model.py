"""ModelFactory's resources as plain, immutable Python values.

These are what the repository stores, what the application service works with, what the job
runner hands to the training driver and what the gRPC edge translates to and from protobuf.
Addresses are EIP-55 checksummed strings, hashes raw ``bytes``, token amounts ``int`` wei,
times timezone-aware UTC ``datetime``s, durations float seconds.

Two config types: ``JobConfig`` is a request, where ``None`` (or an empty tuple) means "take it
from the preset, else the server default"; ``ResolvedJobConfig`` has every field set and is
what a job stores and trains with (``domain.jobconfig.resolve`` turns one into the other).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from openledger_kit.ids import new_id as new_id
from openledger_kit.values import Caller as Caller
from openledger_kit.values import ChainTx as ChainTx
from openledger_kit.values import ObjectRef as ObjectRef
from openledger_kit.values import TxStatus as TxStatus
from openledger_ml.templates import TaskTemplate

__all__ = ["TaskTemplate"]

DOMAIN = "openledger.modelfactory"
"""``ErrorInfo.domain`` of every error this service raises."""

ADAPTER_ID = re.compile(r"^[a-z]([a-z0-9-]{1,61}[a-z0-9])$")
SNAPSHOT_NAME = re.compile(r"^datanets/([a-z][a-z0-9-]{1,61}[a-z0-9])/snapshots/(v[1-9][0-9]*)$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def job_name(job_id: str) -> str:
    return f"jobs/{job_id}"


def base_model_name(base_model_id: str) -> str:
    return f"baseModels/{base_model_id}"


def adapter_ref(adapter_id: str, version: int) -> str:
    """The short immutable form other services use, ``{adapter_id}@{version}``."""
    return f"{adapter_id}@{version}"


def adapter_name(adapter_id: str, version: int) -> str:
    return f"adapters/{adapter_id}@{version}"


class JobState(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class JobPhase(enum.StrEnum):
    """Where a RUNNING job is, finer than its state. Past TRAINING the job cannot be cancelled
    (REGISTERING is the point of no return: a transaction may be in flight)."""

    PENDING = "PENDING"  # QUEUED, or RUNNING but no attempt launched yet
    TRAINING = "TRAINING"  # a driver is running (preparing data, training, features)
    REGISTERING = "REGISTERING"  # artifacts stored; registering on the ModelRegistry
    DONE = "DONE"  # terminal


class Precision(enum.StrEnum):
    FP32 = "FP32"
    BF16 = "BF16"
    FP16 = "FP16"


# ---------------------------------------------------------------------------------- job config


@dataclass(frozen=True)
class LoraSettings:
    rank: int | None = None
    alpha: float | None = None
    dropout: float | None = None
    target_modules: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttributionSettings:
    enabled: bool | None = None
    projection_dim: int | None = None
    projection_seed: int | None = None


@dataclass(frozen=True)
class JobConfig:
    """A requested config (``modelfactory.v1.TrainingJobConfig``): None / empty = unset."""

    base_model: str = ""
    snapshot: str = ""
    adapter_id: str = ""
    task_template: TaskTemplate | None = None
    field_mapping: Mapping[str, str] = field(default_factory=dict)
    lora: LoraSettings = LoraSettings()
    epochs: int | None = None
    max_steps: int | None = None
    learning_rate: float | None = None
    warmup_ratio: float | None = None
    weight_decay: float | None = None
    batch_size: int | None = None
    gradient_accumulation_steps: int | None = None
    max_seq_length: int | None = None
    seed: int | None = None
    eval_fraction: float | None = None
    num_workers: int | None = None
    cpus_per_worker: int | None = None
    gpus_per_worker: int | None = None
    precision: Precision | None = None
    checkpoint_every_steps: int | None = None
    max_failures: int | None = None
    fee_per_1k_tokens: int | None = None
    preset: str = ""
    attribution: AttributionSettings = AttributionSettings()


@dataclass(frozen=True)
class ResolvedLora:
    rank: int
    alpha: float
    dropout: float
    target_modules: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedAttribution:
    enabled: bool
    projection_dim: int
    projection_seed: int


@dataclass(frozen=True)
class ResolvedJobConfig:
    """Every field set: what a job stores, trains with and records as lineage.
    ``base_model`` is the catalogue id (not the resource name); ``snapshot`` the resource
    name ``datanets/{datanet}/snapshots/{snapshot}``. ``field_mapping`` has an entry for every
    slot of the template (defaults filled in as ``/{slot}``)."""

    base_model: str
    snapshot: str
    adapter_id: str
    task_template: TaskTemplate
    field_mapping: Mapping[str, str]
    lora: ResolvedLora
    epochs: int
    max_steps: int
    learning_rate: float
    warmup_ratio: float
    weight_decay: float
    batch_size: int
    gradient_accumulation_steps: int
    max_seq_length: int
    seed: int
    eval_fraction: float
    num_workers: int
    cpus_per_worker: int
    gpus_per_worker: int
    precision: Precision
    checkpoint_every_steps: int
    max_failures: int
    fee_per_1k_tokens: int
    preset: str
    attribution: ResolvedAttribution


@dataclass(frozen=True)
class MemoryEstimate:
    base_model: str  # catalogue id
    trainable_parameters: int
    weights_bytes: int
    trainable_state_bytes: int
    activation_bytes: int
    attribution_bytes: int
    total_bytes: int
    on_gpu: bool
    assumptions: str


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    config: JobConfig
    """Never sets base_model, snapshot, adapter_id, field_mapping or preset."""


# ---------------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class Checkpoint:
    step: int
    epoch: float
    loss: float
    uri: str
    create_time: datetime


@dataclass(frozen=True)
class Attempt:
    attempt: int
    start_time: datetime
    end_time: datetime | None = None
    resumed_from: Checkpoint | None = None
    failure_reason: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class Progress:
    """The training figures a job carries and every update repeats."""

    step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    loss: float = 0.0
    eval_loss: float = 0.0
    learning_rate: float = 0.0
    tokens_per_second: float = 0.0
    tokens_processed: int = 0
    eta_seconds: float | None = None
    train_examples: int = 0
    eval_examples: int = 0
    skipped_examples: int = 0
    truncated_examples: int = 0


@dataclass(frozen=True)
class TrainingJob:
    id: str
    display_name: str
    owner: str
    config: ResolvedJobConfig
    snapshot_merkle_root: bytes
    snapshot_record_count: int
    state: JobState
    phase: JobPhase
    create_time: datetime
    update_time: datetime
    memory_estimate: MemoryEstimate
    base_model_revision: str
    request_id: str = ""
    request_hash: bytes = b""
    progress_fraction: float = 0.0
    progress: Progress = Progress()
    start_time: datetime | None = None
    end_time: datetime | None = None
    error_reason: str = ""
    error_message: str = ""
    attempts: tuple[Attempt, ...] = ()
    max_attempts: int = 1
    latest_checkpoint: Checkpoint | None = None
    adapter: str = ""  # "{adapter_id}@{version}" once SUCCEEDED
    ray_job_id: str = ""
    sequence: int = 0
    """Number of updates recorded so far (the last update's ``sequence``)."""

    @property
    def name(self) -> str:
        return job_name(self.id)

    @property
    def attempt(self) -> int:
        return self.attempts[-1].attempt if self.attempts else 0

    @property
    def resumed_from(self) -> Checkpoint | None:
        return self.attempts[-1].resumed_from if self.attempts else None


@dataclass(frozen=True)
class JobUpdate:
    """One progress update (``modelfactory.v1.TrainingJobUpdate``, and the
    ``TrainingJobUpdated`` event with the job's owner, base model and snapshot)."""

    job_id: str
    sequence: int
    state: JobState
    attempt: int
    progress: Progress
    progress_fraction: float
    update_time: datetime
    checkpoint: Checkpoint | None = None
    message: str = ""
    adapter: str = ""  # "{adapter_id}@{version}"
    error_reason: str = ""
    error_message: str = ""


# ---------------------------------------------------------------------------------- adapters


@dataclass(frozen=True)
class SnapshotLineage:
    snapshot: str
    merkle_root: bytes
    record_count: int


@dataclass(frozen=True)
class AdapterMetrics:
    train_loss: float
    eval_loss: float
    eval_perplexity: float
    train_examples: int
    eval_examples: int
    train_tokens: int
    steps: int
    train_duration_seconds: float
    extra: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Adapter:
    adapter_id: str
    version: int
    base_model: str  # catalogue id
    base_model_revision: str
    snapshots: tuple[SnapshotLineage, ...]
    training_job: str  # job id
    config: ResolvedJobConfig
    prompt_template: str
    metrics: AdapterMetrics
    adapter_sha256: bytes
    trainable_parameters: int
    adapter_model: ObjectRef
    adapter_config: ObjectRef
    lineage_manifest: ObjectRef
    attribution_features: ObjectRef | None
    registration: ChainTx
    owner: str
    fee_per_1k_tokens: int
    create_time: datetime

    @property
    def ref(self) -> str:
        return adapter_ref(self.adapter_id, self.version)

    @property
    def name(self) -> str:
        return adapter_name(self.adapter_id, self.version)


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: the items, the token of the next page ("" at the end) and the
    number of items matching across all pages."""

    items: Sequence[T]
    next_page_token: str = ""
    total_size: int = 0
