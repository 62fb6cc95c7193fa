"""The job runner (worker role): takes queued training jobs, launches their runs, turns what
the runs report on their run channels into job updates, retries lost runs, carries out
cancellations, and finalizes finished runs into registered adapters.

Every state change and recorded progress is one repository call (``update_job``) that stores
the job, appends its ``JobUpdate`` (next ``sequence``) and the runner's own state (``RunState``:
the launch handle, the run-channel entry id the change consumed, the run being finalized) in
one transaction; the update is published on the bus after the commit. A crash between the
commit and the publish loses only that bus message, which the job's next update supersedes.

Restarts. A new runner resumes every job this deployment has RUNNING or CANCELLING: it reads
the run channel after the stored entry id (so a message is applied once), relaunches a run
that is no longer alive, and resumes a REGISTERING job's finalization idempotently (the
version it registers is stored before the transaction is sent, and a registration that the
chain already shows with the adapter's hash is taken as done). One runner serves a
deployment: the worker role runs as a single replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from openledger_kit.store import CorruptObject, Digest, ObjectStore
from openledger_modelfactory.domain import errors
from openledger_modelfactory.domain.errors import RegistrationReverted, RegistrationTimeout
from openledger_modelfactory.domain.lineage import (
    ADAPTER_CONFIG,
    ADAPTER_MODEL,
    FEATURES,
    MANIFEST_MEDIA_TYPE,
    manifest,
)
from openledger_modelfactory.domain.model import (
    Adapter,
    AdapterMetrics,
    Attempt,
    ChainTx,
    Checkpoint,
    JobPhase,
    JobState,
    JobUpdate,
    ObjectRef,
    SnapshotLineage,
    TrainingJob,
    TxStatus,
    utcnow,
)
from openledger_modelfactory.domain.ports import (
    Catalogue,
    Events,
    Launcher,
    RegisteredAdapter,
    Registry,
    RunChannel,
)
from openledger_modelfactory.training.events import (
    AttemptStarted,
    CheckpointSaved,
    DataPrepared,
    ProgressReport,
    RunEvent,
    RunFailed,
    RunFinished,
)
from openledger_modelfactory.training.spec import RunSpec

if TYPE_CHECKING:
    # The storage adapter's API, for type checking only: the domain does not import it.
    from openledger_modelfactory.adapters.repository import Repository

logger = logging.getLogger(__name__)

T = TypeVar("T")

TRAINING_SHARE = 0.95
"""Share of ``progress`` that training steps fill; the rest is storing and registering."""


@dataclass(frozen=True)
class Change:
    """A job after a state change or recorded progress, with what the update says about it.
    The repository numbers it (``sequence``), stamps ``update_time`` and stores the job and
    its ``JobUpdate`` in one transaction."""

    job: TrainingJob
    message: str = ""
    checkpoint: Checkpoint | None = None


@dataclass(frozen=True)
class RunState:
    """The runner's own state for a job, kept beside it so a restarted runner resumes: the
    launch handle and the attempt number that launch started with, the run-channel entry id
    after which to read, the ``RunFinished`` being finalized, and the version (and
    transaction) of a registration under way."""

    handle: str = ""
    channel_after: str = "0"
    finished: RunFinished | None = None
    registration_version: int | None = None
    registration_tx_hash: bytes = b""
    launched_attempt: int = 0


def job_update(
    job: TrainingJob, *, message: str = "", checkpoint: Checkpoint | None = None
) -> JobUpdate:
    """The update that records ``job`` as it is now (its ``sequence`` and ``update_time``)."""
    return JobUpdate(
        job_id=job.id,
        sequence=job.sequence,
        state=job.state,
        attempt=job.attempt,
        progress=job.progress,
        progress_fraction=job.progress_fraction,
        update_time=job.update_time,
        checkpoint=checkpoint,
        message=message,
        adapter=job.adapter,
        error_reason=job.error_reason,
        error_message=job.error_message,
    )


class _JobEnded(Exception):
    """The job reached a terminal state (or REGISTERING): its drive loop is done."""


@dataclass
class _Drive:
    """What the runner holds in memory for one job it drives."""

    job: TrainingJob
    run: RunState
    pending: ProgressReport | None = None
    pending_entry: str = ""
    last_recorded: float = 0.0
    last_alive_check: float = 0.0


class JobRunner:
    """Runs training jobs (see the module docstring). ``run()`` until ``stop()``."""

    def __init__(
        self,
        repository: Repository,
        catalogue: Catalogue,
        registry: Registry,
        events: Events,
        launcher: Launcher,
        channel: RunChannel,
        store: ObjectStore,
        *,
        max_concurrent_jobs: int = 1,
        poll_seconds: float = 1.0,
        progress_interval_seconds: float = 1.0,
        liveness_interval_seconds: float = 5.0,
        channel_block_ms: int = 1000,
    ) -> None:
        self.repo = repository
        self.catalogue = catalogue
        self.registry = registry
        self.events = events
        self.launcher = launcher
        self.channel = channel
        self.store = store
        self.max_concurrent_jobs = max_concurrent_jobs
        self.poll_seconds = poll_seconds
        self.progress_interval_seconds = progress_interval_seconds
        self.liveness_interval_seconds = liveness_interval_seconds
        self.channel_block_ms = channel_block_ms
        self._stopping = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    # ------------------------------------------------------------------ the loop

    def stop(self) -> None:
        """Ask ``run()`` to return. Runs keep going; a restarted runner resumes them."""
        self._stopping.set()

    async def run(self) -> None:
        """Resume this deployment's running jobs, then claim queued ones, up to
        ``max_concurrent_jobs`` at once, until ``stop()``."""
        self._stopping.clear()
        try:
            for job in await self._db(
                self.repo.jobs_in_state, JobState.RUNNING, JobState.CANCELLING
            ):
                self._start(job.id)
            while not self._stopping.is_set():
                self._reap()
                while len(self._tasks) < self.max_concurrent_jobs:
                    claimed = await self._db(self.repo.claim_next_job, _claim)
                    if claimed is None:
                        break
                    await self._publish(*claimed)
                    self._start(claimed[0].id)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)
        finally:
            tasks = list(self._tasks.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.clear()

    def _start(self, job_id: str) -> None:
        self._tasks[job_id] = asyncio.create_task(self._drive(job_id), name=f"job {job_id}")

    def _reap(self) -> None:
        for job_id, task in list(self._tasks.items()):
            if not task.done():
                continue
            del self._tasks[job_id]
            if not task.cancelled() and task.exception() is not None:
                # Redis, the database or the chain failed under it: drive it again next round.
                logger.error("job %s: %r; resuming it", job_id, task.exception())
                self._start(job_id)

    async def _publish(self, job: TrainingJob, update: JobUpdate | None) -> None:
        if update is None:
            return
        try:
            await self.events.job_updated(job, update)
        except Exception:  # stored; the next update supersedes the lost bus message
            logger.exception("could not publish update %d of job %s", update.sequence, job.id)

    async def _record(
        self,
        drive: _Drive,
        change: Callable[[TrainingJob], Change | None],
        *,
        entry: str = "",
        run: RunState | None = None,
        adapter: Adapter | None = None,
    ) -> JobUpdate | None:
        """Store a change of the job (with any coalesced progress folded in) and the run
        state, then publish the update."""
        pending = drive.pending
        new_run = run or drive.run
        if entry:
            new_run = replace(new_run, channel_after=entry)

        def mutate(job: TrainingJob) -> Change | None:
            if pending is not None and job.state is JobState.RUNNING:
                job = _with_progress(job, pending)
            return change(job)

        job, update = await self._db(
            self.repo.update_job, drive.job.id, mutate, run=new_run, adapter=adapter
        )
        drive.job = job
        if update is not None:
            drive.run = new_run
            drive.pending = None
            drive.last_recorded = asyncio.get_running_loop().time()
            await self._publish(job, update)
        return update

    # ------------------------------------------------------------------ one job

    async def _drive(self, job_id: str) -> None:
        drive = _Drive(
            job=await self._db(self.repo.get_job, job_id),
            run=await self._db(self.repo.get_run, job_id),
        )
        try:
            if drive.job.phase is JobPhase.REGISTERING and drive.job.state is JobState.RUNNING:
                await self._finalize(drive)
                return
            if drive.job.state is JobState.RUNNING and not drive.run.handle:
                await self._launch(drive, resume=None)
            while True:
                drive.job = await self._db(self.repo.get_job, job_id)
                if drive.job.state is JobState.CANCELLING:
                    await self._cancel(drive)
                    return
                if drive.job.state is not JobState.RUNNING:
                    return
                messages = await self.channel.read(
                    job_id, drive.run.channel_after, block_ms=self.channel_block_ms
                )
                for entry, event in messages:
                    await self._apply(drive, entry, event)
                await self._flush_progress(drive, force=False)
                if not messages:
                    await self._check_alive(drive)
        except _JobEnded:
            if drive.job.phase is JobPhase.REGISTERING and drive.job.state is JobState.RUNNING:
                await self._finalize(drive)

    async def _launch(self, drive: _Drive, resume: Checkpoint | None) -> None:
        job = drive.job
        base = self.catalogue.get(job.config.base_model)
        problem = ""
        if base is None or not base.available or base.local_path is None:
            problem = f"base model {job.config.base_model!r} is not available here"
        elif base.revision != job.base_model_revision:
            problem = (
                f"base model {base.id!r} is now at revision {base.revision}, not the "
                f"{job.base_model_revision} the job was created on"
            )
        if problem or base is None or base.local_path is None:
            await self._fail(drive, errors.BASE_MODEL_UNAVAILABLE, problem)
            raise _JobEnded
        await self.registry.ensure_base_model(base)
        attempt = job.attempt + 1
        spec = RunSpec(
            job_id=job.id,
            config=job.config,
            base_model_path=os.fspath(base.local_path),
            base_model_revision=job.base_model_revision,
            snapshot_merkle_root="0x" + job.snapshot_merkle_root.hex(),
            snapshot_record_count=job.snapshot_record_count,
            first_attempt=attempt,
            resume_checkpoint_uri=resume.uri if resume else "",
        )
        handle = await self.launcher.launch(spec)
        run = replace(drive.run, handle=handle, launched_attempt=attempt)
        how = f" from step {resume.step}" if resume else ""
        await self._record(
            drive,
            lambda j: Change(replace(j, ray_job_id=handle), f"launched attempt {attempt}{how}"),
            run=run,
        )
        drive.last_alive_check = asyncio.get_running_loop().time()

    async def _apply(self, drive: _Drive, entry: str, event: RunEvent) -> None:
        now = utcnow()
        if isinstance(event, ProgressReport):
            drive.pending, drive.pending_entry = event, entry
            await self._flush_progress(drive, force=False)
        elif isinstance(event, AttemptStarted):
            await self._record(drive, lambda j: _attempt_started(j, event, now), entry=entry)
        elif isinstance(event, DataPrepared):
            await self._record(drive, lambda j: _data_prepared(j, event), entry=entry)
        elif isinstance(event, CheckpointSaved):
            checkpoint = Checkpoint(event.step, event.epoch, event.loss, event.uri, now)
            await self._record(
                drive,
                lambda j: Change(
                    replace(j, latest_checkpoint=checkpoint),
                    f"checkpoint at step {event.step}",
                    checkpoint,
                ),
                entry=entry,
            )
        elif isinstance(event, RunFinished):
            await self._record(
                drive,
                lambda j: _finished(j, event, now),
                entry=entry,
                run=replace(drive.run, finished=event),
            )
            if drive.job.state is JobState.RUNNING:
                raise _JobEnded
        elif isinstance(event, RunFailed):
            await self.launcher.stop(drive.run.handle)
            await self._attempt_failed(
                drive, event.reason, event.message, retry=event.retryable, entry=entry
            )

    async def _flush_progress(self, drive: _Drive, *, force: bool) -> None:
        if drive.pending is None:
            return
        due = drive.last_recorded + self.progress_interval_seconds
        if not force and asyncio.get_running_loop().time() < due:
            return
        report = drive.pending
        await self._record(
            drive,
            lambda j: Change(j, report.message) if j.state is JobState.RUNNING else None,
            entry=drive.pending_entry,
        )

    async def _check_alive(self, drive: _Drive) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - drive.last_alive_check < self.liveness_interval_seconds:
            return
        drive.last_alive_check = loop.time()
        if await self.launcher.alive(drive.run.handle):
            return
        # It may have written its last messages just before it exited: apply them first.
        late = await self.channel.read(drive.job.id, drive.run.channel_after, block_ms=1)
        if late:
            for entry, event in late:
                await self._apply(drive, entry, event)
            return
        await self._flush_progress(drive, force=True)
        await self._attempt_failed(
            drive, errors.WORKER_LOST, "the training run ended without a result", retry=True
        )

    async def _attempt_failed(
        self, drive: _Drive, reason: str, message: str, *, retry: bool, entry: str = ""
    ) -> None:
        """Close the current attempt as failed; relaunch from the latest checkpoint while
        attempts remain (and the failure is worth retrying), else fail the job."""
        now = utcnow()

        def close(job: TrainingJob) -> Change:
            return Change(_close_attempt(job, drive.run.launched_attempt, now, reason, message))

        await self._record(drive, close, entry=entry)
        job = drive.job
        if retry and job.attempt < job.max_attempts:
            await self._launch(drive, resume=job.latest_checkpoint)
            return
        if retry:
            message = f"{message}; all {job.max_attempts} attempts failed"
        await self._fail(drive, reason, message)
        raise _JobEnded

    async def _fail(self, drive: _Drive, reason: str, message: str) -> None:
        now = utcnow()

        def fail(job: TrainingJob) -> Change | None:
            if job.state.terminal:
                return None
            failed = replace(
                _close_attempt(job, job.attempt, now, reason, message),
                state=JobState.FAILED,
                phase=JobPhase.DONE,
                end_time=now,
                error_reason=reason,
                error_message=message,
            )
            return Change(failed, f"failed: {reason}")

        await self._record(drive, fail)
        await self.channel.delete(drive.job.id)

    async def _cancel(self, drive: _Drive) -> None:
        if drive.run.handle:
            await self.launcher.stop(drive.run.handle)
        now = utcnow()

        def cancel(job: TrainingJob) -> Change | None:
            if job.state is not JobState.CANCELLING:
                return None
            attempts = job.attempts
            if attempts and attempts[-1].end_time is None:
                attempts = (*attempts[:-1], replace(attempts[-1], end_time=now))
            cancelled = replace(
                job, state=JobState.CANCELLED, phase=JobPhase.DONE, end_time=now, attempts=attempts
            )
            return Change(cancelled, "cancelled")

        drive.pending = None
        await self._record(drive, cancel)
        await self.channel.delete(drive.job.id)

    # ------------------------------------------------------------------ finalization

    async def _finalize(self, drive: _Drive) -> None:
        """Store the lineage manifest, register the adapter and mark the job SUCCEEDED; safe
        to run again after a crash at any point."""
        finished = drive.run.finished
        job = drive.job
        if finished is None:
            await self._fail(drive, errors.INTERNAL, "the finished run's report was lost")
            return
        try:
            files = await asyncio.to_thread(self._stored_files, finished)
        except _MissingFile as missing:
            await self._fail(drive, errors.STORAGE_ERROR, str(missing))
            return
        model = files[ADAPTER_MODEL]
        adapter_id = job.config.adapter_id
        version = drive.run.registration_version
        while True:
            if version is None:
                version = await self._next_version(adapter_id)
                drive.run = replace(drive.run, registration_version=version)
                await self._db(self.repo.save_run, job.id, drive.run)
            on_chain = await self.registry.registration(adapter_id, version)
            if on_chain is None or on_chain.adapter_sha256 == model.sha256:
                break
            version = None  # taken by another adapter meanwhile: take the next one
        lineage = await asyncio.to_thread(self._store_lineage, job, finished, files, version)
        if on_chain is not None:
            tx = _found_registration(on_chain)
        else:
            try:
                tx = await self.registry.register_adapter(
                    adapter_id=adapter_id,
                    version=version,
                    adapter_sha256=model.sha256,
                    base_model_id=job.config.base_model,
                    snapshot_roots=[job.snapshot_merkle_root],
                    owner=job.owner,
                    fee_per_1k_tokens=job.config.fee_per_1k_tokens,
                )
            except RegistrationReverted as reverted:
                await self._fail(drive, errors.REGISTRATION_REVERTED, reverted.message)
                return
            except RegistrationTimeout as timeout:
                late = await self.registry.registration(adapter_id, version)
                if late is None or late.adapter_sha256 != model.sha256:
                    await self._fail(drive, errors.REGISTRATION_TIMEOUT, timeout.message)
                    return
                tx = _found_registration(late)
        adapter = _adapter(job, finished, files, lineage, version, tx)
        now = utcnow()

        def succeed(current: TrainingJob) -> Change | None:
            if current.state.terminal:
                return None
            done = replace(
                current,
                state=JobState.SUCCEEDED,
                phase=JobPhase.DONE,
                end_time=now,
                adapter=adapter.ref,
                progress_fraction=1.0,
            )
            return Change(done, f"registered adapter {adapter.ref}")

        update = await self._record(drive, succeed, adapter=adapter)
        if update is not None:
            try:
                await self.events.adapter_published(adapter)
            except Exception:
                logger.exception("could not publish adapter %s", adapter.ref)
        await self.channel.delete(job.id)

    async def _next_version(self, adapter_id: str) -> int:
        stored = await self._db(self.repo.latest_adapter_version, adapter_id)
        return max(stored, await self.registry.latest_version(adapter_id)) + 1

    def _stored_files(self, finished: RunFinished) -> dict[str, ObjectRef]:
        """The run's files as stored, each re-hashed: nothing is registered unless the bytes
        in the store are the bytes the run reported."""
        refs: dict[str, ObjectRef] = {}
        for required in (ADAPTER_MODEL, ADAPTER_CONFIG):
            if required not in finished.files:
                raise _MissingFile(f"the run reported no {required}")
        for name, stored in finished.files.items():
            digest = Digest(stored.sha256)
            if not self.store.exists(digest):
                raise _MissingFile(f"{name} ({digest}) is not in the object store")
            try:
                for _chunk in self.store.iter_chunks(digest, verify=True):
                    pass
            except CorruptObject as corrupt:
                raise _MissingFile(f"{name} is corrupt in the object store: {corrupt}") from None
            refs[name] = _object_ref(self.store, digest, stored.media_type)
        return refs

    def _store_lineage(
        self,
        job: TrainingJob,
        finished: RunFinished,
        files: dict[str, ObjectRef],
        version: int,
    ) -> ObjectRef:
        data = manifest(
            adapter_id=job.config.adapter_id,
            version=version,
            base_model=job.config.base_model,
            base_model_revision=job.base_model_revision,
            snapshots=_snapshots(job),
            training_job=job.id,
            config=job.config,
            prompt_template=finished.prompt_template,
            metrics=_metrics(finished),
            adapter_sha256=files[ADAPTER_MODEL].sha256,
            trainable_parameters=finished.trainable_parameters,
            owner=job.owner,
            files=files,
        )
        return _object_ref(self.store, self.store.put_bytes(data), MANIFEST_MEDIA_TYPE)


class _MissingFile(Exception):
    """A file of the finished run is missing from the object store or does not match."""


# ---------------------------------------------------------------------- job transitions


def _claim(job: TrainingJob) -> Change:
    now = utcnow()
    running = replace(
        job,
        state=JobState.RUNNING,
        phase=JobPhase.TRAINING,
        start_time=job.start_time or now,
    )
    return Change(running, "starting")


def _with_progress(job: TrainingJob, report: ProgressReport) -> TrainingJob:
    total = report.total_steps or job.progress.total_steps
    progress = replace(
        job.progress,
        step=report.step,
        total_steps=total,
        epoch=report.epoch,
        loss=report.loss,
        learning_rate=report.learning_rate,
        tokens_per_second=report.tokens_per_second,
        tokens_processed=report.tokens_processed,
        eta_seconds=report.eta_seconds,
        eval_loss=report.eval_loss if report.eval_loss is not None else job.progress.eval_loss,
    )
    fraction = TRAINING_SHARE * min(report.step / total, 1.0) if total else job.progress_fraction
    return replace(job, progress=progress, progress_fraction=fraction)


def _close_attempt(
    job: TrainingJob, attempt: int, now: datetime, reason: str, message: str
) -> TrainingJob:
    """``job`` with its open attempt ended as failed; when the launch never reported an
    attempt (the run died first), that launch is recorded as a failed attempt of its own."""
    attempts = job.attempts
    if attempts and attempts[-1].end_time is None:
        attempts = (
            *attempts[:-1],
            replace(attempts[-1], end_time=now, failure_reason=reason, failure_message=message),
        )
    elif attempt > job.attempt:
        attempts = (
            *attempts,
            Attempt(attempt, now, now, failure_reason=reason, failure_message=message),
        )
    return replace(job, attempts=attempts)


def _attempt_started(job: TrainingJob, event: AttemptStarted, now: datetime) -> Change | None:
    if any(a.attempt == event.attempt for a in job.attempts):
        return None
    attempts = job.attempts
    if attempts and attempts[-1].end_time is None:
        attempts = (
            *attempts[:-1],
            replace(
                attempts[-1],
                end_time=now,
                failure_reason=attempts[-1].failure_reason or errors.WORKER_LOST,
                failure_message=attempts[-1].failure_message
                or f"superseded by attempt {event.attempt}",
            ),
        )
    resumed: Checkpoint | None = None
    if event.resumed_from_step is not None:
        latest = job.latest_checkpoint
        resumed = (
            latest
            if latest is not None and latest.uri == event.checkpoint_uri
            else Checkpoint(event.resumed_from_step, 0.0, 0.0, event.checkpoint_uri, now)
        )
    attempt = Attempt(event.attempt, now, resumed_from=resumed)
    message = (
        f"attempt {event.attempt} resumed from step {resumed.step}"
        if resumed
        else f"attempt {event.attempt} started"
    )
    return Change(replace(job, attempts=(*attempts, attempt)), message)


def _data_prepared(job: TrainingJob, event: DataPrepared) -> Change:
    progress = replace(
        job.progress,
        total_steps=event.total_steps,
        train_examples=event.train_examples,
        eval_examples=event.eval_examples,
        skipped_examples=event.skipped_examples,
        truncated_examples=event.truncated_examples,
    )
    message = (
        f"data prepared: {event.train_examples} training and {event.eval_examples} "
        f"evaluation examples, {event.total_steps} steps"
    )
    return Change(replace(job, progress=progress), message)


def _finished(job: TrainingJob, event: RunFinished, now: datetime) -> Change | None:
    if job.state is not JobState.RUNNING or job.phase is not JobPhase.TRAINING:
        return None  # cancelled meanwhile: cancellation wins until REGISTERING
    attempts = job.attempts
    if attempts and attempts[-1].end_time is None:
        attempts = (*attempts[:-1], replace(attempts[-1], end_time=now))
    progress = replace(
        job.progress,
        step=event.steps,
        total_steps=max(job.progress.total_steps, event.steps),
        loss=event.train_loss,
        eval_loss=event.eval_loss,
        train_examples=event.train_examples,
        eval_examples=event.eval_examples,
        tokens_processed=event.train_tokens,
        eta_seconds=None,
    )
    registering = replace(
        job,
        phase=JobPhase.REGISTERING,
        attempts=attempts,
        progress=progress,
        progress_fraction=TRAINING_SHARE,
    )
    return Change(registering, "registering adapter")


# ---------------------------------------------------------------------- adapter values


def _object_ref(store: ObjectStore, digest: Digest, media_type: str) -> ObjectRef:
    location = store.location(digest)
    uri = f"file://{location}" if os.path.isabs(location) else location
    return ObjectRef(
        uri=uri,
        sha256=bytes.fromhex(digest.hexdigest),
        size_bytes=store.size(digest),
        media_type=media_type,
    )


def _snapshots(job: TrainingJob) -> tuple[SnapshotLineage, ...]:
    return (
        SnapshotLineage(job.config.snapshot, job.snapshot_merkle_root, job.snapshot_record_count),
    )


def _metrics(finished: RunFinished) -> AdapterMetrics:
    perplexity = math.exp(min(finished.eval_loss, 700.0)) if finished.eval_examples else 0.0
    return AdapterMetrics(
        train_loss=finished.train_loss,
        eval_loss=finished.eval_loss,
        eval_perplexity=perplexity,
        train_examples=finished.train_examples,
        eval_examples=finished.eval_examples,
        train_tokens=finished.train_tokens,
        steps=finished.steps,
        train_duration_seconds=finished.train_duration_seconds,
        extra=dict(finished.extra_metrics),
    )


def _adapter(
    job: TrainingJob,
    finished: RunFinished,
    files: dict[str, ObjectRef],
    lineage: ObjectRef,
    version: int,
    tx: ChainTx,
) -> Adapter:
    return Adapter(
        adapter_id=job.config.adapter_id,
        version=version,
        base_model=job.config.base_model,
        base_model_revision=job.base_model_revision,
        snapshots=_snapshots(job),
        training_job=job.id,
        config=job.config,
        prompt_template=finished.prompt_template,
        metrics=_metrics(finished),
        adapter_sha256=files[ADAPTER_MODEL].sha256,
        trainable_parameters=finished.trainable_parameters,
        adapter_model=files[ADAPTER_MODEL],
        adapter_config=files[ADAPTER_CONFIG],
        lineage_manifest=lineage,
        attribution_features=files.get(FEATURES),
        registration=tx,
        owner=job.owner,
        fee_per_1k_tokens=job.config.fee_per_1k_tokens,
        create_time=utcnow(),
    )


def _found_registration(registered: RegisteredAdapter) -> ChainTx:
    """The transaction of a registration found on chain (after a crash or a receipt timeout);
    a bare SUCCEEDED record only when the chain no longer has its log."""
    if registered.transaction is not None:
        return registered.transaction
    return ChainTx(chain_id=0, contract_address="", status=TxStatus.SUCCEEDED)
