"""``EventPublisher`` and ``JobUpdateFeed`` on a real Redis: the events carry the job and adapter
field by field under stable event ids, and the feed yields one job's updates recorded after
``follow`` was called, in order, also before the caller starts iterating."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from openledger.common.v1 import chain_pb2, job_pb2
from openledger.events.v1 import modelfactory_events_pb2 as events
from openledger_kit import bus
from openledger_kit.bus.envelope import open_payload
from openledger_kit.testing.processes import RedisProcess
from openledger_modelfactory.adapters.bus import (
    ADAPTER_STREAM,
    JOB_STREAM,
    EventPublisher,
    JobUpdateFeed,
)
from openledger_modelfactory.domain.model import JobState, JobUpdate, Progress
from services.modelfactory.tests import domain_samples as samples


@pytest.fixture
async def redis(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    client = bus.connect(redis_server.url)
    yield client
    await client.aclose()


async def last_entry(redis: Redis, key: str) -> tuple[str, dict[bytes, bytes]]:
    entries: Any = await redis.xrevrange(key, count=1)
    ((entry_id, fields),) = entries
    return str(entry_id.decode()), fields


async def test_job_updated_event(redis: Redis) -> None:
    publisher = EventPublisher(redis, source="modelfactory-test")
    job = samples.training_job()
    update = samples.job_update(job, 9)
    await publisher.job_updated(job, update)
    _, fields = await last_entry(redis, JOB_STREAM.key)
    envelope = bus.open_envelope(fields)
    assert envelope.id == f"job:{job.id}:9"
    assert envelope.source == "modelfactory-test"
    message = open_payload(envelope, events.TrainingJobUpdated)
    assert message.job == f"jobs/{job.id}"
    assert message.sequence == 9
    assert message.state == job_pb2.JOB_STATE_RUNNING
    assert message.owner_address == samples.OWNER
    assert message.base_model == "tiny-llama"
    assert list(message.snapshots) == ["datanets/medical/snapshots/v3"]
    assert (message.step, message.total_steps) == (200, 400)
    assert message.progress == 0.5
    assert message.HasField("loss") and message.loss == 1.25
    assert message.tokens_per_second == 321.5
    assert message.eta.ToNanoseconds() == 90_500_000_000
    assert message.create_time.ToDatetime().isoformat() == "2026-03-01T12:00:00"
    assert message.HasField("start_time") and not message.HasField("end_time")
    assert message.update_time.ToSeconds() == int(update.update_time.timestamp())


async def test_job_updated_before_the_first_step_and_terminal(redis: Redis) -> None:
    publisher = EventPublisher(redis, source="modelfactory-test")
    queued = samples.training_job(state=JobState.QUEUED, progress=Progress(), start_time=None)
    await publisher.job_updated(queued, samples.job_update(queued, 1, progress=Progress()))
    _, fields = await last_entry(redis, JOB_STREAM.key)
    first = open_payload(bus.open_envelope(fields), events.TrainingJobUpdated)
    assert first.state == job_pb2.JOB_STATE_QUEUED
    assert not first.HasField("loss") and not first.HasField("tokens_per_second")
    assert not first.HasField("eta") and not first.HasField("start_time")

    failed = samples.training_job(
        state=JobState.FAILED,
        end_time=samples.T0,
        error_reason="OUT_OF_MEMORY",
        error_message="worker 0 ran out of memory",
    )
    await publisher.job_updated(
        failed,
        samples.job_update(
            failed,
            12,
            error_reason=failed.error_reason,
            error_message=failed.error_message,
        ),
    )
    _, fields = await last_entry(redis, JOB_STREAM.key)
    last = open_payload(bus.open_envelope(fields), events.TrainingJobUpdated)
    assert last.state == job_pb2.JOB_STATE_FAILED
    assert last.error_reason == "OUT_OF_MEMORY"
    assert last.error_message == "worker 0 ran out of memory"
    assert not last.HasField("eta")  # a terminal update has no time left
    assert last.HasField("end_time")


async def test_adapter_published_event(redis: Redis) -> None:
    publisher = EventPublisher(redis, source="modelfactory-test")
    adapter = samples.adapter()
    await publisher.adapter_published(adapter)
    _, fields = await last_entry(redis, ADAPTER_STREAM.key)
    envelope = bus.open_envelope(fields)
    assert envelope.id == "adapter:medical-qa@3"
    message = open_payload(envelope, events.AdapterPublished)
    assert (message.adapter_id, message.version, message.adapter) == (
        "medical-qa",
        3,
        "medical-qa@3",
    )
    assert message.base_model == "tiny-llama"
    assert message.base_model_revision == "ab" * 32
    assert [(s.snapshot, s.merkle_root, s.record_count) for s in message.snapshots] == [
        ("datanets/medical/snapshots/v3", samples.ROOT, 300)
    ]
    assert message.adapter_sha256 == adapter.adapter_sha256
    assert message.adapter_model.sha256 == adapter.adapter_sha256
    assert message.adapter_config.media_type == "application/json"
    assert message.lineage_manifest.uri == adapter.lineage_manifest.uri
    assert message.attribution_features.size_bytes == 1000
    assert message.prompt_template == adapter.prompt_template
    assert message.fee_per_1k_tokens == str(10**20)
    assert message.owner_address == samples.OWNER
    assert message.training_job == f"jobs/{adapter.training_job}"
    assert message.registration.status == chain_pb2.CHAIN_TRANSACTION_STATUS_SUCCEEDED
    assert message.registration.block_number == 77
    assert message.publish_time.ToSeconds() == int(adapter.create_time.timestamp())

    without = samples.adapter(attribution_features=None, version=4)
    await publisher.adapter_published(without)
    _, fields = await last_entry(redis, ADAPTER_STREAM.key)
    assert not open_payload(bus.open_envelope(fields), events.AdapterPublished).HasField(
        "attribution_features"
    )


async def test_feed_yields_one_jobs_updates_recorded_after_follow(redis: Redis) -> None:
    publisher = EventPublisher(redis, source="modelfactory-test")
    job = samples.training_job()
    other = samples.training_job()
    feed = JobUpdateFeed(redis, block_ms=200, lookback_seconds=0)
    # Where the feed starts is fixed here, before anything is read or published.
    updates = feed.follow(job.id)
    await publisher.job_updated(job, samples.job_update(job, 10))
    await publisher.job_updated(other, samples.job_update(other, 10))
    done = dataclasses.replace(
        job, state=JobState.SUCCEEDED, adapter="medical-qa@3", end_time=samples.T0
    )
    await publisher.job_updated(done, samples.job_update(done, 11, adapter="medical-qa@3"))

    received: list[JobUpdate] = []
    async for update in updates:
        received.append(update)
        if update.state.terminal:
            break
    assert [(u.job_id, u.sequence, u.state) for u in received] == [
        (job.id, 10, JobState.RUNNING),
        (job.id, 11, JobState.SUCCEEDED),
    ]
    first = received[0]
    assert first.progress.step == 200 and first.progress.total_steps == 400
    assert first.progress.loss == 1.25 and first.progress.eta_seconds == 90.5
    assert first.progress_fraction == 0.5
    assert received[1].adapter == "medical-qa@3"


async def test_feed_waits_for_updates_and_reads_the_recorded_ones(redis: Redis) -> None:
    publisher = EventPublisher(redis, source="modelfactory-test")
    job = samples.training_job()
    recorded = {12: samples.job_update(job, 12, message="attempt 2 resumed from step 100")}

    async def lookup(job_id: str, sequence: int) -> JobUpdate | None:
        assert job_id == job.id
        return recorded.get(sequence)

    feed = JobUpdateFeed(redis, recorded=lookup, block_ms=100)
    updates = feed.follow(job.id)
    first = asyncio.ensure_future(anext(updates))
    await asyncio.sleep(0.3)  # the reader is blocked in XREAD, nothing for it yet
    assert not first.done()
    await publisher.job_updated(job, samples.job_update(job, 12))
    full = await first
    # The event has no message or checkpoint: the recorded update has them.
    assert full == recorded[12]
    await publisher.job_updated(job, samples.job_update(job, 13))
    bare = await anext(updates)
    assert bare.sequence == 13 and bare.message == "" and bare.checkpoint is None
    await updates.aclose()  # type: ignore[attr-defined]
