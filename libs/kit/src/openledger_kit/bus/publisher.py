"""Publishing typed events: seal protobuf messages into envelopes and XADD them, pipelined."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NamedTuple

from google.protobuf.message import Message
from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from openledger.events.v1.envelope_pb2 import Envelope
from openledger_kit.bus.connection import require_bytes_client
from openledger_kit.bus.envelope import (
    ENVELOPE_FIELD,
    TYPE_URL_PREFIX,
    check_event_id,
    new_event_ids,
)
from openledger_kit.bus.metrics import bus_metrics
from openledger_kit.bus.streams import BUS_DOMAIN, Stream
from openledger_kit.bus.tracing import current_trace_context
from openledger_kit.errors import InvalidArgument, Unavailable

DEFAULT_MAXLEN = 1_000_000
"""Approximate stream length kept by trimming: far beyond any consumer's expected lag."""


class Published(NamedTuple):
    """Where one event went: its event id and the stream entry id Redis assigned."""

    event_id: str
    entry_id: str


class Publisher:
    """Publishes protobuf messages on streams, each wrapped in an ``Envelope``.

    ``source`` names the producer (``ServiceSettings.service_name``). Streams are trimmed with
    ``XADD ... MAXLEN ~ maxlen``. The current OpenTelemetry context is injected into every
    envelope, so consumers' spans join the publisher's trace.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        source: str,
        maxlen: int = DEFAULT_MAXLEN,
        chunk_size: int = 1000,
        registry: CollectorRegistry | None = None,
    ) -> None:
        require_bytes_client(redis)
        if maxlen <= 0 or chunk_size <= 0:
            raise InvalidArgument("maxlen", "maxlen and chunk_size must be positive")
        self._redis = redis
        self._source = source
        self._maxlen = maxlen
        self._chunk_size = chunk_size
        self._metrics = bus_metrics(registry)
        self._published: dict[str, Counter] = {}

    async def publish(
        self, stream: Stream, message: Message, *, event_id: str | None = None
    ) -> Published:
        """Publish one event. Pass ``event_id`` to make a retry recognisable as a duplicate."""
        ((eid, data),) = self._seal(stream, [message], None if event_id is None else [event_id])
        try:
            entry_id = await self._redis.xadd(
                stream.key, {ENVELOPE_FIELD: data}, maxlen=self._maxlen, approximate=True
            )
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise _unavailable(stream, exc) from exc
        self._count(stream, 1)
        return Published(eid, _text(entry_id))

    async def publish_many(
        self,
        stream: Stream,
        messages: Sequence[Message],
        *,
        event_ids: Sequence[str] | None = None,
    ) -> list[Published]:
        """Publish many events in pipelines of ``chunk_size`` XADDs, in order.

        Not atomic: after an ``Unavailable`` error a prefix may have been published. Retrying
        with the same ``event_ids`` is safe, because consumers skip event ids they have done.
        """
        sealed = self._seal(stream, messages, event_ids)
        entry_ids: list[bytes | str] = []
        try:
            for start in range(0, len(sealed), self._chunk_size):
                pipe = self._redis.pipeline(transaction=False)
                for _, data in sealed[start : start + self._chunk_size]:
                    pipe.execute_command(*self._xadd(stream, data))
                entry_ids.extend(await pipe.execute())
        except (RedisConnectionError, RedisTimeoutError) as exc:
            self._count(stream, len(entry_ids))
            raise _unavailable(stream, exc) from exc
        self._count(stream, len(entry_ids))
        return [
            Published(eid, _text(entry_id))
            for (eid, _), entry_id in zip(sealed, entry_ids, strict=True)
        ]

    def _xadd(self, stream: Stream, data: bytes) -> tuple[object, ...]:
        return ("XADD", stream.key, "MAXLEN", "~", self._maxlen, "*", ENVELOPE_FIELD, data)

    def _seal(
        self, stream: Stream, messages: Sequence[Message], event_ids: Sequence[str] | None
    ) -> list[tuple[str, bytes]]:
        if event_ids is None:
            event_ids = new_event_ids(len(messages))
        else:
            if len(event_ids) != len(messages):
                raise InvalidArgument("event_ids", "needs one event id per message")
            for event_id in event_ids:
                check_event_id(event_id)
        # One envelope is reused for the batch: the events share source, time and trace
        # context, and setting two fields is much cheaper than building a message per event.
        envelope = Envelope(source=self._source)
        envelope.time.FromNanoseconds(time.time_ns())
        envelope.trace_context.update(current_trace_context())
        sealed: list[tuple[str, bytes]] = []
        payload_class: type[Message] | None = None
        for message, event_id in zip(messages, event_ids, strict=True):
            if type(message) is not payload_class:
                payload_class = type(message)
                type_name = message.DESCRIPTOR.full_name
                stream.check_payload_type(type_name)
                envelope.type = type_name
                envelope.payload.type_url = TYPE_URL_PREFIX + type_name
            envelope.id = event_id
            envelope.payload.value = message.SerializeToString()
            sealed.append((event_id, envelope.SerializeToString()))
        return sealed

    def _count(self, stream: Stream, n: int) -> None:
        counter = self._published.get(stream.key)
        if counter is None:
            counter = self._published[stream.key] = self._metrics.published.labels(stream.key)
        counter.inc(n)


def _unavailable(stream: Stream, exc: Exception) -> Unavailable:
    return Unavailable(
        f"could not publish on {stream.key}: {exc}",
        reason="BUS_UNAVAILABLE",
        domain=BUS_DOMAIN,
        metadata={"stream": stream.key},
    )


def _text(entry_id: bytes | str) -> str:
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id
