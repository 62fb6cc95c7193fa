"""Prefetch on ``ol:modelfactory:adapter:v1``: every published adapter's descriptor seeds the
node's ModelFactory directory, and (when enabled) adapters of the node's base model are
fetched and verified into the DISK tier before their first request.

Every node needs every event, so each node consumes in a group of its own (name it after the
node, stably across restarts); a group shared by several nodes would split the events among
them. Handling is idempotent: a second delivery finds the adapter already cached.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from openledger.events.v1 import modelfactory_events_pb2 as events
from openledger_inference.adapters.modelfactory import ModelFactoryDirectory, descriptor_from_event
from openledger_inference.domain.adapter_manager import AdapterManager
from openledger_kit.bus import Consumer, ConsumerOptions, EventContext, catalogue
from openledger_kit.errors import InvalidArgument

logger = logging.getLogger(__name__)

ADAPTER_STREAM = catalogue.MODELFACTORY_ADAPTER

DEFAULT_OPTIONS = ConsumerOptions(
    # Each prefetch downloads and hashes an adapter: a few at a time is plenty.
    concurrency=2,
    batch_size=16,
    # ModelFactory's job updates do not travel on this stream, but other event types might.
    dead_letter_unhandled=False,
)


class AdapterPrefetcher:
    """The node's consumer of ``AdapterPublished`` events."""

    def __init__(
        self,
        redis: Redis,
        *,
        directory: ModelFactoryDirectory,
        manager: AdapterManager,
        group: str,
        name: str | None = None,
        prefetch: bool = True,
        options: ConsumerOptions = DEFAULT_OPTIONS,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._directory = directory
        self._manager = manager
        self._prefetch = prefetch
        self._consumer = Consumer(
            redis, ADAPTER_STREAM, group=group, name=name, options=options, registry=registry
        )
        self._consumer.handle(events.AdapterPublished)(self._on_published)

    async def start(self) -> None:
        """Join the group and start consuming (``Unavailable`` when Redis is down)."""
        await self._consumer.start()

    async def stop(self, timeout: float | None = None) -> None:
        """Finish the prefetches under way (cancelled after ``timeout``) and stop."""
        await self._consumer.stop(timeout=timeout)

    async def _on_published(self, message: events.AdapterPublished, ctx: EventContext) -> None:
        try:
            descriptor = descriptor_from_event(message)
        except InvalidArgument as error:
            # Redelivering a malformed event cannot fix it.
            logger.warning("ignoring AdapterPublished event %s: %s", ctx.event_id, error.message)
            return
        self._directory.remember(descriptor)
        if self._prefetch:
            await self._manager.prefetch(descriptor)
