"""The event bus on Redis Streams (DESIGN.md, "Event bus").

Publish typed events::

    publisher = Publisher(connect(settings.redis_url), source=settings.service_name)
    await publisher.publish(catalogue.SEQUENCER_BLOCK, BlockSealed(...))

Consume them in a consumer group::

    consumer = Consumer(redis, catalogue.SEQUENCER_BLOCK, group="datanet", name=pod_name)

    @consumer.handle(BlockSealed)
    async def on_block(block: BlockSealed, ctx: EventContext) -> None: ...

    await consumer.run()

Delivery is at least once; handlers must be idempotent (see ``idempotency``).
"""

from openledger_kit.bus import catalogue
from openledger_kit.bus.connection import connect
from openledger_kit.bus.consumer import Consumer
from openledger_kit.bus.context import EventContext
from openledger_kit.bus.envelope import MalformedEvent, new_event_id, open_envelope, seal
from openledger_kit.bus.handlers import Handler
from openledger_kit.bus.metrics import BusMetrics, bus_metrics
from openledger_kit.bus.options import ConsumerOptions, ConsumerStats
from openledger_kit.bus.publisher import DEFAULT_MAXLEN, Published, Publisher
from openledger_kit.bus.streams import Stream

__all__ = [
    "DEFAULT_MAXLEN",
    "BusMetrics",
    "Consumer",
    "ConsumerOptions",
    "ConsumerStats",
    "EventContext",
    "Handler",
    "MalformedEvent",
    "Published",
    "Publisher",
    "Stream",
    "bus_metrics",
    "catalogue",
    "connect",
    "new_event_id",
    "open_envelope",
    "seal",
]
