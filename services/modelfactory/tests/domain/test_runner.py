"""The job runner against real SQLite, Redis (run channels and the bus), a local object store
and the ModelRegistry on anvil. The test plays the training run: it publishes run-channel
messages the way the driver does, and a small launcher records launches and stops and says
whether a run is alive."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from openledger_kit import bus
from openledger_kit.store import LocalStore
from openledger_kit.testing.processes import RedisProcess
from openledger_ml.catalogue import ModelCatalogue
from openledger_modelfactory.adapters.bus import EventPublisher
from openledger_modelfactory.adapters.chain import ModelRegistryGateway
from openledger_modelfactory.adapters.repository import Repository
from openledger_modelfactory.adapters.run_channel import AsyncRunChannel, RunChannel
from openledger_modelfactory.domain.model import JobPhase, JobState, TrainingJob, utcnow
from openledger_modelfactory.domain.runner import Change, JobRunner, RunState
from openledger_modelfactory.training.events import (
    AttemptStarted,
    CheckpointSaved,
    DataPrepared,
    ProgressReport,
    RunFailed,
    RunFinished,
    StoredFile,
)
from openledger_modelfactory.training.spec import RunSpec
from services.modelfactory.tests.chain_platform import Platform

from .job_support import make_job, resolved_config, tiny_base


class RecordingLauncher:
    """Records launches and stops; a run is alive until the test kills it or it is stopped."""

    def __init__(self) -> None:
        self.specs: list[RunSpec] = []
        self.stopped: list[str] = []
        self.live: set[str] = set()

    async def launch(self, spec: RunSpec) -> str:
        self.specs.append(spec)
        handle = f"test:{spec.job_id}:{len(self.specs)}"
        self.live.add(handle)
        return handle

    async def alive(self, handle: str) -> bool:
        return handle in self.live

    async def stop(self, handle: str) -> None:
        self.stopped.append(handle)
        self.live.discard(handle)

    def kill_all(self) -> None:
        self.live.clear()


class World:
    def __init__(
        self,
        repo: Repository,
        store: LocalStore,
        launcher: RecordingLauncher,
        make_runner: Callable[[], JobRunner],
        publisher: RunChannel,
        registry: ModelRegistryGateway,
    ) -> None:
        self.repo = repo
        self.store = store
        self.launcher = launcher
        self.make_runner = make_runner
        self.publisher = publisher
        self.registry = registry
        self._running: list[tuple[JobRunner, asyncio.Task[None]]] = []

    def start(self) -> JobRunner:
        runner = self.make_runner()
        self._running.append((runner, asyncio.create_task(runner.run())))
        return runner

    async def stop(self) -> None:
        for runner, task in self._running:
            runner.stop()
            # Bounded, so a runner that fails to stop fails the test instead of hanging the run.
            await asyncio.wait_for(task, 60)
        self._running.clear()

    def queue(self, **config: object) -> TrainingJob:
        adapter_id = f"med-{uuid.uuid4().hex[:10]}"
        job = make_job(config=resolved_config(adapter_id=adapter_id, **config))
        return self.repo.create_job(job)[0]

    def job(self, job_id: str) -> TrainingJob:
        return self.repo.get_job(job_id)

    def finished(self, steps: int = 8) -> RunFinished:
        files = {
            "adapter_model.safetensors": self._put(b"lora weights " + uuid.uuid4().bytes),
            "adapter_config.json": self._put(b'{"r": 4}'),
            "attribution_features.safetensors": self._put(b"features " + uuid.uuid4().bytes),
        }
        return RunFinished(
            files=files,
            train_loss=1.25,
            eval_loss=1.5,
            train_examples=9,
            eval_examples=1,
            train_tokens=4096,
            steps=steps,
            train_duration_seconds=3.0,
            trainable_parameters=1024,
            prompt_template="{{ instruction }}",
            extra_metrics={"eval_token_accuracy": 0.5},
        )

    def _put(self, data: bytes) -> StoredFile:
        digest = self.store.put_bytes(data)
        return StoredFile(digest.hexdigest, len(data), "application/octet-stream")


async def eventually(check: Callable[[], Awaitable[bool] | bool], what: str) -> None:
    """Wait (up to a generous bound, never asserting on time) until ``check`` holds."""
    for _ in range(600):
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository.open(f"sqlite:///{tmp_path / 'modelfactory.db'}")
    yield repository
    repository.close()


@pytest.fixture
async def world(
    repo: Repository, tmp_path: Path, redis_server: RedisProcess, platform: Platform
) -> AsyncIterator[World]:
    store = LocalStore(tmp_path / "objects")
    launcher = RecordingLauncher()
    redis = bus.connect(redis_server.url)
    channel = AsyncRunChannel(redis_server.url)
    publisher = RunChannel(redis_server.url)
    registry = ModelRegistryGateway.from_key_file(
        platform.l2_url, platform.manifest_path, platform.key_file
    )
    catalogue = ModelCatalogue([tiny_base(tmp_path)])

    def make_runner() -> JobRunner:
        return JobRunner(
            repo,
            catalogue,
            registry,
            EventPublisher(redis, source="modelfactory"),
            launcher,
            channel,
            store,
            max_concurrent_jobs=2,
            poll_seconds=0.05,
            progress_interval_seconds=0.2,
            liveness_interval_seconds=0.2,
            channel_block_ms=50,
        )

    w = World(repo, store, launcher, make_runner, publisher, registry)
    yield w
    await w.stop()
    publisher.close()
    await channel.close()
    await registry.close()
    await redis.aclose()


def launched(world: World, count: int) -> Callable[[], bool]:
    return lambda: len(world.launcher.specs) >= count


def in_state(world: World, job_id: str, state: JobState) -> Callable[[], bool]:
    return lambda: world.job(job_id).state is state


async def test_happy_path_registers_the_adapter_with_lineage(world: World) -> None:
    job = world.queue()
    world.start()
    await eventually(launched(world, 1), "the job is launched")
    spec = world.launcher.specs[0]
    assert spec.job_id == job.id and spec.first_attempt == 1 and spec.resume_checkpoint_uri == ""
    assert spec.snapshot_merkle_root == "0x" + job.snapshot_merkle_root.hex()
    running = world.job(job.id)
    assert running.state is JobState.RUNNING and running.phase is JobPhase.TRAINING
    assert running.start_time is not None and running.ray_job_id == "test:" + job.id + ":1"

    send = world.publisher.publish
    send(job.id, AttemptStarted(attempt=1))
    send(job.id, DataPrepared(9, 1, 0, 2, total_steps=8))
    for step in range(1, 5):
        send(job.id, ProgressReport(step, 8, step / 8, 2.0 - step / 10, 2e-4, 500.0, step * 512))
    send(job.id, CheckpointSaved(step=4, epoch=0.5, loss=1.6, uri="file:///ckpt/4"))
    await eventually(lambda: world.job(job.id).latest_checkpoint is not None, "checkpoint")
    halfway = world.job(job.id)
    assert halfway.progress.step == 4 and halfway.progress_fraction == pytest.approx(0.95 * 4 / 8)
    assert halfway.progress.train_examples == 9 and halfway.attempt == 1

    finished = world.finished()
    send(job.id, finished)
    await eventually(in_state(world, job.id, JobState.SUCCEEDED), "the job succeeds")

    done = world.job(job.id)
    adapter_id = job.config.adapter_id
    assert done.adapter == f"{adapter_id}@1" and done.progress_fraction == 1.0
    assert done.phase is JobPhase.DONE and done.end_time is not None
    assert done.attempts[0].end_time is not None and done.attempts[0].failure_reason == ""
    adapter = world.repo.get_adapter(adapter_id, 1)
    model_sha = bytes.fromhex(finished.files["adapter_model.safetensors"].sha256)
    assert adapter.adapter_sha256 == model_sha == adapter.adapter_model.sha256
    assert adapter.attribution_features is not None and adapter.training_job == job.id
    assert adapter.metrics.steps == 8 and adapter.owner == job.owner
    on_chain = await world.registry.registration(adapter_id, 1)
    assert on_chain is not None and on_chain.adapter_sha256 == model_sha
    lineage = json.loads(world.store.get_bytes("sha256:" + adapter.lineage_manifest.sha256.hex()))
    assert lineage["adapter"] == f"adapters/{adapter_id}@1"
    assert lineage["adapter_sha256"] == "0x" + model_sha.hex()
    assert lineage["snapshots"][0]["merkle_root"] == "0x" + job.snapshot_merkle_root.hex()
    assert lineage["training_config"]["lora"]["rank"] == 4
    assert lineage["base_model"] == "baseModels/tiny-llama"

    updates = world.repo.updates_after(job.id, 0)
    assert [u.sequence for u in updates] == list(range(1, len(updates) + 1))
    assert updates[-1].state is JobState.SUCCEEDED and updates[-1].adapter == done.adapter
    assert any(u.checkpoint is not None for u in updates)
    assert "registering adapter" in [u.message for u in updates]


async def test_a_lost_run_is_relaunched_from_its_checkpoint_then_fails_when_attempts_run_out(
    world: World,
) -> None:
    job = world.queue(max_failures=1)
    world.start()
    await eventually(launched(world, 1), "first launch")
    world.publisher.publish(job.id, AttemptStarted(attempt=1))
    world.publisher.publish(job.id, CheckpointSaved(4, 0.5, 1.6, "file:///ckpt/4"))
    await eventually(lambda: world.job(job.id).latest_checkpoint is not None, "checkpoint")
    world.launcher.kill_all()

    await eventually(launched(world, 2), "relaunch")
    again = world.launcher.specs[1]
    assert again.first_attempt == 2 and again.resume_checkpoint_uri == "file:///ckpt/4"
    lost = world.job(job.id)
    assert lost.attempts[0].failure_reason == "WORKER_LOST" and lost.state is JobState.RUNNING
    world.publisher.publish(
        job.id, AttemptStarted(attempt=2, resumed_from_step=4, checkpoint_uri="file:///ckpt/4")
    )
    await eventually(lambda: world.job(job.id).attempt == 2, "attempt 2 recorded")
    resumed = world.job(job.id)
    assert resumed.resumed_from is not None and resumed.resumed_from.step == 4
    assert "attempt 2 resumed from step 4" in [
        u.message for u in world.repo.updates_after(job.id, 0)
    ]

    world.launcher.kill_all()
    await eventually(in_state(world, job.id, JobState.FAILED), "the job fails")
    failed = world.job(job.id)
    assert failed.error_reason == "WORKER_LOST" and len(failed.attempts) == 2
    assert len(world.launcher.specs) == 2


async def test_a_run_that_dies_before_reporting_counts_as_an_attempt(world: World) -> None:
    job = world.queue(max_failures=0)
    world.start()
    await eventually(launched(world, 1), "launch")
    world.launcher.kill_all()
    await eventually(in_state(world, job.id, JobState.FAILED), "the job fails")
    failed = world.job(job.id)
    assert failed.error_reason == "WORKER_LOST"
    assert [a.attempt for a in failed.attempts] == [1]


async def test_a_non_retryable_failure_fails_the_job(world: World) -> None:
    job = world.queue()
    world.start()
    await eventually(launched(world, 1), "launch")
    world.publisher.publish(job.id, AttemptStarted(attempt=1))
    world.publisher.publish(
        job.id, RunFailed("NO_USABLE_EXAMPLES", "no record filled the template", retryable=False)
    )
    await eventually(in_state(world, job.id, JobState.FAILED), "the job fails")
    failed = world.job(job.id)
    assert failed.error_reason == "NO_USABLE_EXAMPLES"
    assert failed.attempts[0].failure_reason == "NO_USABLE_EXAMPLES"
    assert world.launcher.stopped == [failed.ray_job_id] and len(world.launcher.specs) == 1


async def test_a_retryable_failure_relaunches(world: World) -> None:
    job = world.queue(max_failures=2)
    world.start()
    await eventually(launched(world, 1), "launch")
    world.publisher.publish(job.id, AttemptStarted(attempt=1))
    world.publisher.publish(job.id, RunFailed("OUT_OF_MEMORY", "oom", retryable=True))
    await eventually(launched(world, 2), "relaunch")
    assert world.launcher.specs[1].first_attempt == 2
    assert world.job(job.id).attempts[0].failure_reason == "OUT_OF_MEMORY"


async def test_cancelling_a_running_job_stops_its_run(world: World) -> None:
    job = world.queue()
    world.start()
    await eventually(launched(world, 1), "launch")
    world.repo.update_job(job.id, lambda j: Change(replace(j, state=JobState.CANCELLING)))
    await eventually(in_state(world, job.id, JobState.CANCELLED), "cancelled")
    cancelled = world.job(job.id)
    assert world.launcher.stopped == [cancelled.ray_job_id]
    assert cancelled.end_time is not None and cancelled.adapter == ""


async def test_a_new_runner_resumes_from_the_stored_entry_id(world: World) -> None:
    job = world.queue()
    world.start()
    await eventually(launched(world, 1), "launch")
    world.publisher.publish(job.id, AttemptStarted(attempt=1))
    world.publisher.publish(job.id, DataPrepared(9, 1, 0, 0, total_steps=8))
    await eventually(lambda: world.job(job.id).progress.total_steps == 8, "data prepared")
    await world.stop()
    before = world.job(job.id).sequence

    world.publisher.publish(job.id, CheckpointSaved(8, 1.0, 1.2, "file:///ckpt/8"))
    world.publisher.publish(job.id, world.finished())
    world.start()
    await eventually(in_state(world, job.id, JobState.SUCCEEDED), "the job succeeds")
    done = world.job(job.id)
    assert len(world.launcher.specs) == 1  # the run was alive: not relaunched
    assert [a.attempt for a in done.attempts] == [1]  # AttemptStarted applied once
    sequences = [u.sequence for u in world.repo.updates_after(job.id, 0)]
    assert sequences == list(range(1, done.sequence + 1)) and done.sequence > before


async def test_finalization_after_a_crash_reuses_the_registration_on_chain(world: World) -> None:
    job = world.queue()
    adapter_id = job.config.adapter_id
    finished = world.finished()
    model_sha = bytes.fromhex(finished.files["adapter_model.safetensors"].sha256)
    # The runner had stored the version and sent the registration, then crashed.
    await world.registry.ensure_base_model(tiny_base())
    sent = await world.registry.register_adapter(
        adapter_id=adapter_id,
        version=1,
        adapter_sha256=model_sha,
        base_model_id="tiny-llama",
        snapshot_roots=[job.snapshot_merkle_root],
        owner=job.owner,
        fee_per_1k_tokens=job.config.fee_per_1k_tokens,
    )
    world.repo.update_job(
        job.id,
        lambda j: Change(
            replace(j, state=JobState.RUNNING, phase=JobPhase.REGISTERING, start_time=utcnow())
        ),
        run=RunState(handle="test:gone", finished=finished, registration_version=1),
    )
    world.start()
    await eventually(in_state(world, job.id, JobState.SUCCEEDED), "the job succeeds")
    done = world.job(job.id)
    assert done.adapter == f"{adapter_id}@1" and world.launcher.specs == []
    stored = world.repo.get_adapter(adapter_id)
    assert stored.adapter_sha256 == model_sha
    assert stored.registration == sent  # the evidence is the transaction that was sent
    assert await world.registry.latest_version(adapter_id) == 1


async def test_a_file_missing_from_the_store_fails_before_registering(world: World) -> None:
    job = world.queue()
    finished = world.finished()
    missing = StoredFile(hashlib.sha256(b"never stored").hexdigest(), 12, "application/json")
    broken = replace(finished, files={**finished.files, "adapter_config.json": missing})
    world.start()
    await eventually(launched(world, 1), "launch")
    world.publisher.publish(job.id, AttemptStarted(attempt=1))
    world.publisher.publish(job.id, broken)
    await eventually(in_state(world, job.id, JobState.FAILED), "the job fails")
    assert world.job(job.id).error_reason == "STORAGE_ERROR"
    assert await world.registry.latest_version(job.config.adapter_id) == 0
