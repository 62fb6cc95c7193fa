"""What a training run reports to the service: the messages on a job's run channel.

A run (the driver process and its Ray workers, which may be on other machines) never touches
the service's database: it appends these messages to the job's run channel in Redis
(``adapters.run_channel``) and the job runner in the service turns them into job updates, in
order. Each message is one JSON object with a ``kind``; unknown kinds are ignored, so a newer
driver can talk to an older service.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class AttemptStarted:
    """A Ray Train worker group started (the first time, or again after a failure)."""

    kind: ClassVar[str] = "attempt_started"
    attempt: int
    """1-based, counted by the driver across Ray's own restarts and driver relaunches."""
    resumed_from_step: int | None = None
    checkpoint_uri: str = ""
    ray_job_id: str = ""


@dataclass(frozen=True)
class DataPrepared:
    kind: ClassVar[str] = "data_prepared"
    train_examples: int
    eval_examples: int
    skipped_examples: int
    truncated_examples: int
    total_steps: int


@dataclass(frozen=True)
class ProgressReport:
    """Rank 0's figures over the last logging interval (sent every few seconds, not to Ray)."""

    kind: ClassVar[str] = "progress"
    step: int
    total_steps: int
    epoch: float
    loss: float
    learning_rate: float
    tokens_per_second: float
    tokens_processed: int
    eta_seconds: float | None = None
    eval_loss: float | None = None
    message: str = ""


@dataclass(frozen=True)
class CheckpointSaved:
    kind: ClassVar[str] = "checkpoint"
    step: int
    epoch: float
    loss: float
    uri: str


@dataclass(frozen=True)
class StoredFile:
    """A file the run put in the service's object store."""

    sha256: str  # hex
    size_bytes: int
    media_type: str


@dataclass(frozen=True)
class RunFinished:
    """Training, evaluation and features are done and the files are in the object store under
    the names ``adapter_model.safetensors``, ``adapter_config.json`` and (when enabled)
    ``attribution_features.safetensors``. The lineage manifest is the service's to write."""

    kind: ClassVar[str] = "finished"
    files: dict[str, StoredFile]
    train_loss: float
    eval_loss: float
    train_examples: int
    eval_examples: int
    train_tokens: int
    steps: int
    train_duration_seconds: float
    trainable_parameters: int
    prompt_template: str
    extra_metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RunFailed:
    """The run gave up. ``reason`` is a ``TrainingJob.error_reason`` value; ``retryable`` says
    whether another attempt from the latest checkpoint could succeed (WORKER_LOST yes,
    NO_USABLE_EXAMPLES no)."""

    kind: ClassVar[str] = "failed"
    reason: str
    message: str
    retryable: bool = False


RunEvent = (
    AttemptStarted | DataPrepared | ProgressReport | CheckpointSaved | RunFinished | RunFailed
)

_KINDS: dict[str, type[Any]] = {
    cls.kind: cls
    for cls in (
        AttemptStarted,
        DataPrepared,
        ProgressReport,
        CheckpointSaved,
        RunFinished,
        RunFailed,
    )
}


def encode(event: RunEvent) -> str:
    return json.dumps({"kind": event.kind, **asdict(event)}, sort_keys=True)


def decode(text: str | bytes) -> RunEvent | None:
    """The event, or None for a kind this version does not know."""
    raw = json.loads(text)
    cls = _KINDS.get(raw.pop("kind", ""))
    if cls is None:
        return None
    if cls is RunFinished:
        raw["files"] = {name: StoredFile(**f) for name, f in raw["files"].items()}
    event: RunEvent = cls(**raw)
    return event


# RunFailed reasons (``TrainingJob.error_reason`` values a run reports).
WORKER_LOST = "WORKER_LOST"
"""Ray's retries of the worker group are exhausted (a worker died, or kept failing)."""
OUT_OF_MEMORY = "OUT_OF_MEMORY"
NO_USABLE_EXAMPLES = "NO_USABLE_EXAMPLES"
SNAPSHOT_UNAVAILABLE = "SNAPSHOT_UNAVAILABLE"
BASE_MODEL_UNAVAILABLE = "BASE_MODEL_UNAVAILABLE"
STORAGE_ERROR = "STORAGE_ERROR"
TRAINING_DIVERGED = "TRAINING_DIVERGED"
INTERNAL = "INTERNAL"


class RunError(Exception):
    """A run cannot go on; the driver reports it as ``RunFailed``."""

    def __init__(self, reason: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.retryable = retryable

    def to_event(self) -> RunFailed:
        return RunFailed(reason=self.reason, message=self.message, retryable=self.retryable)
