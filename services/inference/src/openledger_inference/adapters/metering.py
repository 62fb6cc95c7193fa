"""Metering on the bus: ``CompletionRecorded`` on ``ol:inference:completion:v1``, and the
completion ledger (the SQLite outbox and its relay) wired to it.

The event id of a completion's event is its inference id, so a completion published again (the
relay after a crash between recording and marking it published) is one event to every
consumer (the kit bus de-duplicates handlers by event id).
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.events.v1 import inference_events_pb2 as events
from openledger_inference.adapters.repository import Repository
from openledger_inference.domain.ledger import OutboxLedger
from openledger_inference.domain.model import Completion
from openledger_kit.bus import Publisher, catalogue
from openledger_kit.values_proto import timestamp

COMPLETION_STREAM = catalogue.INFERENCE_COMPLETION


def completion_recorded(completion: Completion) -> events.CompletionRecorded:
    usage, timings = completion.usage, completion.timings
    message = events.CompletionRecorded(
        inference_id=completion.inference_id,
        adapter="" if completion.adapter is None else str(completion.adapter),
        adapter_sha256=completion.adapter_sha256,
        base_model=completion.base_model,
        node=completion.node,
        provider_address=completion.provider_address,
        payer_address=completion.payer_address,
        prompt_token_ids=completion.prompt_token_ids,
        output_token_ids=completion.output_token_ids,
        prompt_token_count=usage.prompt_tokens,
        output_token_count=usage.output_tokens,
        finish_reason=f"COMPLETION_FINISH_REASON_{completion.finish_reason.value}",
        fee_per_1k_tokens=str(usage.fee_rate.fee_per_1k_tokens),
        fee_rate_block_number=usage.fee_rate.block_number,
        fee=str(usage.fee),
        create_time=timestamp(timings.create_time),
        complete_time=timestamp(timings.complete_time),
        output_text=completion.output_text,
    )
    if timings.first_token_time is not None:
        message.first_token_time.CopyFrom(timestamp(timings.first_token_time))
    return message


class CompletionEvents:
    """Publishes ``CompletionRecorded`` (``ledger.CompletionPublisher``)."""

    def __init__(
        self, redis: Redis, *, source: str, registry: CollectorRegistry | None = None
    ) -> None:
        self._publisher = Publisher(redis, source=source, registry=registry)

    async def publish(self, completion: Completion) -> None:
        await self._publisher.publish(
            COMPLETION_STREAM, completion_recorded(completion), event_id=completion.inference_id
        )


class SqlCompletionLedger(OutboxLedger):
    """The outbox ledger on the node's database; ``stop`` also closes the database."""

    def __init__(
        self,
        repository: Repository,
        events: CompletionEvents,
        *,
        relay_interval: float = 5.0,
    ) -> None:
        super().__init__(repository, events, relay_interval=relay_interval)
        self.repository = repository

    async def stop(self) -> None:
        await super().stop()
        await asyncio.to_thread(self.repository.close)


async def open_ledger(
    database_url: str,
    redis: Redis,
    *,
    source: str,
    registry: CollectorRegistry | None = None,
    relay_interval: float = 5.0,
) -> SqlCompletionLedger:
    """The node's completion ledger on ``database_url`` (migrated to the newest schema),
    publishing on ``redis`` as ``source``. Call ``start`` before recording."""
    repository = await asyncio.to_thread(Repository.open, database_url)
    events = CompletionEvents(redis, source=source, registry=registry)
    return SqlCompletionLedger(repository, events, relay_interval=relay_interval)
