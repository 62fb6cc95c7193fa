"""A frozen snapshot's records, leaves and Merkle inclusion proofs (trees cached)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from openledger_datanet.adapters.db import ContributionRow, SnapshotRecordRow
from openledger_datanet.adapters.repository.convert import snapshot_from_row
from openledger_datanet.adapters.repository.rows import BATCH, snapshot_row
from openledger_datanet.adapters.repository.store import Store
from openledger_datanet.domain import errors
from openledger_datanet.domain.merkle import MerkleTree
from openledger_datanet.domain.model import DOMAIN, Snapshot
from openledger_datanet.domain.snapshot import InclusionProof, SnapshotRecord
from openledger_kit.errors import FailedPrecondition, InvalidArgument


class SnapshotRecordStore(Store):
    """Reads of frozen snapshots; keeps an LRU of their Merkle trees."""

    def __init__(self, engine: Engine, *, tree_cache_size: int = 8) -> None:
        super().__init__(engine)
        self._trees: OrderedDict[tuple[str, int], MerkleTree] = OrderedDict()
        self._tree_cache_size = tree_cache_size
        self._tree_lock = threading.Lock()

    def snapshot_records(
        self,
        datanet_id: str,
        sequence: int,
        start_index: int = 0,
        end_index: int | None = None,
        *,
        batch_size: int = BATCH,
    ) -> Iterator[SnapshotRecord]:
        """The frozen snapshot's records in order from ``start_index`` up to (not including)
        ``end_index`` (default: the end), read in batches of ``batch_size``, each batch in
        its own short read transaction (records never change once frozen).
        ``FAILED_PRECONDITION`` (``SNAPSHOT_NOT_FROZEN``) before ``freeze_snapshot``."""
        snapshot = self._frozen(datanet_id, sequence)
        stop = snapshot.record_count if end_index is None else min(end_index, snapshot.record_count)
        position = max(start_index, 0)
        while position < stop:
            limit = min(batch_size, stop - position)

            def batch(session: Session, start: int = position, limit: int = limit) -> list[Any]:
                return list(
                    session.execute(
                        _records_query(datanet_id, sequence)
                        .where(SnapshotRecordRow.index >= start)
                        .order_by(SnapshotRecordRow.index)
                        .limit(limit)
                    )
                )

            rows = self._read(batch)
            if not rows:
                return
            for found in rows:
                yield _snapshot_record(found)
            position = int(rows[-1][0].index) + 1

    def snapshot_record(
        self,
        datanet_id: str,
        sequence: int,
        *,
        index: int | None = None,
        record_id: str | None = None,
    ) -> SnapshotRecord:
        """One record of a frozen snapshot, by leaf index or by record (contribution) id.
        ``NOT_FOUND`` (``RECORD_NOT_IN_SNAPSHOT``) when it is not in the snapshot."""
        if (index is None) == (record_id is None):
            raise InvalidArgument("record", "give exactly one of index and record_id")
        self._frozen(datanet_id, sequence)

        def work(session: Session) -> SnapshotRecord:
            stmt = _records_query(datanet_id, sequence)
            if index is not None:
                stmt = stmt.where(SnapshotRecordRow.index == index)
            else:
                stmt = stmt.where(SnapshotRecordRow.record_id == record_id)
            found = session.execute(stmt).first()
            if found is None:
                raise errors.not_found(
                    "record",
                    f"{record_id if index is None else index} in datanets/{datanet_id}/snapshots/"
                    f"v{sequence}",
                    errors.RECORD_NOT_IN_SNAPSHOT,
                )
            return _snapshot_record(found)

        return self._read(work)

    def snapshot_leaves(self, datanet_id: str, sequence: int) -> list[bytes]:
        """The frozen snapshot's leaves in order."""
        self._frozen(datanet_id, sequence)

        def work(session: Session) -> list[bytes]:
            stmt = (
                select(SnapshotRecordRow.leaf_hash)
                .where(
                    SnapshotRecordRow.datanet_id == datanet_id,
                    SnapshotRecordRow.sequence == sequence,
                )
                .order_by(SnapshotRecordRow.index)
            )
            return [bytes(leaf) for leaf in session.scalars(stmt)]

        return self._read(work)

    def inclusion_proof(
        self,
        datanet_id: str,
        sequence: int,
        *,
        index: int | None = None,
        record_id: str | None = None,
    ) -> InclusionProof:
        """The Merkle proof of one record of a frozen snapshot (trees are cached per
        snapshot; they never change)."""
        record = self.snapshot_record(datanet_id, sequence, index=index, record_id=record_id)
        tree = self._tree(datanet_id, sequence)
        return InclusionProof(
            record=record,
            sibling_hashes=tuple(tree.proof(record.index)),
            merkle_root=tree.root,
            record_count=len(tree),
        )

    def _frozen(self, datanet_id: str, sequence: int) -> Snapshot:
        def work(session: Session) -> Snapshot:
            row = snapshot_row(session, datanet_id, sequence)
            if row.frozen_time is None:
                raise FailedPrecondition(
                    f"snapshot {datanet_id}/v{sequence} has no records yet",
                    reason="SNAPSHOT_NOT_FROZEN",
                    domain=DOMAIN,
                )
            return snapshot_from_row(row)

        return self._read(work)

    def _tree(self, datanet_id: str, sequence: int) -> MerkleTree:
        key = (datanet_id, sequence)
        with self._tree_lock:
            tree = self._trees.get(key)
            if tree is not None:
                self._trees.move_to_end(key)
                return tree
        tree = MerkleTree(self.snapshot_leaves(datanet_id, sequence))
        self._cache_tree(datanet_id, sequence, tree)
        return tree

    def _cache_tree(self, datanet_id: str, sequence: int, tree: MerkleTree) -> None:
        with self._tree_lock:
            self._trees[(datanet_id, sequence)] = tree
            self._trees.move_to_end((datanet_id, sequence))
            while len(self._trees) > self._tree_cache_size:
                self._trees.popitem(last=False)


def _records_query(datanet_id: str, sequence: int) -> Any:
    return (
        select(SnapshotRecordRow, ContributionRow.curated_content, ContributionRow.signature)
        .join(ContributionRow, ContributionRow.id == SnapshotRecordRow.record_id)
        .where(
            SnapshotRecordRow.datanet_id == datanet_id,
            SnapshotRecordRow.sequence == sequence,
        )
    )


def _snapshot_record(found: Any) -> SnapshotRecord:
    row, curated, signature = found
    return SnapshotRecord(
        index=int(row.index),
        record_id=row.record_id,
        contributor=row.contributor,
        content=curated or {},
        content_hash=bytes(row.content_hash),
        curated_content_hash=bytes(row.curated_content_hash),
        signature=bytes(signature),
        leaf_hash=bytes(row.leaf_hash),
    )
