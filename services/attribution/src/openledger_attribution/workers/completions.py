"""``AttributionWorker``: a member of consumer group ``attribution`` that scores every
``CompletionRecorded`` and stores the result with its PENDING settlement.

A worker killed mid-job loses nothing: its entry stays pending, the kit consumer replays it
when a worker of the same name restarts and any other member reclaims it once idle past the
visibility timeout; ``Repository.begin`` / ``finish`` make the second run harmless (the first
result stored wins, and scoring is deterministic, so both would have stored the same).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.events.v1 import datanet_events_pb2, inference_events_pb2
from openledger.events.v1 import modelfactory_events_pb2 as modelfactory_events
from openledger_attribution.adapters.bus import (
    COMPLETION_STREAM,
    completion_from_event,
    dead_letter,
)
from openledger_attribution.adapters.catalogue import CatalogueHandlers
from openledger_attribution.domain.attributor import Attributor
from openledger_attribution.domain.ports import Repository
from openledger_kit.bus import Consumer, ConsumerOptions, EventContext
from openledger_kit.bus import catalogue as streams
from openledger_kit.errors import FailedPrecondition, InvalidArgument, NotFound

logger = logging.getLogger(__name__)

GROUP = "attribution"
SNAPSHOT_STREAM = streams.DATANET_SNAPSHOT
ADAPTER_STREAM = streams.MODELFACTORY_ADAPTER

# What no retry can change: the completion is marked FAILED and its entry acknowledged.
# Anything else (Unavailable: an adapter not yet published, a store or chain away; Redis or
# connection errors) propagates, and the consumer retries the entry.
_PERMANENT = (InvalidArgument, FailedPrecondition, NotFound)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AttributionWorker:
    """One member of consumer group ``attribution``: ``CompletionRecorded`` on
    ``ol:inference:completion:v1`` → ``Attributor`` → ``Repository.finish``; plus the catalogue
    streams (``SnapshotPublished``, ``AdapterPublished``) through ``catalogue``'s handlers, each
    on a consumer of its own in the same group."""

    def __init__(
        self,
        *,
        redis: Redis,
        repository: Repository,
        attributor: Attributor,
        catalogue: CatalogueHandlers,
        name: str,
        options: ConsumerOptions | None = None,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._redis = redis
        self._repository = repository
        self._attributor = attributor
        self._clock = clock
        self.completions = Consumer(
            redis,
            COMPLETION_STREAM,
            group=GROUP,
            name=name,
            options=options,
            registry=registry,
        )
        self.completions.handle(inference_events_pb2.CompletionRecorded)(self.on_completion)
        self.snapshots = Consumer(
            redis,
            SNAPSHOT_STREAM,
            group=GROUP,
            name=name,
            options=options,
            registry=registry,
        )
        self.snapshots.handle(datanet_events_pb2.SnapshotPublished)(catalogue.on_snapshot)
        self.adapters = Consumer(
            redis,
            ADAPTER_STREAM,
            group=GROUP,
            name=name,
            options=options,
            registry=registry,
        )
        self.adapters.handle(modelfactory_events.AdapterPublished)(catalogue.on_adapter)

    @property
    def consumers(self) -> tuple[Consumer, ...]:
        # The catalogue first: a completion's adapter and snapshot are usually known by then.
        return (self.snapshots, self.adapters, self.completions)

    async def start(self) -> None:
        """Join the group on the three streams (``Unavailable`` when Redis is down)."""
        started: list[Consumer] = []
        try:
            for consumer in self.consumers:
                await consumer.start()
                started.append(consumer)
        except BaseException:
            for consumer in started:
                await consumer.stop(timeout=0)
            raise

    async def stop(self, timeout: float | None = None) -> None:
        """Stop reading, let the jobs under way finish (cancelled after ``timeout``: their
        entries stay pending for a replay) and acknowledge them."""
        await asyncio.gather(*(consumer.stop(timeout) for consumer in self.consumers))

    async def on_completion(
        self, event: inference_events_pb2.CompletionRecorded, ctx: EventContext
    ) -> None:
        """Attribute one completion (any finish reason: its fee was charged)."""
        try:
            completion = completion_from_event(event)
        except InvalidArgument as error:
            logger.warning("dead-lettering CompletionRecorded %s: %s", ctx.event_id, error.message)
            await dead_letter(self._redis, ctx, f"{error.reason}: {error.message}")
            return
        stored = await asyncio.to_thread(self._repository.begin, completion, self._clock())
        if stored.state.final:
            return
        try:
            scored = await self._attributor.attribute(completion)
        except _PERMANENT as error:
            logger.warning(
                "attribution of %s failed: %s (%s)",
                completion.inference_id,
                error.message,
                error.reason,
            )
            await asyncio.to_thread(
                self._repository.fail,
                completion.inference_id,
                error.reason,
                error.message,
                self._clock(),
            )
            return
        await asyncio.to_thread(self._repository.finish, scored.attribution, scored.settlement)
