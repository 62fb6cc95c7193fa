"""Settlements: leased to one settling worker at a time, moved PENDING → SUBMITTED →
CONFIRMED (or FAILED), then published.

A lease is ``(lease_owner, lease_until)``. ``claim_settlements`` picks the oldest unleased
candidates and takes each with an ``UPDATE`` conditioned on it still being unleased, counted by
rowcount: on SQLite the transaction holds the write lock from its start, on PostgreSQL the
candidates are read ``FOR UPDATE SKIP LOCKED`` and the condition is re-checked on the row's
newest version, so two workers never hold one settlement. A SUBMITTED settlement keeps its
lease while its worker waits for confirmations; if the worker dies the lease runs out and
another worker takes it over (the settler is idempotent on chain).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import Session

from openledger_attribution.adapters.repository.convert import to_settlement
from openledger_attribution.adapters.repository.store import Store
from openledger_attribution.adapters.repository.tables import SettlementRow
from openledger_attribution.domain.model import Settlement, SettlementState
from openledger_kit.values import ChainTx

_LIVE_STATES = (SettlementState.PENDING.value, SettlementState.SUBMITTED.value)


def _unleased(now: datetime) -> ColumnElement[bool]:
    return or_(SettlementRow.lease_until.is_(None), SettlementRow.lease_until <= now)


class SettlementStore(Store):
    def claim_settlements(
        self, worker: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[Settlement]:
        """Lease up to ``limit`` PENDING settlements (and SUBMITTED ones whose lease expired)
        to ``worker``, oldest first; leased ones are invisible to other workers until the lease
        ends."""
        until = now + timedelta(seconds=lease_seconds)

        def work(session: Session) -> list[Settlement]:
            candidates = session.scalars(
                select(SettlementRow.id)
                .where(SettlementRow.state.in_(_LIVE_STATES), _unleased(now))
                .order_by(SettlementRow.create_time, SettlementRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            claimed = []
            for settlement_id in candidates:
                taken = session.execute(
                    update(SettlementRow)
                    .where(
                        SettlementRow.id == settlement_id,
                        SettlementRow.state.in_(_LIVE_STATES),
                        _unleased(now),
                    )
                    .values(lease_owner=worker, lease_until=until)
                )
                # DML results are cursor results; Session.execute is typed as the general one.
                if cast(CursorResult[Any], taken).rowcount == 1:
                    claimed.append(settlement_id)
            return _settlements(session, claimed)

        return self._write(work) if limit > 0 else []

    def mark_submitted(
        self, settlement_ids: Sequence[str], batch_id: str, tx: ChainTx, now: datetime
    ) -> None:
        self._update(
            settlement_ids,
            _LIVE_STATES,
            state=SettlementState.SUBMITTED.value,
            batch_id=batch_id,
            chain_id=tx.chain_id,
            contract=tx.contract_address,
            tx_hash=tx.tx_hash,
            block_number=tx.block_number,
            submit_time=now,
            attempts=SettlementRow.attempts + 1,
            update_time=now,
        )

    def mark_confirmed(self, settlement_ids: Sequence[str], now: datetime) -> None:
        self._update(
            settlement_ids,
            _LIVE_STATES,
            state=SettlementState.CONFIRMED.value,
            confirm_time=now,
            update_time=now,
            lease_owner="",
            lease_until=None,
        )

    def mark_failed(self, settlement_id: str, reason: str, message: str, now: datetime) -> None:
        self._update(
            [settlement_id],
            _LIVE_STATES,
            state=SettlementState.FAILED.value,
            error_reason=reason,
            error_message=message,
            update_time=now,
            lease_owner="",
            lease_until=None,
        )

    def release(self, settlement_ids: Sequence[str]) -> None:
        """End the leases (after a transient failure) so the next round retries at once."""
        self._update(settlement_ids, _LIVE_STATES, lease_owner="", lease_until=None)

    def unpublished(self, limit: int) -> list[Settlement]:
        """CONFIRMED settlements whose AttributionSettled has not gone out, oldest first."""
        rows = self._read(
            lambda session: session.scalars(
                select(SettlementRow)
                .where(
                    SettlementRow.state == SettlementState.CONFIRMED.value,
                    SettlementRow.published.is_(False),
                )
                .order_by(SettlementRow.confirm_time, SettlementRow.create_time, SettlementRow.id)
                .limit(limit)
            ).all()
        )
        return [to_settlement(row) for row in rows]

    def mark_published(self, settlement_id: str) -> None:
        self._update([settlement_id], (SettlementState.CONFIRMED.value,), published=True)

    def get_settlement(self, settlement_id: str) -> Settlement | None:
        row = self._read(lambda session: session.get(SettlementRow, settlement_id))
        return to_settlement(row) if row is not None else None

    def latest_settlement(self, inference_id: str) -> Settlement | None:
        row = self._read(
            lambda session: session.scalars(
                select(SettlementRow)
                .where(SettlementRow.inference_id == inference_id)
                .order_by(SettlementRow.create_time.desc(), SettlementRow.id.desc())
                .limit(1)
            ).first()
        )
        return to_settlement(row) if row is not None else None

    def _update(
        self, settlement_ids: Sequence[str], states: Sequence[str], **values: object
    ) -> None:
        # Only settlements still in ``states`` move: a late call for one that went on (a
        # CONFIRMED one marked failed, say) changes nothing.
        if not settlement_ids:
            return
        self._write(
            lambda session: session.execute(
                update(SettlementRow)
                .where(SettlementRow.id.in_(list(settlement_ids)), SettlementRow.state.in_(states))
                .values(**values)
            )
        )


def _settlements(session: Session, settlement_ids: Sequence[str]) -> list[Settlement]:
    if not settlement_ids:
        return []
    rows = session.scalars(
        select(SettlementRow)
        .where(SettlementRow.id.in_(list(settlement_ids)))
        .order_by(SettlementRow.create_time, SettlementRow.id)
    ).all()
    return [to_settlement(row) for row in rows]
