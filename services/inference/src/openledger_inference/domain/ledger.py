"""The completion ledger: every completion is recorded, then published once.

Recording and publishing cannot be one transaction (SQLite and Redis), so the ledger is an
outbox: a completion is written first (with its idempotency key) and marked published after the
``CompletionRecorded`` event went out. A crash in between leaves the row unpublished, and
``start`` publishes it again with the same event id (the inference id), which consumers
de-duplicate. A publish that fails (Redis down) leaves the row for the relay, which retries
every ``relay_interval`` seconds; the client still gets its completion.

The node sees the ``CompletionLedger`` protocol; ``OutboxLedger`` implements it over a
``CompletionStore`` (the service's database) and a ``CompletionPublisher`` (the bus).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from openledger_inference.domain.model import Completion
from openledger_kit.errors import OpenLedgerError

logger = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)
"""How long a ``request_id`` names its completion (``GenerateRequest.request_id``)."""


class CompletionLedger(Protocol):
    """What the node needs: record-and-publish, and idempotent look-ups."""

    async def start(self) -> None:
        """Publish what a previous process recorded but did not publish, then keep relaying."""

    async def stop(self) -> None: ...

    async def record(self, completion: Completion, *, request_id: str = "") -> Completion:
        """Record ``completion`` and publish it once. With a ``request_id`` that its payer
        already used within the window, the completion recorded first is returned instead."""

    async def find(self, payer_address: str, request_id: str) -> Completion | None:
        """The completion recorded for ``request_id`` by this payer within the window."""


class CompletionStore(Protocol):
    """The outbox: completions with their idempotency keys and publish state."""

    async def add(self, completion: Completion, request_id: str, since: datetime) -> Completion:
        """Insert an unpublished row, unless the payer recorded ``request_id`` at or after
        ``since``: then that completion, unchanged."""

    async def find(self, payer_address: str, request_id: str, since: datetime) -> Completion | None:
        """The newest completion of ``request_id`` by this payer recorded at or after
        ``since``."""

    async def unpublished(self, limit: int) -> list[Completion]:
        """Rows not yet marked published, oldest first."""

    async def mark_published(self, inference_id: str, when: datetime) -> None: ...


class CompletionPublisher(Protocol):
    async def publish(self, completion: Completion) -> None:
        """Publish ``CompletionRecorded`` with the inference id as its event id
        (``Unavailable`` when the bus is down)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxLedger:
    """``CompletionLedger`` over a store and a publisher (see the module docstring)."""

    def __init__(
        self,
        store: CompletionStore,
        publisher: CompletionPublisher,
        *,
        relay_interval: float = 5.0,
        batch_size: int = 100,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._relay_interval = relay_interval
        self._batch_size = batch_size
        self._clock = clock
        self._publishing: set[str] = set()
        """Inference ids ``record`` is publishing now: the relay leaves them alone, so one
        process never publishes a completion twice."""
        self._relay: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.relay_once()
        self._relay = asyncio.create_task(self._relay_loop(), name="completion-outbox-relay")

    async def stop(self) -> None:
        if self._relay is not None:
            self._relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay
            self._relay = None

    async def record(self, completion: Completion, *, request_id: str = "") -> Completion:
        self._publishing.add(completion.inference_id)
        try:
            stored = await self._store.add(completion, request_id, self._window_start())
            if stored.inference_id != completion.inference_id:
                return stored
            await self._publish(stored)
            return stored
        finally:
            self._publishing.discard(completion.inference_id)

    async def find(self, payer_address: str, request_id: str) -> Completion | None:
        return await self._store.find(payer_address, request_id, self._window_start())

    async def relay_once(self) -> int:
        """Publish every unpublished completion not being published now; how many went out."""
        published = 0
        while True:
            pending = [
                c
                for c in await self._store.unpublished(self._batch_size)
                if c.inference_id not in self._publishing
            ]
            if not pending:
                return published
            for completion in pending:
                if not await self._publish(completion):
                    return published
                published += 1

    async def _publish(self, completion: Completion) -> bool:
        try:
            await self._publisher.publish(completion)
        except OpenLedgerError as exc:
            logger.warning(
                "completion %s is recorded but not yet published (the relay retries): %s",
                completion.inference_id,
                exc,
            )
            return False
        await self._store.mark_published(completion.inference_id, self._clock())
        return True

    async def _relay_loop(self) -> None:
        while True:
            await asyncio.sleep(self._relay_interval)
            try:
                await self.relay_once()
            except Exception:
                logger.exception("the completion outbox relay failed; it tries again")

    def _window_start(self) -> datetime:
        return self._clock() - IDEMPOTENCY_WINDOW
