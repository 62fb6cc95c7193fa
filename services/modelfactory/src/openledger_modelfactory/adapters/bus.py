"""ModelFactory on the bus: ``TrainingJobUpdated`` on ``ol:modelfactory:job:v1`` and
``AdapterPublished`` on ``ol:modelfactory:adapter:v1`` (``EventPublisher``), and the live job
updates ``WatchJob`` streams (``JobUpdateFeed``).

Event ids are derived from what the event is about (``job:<job id>:<sequence>``,
``adapter:<adapter_id>@<version>``), so publishing the same fact twice (a retry, a runner
resuming after a crash) is recognised as one event by every consumer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC
from typing import Any

from google.protobuf.duration_pb2 import Duration
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.common.v1 import job_pb2
from openledger.events.v1 import modelfactory_events_pb2 as events
from openledger_kit.bus import MalformedEvent, Publisher, catalogue, open_envelope
from openledger_kit.bus.connection import require_bytes_client
from openledger_kit.bus.envelope import open_payload
from openledger_kit.values_proto import chain_tx_message, object_ref_message, timestamp
from openledger_modelfactory.domain.model import (
    Adapter,
    JobState,
    JobUpdate,
    Progress,
    TrainingJob,
    job_name,
)

logger = logging.getLogger(__name__)

JOB_STREAM = catalogue.MODELFACTORY_JOB
ADAPTER_STREAM = catalogue.MODELFACTORY_ADAPTER

JOB_PREFIX = "jobs/"


def job_event_id(job_id: str, sequence: int) -> str:
    return f"job:{job_id}:{sequence}"


def adapter_event_id(adapter_ref: str) -> str:
    return f"adapter:{adapter_ref}"


# ---------------------------------------------------------------------------------- messages


def duration(seconds: float) -> Duration:
    value = Duration()
    value.FromNanoseconds(round(seconds * 1e9))
    return value


def job_state(state: JobState) -> str:
    """The ``common.v1.JobState`` value name, which message constructors accept."""
    return f"JOB_STATE_{state.value}"


def job_updated_message(job: TrainingJob, update: JobUpdate) -> events.TrainingJobUpdated:
    progress = update.progress
    message = events.TrainingJobUpdated(
        job=job_name(update.job_id),
        sequence=update.sequence,
        state=job_state(update.state),
        owner_address=job.owner,
        base_model=job.config.base_model,
        snapshots=[job.config.snapshot],
        step=progress.step,
        total_steps=progress.total_steps,
        progress=update.progress_fraction,
        adapter=update.adapter,
        error_reason=update.error_reason,
        error_message=update.error_message,
        create_time=timestamp(job.create_time),
        update_time=timestamp(update.update_time),
    )
    # Loss and throughput mean nothing before the first optimiser step, so they stay unset.
    if progress.step > 0:
        message.loss = progress.loss
        message.tokens_per_second = progress.tokens_per_second
    if progress.eta_seconds is not None and not update.state.terminal:
        message.eta.CopyFrom(duration(progress.eta_seconds))
    if job.start_time is not None:
        message.start_time.CopyFrom(timestamp(job.start_time))
    if job.end_time is not None:
        message.end_time.CopyFrom(timestamp(job.end_time))
    return message


def adapter_published_message(adapter: Adapter) -> events.AdapterPublished:
    message = events.AdapterPublished(
        adapter_id=adapter.adapter_id,
        version=adapter.version,
        adapter=adapter.ref,
        base_model=adapter.base_model,
        base_model_revision=adapter.base_model_revision,
        snapshots=[
            events.AdapterTrainingSnapshot(
                snapshot=s.snapshot, merkle_root=s.merkle_root, record_count=s.record_count
            )
            for s in adapter.snapshots
        ],
        adapter_sha256=adapter.adapter_sha256,
        adapter_model=object_ref_message(adapter.adapter_model),
        adapter_config=object_ref_message(adapter.adapter_config),
        lineage_manifest=object_ref_message(adapter.lineage_manifest),
        prompt_template=adapter.prompt_template,
        fee_per_1k_tokens=str(adapter.fee_per_1k_tokens),
        owner_address=adapter.owner,
        training_job=job_name(adapter.training_job),
        registration=chain_tx_message(adapter.registration),
        publish_time=timestamp(adapter.create_time),
    )
    if adapter.attribution_features is not None:
        message.attribution_features.CopyFrom(object_ref_message(adapter.attribution_features))
    return message


def update_from_event(message: events.TrainingJobUpdated) -> JobUpdate:
    """The ``JobUpdate`` an event carries. The event has no attempt, epoch, learning rate,
    checkpoint or message: those stay at their defaults (``JobUpdateFeed`` fills them from the
    recorded update when it has a way to read it)."""
    return JobUpdate(
        job_id=message.job.removeprefix(JOB_PREFIX),
        sequence=message.sequence,
        state=JobState(job_pb2.JobState.Name(message.state).removeprefix("JOB_STATE_")),
        attempt=0,
        progress=Progress(
            step=message.step,
            total_steps=message.total_steps,
            loss=message.loss,
            tokens_per_second=message.tokens_per_second,
            eta_seconds=(message.eta.ToNanoseconds() / 1e9 if message.HasField("eta") else None),
        ),
        progress_fraction=message.progress,
        update_time=message.update_time.ToDatetime(tzinfo=UTC),
        adapter=message.adapter,
        error_reason=message.error_reason,
        error_message=message.error_message,
    )


# ---------------------------------------------------------------------------------- publisher


class EventPublisher:
    """Publishes the service's events (``ports.Events``; see the module docstring for ids)."""

    def __init__(
        self, redis: Redis, *, source: str, registry: CollectorRegistry | None = None
    ) -> None:
        self._publisher = Publisher(redis, source=source, registry=registry)

    async def job_updated(self, job: TrainingJob, update: JobUpdate) -> None:
        await self._publisher.publish(
            JOB_STREAM,
            job_updated_message(job, update),
            event_id=job_event_id(update.job_id, update.sequence),
        )

    async def adapter_published(self, adapter: Adapter) -> None:
        await self._publisher.publish(
            ADAPTER_STREAM,
            adapter_published_message(adapter),
            event_id=adapter_event_id(adapter.ref),
        )


# ---------------------------------------------------------------------------------- feed

RecordedUpdate = Callable[[str, int], Awaitable[JobUpdate | None]]
"""Reads the update ``(job_id, sequence)`` as recorded (the repository's job updates)."""


class JobUpdateFeed:
    """Live job updates for ``WatchJob`` (``ports.UpdateFeed``), from ``ol:modelfactory:job:v1``.

    Every watcher tails the whole job stream with ``XREAD BLOCK`` and keeps its own job's
    updates. Jobs are few and heavy (minutes to hours, about one update a second each), so one
    stream read by each watcher is cheap and needs no per-job channel, and any API replica
    serves any watcher.

    ``follow`` fixes where it starts the moment it is called, with no I/O: at the stream id of
    ``now - lookback_seconds`` by this machine's clock (stream ids are Redis's milliseconds).
    A caller that follows and then reads the job's current state thus misses no update
    recorded after that read, as long as the Redis clock is not behind this one by more than
    the look-back; updates the look-back reads again are older than the current state, and the
    caller drops them by ``sequence``.

    ``recorded`` (optional) reads the full update as recorded: the event lacks the attempt,
    epoch, learning rate, checkpoint and message, which ``WatchJob`` streams.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        recorded: RecordedUpdate | None = None,
        # Below redis-py's 5 s socket timeout, which an XREAD BLOCK of 5 s would reach.
        block_ms: int = 2_000,
        lookback_seconds: float = 10.0,
    ) -> None:
        require_bytes_client(redis)
        self._redis = redis
        self._recorded = recorded
        self._block_ms = block_ms
        self._lookback_ms = int(lookback_seconds * 1000)

    def follow(self, job_id: str) -> AsyncIterator[JobUpdate]:
        start = f"{max(time.time_ns() // 1_000_000 - self._lookback_ms, 0)}-0"
        return self._tail(job_id, start)

    async def _tail(self, job_id: str, after: str) -> AsyncIterator[JobUpdate]:
        name = job_name(job_id)
        while True:
            reply: Any = await self._redis.xread(
                {JOB_STREAM.key: after}, count=100, block=self._block_ms
            )
            for _key, entries in reply or ():
                for entry_id, fields in entries:
                    after = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                    message = _decode(fields)
                    if message is None or message.job != name:
                        continue
                    yield await self._full(update_from_event(message))

    async def _full(self, update: JobUpdate) -> JobUpdate:
        if self._recorded is None:
            return update
        recorded = await self._recorded(update.job_id, update.sequence)
        return update if recorded is None else recorded


def _decode(fields: dict[bytes, bytes]) -> events.TrainingJobUpdated | None:
    try:
        return open_payload(open_envelope(fields), events.TrainingJobUpdated)
    except MalformedEvent as error:
        logger.warning("skipping a malformed entry on %s: %s", JOB_STREAM.key, error)
        return None
