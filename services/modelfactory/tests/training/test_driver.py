"""The driver end to end: a real datanet snapshot, a 2-worker Ray Train run on the session's Ray
head, the run channel on a real Redis, the artifacts in a real object store."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from safetensors.torch import load_file

from openledger_kit.store import open_store
from openledger_kit.testing.processes import RedisProcess
from openledger_modelfactory.adapters.run_channel import AsyncRunChannel
from openledger_modelfactory.training import events
from openledger_modelfactory.training.events import (
    AttemptStarted,
    CheckpointSaved,
    DataPrepared,
    ProgressReport,
    RunFailed,
    RunFinished,
)
from openledger_modelfactory.training.features import FEATURES_FILE
from openledger_modelfactory.training.loop import CRASH_HOOK_ENV
from openledger_modelfactory.training.spec import RunSpec
from services.modelfactory.tests.datanet_snapshot import DatanetSnapshot
from services.modelfactory.tests.training import support

DRIVER_TIMEOUT_SECONDS = 280.0


def _spec(snap: DatanetSnapshot, root: bytes | None = None, **changes: Any) -> RunSpec:
    values: dict[str, Any] = {
        "snapshot": snap.name,
        "field_mapping": {"prompt": "/topic", "text": "/text"},
        "max_seq_length": 48,
        "num_workers": 2,
        "batch_size": 2,
        "epochs": 1,
        "checkpoint_every_steps": 2,
        "max_failures": 1,
        "eval_fraction": 0.2,
        **changes,
    }
    spec = support.spec(job_id=f"job-{uuid.uuid4().hex[:10]}", **values)
    root_hex = "0x" + (root if root is not None else snap.merkle_root).hex()
    return RunSpec(
        job_id=spec.job_id,
        config=spec.config,
        base_model_path=spec.base_model_path,
        base_model_revision=spec.base_model_revision,
        snapshot_merkle_root=root_hex,
        snapshot_record_count=snap.record_count,
    )


async def _drive(
    spec: RunSpec,
    snap: DatanetSnapshot,
    redis: RedisProcess,
    ray: str,
    state: Path,
    extra_env: dict[str, str] | None = None,
) -> list[events.RunEvent]:
    """Run the driver to its end; the run channel's messages."""
    env = {
        **os.environ,
        "OL_MODELFACTORY_REDIS_URL": redis.url,
        "OL_MODELFACTORY_DATANET_ADDR": snap.addr,
        "OL_MODELFACTORY_SERVICE_TOKEN": snap.service_token,
        "OL_MODELFACTORY_OBJECT_STORE_URL": str(state / "objects"),
        "OL_MODELFACTORY_CHECKPOINT_DIR": str(state / "ray"),
        "OL_MODELFACTORY_WORK_DIR": str(state / "work"),
        "OL_MODELFACTORY_RAY_ADDRESS": ray,
        "OL_MODELFACTORY_PROGRESS_INTERVAL_SECONDS": "0.2",
        "OL_MODELFACTORY_LOG_JSON": "false",
        **(extra_env or {}),
    }
    # asyncio's subprocess: the datanet server the driver reads from runs on this event loop.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "openledger_modelfactory.driver",
        "--spec-json",
        spec.to_json(),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), DRIVER_TIMEOUT_SECONDS)
    assert proc.returncode == 0, output.decode(errors="replace")[-5000:]
    channel = AsyncRunChannel(redis.url)
    try:
        return [event for _, event in await channel.read(spec.job_id, "0", block_ms=100)]
    finally:
        await channel.close()


@pytest.mark.slow
async def test_two_workers_train_and_store_the_adapter(
    datanet_snapshot: DatanetSnapshot,
    redis_server: RedisProcess,
    ray_address: str,
    tmp_path: Path,
) -> None:
    spec = _spec(datanet_snapshot)
    seen = await _drive(spec, datanet_snapshot, redis_server, ray_address, tmp_path)

    prepared = seen[0]
    assert isinstance(prepared, DataPrepared)
    assert prepared.train_examples + prepared.eval_examples + prepared.skipped_examples == (
        datanet_snapshot.record_count
    )
    started = [e for e in seen if isinstance(e, AttemptStarted)]
    assert [(s.attempt, s.resumed_from_step) for s in started] == [(1, None)], seen
    checkpoints = [e for e in seen if isinstance(e, CheckpointSaved)]
    assert checkpoints and all(c.step % 2 == 0 for c in checkpoints)
    # Ray keeps the latest two checkpoints: the last one of the loop and the final one.
    assert Path(checkpoints[-1].uri).is_dir()
    progress = [e for e in seen if isinstance(e, ProgressReport)]
    assert progress[-1].step == progress[-1].total_steps == prepared.total_steps
    assert progress[-1].tokens_per_second > 0
    finished = seen[-1]
    assert isinstance(finished, RunFinished), seen[-1]
    assert sum(isinstance(e, RunFinished | RunFailed) for e in seen) == 1
    assert finished.steps == prepared.total_steps
    assert finished.train_examples == prepared.train_examples

    store = open_store(str(tmp_path / "objects"))
    for name, stored in finished.files.items():
        data = store.get_bytes("sha256:" + stored.sha256, verify=True)
        assert len(data) == stored.size_bytes, name
    features_file = store.location("sha256:" + finished.files[FEATURES_FILE].sha256)
    features = load_file(features_file)
    assert features["features"].shape == (
        prepared.train_examples,
        spec.config.attribution.projection_dim,
    )
    indexes = features["snapshot_indexes"].tolist()
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    assert finished.extra_metrics["feature_seconds"] > 0


@pytest.mark.slow
async def test_a_crashed_worker_is_restarted_from_its_checkpoint(
    datanet_snapshot: DatanetSnapshot,
    redis_server: RedisProcess,
    ray_address: str,
    tmp_path: Path,
) -> None:
    # Two epochs of 5 steps, checkpoints at steps 2, 4, 5 (epoch end) and 6; rank 0 exits
    # after step 7. Ray's controller picks reports up every few seconds, so the latest
    # checkpoints may not be registered yet when the worker dies, but the earlier ones are.
    spec = _spec(datanet_snapshot, epochs=2)
    seen = await _drive(
        spec,
        datanet_snapshot,
        redis_server,
        ray_address,
        tmp_path,
        extra_env={CRASH_HOOK_ENV: "7"},
    )
    started = [e for e in seen if isinstance(e, AttemptStarted)]
    assert [s.attempt for s in started] == [1, 2]
    assert started[0].resumed_from_step is None
    resumed = started[1].resumed_from_step
    assert resumed is not None and 2 <= resumed <= 6
    assert started[1].checkpoint_uri
    saved = {e.step: e.uri for e in seen if isinstance(e, CheckpointSaved)}
    assert saved[resumed] == started[1].checkpoint_uri
    finished = seen[-1]
    assert isinstance(finished, RunFinished), finished
    progress_steps = [e.step for e in seen if isinstance(e, ProgressReport)]
    assert progress_steps[-1] == finished.steps


async def test_a_snapshot_with_another_root_is_refused(
    datanet_snapshot: DatanetSnapshot, redis_server: RedisProcess, tmp_path: Path
) -> None:
    spec = _spec(datanet_snapshot, root=b"\x01" * 32)
    seen = await _drive(spec, datanet_snapshot, redis_server, "127.0.0.1:1", tmp_path)
    assert len(seen) == 1
    failed = seen[0]
    assert isinstance(failed, RunFailed)
    assert failed.reason == events.SNAPSHOT_UNAVAILABLE
    assert "Merkle root" in failed.message
