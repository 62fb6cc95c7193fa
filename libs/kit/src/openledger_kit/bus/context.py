"""What a handler receives besides its payload: the event's metadata and delivery state."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

from redis.asyncio.client import Pipeline

from openledger.events.v1.envelope_pb2 import Envelope


class EventContext:
    """Metadata of the event being handled.

    ``delivery_count`` is 1 on first delivery and grows each time the entry is replayed or
    reclaimed. ``done_key`` and ``mark_done`` let a handler record the event as done atomically
    with an effect it writes to the same Redis (see ``openledger_kit.bus.idempotency``).
    """

    __slots__ = (
        "envelope",
        "entry_id",
        "delivery_count",
        "stream",
        "group",
        "consumer",
        "done_key",
    )

    def __init__(
        self,
        envelope: Envelope,
        *,
        entry_id: str,
        delivery_count: int,
        stream: str,
        group: str,
        consumer: str,
        done_key: str,
    ) -> None:
        self.envelope = envelope
        self.entry_id = entry_id
        self.delivery_count = delivery_count
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.done_key = done_key

    @property
    def event_id(self) -> str:
        """The producer-assigned event id (UUIDv7); the idempotency key."""
        return self.envelope.id

    @property
    def type(self) -> str:
        """Fully qualified protobuf name of the payload."""
        return self.envelope.type

    @property
    def source(self) -> str:
        """The producer that published the event."""
        return self.envelope.source

    @property
    def time(self) -> datetime:
        """When the producer created the event (UTC)."""
        return self.envelope.time.ToDatetime(tzinfo=UTC)

    @property
    def trace_context(self) -> Mapping[str, str]:
        """The W3C trace context the producer attached."""
        return self.envelope.trace_context

    def mark_done(self, pipe: Pipeline) -> None:
        """Queue this event's done mark on ``pipe``, the handler's own MULTI with its effect.

        After that MULTI commits, a redelivery of the event is acknowledged without handling.
        """
        pipe.zadd(self.done_key, {self.event_id: time.time_ns() // 1_000_000})
