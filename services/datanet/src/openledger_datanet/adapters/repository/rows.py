"""Row access shared by the repository's parts: get-or-raise, get-or-create, batching."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy.orm import Session

from openledger_datanet.adapters.db import ContributorRow, DatanetRow, SnapshotRow
from openledger_datanet.adapters.repository.store import T
from openledger_datanet.domain import errors

BATCH = 1000


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def datanet_row(session: Session, datanet_id: str, *, lock: bool = False) -> DatanetRow:
    row = session.get(DatanetRow, datanet_id, with_for_update=lock)
    if row is None:
        raise errors.datanet_not_found(datanet_id)
    return row


def snapshot_row(
    session: Session, datanet_id: str, sequence: int, *, lock: bool = False
) -> SnapshotRow:
    row = session.get(SnapshotRow, (datanet_id, sequence), with_for_update=lock)
    if row is None:
        raise errors.not_found(
            "snapshot", f"datanets/{datanet_id}/snapshots/v{sequence}", errors.SNAPSHOT_NOT_FOUND
        )
    return row


def contributor_row(
    session: Session, datanet_id: str, address: str, *, lock: bool = False
) -> ContributorRow:
    row = session.get(ContributorRow, (datanet_id, address), with_for_update=lock)
    if row is None:
        # Every column set explicitly: defaults only apply at flush, and callers add to them.
        row = ContributorRow(
            datanet_id=datanet_id,
            address=address,
            stake="0",
            stake_block=0,
            suspended=False,
            accepted_count=0,
            rejected_count=0,
            pending_count=0,
            reputation=0.5,
            curated_count=0,
            window_start=0,
            window_curated_count=0,
            window_counted_rejections=0,
            total_slashed="0",
        )
        session.add(row)
    return row
