"""Contributions: idempotent submission, reads, listing and the dedupe index rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from openledger_datanet.adapters.db import ContributionRow, ContributorRow
from openledger_datanet.adapters.repository.convert import (
    checksum_address,
    contribution_from_row,
    reason_code,
)
from openledger_datanet.adapters.repository.pages import (
    check_page_size,
    count_rows,
    decode_token,
    encode_token,
    query_fingerprint,
)
from openledger_datanet.adapters.repository.requests import (
    METHOD_SUBMIT,
    StoredRequest,
    previous_request,
    remember_request,
)
from openledger_datanet.adapters.repository.rows import BATCH, chunks, contributor_row, datanet_row
from openledger_datanet.adapters.repository.store import Store
from openledger_datanet.domain import errors
from openledger_datanet.domain.curation import IndexRow, Reason
from openledger_datanet.domain.model import (
    DOMAIN,
    Contribution,
    ContributionStatus,
    NewContribution,
    Page,
    SubmittedRecord,
    utcnow,
)
from openledger_kit.errors import InvalidArgument


class ContributionStore(Store):
    """Contribution rows."""

    def add_contributions(
        self,
        datanet_id: str,
        records: Sequence[NewContribution],
        *,
        request_id: str,
        fingerprint: bytes = b"",
        annotations: Mapping[str, Any] | None = None,
    ) -> list[SubmittedRecord]:
        """Store checked records as PENDING contributions, one result per record in order.

        A record whose contributor already submitted its content hash to this datanet (before,
        or earlier in ``records``) is not stored again: its result is the existing
        contribution with ``already_submitted``. A retry with the same ``request_id`` and
        ``fingerprint`` stores nothing and returns the original results, re-read (so possibly
        curated by now), one per record of the *original* call; ``stored_request`` tells a
        replay apart and returns ``annotations``. ``NOT_FOUND`` for an unknown datanet.
        """

        def work(session: Session) -> list[SubmittedRecord]:
            previous = previous_request(session, request_id, METHOD_SUBMIT, fingerprint)
            if previous is not None:
                return self._replay_submission(session, previous)
            datanet = datanet_row(session, datanet_id, lock=True)
            now = utcnow()
            hashes = {record.content_hash for record in records}
            existing: dict[tuple[str, bytes], ContributionRow] = {}
            for hash_batch in chunks(sorted(hashes), 500):
                found = session.scalars(
                    select(ContributionRow).where(
                        ContributionRow.datanet_id == datanet_id,
                        ContributionRow.content_hash.in_(hash_batch),
                    )
                )
                for row in found:
                    existing[(row.contributor, row.content_hash)] = row
            contributors: dict[str, ContributorRow] = {}
            results: list[tuple[ContributionRow, bool]] = []
            for record in records:
                address = checksum_address(record.contributor)
                key = (address, record.content_hash)
                known = existing.get(key)
                if known is not None:
                    results.append((known, True))
                    continue
                row = _new_contribution_row(datanet_id, address, record, now)
                session.add(row)
                existing[key] = row
                results.append((row, False))
                contributor = contributors.get(address)
                if contributor is None:
                    contributor = contributor_row(session, datanet_id, address, lock=True)
                    contributors[address] = contributor
                if contributor.first_contribution_time is None:
                    contributor.first_contribution_time = now
                    datanet.contributor_count += 1
                contributor.last_contribution_time = now
                contributor.pending_count += 1
                datanet.pending_count += 1
            remember_request(
                session,
                request_id,
                METHOD_SUBMIT,
                fingerprint,
                datanet_id,
                now,
                records=[[row.id, already] for row, already in results],
                annotations=annotations,
            )
            session.flush()
            return [
                SubmittedRecord(contribution_from_row(row), already) for row, already in results
            ]

        return self._write(work)

    def get_contribution(
        self, contribution_id: str, *, datanet_id: str | None = None
    ) -> Contribution:
        """``NOT_FOUND`` (``CONTRIBUTION_NOT_FOUND``) when there is none (in ``datanet_id``,
        when given)."""

        def work(session: Session) -> Contribution:
            row = session.get(ContributionRow, contribution_id)
            if row is None or (datanet_id is not None and row.datanet_id != datanet_id):
                raise errors.not_found(
                    "contribution",
                    f"datanets/{datanet_id or '-'}/contributions/{contribution_id}",
                    errors.CONTRIBUTION_NOT_FOUND,
                )
            return contribution_from_row(row)

        return self._read(work)

    def get_contributions(self, contribution_ids: Sequence[str]) -> list[Contribution]:
        """The contributions among ``contribution_ids`` that exist, in the order given
        (missing ids are left out)."""

        def work(session: Session) -> list[Contribution]:
            found: dict[str, ContributionRow] = {}
            for batch in chunks(list(contribution_ids), 500):
                for row in session.scalars(
                    select(ContributionRow).where(ContributionRow.id.in_(batch))
                ):
                    found[row.id] = row
            return [contribution_from_row(found[i]) for i in contribution_ids if i in found]

        return self._read(work)

    def pending_contributions(
        self, datanet_id: str | None = None, *, limit: int | None = None
    ) -> list[Contribution]:
        """PENDING contributions in submission order (of one datanet, or of all), e.g. to
        republish their ContributionSubmitted events after a crash."""

        def work(session: Session) -> list[Contribution]:
            stmt = select(ContributionRow).where(
                ContributionRow.status == ContributionStatus.PENDING.value
            )
            if datanet_id is not None:
                stmt = stmt.where(ContributionRow.datanet_id == datanet_id)
            stmt = stmt.order_by(ContributionRow.id)
            if limit is not None:
                stmt = stmt.limit(limit)
            return [contribution_from_row(row) for row in session.scalars(stmt)]

        return self._read(work)

    def list_contributions(
        self,
        datanet_id: str | None,
        *,
        contributor: str | None = None,
        statuses: Sequence[ContributionStatus | str] = (),
        rejection_reasons: Sequence[Reason | str] = (),
        create_time_start: datetime | None = None,
        create_time_end: datetime | None = None,
        newest_first: bool = False,
        page_size: int = 100,
        page_token: str = "",
    ) -> Page[Contribution]:
        """Contributions of one datanet (or of every datanet when ``datanet_id`` is None),
        in submission order (id, a UUIDv7), oldest first unless ``newest_first``; filters
        combine with AND. ``NOT_FOUND`` for an unknown datanet."""
        check_page_size(page_size)
        conditions: list[ColumnElement[bool]] = []
        if datanet_id is not None:
            conditions.append(ContributionRow.datanet_id == datanet_id)
        if contributor:
            conditions.append(ContributionRow.contributor == checksum_address(contributor))
        if statuses:
            conditions.append(
                ContributionRow.status.in_([ContributionStatus(s).value for s in statuses])
            )
        if rejection_reasons:
            codes = sorted({reason_code(reason) for reason in rejection_reasons})
            conditions.append(
                or_(*(ContributionRow.reason_codes.contains(f",{code},") for code in codes))
            )
        if create_time_start is not None:
            conditions.append(ContributionRow.create_time >= create_time_start)
        if create_time_end is not None:
            conditions.append(ContributionRow.create_time < create_time_end)
        query = query_fingerprint(
            "contributions",
            datanet_id,
            contributor and checksum_address(contributor),
            sorted(map(str, statuses)),
            sorted(map(str, rejection_reasons)),
            create_time_start and create_time_start.isoformat(),
            create_time_end and create_time_end.isoformat(),
            newest_first,
        )

        def work(session: Session) -> Page[Contribution]:
            if datanet_id is not None:
                datanet_row(session, datanet_id)
            total = count_rows(session, ContributionRow, conditions)
            stmt = select(ContributionRow).where(*conditions)
            if page_token:
                (last_id,) = decode_token(page_token, query, 1)
                stmt = stmt.where(
                    ContributionRow.id < last_id if newest_first else ContributionRow.id > last_id
                )
            order = ContributionRow.id.desc() if newest_first else ContributionRow.id.asc()
            rows = list(session.scalars(stmt.order_by(order).limit(page_size + 1)))
            token = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                token = encode_token(query, [rows[-1].id])
            return Page([contribution_from_row(row) for row in rows], token, total)

        return self._read(work)

    def index_rows(self, datanet_id: str) -> Iterator[IndexRow]:
        """``(contribution id, exact_key, minhash, embedding)`` of the datanet's ACCEPTED
        contributions in acceptance order, for ``DatanetIndex.restore``; read in batches."""
        after = 0
        while True:

            def batch(session: Session, after: int = after) -> list[Any]:
                stmt = (
                    select(
                        ContributionRow.accept_sequence,
                        ContributionRow.id,
                        ContributionRow.exact_key,
                        ContributionRow.minhash,
                        ContributionRow.embedding,
                    )
                    .where(
                        ContributionRow.datanet_id == datanet_id,
                        ContributionRow.accept_sequence > after,
                    )
                    .order_by(ContributionRow.accept_sequence)
                    .limit(BATCH)
                )
                return list(session.execute(stmt))

            rows = self._read(batch)
            for sequence, contribution_id, exact_key, minhash, embedding in rows:
                yield contribution_id, exact_key or b"", minhash or b"", embedding or None
                after = sequence
            if len(rows) < BATCH:
                return

    def _replay_submission(
        self, session: Session, previous: StoredRequest
    ) -> list[SubmittedRecord]:
        ids = [contribution_id for contribution_id, _ in previous.records]
        rows = {
            row.id: row
            for batch in chunks(ids, 500)
            for row in session.scalars(select(ContributionRow).where(ContributionRow.id.in_(batch)))
        }
        return [
            SubmittedRecord(contribution_from_row(rows[contribution_id]), already)
            for contribution_id, already in previous.records
        ]


def _new_contribution_row(
    datanet_id: str, address: str, record: NewContribution, now: datetime
) -> ContributionRow:
    if len(record.content_hash) != 32:
        raise InvalidArgument("content_hash", "expected 32 bytes", domain=DOMAIN)
    return ContributionRow(
        id=record.id,
        datanet_id=datanet_id,
        contributor=address,
        content_hash=record.content_hash,
        signature=record.signature,
        content=dict(record.content),
        content_size_bytes=record.content_size_bytes,
        status=ContributionStatus.PENDING.value,
        rejections=[],
        reason_codes="",
        redactions=[],
        metrics=None,
        curated_content=None,
        curated_content_hash=None,
        accept_sequence=None,
        datanet_revision=0,
        counted_rejection=False,
        create_time=now,
    )
