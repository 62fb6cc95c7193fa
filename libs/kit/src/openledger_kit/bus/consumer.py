"""Consumer-group workers: handlers declared per payload type, run with at-least-once delivery,
deduplication by event id, reclaiming from dead consumers and a dead-letter stream.

Life of an entry in one consumer:

1. *read*: on start the consumer replays its own pending entries (XREADGROUP from id 0), then
   reads new ones (``>``); a maintenance task takes over entries other consumers left idle past
   the visibility timeout (XAUTOCLAIM). Reads are batched and bounded by the in-flight limit.
2. *admit*: envelopes are decoded; entries that are not envelopes, or were delivered more than
   ``max_deliveries`` times, go to the DLQ; the batch's event ids are checked against the
   done-set in one round trip, and ids already done are acknowledged without handling.
3. *handle*: ``concurrency`` worker tasks run the handlers, each in a span that continues the
   producer's trace.
4. *commit*: finished entries are acknowledged in batches, each batch's XACK atomic with its
   done marks (dead letters: XADD to the DLQ and XACK in one MULTI). A handler that raised
   leaves its entry pending; it is retried when reclaimed, and dead-lettered at the
   ``max_deliveries``-th failure.

Acknowledgement follows the handler's return, so an effect is committed before its entry is
acknowledged; see ``openledger_kit.bus.idempotency`` for the crash window in between.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import socket
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from google.protobuf.message import DecodeError, Message
from opentelemetry import trace
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from openledger.events.v1.envelope_pb2 import Envelope
from openledger_kit.bus.acks import Acknowledger, DeadLetter
from openledger_kit.bus.connection import require_bytes_client
from openledger_kit.bus.context import EventContext
from openledger_kit.bus.envelope import MalformedEvent, open_envelope
from openledger_kit.bus.handlers import Handler, HandlerRegistry
from openledger_kit.bus.idempotency import DoneSet
from openledger_kit.bus.metrics import bus_metrics
from openledger_kit.bus.options import ConsumerOptions, ConsumerStats
from openledger_kit.bus.streams import BUS_DOMAIN, Stream
from openledger_kit.bus.tracing import HandlerSpans
from openledger_kit.bus.workqueue import WorkQueue
from openledger_kit.errors import FailedPrecondition, Unavailable

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
Entry = tuple[bytes, dict[bytes, bytes]]

# What became of a delivery; the committer turns each into Redis commands and counts.
_DONE = 0  # handled: mark done, acknowledge
_DUPLICATE = 1  # event id already done (or in flight here): acknowledge only
_DISCARD = 2  # nothing to handle (entry trimmed, or no handler and not dead-lettered)
_DEAD = 3  # to the dead-letter stream, then acknowledge
_RELEASE = 4  # handler failed: leave pending for a retry after the visibility timeout

_TRANSIENT = (RedisConnectionError, RedisTimeoutError)
_COMMIT_ATTEMPTS = 5


class _Delivery:
    __slots__ = ("entry_id", "fields", "deliveries", "envelope", "event_id")

    def __init__(self, entry_id: bytes, fields: dict[bytes, bytes], deliveries: int) -> None:
        self.entry_id = entry_id
        self.fields = fields
        self.deliveries = deliveries
        self.envelope: Envelope | None = None
        # Set once this delivery holds its event id in the consumer's in-flight set, which
        # makes a second copy of the same event arriving meanwhile a duplicate.
        self.event_id = ""


_Outcome = tuple[int, _Delivery, str | None]


class Consumer:
    """One member of a consumer group on one stream.

    Declare handlers with ``@consumer.handle(PayloadType)`` (or ``handlers={...}``), then
    ``await consumer.run()`` (until cancelled) or ``start()`` / ``stop()``. ``name`` identifies
    this member in the group and must be stable across restarts (a pod name), so that a
    restarted consumer replays what it had been given; it defaults to the host name.
    """

    def __init__(
        self,
        redis: Redis,
        stream: Stream,
        *,
        group: str,
        name: str | None = None,
        handlers: Mapping[type[Message], Handler[Any]] | None = None,
        options: ConsumerOptions | None = None,
        registry: CollectorRegistry | None = None,
        tracer_provider: trace.TracerProvider | None = None,
    ) -> None:
        require_bytes_client(redis)
        self.stream = stream
        self.group = group
        self.name = name or socket.gethostname()
        self.options = options or ConsumerOptions()
        self.stats = ConsumerStats()
        self._redis = redis
        self._key = stream.key
        self._handlers = HandlerRegistry()
        for payload_type, handler in (handlers or {}).items():
            self._handlers.register(payload_type, handler)
        self._done = DoneSet(
            redis,
            stream.done_key(group),
            retention_seconds=self.options.dedupe_retention_seconds,
        )
        self._acks = Acknowledger(
            redis,
            stream,
            group,
            done_key=self._done.key,
            dead_letter_maxlen=self.options.dead_letter_maxlen,
        )
        self._spans = HandlerSpans(stream.key, group, tracer_provider)
        metrics = bus_metrics(registry)
        labels = (stream.key, group)
        self._m_processed = metrics.processed.labels(*labels)
        self._m_failed = metrics.failed.labels(*labels)
        self._m_dead = metrics.dead_lettered.labels(*labels)
        self._m_duplicates = metrics.duplicates.labels(*labels)
        self._m_reclaimed = metrics.reclaimed.labels(*labels)
        self._m_latency = metrics.handler_duration.labels(*labels)
        self._m_pending = metrics.pending.labels(*labels)
        self._m_lag = metrics.lag.labels(*labels)

        self._queue = WorkQueue[_Delivery]()
        self._in_flight: dict[bytes, _Delivery] = {}
        self._events_in_flight: set[str] = set()
        self._outcomes: list[_Outcome] = []
        self._outcome_ready = asyncio.Event()
        self._room = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._stopping = False
        self._closing = False
        self._reader: Redis | None = None
        self._reader_id: int | None = None
        self._claim_cursor: bytes | str = "0-0"
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._shutdown: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    # ------------------------------------------------------------------ declaring handlers

    def handle(self, payload_type: type[M]) -> Callable[[Handler[M]], Handler[M]]:
        """Decorator: ``@consumer.handle(BlockSealed)`` over ``async def f(block, ctx)``."""
        if self._tasks:
            raise FailedPrecondition("declare handlers before start()", domain=BUS_DOMAIN)
        return self._handlers.decorator(payload_type)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Create the group if missing (MKSTREAM) and start reading in background tasks.

        Raises ``Unavailable`` when Redis cannot be reached.
        """
        if self._tasks:
            raise FailedPrecondition("the consumer was already started", domain=BUS_DOMAIN)
        if not len(self._handlers):
            raise FailedPrecondition("the consumer has no handlers", domain=BUS_DOMAIN)
        # Blocking reads get a connection of their own, so that stop() can interrupt them
        # with CLIENT UNBLOCK while everything else keeps using the pool.
        reader = self._redis.client()
        try:
            await self._ensure_group()
            self._reader_id = await reader.client_id()
        except _TRANSIENT as exc:
            await reader.aclose()
            raise Unavailable(
                f"cannot start consuming {self._key}: {exc}",
                reason="BUS_UNAVAILABLE",
                domain=BUS_DOMAIN,
                metadata={"stream": self._key, "group": self.group},
            ) from exc
        self._reader = reader
        self._tasks = {
            "reader": self._spawn(self._read_loop(), "reader"),
            "maintenance": self._spawn(self._maintenance_loop(), "maintenance"),
            "committer": self._spawn(self._commit_loop(), "committer"),
        }
        self._workers = [
            self._spawn(self._work_loop(), f"worker-{i}") for i in range(self.options.concurrency)
        ]

    async def stop(self, timeout: float | None = None) -> None:
        """Drain gracefully: stop reading, let handlers finish what was already read,
        acknowledge it, and return. After ``timeout`` seconds unfinished handlers are
        cancelled; their entries stay pending and are replayed or reclaimed later.

        Not from inside a handler: the drain would wait for that handler.
        """
        if not self._tasks:
            return
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._drain(timeout))
        await asyncio.shield(self._shutdown)

    async def wait(self) -> None:
        """Return once the consumer has stopped; re-raise what stopped it, if it failed."""
        if not self._tasks:
            raise FailedPrecondition("the consumer was not started", domain=BUS_DOMAIN)
        await self._stop_requested.wait()
        if self._shutdown is not None:
            await asyncio.shield(self._shutdown)
        if self._failure is not None:
            raise self._failure

    async def run(self) -> None:
        """``start()``, then wait until stopped; cancelling ``run()`` drains and stops."""
        await self.start()
        try:
            await self.wait()
        finally:
            await self.stop()

    async def __aenter__(self) -> Consumer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def refresh_metrics(self) -> None:
        """Update the pending and lag gauges from XINFO GROUPS (also done periodically)."""
        try:
            groups: list[dict[str, Any]] = await self._redis.xinfo_groups(self._key)
        except ResponseError as exc:
            if "no such key" in str(exc):
                return  # the stream was deleted; the reader recreates it with the group
            raise
        for info in groups:
            if info["name"] == self.group.encode():
                self._m_pending.set(info["pending"])
                # Redis reports no lag when it cannot compute it (entries deleted mid-stream).
                if info.get("lag") is not None:
                    self._m_lag.set(info["lag"])

    # ------------------------------------------------------------------ reading

    async def _read_loop(self) -> None:
        await self._replay_own_pending()
        block_ms = int(self.options.block_seconds * 1000)
        while await self._wait_for_room():
            assert self._reader is not None
            try:
                reply: Any = await self._reader.xreadgroup(
                    self.group,
                    self.name,
                    {self._key: ">"},
                    count=self.options.batch_size,
                    block=block_ms,
                )
            except RedisError as exc:
                await self._recover(exc, "reading", on_reader=True)
                continue
            if reply:
                await self._admit_or_recover(reply[0][1], None)

    async def _replay_own_pending(self) -> None:
        """Entries delivered to this consumer name before a restart and never acknowledged."""
        cursor: bytes | str = "0"
        while await self._wait_for_room():
            assert self._reader is not None
            try:
                reply: Any = await self._reader.xreadgroup(
                    self.group, self.name, {self._key: cursor}, count=self.options.batch_size
                )
                entries: list[Entry] = reply[0][1] if reply else []
                if not entries:
                    return
                cursor = entries[-1][0]
                counts = await self._delivery_counts(entries)
            except RedisError as exc:
                await self._recover(exc, "replaying pending entries", on_reader=True)
                continue
            self.stats.replayed += len(entries)
            logger.info("replaying %d pending entries", len(entries), extra=self._log_fields())
            await self._admit_or_recover(entries, counts)

    async def _reclaim(self) -> None:
        """XAUTOCLAIM entries idle past the visibility timeout, from any consumer."""
        min_idle_ms = int(self.options.visibility_timeout_seconds * 1000)
        first = True
        while first or len(self._in_flight) < self.options.max_in_flight:
            first = False
            reply = await self._redis.xautoclaim(
                self._key,
                self.group,
                self.name,
                min_idle_time=min_idle_ms,
                start_id=self._claim_cursor,
                count=self.options.batch_size,
            )
            self._claim_cursor, claimed = reply[0], reply[1]
            # Our own entries still being handled here were claimed back (the handler is slow):
            # they are in flight already.
            entries = [entry for entry in claimed if entry[0] not in self._in_flight]
            if entries:
                counts = await self._delivery_counts(entries)
                self.stats.reclaimed += len(entries)
                self._m_reclaimed.inc(len(entries))
                logger.info("reclaimed %d idle entries", len(entries), extra=self._log_fields())
                await self._admit_or_recover(entries, counts)
            if self._claim_cursor in (b"0-0", "0-0"):
                return

    async def _delivery_counts(self, entries: Sequence[Entry]) -> dict[bytes, int]:
        """Delivery counts of entries this consumer now owns (XREADGROUP 0 and XAUTOCLAIM
        do not report them)."""
        ids = [entry_id for entry_id, _ in entries]
        rows: list[dict[str, Any]] = await self._redis.xpending_range(
            self._key,
            self.group,
            min=min(ids),
            max=max(ids),
            count=len(ids) + len(self._in_flight),
            consumername=self.name,
        )
        return {row["message_id"]: row["times_delivered"] for row in rows}

    async def _wait_for_room(self) -> bool:
        """Wait until a whole batch fits in flight; False once stopping."""
        limit = self.options.max_in_flight - self.options.batch_size
        while len(self._in_flight) > limit and not self._stopping:
            self._room.clear()
            await self._room.wait()
        return not self._stopping

    async def _recover(self, exc: RedisError, doing: str, *, on_reader: bool = False) -> None:
        """Outlast a transient Redis failure (or a deleted group); re-raise anything else."""
        if isinstance(exc, ResponseError) and str(exc).startswith("NOGROUP"):
            logger.warning(
                "group vanished while %s; recreating it", doing, extra=self._log_fields()
            )
            await self._ensure_group()
            return
        if not isinstance(exc, _TRANSIENT):
            raise exc
        logger.warning("redis error while %s: %s", doing, exc, extra=self._log_fields())
        await self._pause(1.0)
        if on_reader and self._reader is not None:
            # A reconnected reader has a new client id, which stop() needs to unblock it.
            try:
                self._reader_id = await self._reader.client_id()
            except RedisError:
                pass

    async def _ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(
                self._key, self.group, id=self.options.start_id, mkstream=True
            )
        except ResponseError as exc:
            if not str(exc).startswith("BUSYGROUP"):
                raise

    # ------------------------------------------------------------------ admitting

    async def _admit_or_recover(
        self, entries: Sequence[Entry], counts: Mapping[bytes, int] | None
    ) -> None:
        try:
            await self._admit(entries, counts)
        except RedisError as exc:
            await self._recover(exc, "checking the done-set")

    async def _admit(self, entries: Sequence[Entry], counts: Mapping[bytes, int] | None) -> None:
        """Decode a batch, settle what needs no handler, and queue the rest for the workers."""
        max_deliveries = self.options.max_deliveries
        candidates: list[_Delivery] = []
        event_ids: list[str] = []
        for entry_id, fields in entries:
            if entry_id in self._in_flight:
                continue
            delivery = _Delivery(entry_id, fields, 1 if counts is None else counts.get(entry_id, 1))
            self._in_flight[entry_id] = delivery
            try:
                envelope = delivery.envelope = open_envelope(fields)
            except MalformedEvent as exc:
                if fields:
                    self._settle(_DEAD, delivery, exc.description)
                else:
                    logger.warning(
                        "entry %s was trimmed before it was handled",
                        entry_id.decode(),
                        extra=self._log_fields(),
                    )
                    self._settle(_DISCARD, delivery)
                continue
            if delivery.deliveries > max_deliveries:
                self._settle(
                    _DEAD,
                    delivery,
                    f"delivered {delivery.deliveries} times without an acknowledgement",
                )
            elif envelope.id in self._events_in_flight:
                self._settle(_DUPLICATE, delivery)
            else:
                delivery.event_id = envelope.id
                self._events_in_flight.add(envelope.id)
                candidates.append(delivery)
                event_ids.append(envelope.id)
        if not candidates:
            return
        try:
            done = await self._done.seen(event_ids)
        except BaseException:
            for delivery in candidates:
                self._settle(_RELEASE, delivery)
            raise
        if done:
            for index in done:
                self._settle(_DUPLICATE, candidates[index])
            candidates = [d for i, d in enumerate(candidates) if i not in done]
        self._queue.put_many(candidates)

    # ------------------------------------------------------------------ handling

    async def _work_loop(self) -> None:
        queue = self._queue
        while True:
            delivery = await queue.get()
            try:
                await self._handle(delivery)
            finally:
                queue.task_done()

    async def _handle(self, delivery: _Delivery) -> None:
        envelope = delivery.envelope
        assert envelope is not None
        registration = self._handlers.get(envelope.type)
        if registration is None:
            if self.options.dead_letter_unhandled:
                self._settle(_DEAD, delivery, f"no handler for {envelope.type}")
            else:
                self._settle(_DISCARD, delivery)
            return
        try:
            payload = registration.payload_type.FromString(envelope.payload.value)
        except DecodeError as exc:
            self._settle(_DEAD, delivery, f"the {envelope.type} payload does not decode: {exc}")
            return
        ctx = EventContext(
            envelope,
            entry_id=delivery.entry_id.decode(),
            delivery_count=delivery.deliveries,
            stream=self._key,
            group=self.group,
            consumer=self.name,
            done_key=self._done.key,
        )
        span = self._spans.span(envelope)
        started = time.perf_counter()
        failure: Exception | None = None
        try:
            if span is None:
                await registration.handler(payload, ctx)
            else:
                with span:
                    await registration.handler(payload, ctx)
        except Exception as exc:
            failure = exc
        self._m_latency.observe(time.perf_counter() - started)
        if failure is None:
            self._settle(_DONE, delivery)
        else:
            self._handler_failed(delivery, failure)

    def _handler_failed(self, delivery: _Delivery, exc: Exception) -> None:
        self.stats.failed += 1
        self._m_failed.inc()
        final = delivery.deliveries >= self.options.max_deliveries
        logger.warning(
            "handler failed on entry %s (delivery %d of %d)%s",
            delivery.entry_id.decode(),
            delivery.deliveries,
            self.options.max_deliveries,
            ": dead-lettering it" if final else "",
            exc_info=exc,
            extra=self._log_fields(),
        )
        if final:
            self._settle(_DEAD, delivery, f"{type(exc).__name__}: {exc}")
        else:
            self._settle(_RELEASE, delivery)

    # ------------------------------------------------------------------ committing

    def _settle(self, outcome: int, delivery: _Delivery, error: str | None = None) -> None:
        self._outcomes.append((outcome, delivery, error))
        self._outcome_ready.set()

    async def _commit_loop(self) -> None:
        # While one commit is on the wire the next batch of outcomes accumulates, so acks
        # coalesce into few round trips under load and go out at once when idle.
        while True:
            await self._outcome_ready.wait()
            self._outcome_ready.clear()
            while self._outcomes:
                batch, self._outcomes = self._outcomes, []
                self._account(batch, committed=await self._commit(batch))
            if self._closing and not self._outcomes:
                return

    async def _commit(self, batch: list[_Outcome]) -> bool:
        """Acknowledge (and mark done, or dead-letter) a batch; False if Redis stayed away."""
        done_ids: list[str] = []
        ack_ids: list[bytes] = []
        dead: list[DeadLetter] = []
        for outcome, delivery, error in batch:
            if outcome == _DEAD:
                dead.append(
                    DeadLetter(
                        delivery.entry_id,
                        delivery.fields,
                        delivery.deliveries,
                        error or "dead-lettered",
                    )
                )
            elif outcome != _RELEASE:
                ack_ids.append(delivery.entry_id)
                if outcome == _DONE:
                    done_ids.append(delivery.event_id)
        for attempt in range(1, _COMMIT_ATTEMPTS + 1):
            try:
                if dead:
                    await self._acks.dead_letter(dead, consumer=self.name)
                    dead = []
                await self._acks.ack(ack_ids, done_ids, time.time_ns() // 1_000_000)
                return True
            except _TRANSIENT as exc:
                logger.warning(
                    "could not acknowledge %d entries (attempt %d): %s",
                    len(ack_ids) + len(dead),
                    attempt,
                    exc,
                    extra=self._log_fields(),
                )
                await asyncio.sleep(0.1 * 2**attempt)
        # The entries stay pending: they are reclaimed after the visibility timeout and,
        # their effects not being marked done, handled again (the crash window).
        logger.error(
            "gave up acknowledging %d entries", len(ack_ids) + len(dead), extra=self._log_fields()
        )
        return False

    def _account(self, batch: list[_Outcome], *, committed: bool) -> None:
        """Forget the batch's deliveries (making room for more) and count what was done."""
        tally = [0, 0, 0, 0, 0]
        in_flight, events = self._in_flight, self._events_in_flight
        for outcome, delivery, _ in batch:
            tally[outcome] += 1
            in_flight.pop(delivery.entry_id, None)
            if delivery.event_id:
                events.discard(delivery.event_id)
        self._room.set()
        if not committed:
            return
        processed, duplicates, discarded, dead, _ = tally
        stats = self.stats
        if processed:
            stats.processed += processed
            self._m_processed.inc(processed)
        if duplicates:
            stats.duplicates += duplicates
            self._m_duplicates.inc(duplicates)
        if dead:
            stats.dead_lettered += dead
            self._m_dead.inc(dead)
        stats.discarded += discarded

    # ------------------------------------------------------------------ maintenance

    async def _maintenance_loop(self) -> None:
        opts = self.options
        next_trim = next_metrics = time.monotonic()
        while not self._stopping:
            try:
                await self._reclaim()
                now = time.monotonic()
                if now >= next_trim:
                    await self._done.trim(time.time_ns() // 1_000_000)
                    next_trim = now + opts.dedupe_trim_interval_seconds
                if now >= next_metrics:
                    await self.refresh_metrics()
                    next_metrics = now + opts.metrics_interval_seconds
            except RedisError as exc:
                await self._recover(exc, "reclaiming")
            await self._pause(opts.reclaim_interval)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up when a stop is requested."""
        try:
            await asyncio.wait_for(self._stop_requested.wait(), seconds)
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ shutdown

    def _spawn(self, coro: Coroutine[Any, Any, None], role: str) -> asyncio.Task[None]:
        # A fresh context per task: handler spans must not inherit whatever span was current
        # when start() was called.
        task = asyncio.get_running_loop().create_task(
            coro, name=f"bus:{self._key}:{self.group}:{role}", context=contextvars.Context()
        )
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        if self._failure is None:
            self._failure = exc
            logger.error(
                "consumer task %s failed; stopping",
                task.get_name(),
                exc_info=exc,
                extra=self._log_fields(),
            )
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._drain(None))

    async def _drain(self, timeout: float | None) -> None:
        self._stopping = True
        self._stop_requested.set()
        self._room.set()
        readers = [self._tasks["reader"], self._tasks["maintenance"]]
        await self._interrupt_reader(self._tasks["reader"])
        await asyncio.gather(*readers, return_exceptions=True)
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            logger.warning(
                "drain timed out; %d entries stay pending for a replay or reclaim",
                len(self._in_flight),
                extra=self._log_fields(),
            )
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._closing = True
        self._outcome_ready.set()
        await asyncio.gather(self._tasks["committer"], return_exceptions=True)
        if self._reader is not None:
            await self._reader.aclose()
        logger.info("consumer stopped: %s", self.stats, extra=self._log_fields())

    async def _interrupt_reader(self, reader: asyncio.Task[None]) -> None:
        # Repeat until the reader exits: the unblock may land before the read is sent.
        while not reader.done():
            if self._reader_id is not None:
                try:
                    await self._redis.client_unblock(self._reader_id)
                except RedisError:
                    pass
            await asyncio.wait({reader}, timeout=0.05)

    def _log_fields(self) -> dict[str, str]:
        return {"stream": self._key, "group": self.group, "consumer": self.name}
