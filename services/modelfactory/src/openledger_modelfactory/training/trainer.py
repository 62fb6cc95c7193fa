"""Running the training loop on Ray Train: one ``TorchTrainer`` per run.

The trainer's run is named after the job and stored under the checkpoint directory, so Ray
Train V2 finds the run's own checkpoints again when a driver is relaunched for the same job
(``ray.train.get_checkpoint()`` then returns the latest), and retries a failed worker group
``max_failures`` times from the latest checkpoint by itself.
"""

from __future__ import annotations

import os
from typing import Any

from openledger_modelfactory.training import events
from openledger_modelfactory.training.events import RunError, RunFailed, RunFinished
from openledger_modelfactory.training.loop import LoopConfig, outcome_of, train_loop_per_worker
from openledger_modelfactory.training.spec import RunSpec

SETTINGS_ENV_PREFIX = "OL_MODELFACTORY_"
_OOM_MARKERS = ("OutOfMemoryError", "out of memory", "MemoryError")


def worker_env() -> dict[str, str]:
    """The driver's ``OL_MODELFACTORY_*`` variables, for the workers' runtime environment:
    on a cluster the workers do not inherit the driver's environment."""
    return {k: v for k, v in os.environ.items() if k.startswith(SETTINGS_ENV_PREFIX)}


def run_on_ray(spec: RunSpec, loop_config: LoopConfig) -> RunFinished | RunFailed:
    """Fit the ``TorchTrainer``; the outcome rank 0 reported, or ``RunError`` when Ray gave up
    (``WORKER_LOST``, ``OUT_OF_MEMORY``). Ray must be initialised."""
    from ray.train import (
        CheckpointConfig,
        FailureConfig,
        RunConfig,
        ScalingConfig,
        TrainingFailedError,
    )
    from ray.train.torch import TorchTrainer

    config = spec.config
    resources: dict[str, Any] = {"CPU": config.cpus_per_worker}
    if config.gpus_per_worker > 0:
        resources["GPU"] = config.gpus_per_worker
    trainer = TorchTrainer(
        train_loop_per_worker,
        train_loop_config=loop_config.to_dict(),
        scaling_config=ScalingConfig(
            num_workers=config.num_workers,
            use_gpu=config.gpus_per_worker > 0,
            resources_per_worker=resources,
        ),
        run_config=RunConfig(
            name=spec.job_id,
            storage_path=loop_config.storage_path,
            failure_config=FailureConfig(max_failures=config.max_failures),
            # The latest checkpoints are enough to resume; older ones are only disk.
            checkpoint_config=CheckpointConfig(num_to_keep=2),
        ),
    )
    try:
        result = trainer.fit()
    except TrainingFailedError as exc:
        text = str(exc)
        if any(marker in text for marker in _OOM_MARKERS):
            raise RunError(events.OUT_OF_MEMORY, _tail(text)) from exc
        raise RunError(events.WORKER_LOST, _tail(text), retryable=True) from exc
    outcome = outcome_of(result.metrics)
    if outcome is None:
        raise RunError(events.INTERNAL, "the training run ended without reporting an outcome")
    return outcome


def _tail(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]
