"""The inference node's relational storage: completions (idempotency and the metering outbox).

Every public method is one unit of work: one transaction through the kit's ``Store``. The work
itself is synchronous; the async methods (the domain's ``CompletionStore`` port) run it with
``asyncio.to_thread``. SQLite (the default, WAL mode) takes the write lock when a write
transaction begins, so ``add``'s look-up of an earlier completion of the same request id and its
insert are one serialised step.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openledger_inference.adapters.repository.convert import completion_from_row, completion_row
from openledger_inference.adapters.repository.tables import CompletionRow
from openledger_inference.domain.model import Completion
from openledger_kit.db.store import Store

MIGRATIONS = "openledger_inference:migrations"
"""Alembic script location of the service's migrations."""


class Repository(Store):
    """The node's completions (``ledger.CompletionStore``). Thread-safe; one per process."""

    MIGRATIONS = MIGRATIONS

    async def add(self, completion: Completion, request_id: str, since: datetime) -> Completion:
        return await asyncio.to_thread(self.add_sync, completion, request_id, since)

    async def find(self, payer_address: str, request_id: str, since: datetime) -> Completion | None:
        return await asyncio.to_thread(
            self._read, lambda session: _find(session, payer_address, request_id, since)
        )

    async def unpublished(self, limit: int) -> list[Completion]:
        return await asyncio.to_thread(self.unpublished_sync, limit)

    async def mark_published(self, inference_id: str, when: datetime) -> None:
        await asyncio.to_thread(self.mark_published_sync, inference_id, when)

    def add_sync(self, completion: Completion, request_id: str, since: datetime) -> Completion:
        def work(session: Session) -> Completion:
            if request_id:
                earlier = _find(session, completion.payer_address, request_id, since)
                if earlier is not None:
                    return earlier
            existing = session.get(CompletionRow, completion.inference_id)
            if existing is not None:
                return completion_from_row(existing)
            session.add(completion_row(completion, request_id))
            return completion

        return self._write(work)

    def unpublished_sync(self, limit: int) -> list[Completion]:
        def work(session: Session) -> list[Completion]:
            rows = session.scalars(
                select(CompletionRow)
                .where(CompletionRow.publish_time.is_(None))
                .order_by(CompletionRow.create_time, CompletionRow.inference_id)
                .limit(limit)
            )
            return [completion_from_row(row) for row in rows]

        return self._read(work)

    def mark_published_sync(self, inference_id: str, when: datetime) -> None:
        self._write(
            lambda session: session.execute(
                update(CompletionRow)
                .where(CompletionRow.inference_id == inference_id)
                .where(CompletionRow.publish_time.is_(None))
                .values(publish_time=when)
            )
        )


def _find(
    session: Session, payer_address: str, request_id: str, since: datetime
) -> Completion | None:
    row = session.scalars(
        select(CompletionRow)
        .where(
            CompletionRow.payer_address == payer_address,
            CompletionRow.request_id == request_id,
            CompletionRow.create_time >= since,
        )
        .order_by(CompletionRow.create_time.desc())
        .limit(1)
    ).first()
    return None if row is None else completion_from_row(row)


__all__ = ["MIGRATIONS", "Repository"]
