"""The catalogue: adapters and snapshots as their events announced them, and the span indexes
built from them. Events are replayed from the start of their streams, so every record is an
upsert: the last announcement wins and a replay changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openledger_attribution.adapters.repository.convert import (
    adapter_row,
    index_row,
    snapshot_row,
    to_adapter,
    to_index,
    to_snapshot,
)
from openledger_attribution.adapters.repository.store import Store
from openledger_attribution.adapters.repository.tables import AdapterRow, SnapshotRow, SpanIndexRow
from openledger_attribution.domain.model import AdapterInfo, SnapshotInfo
from openledger_attribution.domain.ports import IndexRecord


class CatalogueStore(Store):
    def record_adapter(self, adapter: AdapterInfo) -> None:
        self._write(lambda session: _merge(session, adapter_row(adapter)))

    def get_adapter(self, ref: str) -> AdapterInfo | None:
        row = self._read(lambda session: session.get(AdapterRow, ref))
        return to_adapter(row) if row is not None else None

    def adapters_on_snapshot(self, snapshot: str) -> list[AdapterInfo]:
        rows = self._read(
            lambda session: session.scalars(
                select(AdapterRow).where(AdapterRow.snapshot == snapshot).order_by(AdapterRow.ref)
            ).all()
        )
        return [to_adapter(row) for row in rows]

    def record_snapshot(self, snapshot: SnapshotInfo) -> None:
        self._write(lambda session: _merge(session, snapshot_row(snapshot)))

    def get_snapshot(self, name: str) -> SnapshotInfo | None:
        row = self._read(lambda session: session.get(SnapshotRow, name))
        return to_snapshot(row) if row is not None else None

    def record_index(self, index: IndexRecord) -> None:
        self._write(lambda session: _merge(session, index_row(index)))

    def get_index(self, snapshot: str, base_model: str) -> IndexRecord | None:
        row = self._read(lambda session: session.get(SpanIndexRow, (snapshot, base_model)))
        return to_index(row) if row is not None else None


def _merge(session: Session, row: AdapterRow | SnapshotRow | SpanIndexRow) -> None:
    # Insert, or overwrite the row with this primary key; a concurrent first insert surfaces
    # as an IntegrityError, which the store retries as an update.
    session.merge(row)
