"""The run channel on a real Redis: messages in order, attempt numbers across relaunches,
unknown kinds skipped, deletion."""

from __future__ import annotations

import uuid

import redis

from openledger_kit.testing.processes import RedisProcess
from openledger_modelfactory.adapters.run_channel import (
    AsyncRunChannel,
    RunChannel,
    stream_key,
)
from openledger_modelfactory.training.events import (
    AttemptStarted,
    CheckpointSaved,
    DataPrepared,
    RunEvent,
    RunFinished,
    StoredFile,
)


def _job() -> str:
    return f"job-{uuid.uuid4().hex[:12]}"


async def test_messages_arrive_in_order(redis_server: RedisProcess) -> None:
    job = _job()
    writer = RunChannel(redis_server.url)
    reader = AsyncRunChannel(redis_server.url)
    sent: list[RunEvent] = [
        DataPrepared(
            train_examples=9,
            eval_examples=1,
            skipped_examples=0,
            truncated_examples=2,
            total_steps=5,
        ),
        AttemptStarted(attempt=1),
        CheckpointSaved(step=2, epoch=0.4, loss=1.5, uri="/tmp/ckpt"),
        RunFinished(
            files={"adapter_model.safetensors": StoredFile("ab" * 32, 10, "application/json")},
            train_loss=1.0,
            eval_loss=1.1,
            train_examples=9,
            eval_examples=1,
            train_tokens=90,
            steps=5,
            train_duration_seconds=1.0,
            trainable_parameters=8,
            prompt_template="{{x}}",
        ),
    ]
    try:
        ids = [writer.publish(job, event) for event in sent]
        first = await reader.read(job, "0", block_ms=100)
        assert [event for _, event in first] == sent
        assert [entry for entry, _ in first] == ids
        after_two = await reader.read(job, ids[1], block_ms=100)
        assert [event for _, event in after_two] == sent[2:]
        assert await reader.read(job, ids[-1], block_ms=50) == []
    finally:
        writer.close()
        await reader.close()


async def test_unknown_kinds_are_skipped_without_stalling(redis_server: RedisProcess) -> None:
    job = _job()
    client = redis.Redis.from_url(redis_server.url)
    writer = RunChannel(redis_server.url)
    reader = AsyncRunChannel(redis_server.url)
    try:
        client.xadd(stream_key(job), {"event": '{"kind": "from_the_future", "x": 1}'})
        assert await reader.read(job, "0", block_ms=50) == []
        last = writer.publish(job, AttemptStarted(attempt=3))
        read = await reader.read(job, "0", block_ms=50)
        assert read == [(last, AttemptStarted(attempt=3))]
    finally:
        client.close()
        writer.close()
        await reader.close()


async def test_attempts_continue_across_relaunches(redis_server: RedisProcess) -> None:
    job = _job()
    channel = RunChannel(redis_server.url)
    reader = AsyncRunChannel(redis_server.url)
    try:
        assert channel.next_attempt(job) == 1
        assert channel.next_attempt(job) == 2  # Ray restarted the worker group
        # A relaunched driver is told its first attempt; the counter never goes back.
        assert channel.next_attempt(job, first_attempt=3) == 3
        assert channel.next_attempt(job, first_attempt=2) == 4
        other = _job()
        assert channel.next_attempt(other, first_attempt=5) == 5  # counter gone: seeded
        channel.publish(job, AttemptStarted(attempt=4))
        await reader.delete(job)
        assert await reader.read(job, "0", block_ms=50) == []
        assert channel.next_attempt(job) == 1
    finally:
        channel.close()
        await reader.close()
