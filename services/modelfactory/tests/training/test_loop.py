"""The training loop in one plain process (``run_local``) on the tiny Llama: it learns, a resumed
run ends where an uninterrupted one does, the features line up with the snapshot, and a
diverging run stops with TRAINING_DIVERGED."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from openledger_kit.store import open_store
from openledger_ml.models.loading import load_tokenizer
from openledger_modelfactory.training import events
from openledger_modelfactory.training.checkpoints import read_state
from openledger_modelfactory.training.data import PreparedData, prepare
from openledger_modelfactory.training.events import (
    AttemptStarted,
    CheckpointSaved,
    ProgressReport,
    RunFailed,
    RunFinished,
)
from openledger_modelfactory.training.features import FEATURES_FILE
from openledger_modelfactory.training.loop import ADAPTER_MODEL_FILE, run_local
from openledger_modelfactory.training.spec import RunSpec
from services.modelfactory.tests.training import support


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


def _data(spec: RunSpec, count: int = 32) -> PreparedData:
    return prepare(support.records(count), spec.config, load_tokenizer(spec.base_model_path))


def _finished(outcome: RunFinished | RunFailed) -> RunFinished:
    assert isinstance(outcome, RunFinished), outcome
    return outcome


def _stored(work: Path, outcome: RunFinished, name: str) -> Path:
    store = open_store(str(work / "objects"))
    return Path(store.location("sha256:" + outcome.files[name].sha256))


def test_loss_decreases_and_progress_is_reported(tmp_path: Path) -> None:
    spec = support.spec(epochs=6, learning_rate=2e-2, checkpoint_every_steps=10)
    data = _data(spec)
    seen: list[events.RunEvent] = []
    outcome = _finished(
        run_local(
            spec,
            data,
            work_dir=tmp_path,
            object_store_url=str(tmp_path / "objects"),
            publish=seen.append,
            progress_interval_seconds=0.0,
        )
    )
    progress = [e for e in seen if isinstance(e, ProgressReport)]
    assert isinstance(seen[0], AttemptStarted) and seen[0].attempt == 1
    assert seen[0].resumed_from_step is None
    assert len(progress) == outcome.steps == progress[-1].total_steps >= 30
    first, last = progress[0].loss, sum(p.loss for p in progress[-5:]) / 5
    assert last < first - 0.1
    assert progress[-1].tokens_processed == outcome.train_tokens > 0
    assert progress[-1].eta_seconds == 0.0
    assert [p.step for p in progress] == list(range(1, outcome.steps + 1))
    checkpoints = [e for e in seen if isinstance(e, CheckpointSaved)]
    per_epoch = outcome.steps // 6
    # Every 10 steps and at epoch ends; the last step's state goes with the final report.
    expected = [s for s in range(1, outcome.steps) if s % 10 == 0 or s % per_epoch == 0]
    assert [c.step for c in checkpoints] == expected
    assert all(Path(c.uri).is_dir() for c in checkpoints)
    assert outcome.eval_examples == data.eval_examples > 0 and outcome.eval_loss > 0
    assert outcome.trainable_parameters > 0
    assert set(outcome.files) == {
        "adapter_model.safetensors",
        "adapter_config.json",
        "attribution_features.safetensors",
    }
    assert outcome.extra_metrics["train_seconds"] > 0
    assert "feature_seconds" in outcome.extra_metrics


def test_resumed_run_ends_like_an_uninterrupted_one(tmp_path: Path) -> None:
    # Dropout and accumulation on: resuming must replay the same random draws and batches.
    spec = support.spec(
        epochs=3,
        checkpoint_every_steps=4,
        gradient_accumulation_steps=2,
        batch_size=2,
        lora=dataclasses.replace(support.config().lora, dropout=0.1),
    )
    data = _data(spec, 24)
    whole = _finished(
        run_local(spec, data, work_dir=tmp_path / "a", object_store_url=str(tmp_path / "objects"))
    )
    checkpoint = tmp_path / "a" / "checkpoints" / "checkpoint_00000004_a1"
    assert read_state(checkpoint).step == 4

    seen: list[events.RunEvent] = []
    resumed = _finished(
        run_local(
            spec,
            data,
            work_dir=tmp_path / "b",
            object_store_url=str(tmp_path / "objects"),
            resume_from=checkpoint,
            publish=seen.append,
        )
    )
    started = seen[0]
    assert isinstance(started, AttemptStarted) and started.resumed_from_step == 4
    assert resumed.steps == whole.steps
    a = load_file(_stored(tmp_path, whole, ADAPTER_MODEL_FILE))
    b = load_file(_stored(tmp_path, resumed, ADAPTER_MODEL_FILE))
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-4, atol=1e-5)
    assert resumed.train_tokens == whole.train_tokens


def test_features_cover_the_training_examples_in_snapshot_order(tmp_path: Path) -> None:
    spec = support.spec(epochs=1)
    data = _data(spec, 20)
    outcome = _finished(
        run_local(spec, data, work_dir=tmp_path, object_store_url=str(tmp_path / "objects"))
    )
    path = _stored(tmp_path, outcome, FEATURES_FILE)
    tensors = load_file(path)
    features, indexes = tensors["features"], tensors["snapshot_indexes"]
    dim = spec.config.attribution.projection_dim
    assert features.shape == (data.train_examples, dim)
    assert features.dtype == torch.float16
    assert torch.isfinite(features).all() and features.abs().sum() > 0
    assert indexes.tolist() == data.snapshot_indexes[data.train_rows].tolist()
    with safe_open(str(path), framework="pt") as handle:
        metadata: dict[str, Any] = handle.metadata()
    assert metadata == {
        "projection_dim": str(dim),
        "projection_seed": str(spec.config.attribution.projection_seed),
        "snapshot": support.SNAPSHOT,
        "merkle_root": support.MERKLE_ROOT,
    }


def test_no_features_when_attribution_is_off(tmp_path: Path) -> None:
    spec = support.spec(
        epochs=1,
        attribution=dataclasses.replace(support.config().attribution, enabled=False),
    )
    outcome = _finished(
        run_local(
            spec, _data(spec, 12), work_dir=tmp_path, object_store_url=str(tmp_path / "objects")
        )
    )
    assert FEATURES_FILE not in outcome.files


def test_divergence_stops_the_run(tmp_path: Path) -> None:
    spec = support.spec(epochs=2, learning_rate=float("inf"), warmup_ratio=0.0)
    outcome = run_local(
        spec, _data(spec, 16), work_dir=tmp_path, object_store_url=str(tmp_path / "objects")
    )
    assert isinstance(outcome, RunFailed)
    assert outcome.reason == events.TRAINING_DIVERGED
    assert not outcome.retryable
