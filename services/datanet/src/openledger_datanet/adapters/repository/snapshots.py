"""Snapshot jobs: creation with a fixed cutoff, progress, and freezing the records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from openledger_datanet.adapters.db import ContributionRow, SnapshotRecordRow, SnapshotRow
from openledger_datanet.adapters.repository.convert import (
    checksum_address,
    object_json,
    snapshot_from_row,
    tx_json,
)
from openledger_datanet.adapters.repository.pages import (
    check_page_size,
    count_rows,
    decode_token,
    encode_token,
    parse_time,
    query_fingerprint,
)
from openledger_datanet.adapters.repository.requests import (
    METHOD_CREATE_SNAPSHOT,
    previous_request,
    remember_request,
)
from openledger_datanet.adapters.repository.rows import BATCH, datanet_row, snapshot_row
from openledger_datanet.adapters.repository.snapshot_records import SnapshotRecordStore
from openledger_datanet.adapters.snapshot_files import SnapshotFiles
from openledger_datanet.domain import errors
from openledger_datanet.domain.merkle import MERKLE_SCHEME, MerkleTree
from openledger_datanet.domain.model import (
    DOMAIN,
    ChainTx,
    ContributionStatus,
    JobState,
    ObjectRef,
    Page,
    Snapshot,
    utcnow,
)
from openledger_datanet.domain.snapshot import (
    AcceptedRecord,
    SnapshotRecord,
    SnapshotStats,
    number_records,
)
from openledger_kit.errors import FailedPrecondition

FilesWriter = Callable[[str, int, Iterator[SnapshotRecord]], SnapshotFiles]
"""Writes a snapshot's files from its records (``snapshot_files.SnapshotFileWriter``)."""

_TERMINAL_JOB_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED})


class SnapshotStore(SnapshotRecordStore):
    """Snapshot job rows and freezing."""

    def create_snapshot_job(
        self,
        datanet_id: str,
        *,
        request_id: str | None = None,
        fingerprint: bytes = b"",
        description: str = "",
        creator: str = "",
        accepted_before: datetime | None = None,
    ) -> Snapshot:
        """A QUEUED snapshot with the next sequence and its cutoff fixed now: the highest
        ``accept_sequence`` (curated before ``accepted_before``, when given).

        ``FAILED_PRECONDITION`` (``NO_ACCEPTED_RECORDS``) when no contribution is within the
        cutoff. A retry with the same ``request_id`` returns the original snapshot."""

        def work(session: Session) -> Snapshot:
            previous = previous_request(session, request_id, METHOD_CREATE_SNAPSHOT, fingerprint)
            if previous is not None:
                datanet_part, _, sequence = previous.resource.rpartition("/")
                return snapshot_from_row(snapshot_row(session, datanet_part, int(sequence)))
            datanet = datanet_row(session, datanet_id, lock=True)
            if accepted_before is None:
                cutoff = datanet.last_accept_sequence
            else:
                cutoff = (
                    session.scalar(
                        select(func.max(ContributionRow.accept_sequence)).where(
                            ContributionRow.datanet_id == datanet_id,
                            ContributionRow.status == ContributionStatus.ACCEPTED,
                            ContributionRow.curate_time < accepted_before,
                        )
                    )
                    or 0
                )
            if cutoff == 0:
                raise FailedPrecondition(
                    f"datanet {datanet_id!r} has no ACCEPTED contribution within the cutoff",
                    reason=errors.NO_ACCEPTED_RECORDS,
                    domain=DOMAIN,
                )
            datanet.last_snapshot_sequence += 1
            now = utcnow()
            row = SnapshotRow(
                datanet_id=datanet_id,
                sequence=datanet.last_snapshot_sequence,
                request_id=request_id or "",
                description=description,
                state=JobState.QUEUED.value,
                progress=0.0,
                create_time=now,
                error_reason="",
                error_message="",
                creator=checksum_address(creator) if creator else "",
                accepted_before=accepted_before,
                cutoff_accept_sequence=cutoff,
                record_count=0,
                contributor_count=0,
                content_bytes=0,
                merkle_scheme=MERKLE_SCHEME,
            )
            session.add(row)
            resource = f"{datanet_id}/{row.sequence}"
            remember_request(
                session, request_id, METHOD_CREATE_SNAPSHOT, fingerprint, resource, now
            )
            session.flush()
            return snapshot_from_row(row)

        return self._write(work)

    def get_snapshot(self, datanet_id: str, sequence: int) -> Snapshot:
        """``NOT_FOUND`` (``SNAPSHOT_NOT_FOUND``) when there is none."""
        return self._read(
            lambda session: snapshot_from_row(snapshot_row(session, datanet_id, sequence))
        )

    def list_snapshots(
        self,
        datanet_id: str | None,
        *,
        states: Sequence[JobState | str] = (),
        page_size: int = 50,
        page_token: str = "",
    ) -> Page[Snapshot]:
        """Snapshots newest first (``create_time``), of one datanet or of all (None)."""
        check_page_size(page_size)
        conditions: list[ColumnElement[bool]] = []
        if datanet_id is not None:
            conditions.append(SnapshotRow.datanet_id == datanet_id)
        if states:
            conditions.append(SnapshotRow.state.in_([JobState(s).value for s in states]))
        query = query_fingerprint("snapshots", datanet_id, sorted(map(str, states)))

        def work(session: Session) -> Page[Snapshot]:
            if datanet_id is not None:
                datanet_row(session, datanet_id)
            total = count_rows(session, SnapshotRow, conditions)
            stmt = select(SnapshotRow).where(*conditions)
            if page_token:
                time_text, last_datanet, last_sequence = decode_token(page_token, query, 3)
                after = parse_time(time_text)
                stmt = stmt.where(
                    or_(
                        SnapshotRow.create_time < after,
                        and_(
                            SnapshotRow.create_time == after, SnapshotRow.datanet_id < last_datanet
                        ),
                        and_(
                            SnapshotRow.create_time == after,
                            SnapshotRow.datanet_id == last_datanet,
                            SnapshotRow.sequence < int(last_sequence),
                        ),
                    )
                )
            stmt = stmt.order_by(
                SnapshotRow.create_time.desc(),
                SnapshotRow.datanet_id.desc(),
                SnapshotRow.sequence.desc(),
            )
            rows = list(session.scalars(stmt.limit(page_size + 1)))
            token = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                last = rows[-1]
                token = encode_token(
                    query, [last.create_time.isoformat(), last.datanet_id, str(last.sequence)]
                )
            return Page([snapshot_from_row(row) for row in rows], token, total)

        return self._read(work)

    def runnable_snapshots(self, *, limit: int = 100) -> list[Snapshot]:
        """The snapshot each datanet should work on next: its lowest-sequence QUEUED or
        RUNNING one (snapshots of a datanet run one at a time, in creation order)."""

        def work(session: Session) -> list[Snapshot]:
            lowest = (
                select(SnapshotRow.datanet_id, func.min(SnapshotRow.sequence).label("sequence"))
                .where(SnapshotRow.state.in_([JobState.QUEUED.value, JobState.RUNNING.value]))
                .group_by(SnapshotRow.datanet_id)
                .subquery()
            )
            stmt = (
                select(SnapshotRow)
                .join(
                    lowest,
                    and_(
                        SnapshotRow.datanet_id == lowest.c.datanet_id,
                        SnapshotRow.sequence == lowest.c.sequence,
                    ),
                )
                .order_by(SnapshotRow.create_time)
                .limit(limit)
            )
            return [snapshot_from_row(row) for row in session.scalars(stmt)]

        return self._read(work)

    def update_snapshot(
        self,
        datanet_id: str,
        sequence: int,
        *,
        state: JobState | None = None,
        progress: float | None = None,
        error_reason: str | None = None,
        error_message: str | None = None,
        jsonl: ObjectRef | None = None,
        parquet: ObjectRef | None = None,
        anchor: ChainTx | None = None,
    ) -> Snapshot:
        """Record a snapshot job's progress. RUNNING sets ``start_time``; a terminal state
        sets ``end_time`` (SUCCEEDED also progress 1 and the datanet's ``latest_snapshot``).
        Terminal states are final: changing them is ``FAILED_PRECONDITION``."""

        def work(session: Session) -> Snapshot:
            row = snapshot_row(session, datanet_id, sequence, lock=True)
            now = utcnow()
            if state is not None and state != row.state:
                if JobState(row.state) in _TERMINAL_JOB_STATES:
                    raise FailedPrecondition(
                        f"snapshot {datanet_id}/v{sequence} is {row.state}; it cannot become "
                        f"{state}",
                        reason="SNAPSHOT_FINAL",
                        domain=DOMAIN,
                    )
                row.state = JobState(state).value
                if state == JobState.RUNNING and row.start_time is None:
                    row.start_time = now
                if state in _TERMINAL_JOB_STATES:
                    row.end_time = now
                if state == JobState.SUCCEEDED:
                    row.progress = 1.0
                    datanet = datanet_row(session, datanet_id, lock=True)
                    latest = datanet.latest_snapshot_sequence or 0
                    datanet.latest_snapshot_sequence = max(latest, sequence)
            if progress is not None and row.state != JobState.SUCCEEDED:
                row.progress = min(max(progress, 0.0), 1.0)
            if error_reason is not None:
                row.error_reason = error_reason
            if error_message is not None:
                row.error_message = error_message
            if jsonl is not None:
                row.jsonl = object_json(jsonl)
            if parquet is not None:
                row.parquet = object_json(parquet)
            if anchor is not None:
                row.anchor = tx_json(anchor)
            return snapshot_from_row(row)

        return self._write(work)

    def freeze_snapshot(
        self,
        datanet_id: str,
        sequence: int,
        write_files: FilesWriter | None = None,
    ) -> Snapshot:
        """Fix the snapshot's records: the ACCEPTED contributions with ``accept_sequence`` up
        to the cutoff, ascending, become records 0..n-1 with their leaves; the Merkle root,
        record, contributor and byte counts are stored. Idempotent: a frozen snapshot is
        returned as it is. ``FAILED_PRECONDITION`` for a snapshot in a terminal state.

        With ``write_files`` (e.g. ``snapshot_files.SnapshotFileWriter(store)``), the records
        are then streamed through it, outside the transaction, and the JSONL and Parquet
        references it returns are stored, unless the snapshot already has its files (so a
        job resumed after a crash between the two steps completes them).
        """
        snapshot = self._freeze(datanet_id, sequence)
        if write_files is None or (snapshot.jsonl is not None and snapshot.parquet is not None):
            return snapshot
        files = write_files(datanet_id, sequence, self.snapshot_records(datanet_id, sequence))
        if files.record_count != snapshot.record_count:
            raise FailedPrecondition(
                f"snapshot {datanet_id}/v{sequence}: the files hold {files.record_count} records, "
                f"the snapshot {snapshot.record_count}",
                reason="SNAPSHOT_RECORDS_INCONSISTENT",
                domain=DOMAIN,
            )
        return self.update_snapshot(datanet_id, sequence, jsonl=files.jsonl, parquet=files.parquet)

    def _freeze(self, datanet_id: str, sequence: int) -> Snapshot:

        def work(session: Session) -> Snapshot:
            row = snapshot_row(session, datanet_id, sequence, lock=True)
            if row.frozen_time is not None:
                return snapshot_from_row(row)
            if JobState(row.state) in _TERMINAL_JOB_STATES:
                raise FailedPrecondition(
                    f"snapshot {datanet_id}/v{sequence} is {row.state}",
                    reason="SNAPSHOT_FINAL",
                    domain=DOMAIN,
                )
            stats = SnapshotStats()
            leaves: list[bytes] = []
            batch: list[dict[str, Any]] = []
            for record in number_records(
                _accepted_records(session, datanet_id, row.cutoff_accept_sequence)
            ):
                stats.add(record)
                leaves.append(record.leaf_hash)
                batch.append(
                    {
                        "datanet_id": datanet_id,
                        "sequence": sequence,
                        "index": record.index,
                        "record_id": record.record_id,
                        "contributor": record.contributor,
                        "content_hash": record.content_hash,
                        "curated_content_hash": record.curated_content_hash,
                        "leaf_hash": record.leaf_hash,
                    }
                )
                if len(batch) >= BATCH:
                    session.execute(insert(SnapshotRecordRow), batch)
                    batch = []
            if batch:
                session.execute(insert(SnapshotRecordRow), batch)
            if stats.record_count != row.cutoff_accept_sequence:
                # accept_sequence is gapless and ACCEPTED is final, so this means corruption.
                raise FailedPrecondition(
                    f"snapshot {datanet_id}/v{sequence}: found {stats.record_count} accepted "
                    f"records up to accept_sequence {row.cutoff_accept_sequence}",
                    reason="SNAPSHOT_RECORDS_INCONSISTENT",
                    domain=DOMAIN,
                )
            tree = MerkleTree(leaves)
            row.record_count = stats.record_count
            row.contributor_count = stats.contributor_count
            row.content_bytes = stats.content_bytes
            row.merkle_root = tree.root
            row.merkle_scheme = MERKLE_SCHEME
            row.frozen_time = utcnow()
            self._cache_tree(datanet_id, sequence, tree)
            return snapshot_from_row(row)

        return self._write(work)


def _accepted_records(session: Session, datanet_id: str, cutoff: int) -> Iterator[AcceptedRecord]:
    after = 0
    while True:
        rows = list(
            session.execute(
                select(
                    ContributionRow.accept_sequence,
                    ContributionRow.id,
                    ContributionRow.contributor,
                    ContributionRow.curated_content,
                    ContributionRow.content_hash,
                    ContributionRow.curated_content_hash,
                    ContributionRow.signature,
                )
                .where(
                    ContributionRow.datanet_id == datanet_id,
                    ContributionRow.accept_sequence > after,
                    ContributionRow.accept_sequence <= cutoff,
                )
                .order_by(ContributionRow.accept_sequence)
                .limit(BATCH)
            )
        )
        for sequence, record_id, contributor, curated, hashed, curated_hash, signature in rows:
            if curated is None or curated_hash is None:
                raise FailedPrecondition(
                    f"accepted contribution {record_id} has no curated content",
                    reason="SNAPSHOT_RECORDS_INCONSISTENT",
                    domain=DOMAIN,
                )
            yield AcceptedRecord(
                accept_sequence=sequence,
                record_id=record_id,
                contributor=contributor,
                content=curated,
                content_hash=bytes(hashed),
                curated_content_hash=bytes(curated_hash),
                signature=bytes(signature),
            )
            after = sequence
        if len(rows) < BATCH:
            return
