"""What one training run is told: the job's resolved config and where its inputs are. The job
runner builds it; the driver gets it as JSON on its command line (locally and in a RayJob), and
reads everything else (Redis, object store, datanet address, Ray) from the same
``OL_MODELFACTORY_*`` settings as the service."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from openledger_modelfactory.domain.model import (
    Precision,
    ResolvedAttribution,
    ResolvedJobConfig,
    ResolvedLora,
    TaskTemplate,
)


@dataclass(frozen=True)
class RunSpec:
    job_id: str
    config: ResolvedJobConfig
    base_model_path: str
    """The base model's ``save_pretrained`` directory, readable by the driver and workers."""
    base_model_revision: str
    snapshot_merkle_root: str  # 0x hex
    snapshot_record_count: int
    first_attempt: int = 1
    """Attempt number of this launch (earlier launches of the job count too)."""
    resume_checkpoint_uri: str = ""
    """Ray Train checkpoint to resume from; empty starts from scratch."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        raw: dict[str, Any] = json.loads(text)
        cfg = dict(raw.pop("config"))
        cfg["task_template"] = TaskTemplate(cfg["task_template"])
        cfg["precision"] = Precision(cfg["precision"])
        cfg["lora"] = ResolvedLora(
            **{**cfg["lora"], "target_modules": tuple(cfg["lora"]["target_modules"])}
        )
        cfg["attribution"] = ResolvedAttribution(**cfg["attribution"])
        return cls(config=ResolvedJobConfig(**cfg), **raw)
