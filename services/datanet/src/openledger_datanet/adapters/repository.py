"""The datanet service's relational storage: one ``Repository`` over SQLAlchemy.

Every public method is one unit of work: one transaction through
``openledger_kit.db.session_scope``, committed when it returns. The API is synchronous; asyncio
code calls it through ``asyncio.to_thread``. SQLite (the default, WAL mode) takes the write lock
when a write transaction begins (``BEGIN IMMEDIATE``), so read-modify-write sequences such as
"next accept_sequence" are serialised; on PostgreSQL the rows that carry counters are read
``FOR UPDATE`` for the same effect. Reads use deferred transactions, which never wait on a
writer under WAL.

What the service relies on:

- **Idempotency by request id.** ``create_datanet``, ``update_datanet``, ``add_contributions``
  and ``create_snapshot_job`` store the request id, a fingerprint of the request and what the
  mutation produced, in the same transaction as the mutation. A retry with the same id and
  fingerprint gets the original result and changes nothing; the same id with another
  fingerprint is ``ALREADY_EXISTS`` (``REQUEST_ID_REUSED``).
- **Idempotency by content.** A contributor who submits the same content hash to the same
  datanet again (earlier, or earlier in the same batch) gets the existing contribution back
  with ``already_submitted`` set; a unique constraint backs it.
- **Exactly-once curation outcomes.** ``record_outcome`` claims the event id with
  ``openledger_kit.db.claim_event`` in the transaction that applies the outcome, so the counters
  move once however often the event is redelivered, and it assigns ``accept_sequence`` (1, 2,
  ... per datanet, gapless, in commit order) to accepted contributions. ``record_outcomes``
  does the same for a batch in one transaction (a fraction of the cost per outcome).
- **Snapshots.** ``freeze_snapshot`` places the ACCEPTED contributions with ``accept_sequence``
  up to the snapshot's cutoff, in ascending order, as records 0..n-1, stores their leaves and
  the Merkle root; afterwards they are read back in order by ``snapshot_records``.

Pagination tokens are opaque to clients: base64url of the last row's sort key plus a short
fingerprint of the filters, so a token used with other filters is refused.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from eth_utils.address import to_checksum_address
from sqlalchemy import ColumnElement, Engine, and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from openledger_datanet.adapters.db import (
    INBOX,
    ContributionRow,
    ContributorRow,
    DatanetRow,
    IdempotencyRow,
    PenaltyRow,
    SnapshotRecordRow,
    SnapshotRow,
)
from openledger_datanet.adapters.snapshot_files import SnapshotFiles
from openledger_datanet.domain import errors
from openledger_datanet.domain.canonical import canonical_value, content_hash, keccak_bytes
from openledger_datanet.domain.curation import (
    IndexRow,
    Metrics,
    Outcome,
    PiiType,
    Policy,
    Reason,
    Redaction,
    Rejection,
    is_counted,
)
from openledger_datanet.domain.merkle import MERKLE_SCHEME, MerkleTree
from openledger_datanet.domain.model import (
    DOMAIN,
    ChainTx,
    Contribution,
    ContributionStatus,
    Contributor,
    Datanet,
    DatanetState,
    JobState,
    NewContribution,
    ObjectRef,
    Page,
    Penalty,
    PenaltyKind,
    PenaltyState,
    PenaltyTrigger,
    Snapshot,
    SubmittedRecord,
    TxStatus,
    new_id,
    policy_from_dict,
    policy_to_dict,
    utcnow,
)
from openledger_datanet.domain.snapshot import (
    AcceptedRecord,
    InclusionProof,
    SnapshotRecord,
    SnapshotStats,
    number_records,
)
from openledger_kit.db import (
    SQLITE_BEGIN_OPTION,
    claim_event,
    make_engine,
    make_sessionmaker,
    prune_events,
    session_scope,
    upgrade,
)
from openledger_kit.errors import Aborted, FailedPrecondition, InvalidArgument

T = TypeVar("T")

FilesWriter = Callable[[str, int, Iterator[SnapshotRecord]], SnapshotFiles]
"""Writes a snapshot's files from its records (``snapshot_files.SnapshotFileWriter``)."""

MIGRATIONS = "openledger_datanet:migrations"
"""Alembic script location of the service's migrations."""

CURATION_GROUP = "datanet-curation"
"""Default consumer group under which ``record_outcome`` claims event ids."""

METHOD_CREATE_DATANET = "CreateDatanet"
METHOD_UPDATE_DATANET = "UpdateDatanet"
METHOD_SUBMIT = "SubmitContributions"
METHOD_CREATE_SNAPSHOT = "CreateSnapshot"

MAX_PAGE_SIZE = 1000
PENALTIES_PER_CONTRIBUTOR = 100
"""``Contributor.penalties`` holds at most this many, newest first (contributor.proto)."""
PENALTY_CONTRIBUTIONS = 100
"""A penalty names at most this many contributions (contributor.proto)."""

_BATCH = 1000
_UPDATABLE_DATANET_FIELDS = frozenset(
    {
        "display_name",
        "domain",
        "description",
        "record_schema",
        "policy",
        "stake_required",
        "curator",
        "state",
        "registration",
    }
)
_TERMINAL_JOB_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED})


@dataclass(frozen=True)
class OutcomeToRecord:
    """One curation decision for ``Repository.record_outcomes``: the contribution, curation's
    outcome and the id of the event it answers (the exactly-once key)."""

    contribution_id: str
    outcome: Outcome
    event_id: str


@dataclass(frozen=True)
class RecordedOutcome:
    """What ``record_outcome`` applied: the decided contribution and, when this decision
    pushed the contributor's windowed rejection rate to the policy's threshold, the PENDING
    slash penalty it created (its transaction is the service's to send)."""

    contribution: Contribution
    penalty: Penalty | None = None

    @property
    def penalty_triggered(self) -> bool:
        return self.penalty is not None


@dataclass(frozen=True)
class StoredRequest:
    """A remembered mutation: what ``stored_request`` returns for a request id.

    ``resource`` is the id of what it created or changed (a datanet id, or
    ``"{datanet}/{sequence}"`` for a snapshot); ``records`` the (contribution id,
    already_submitted) pairs a ``SubmitContributions`` stored, in order; ``annotations`` what
    the caller stored beside them (e.g. the records refused before storage).
    """

    request_id: str
    method: str
    resource: str
    records: tuple[tuple[str, bool], ...]
    annotations: dict[str, Any]
    create_time: datetime


class Repository:
    """The service's storage (see the module docstring). Thread-safe; one per process."""

    def __init__(self, engine: Engine, *, tree_cache_size: int = 8) -> None:
        self.engine = engine
        self._writes: sessionmaker[Session] = make_sessionmaker(engine)
        self._reads: sessionmaker[Session] = make_sessionmaker(
            engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        )
        self._trees: OrderedDict[tuple[str, int], MerkleTree] = OrderedDict()
        self._tree_cache_size = tree_cache_size
        self._tree_lock = threading.Lock()

    @classmethod
    def open(
        cls, database_url: str, *, migrate: bool = True, busy_timeout_seconds: float = 30.0
    ) -> Repository:
        """A repository on ``database_url`` (``sqlite:///path``, ``postgresql+psycopg://…``),
        upgraded to the newest schema unless ``migrate`` is False."""
        repository = cls(make_engine(database_url, busy_timeout_seconds=busy_timeout_seconds))
        if migrate:
            repository.migrate()
        return repository

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration (nothing when already there)."""
        upgrade(self.engine, MIGRATIONS)

    def close(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()

    # ------------------------------------------------------------------ datanets

    def create_datanet(
        self, datanet: Datanet, *, request_id: str | None = None, fingerprint: bytes = b""
    ) -> Datanet:
        """Store a new datanet (counters start at zero, revision at 1).

        ``ALREADY_EXISTS`` (``DATANET_ALREADY_EXISTS``) when the id is taken. A retry with the
        same ``request_id`` returns the datanet as it is now."""

        def work(session: Session) -> Datanet:
            previous = _previous(session, request_id, METHOD_CREATE_DATANET, fingerprint)
            if previous is not None:
                return _datanet(_datanet_row(session, previous.resource))
            if session.get(DatanetRow, datanet.id) is not None:
                raise errors.datanet_exists(datanet.id)
            now = utcnow()
            row = DatanetRow(
                id=datanet.id,
                display_name=datanet.display_name,
                domain=datanet.domain,
                description=datanet.description,
                record_schema=dict(datanet.record_schema),
                curation_policy=policy_to_dict(datanet.policy),
                stake_required=str(datanet.stake_required),
                curator=_address(datanet.curator),
                state=DatanetState(datanet.state).value,
                revision=1,
                registration=_tx_json(datanet.registration),
                accepted_count=0,
                rejected_count=0,
                pending_count=0,
                contributor_count=0,
                last_accept_sequence=0,
                last_snapshot_sequence=0,
                latest_snapshot_sequence=None,
                create_time=now,
                update_time=now,
            )
            session.add(row)
            _remember(session, request_id, METHOD_CREATE_DATANET, fingerprint, datanet.id, now)
            session.flush()
            return _datanet(row)

        return self._write(work)

    def get_datanet(self, datanet_id: str) -> Datanet:
        """``NOT_FOUND`` (``DATANET_NOT_FOUND``) when there is none."""
        return self._read(lambda session: _datanet(_datanet_row(session, datanet_id)))

    def list_datanets(
        self,
        *,
        curator: str | None = None,
        domain: str | None = None,
        states: Sequence[DatanetState | str] = (),
        page_size: int = 50,
        page_token: str = "",
    ) -> Page[Datanet]:
        """Datanets newest first (``create_time``, then id), filtered (AND)."""
        _check_page_size(page_size)
        conditions: list[ColumnElement[bool]] = []
        if curator:
            conditions.append(DatanetRow.curator == _address(curator))
        if domain:
            conditions.append(DatanetRow.domain == domain)
        if states:
            conditions.append(DatanetRow.state.in_([DatanetState(s).value for s in states]))
        query = _query_fingerprint("datanets", curator, domain, sorted(map(str, states)))

        def work(session: Session) -> Page[Datanet]:
            total = _count(session, DatanetRow, conditions)
            stmt = select(DatanetRow).where(*conditions)
            if page_token:
                time_text, last_id = _decode_token(page_token, query, 2)
                after = _parse_time(time_text)
                stmt = stmt.where(
                    or_(
                        DatanetRow.create_time < after,
                        and_(DatanetRow.create_time == after, DatanetRow.id < last_id),
                    )
                )
            stmt = stmt.order_by(DatanetRow.create_time.desc(), DatanetRow.id.desc())
            rows = list(session.scalars(stmt.limit(page_size + 1)))
            token = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                token = _encode_token(query, [rows[-1].create_time.isoformat(), rows[-1].id])
            return Page([_datanet(row) for row in rows], token, total)

        return self._read(work)

    def datanets_in_state(self, *states: DatanetState | str) -> list[Datanet]:
        """Every datanet in one of ``states``, oldest first (e.g. registrations to resume)."""
        values = [DatanetState(state).value for state in states]

        def work(session: Session) -> list[Datanet]:
            stmt = (
                select(DatanetRow)
                .where(DatanetRow.state.in_(values))
                .order_by(DatanetRow.create_time, DatanetRow.id)
            )
            return [_datanet(row) for row in session.scalars(stmt)]

        return self._read(work)

    def update_datanet(
        self,
        datanet_id: str,
        changes: Mapping[str, Any],
        *,
        expected_etag: str | None = None,
        request_id: str | None = None,
        fingerprint: bytes = b"",
    ) -> Datanet:
        """Replace the named fields and return the datanet after the update.

        Keys are ``Datanet`` field names: ``display_name``, ``domain``, ``description``,
        ``record_schema``, ``policy``, ``stake_required``, ``curator``, ``state``,
        ``registration``. A change of ``record_schema`` or ``policy`` bumps ``revision``.
        ``expected_etag`` makes the update conditional (``ABORTED`` when stale). A retry with
        the same ``request_id`` changes nothing and returns the datanet as it is now.
        """
        unknown = set(changes) - _UPDATABLE_DATANET_FIELDS
        if unknown:
            raise InvalidArgument("update_mask", f"cannot update {sorted(unknown)}", domain=DOMAIN)

        def work(session: Session) -> Datanet:
            previous = _previous(session, request_id, METHOD_UPDATE_DATANET, fingerprint)
            if previous is not None:
                return _datanet(_datanet_row(session, previous.resource))
            row = _datanet_row(session, datanet_id, lock=True)
            if expected_etag and expected_etag != _datanet(row).etag:
                raise Aborted(
                    f"datanet {datanet_id!r} changed since it was read (etag mismatch)",
                    reason="ETAG_MISMATCH",
                    domain=DOMAIN,
                )
            changed = False
            bump = False
            for key, value in changes.items():
                column, stored = _datanet_column(key, value)
                if getattr(row, column) != stored:
                    setattr(row, column, stored)
                    changed = True
                    bump = bump or key in ("record_schema", "policy")
            now = utcnow()
            if bump:
                row.revision += 1
            if changed:
                row.update_time = now
            _remember(session, request_id, METHOD_UPDATE_DATANET, fingerprint, datanet_id, now)
            return _datanet(row)

        return self._write(work)

    # ------------------------------------------------------------------ contributions

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
            previous = _previous(session, request_id, METHOD_SUBMIT, fingerprint)
            if previous is not None:
                return self._replay_submission(session, previous)
            datanet = _datanet_row(session, datanet_id, lock=True)
            now = utcnow()
            hashes = {record.content_hash for record in records}
            existing: dict[tuple[str, bytes], ContributionRow] = {}
            for hash_batch in _chunks(sorted(hashes), 500):
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
                address = _address(record.contributor)
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
                    contributor = _contributor_row(session, datanet_id, address, lock=True)
                    contributors[address] = contributor
                if contributor.first_contribution_time is None:
                    contributor.first_contribution_time = now
                    datanet.contributor_count += 1
                contributor.last_contribution_time = now
                contributor.pending_count += 1
                datanet.pending_count += 1
            _remember(
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
            return [SubmittedRecord(_contribution(row), already) for row, already in results]

        return self._write(work)

    def stored_request(
        self, request_id: str, *, method: str, fingerprint: bytes = b""
    ) -> StoredRequest | None:
        """The remembered mutation of ``request_id``; None when the id is new.
        ``ALREADY_EXISTS`` (``REQUEST_ID_REUSED``) when it was used for another request."""
        return self._read(lambda session: _previous(session, request_id, method, fingerprint))

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
            return _contribution(row)

        return self._read(work)

    def get_contributions(self, contribution_ids: Sequence[str]) -> list[Contribution]:
        """The contributions among ``contribution_ids`` that exist, in the order given
        (missing ids are left out)."""

        def work(session: Session) -> list[Contribution]:
            found: dict[str, ContributionRow] = {}
            for batch in _chunks(list(contribution_ids), 500):
                for row in session.scalars(
                    select(ContributionRow).where(ContributionRow.id.in_(batch))
                ):
                    found[row.id] = row
            return [_contribution(found[i]) for i in contribution_ids if i in found]

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
            return [_contribution(row) for row in session.scalars(stmt)]

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
        _check_page_size(page_size)
        conditions: list[ColumnElement[bool]] = []
        if datanet_id is not None:
            conditions.append(ContributionRow.datanet_id == datanet_id)
        if contributor:
            conditions.append(ContributionRow.contributor == _address(contributor))
        if statuses:
            conditions.append(
                ContributionRow.status.in_([ContributionStatus(s).value for s in statuses])
            )
        if rejection_reasons:
            codes = sorted({_reason_code(reason) for reason in rejection_reasons})
            conditions.append(
                or_(*(ContributionRow.reason_codes.contains(f",{code},") for code in codes))
            )
        if create_time_start is not None:
            conditions.append(ContributionRow.create_time >= create_time_start)
        if create_time_end is not None:
            conditions.append(ContributionRow.create_time < create_time_end)
        query = _query_fingerprint(
            "contributions",
            datanet_id,
            contributor and _address(contributor),
            sorted(map(str, statuses)),
            sorted(map(str, rejection_reasons)),
            create_time_start and create_time_start.isoformat(),
            create_time_end and create_time_end.isoformat(),
            newest_first,
        )

        def work(session: Session) -> Page[Contribution]:
            if datanet_id is not None:
                _datanet_row(session, datanet_id)
            total = _count(session, ContributionRow, conditions)
            stmt = select(ContributionRow).where(*conditions)
            if page_token:
                (last_id,) = _decode_token(page_token, query, 1)
                stmt = stmt.where(
                    ContributionRow.id < last_id if newest_first else ContributionRow.id > last_id
                )
            order = ContributionRow.id.desc() if newest_first else ContributionRow.id.asc()
            rows = list(session.scalars(stmt.order_by(order).limit(page_size + 1)))
            token = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                token = _encode_token(query, [rows[-1].id])
            return Page([_contribution(row) for row in rows], token, total)

        return self._read(work)

    def record_outcome(
        self,
        contribution_id: str,
        outcome: Outcome,
        *,
        event_id: str,
        datanet_revision: int,
        consumer_group: str = CURATION_GROUP,
        curate_time: datetime | None = None,
    ) -> RecordedOutcome | None:
        """Apply curation's decision once; None (nothing changed) when ``event_id`` was
        already processed by ``consumer_group`` or the contribution is no longer PENDING.

        In one transaction with the inbox mark: the contribution's status, rejections,
        redactions, metrics, curated content (the submitted original is dropped, as
        contribution.proto requires), dedupe keys and, when accepted, the datanet's next
        ``accept_sequence``; the datanet's and the contributor's counters and reputation; the
        contributor's slashing window under the datanet's stored policy and, when the window is
        full and its counted rejection rate reaches ``slash_rejection_rate`` with a non-zero
        ``slash_amount``, a PENDING slash penalty (the window then restarts).
        ``NOT_FOUND`` (``CONTRIBUTION_NOT_FOUND``) for an unknown contribution.
        """
        (result,) = self.record_outcomes(
            [OutcomeToRecord(contribution_id, outcome, event_id)],
            datanet_revision=datanet_revision,
            consumer_group=consumer_group,
            curate_time=curate_time,
        )
        return result

    def record_outcomes(
        self,
        items: Sequence[OutcomeToRecord],
        *,
        datanet_revision: int,
        consumer_group: str = CURATION_GROUP,
        curate_time: datetime | None = None,
    ) -> list[RecordedOutcome | None]:
        """``record_outcome`` for a batch (all curated under ``datanet_revision``), in one
        transaction and in order: one commit instead of one per contribution. Each item is
        applied at most once, exactly as ``record_outcome`` would; the result for an item is
        None where that call would return None."""

        def work(session: Session) -> list[RecordedOutcome | None]:
            batch = _OutcomeBatch(session, [item.contribution_id for item in items])
            now = curate_time or utcnow()
            return [_record(batch, item, datanet_revision, consumer_group, now) for item in items]

        return self._write(work)

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
                    .limit(_BATCH)
                )
                return list(session.execute(stmt))

            rows = self._read(batch)
            for sequence, contribution_id, exact_key, minhash, embedding in rows:
                yield contribution_id, exact_key or b"", minhash or b"", embedding or None
                after = sequence
            if len(rows) < _BATCH:
                return

    # ------------------------------------------------------------------ contributors

    def contributor(self, datanet_id: str, address: str) -> Contributor:
        """An address's standing in a datanet; zero counts when it never contributed.
        ``NOT_FOUND`` for an unknown datanet."""

        def work(session: Session) -> Contributor:
            _datanet_row(session, datanet_id)
            checksummed = _address(address)
            row = session.get(ContributorRow, (datanet_id, checksummed))
            penalties = session.scalars(
                select(PenaltyRow)
                .where(PenaltyRow.datanet_id == datanet_id, PenaltyRow.contributor == checksummed)
                .order_by(PenaltyRow.create_time.desc(), PenaltyRow.id.desc())
                .limit(PENALTIES_PER_CONTRIBUTOR)
            )
            return _contributor(datanet_id, checksummed, row, [_penalty(p) for p in penalties])

        return self._read(work)

    def update_contributor(
        self,
        datanet_id: str,
        address: str,
        *,
        stake_cache: int | None = None,
        suspended: bool | None = None,
    ) -> Contributor:
        """Set the cached on-chain stake and/or the suspension flag."""

        def work(session: Session) -> None:
            _datanet_row(session, datanet_id)
            row = _contributor_row(session, datanet_id, _address(address), lock=True)
            if stake_cache is not None:
                row.stake = str(stake_cache)
            if suspended is not None:
                row.suspended = suspended

        self._write(work)
        return self.contributor(datanet_id, address)

    def add_penalty(self, penalty: Penalty) -> Penalty:
        """Store a penalty (e.g. an admin's suspension or slash). A SUSPENSION suspends the
        contributor; a SLASH restarts the slashing window. An empty ``reason_hash`` is
        filled with the commitment ``penalty_reason_hash`` computes."""

        def work(session: Session) -> Penalty:
            _datanet_row(session, penalty.datanet_id)
            address = _address(penalty.contributor)
            contributor = _contributor_row(session, penalty.datanet_id, address, lock=True)
            row = PenaltyRow(
                id=penalty.id,
                datanet_id=penalty.datanet_id,
                contributor=address,
                kind=PenaltyKind(penalty.kind).value,
                trigger=PenaltyTrigger(penalty.trigger).value,
                state=PenaltyState(penalty.state).value,
                amount=str(penalty.amount),
                rejection_rate=float(penalty.rejection_rate),
                contributions=list(penalty.contributions[:PENALTY_CONTRIBUTIONS]),
                detail=penalty.detail,
                transaction=_tx_json(penalty.transaction),
                reason_hash=penalty.reason_hash,
                create_time=penalty.create_time,
            )
            if not row.reason_hash:
                row.reason_hash = penalty_reason_hash(row)
            if penalty.kind == PenaltyKind.SUSPENSION:
                contributor.suspended = True
            if penalty.kind == PenaltyKind.SLASH:
                contributor.last_slash_time = penalty.create_time
                contributor.window_start = contributor.curated_count
                contributor.window_curated_count = 0
                contributor.window_counted_rejections = 0
                if penalty.state == PenaltyState.CONFIRMED:
                    contributor.total_slashed = str(int(contributor.total_slashed) + penalty.amount)
            session.add(row)
            session.flush()
            return _penalty(row)

        return self._write(work)

    def update_penalty(
        self,
        penalty_id: str,
        *,
        state: PenaltyState | None = None,
        transaction: ChainTx | None = None,
        detail: str | None = None,
        amount: int | None = None,
    ) -> Penalty:
        """Record the progress of a penalty's transaction. ``amount`` replaces the decided
        amount while the penalty is PENDING (a slash capped by the registry records what was
        actually taken). A SLASH that becomes CONFIRMED adds its amount to the contributor's
        ``total_slashed`` (once). CONFIRMED and FAILED are final: changing them is
        ``FAILED_PRECONDITION``."""

        def work(session: Session) -> Penalty:
            row = session.get(PenaltyRow, penalty_id, with_for_update=True)
            if row is None:
                raise errors.not_found("penalty", penalty_id, "PENALTY_NOT_FOUND")
            if amount is not None and str(amount) != row.amount:
                if row.state != PenaltyState.PENDING:
                    raise FailedPrecondition(
                        f"penalty {penalty_id} is {row.state}; its amount is final",
                        reason="PENALTY_FINAL",
                        domain=DOMAIN,
                    )
                row.amount = str(amount)
            if state is not None and state != row.state:
                if row.state != PenaltyState.PENDING:
                    raise FailedPrecondition(
                        f"penalty {penalty_id} is {row.state}; it cannot become {state}",
                        reason="PENALTY_FINAL",
                        domain=DOMAIN,
                    )
                row.state = PenaltyState(state).value
                if state == PenaltyState.CONFIRMED and row.kind == PenaltyKind.SLASH:
                    contributor = _contributor_row(
                        session, row.datanet_id, row.contributor, lock=True
                    )
                    contributor.total_slashed = str(
                        int(contributor.total_slashed) + int(row.amount)
                    )
            if transaction is not None:
                row.transaction = _tx_json(transaction)
            if detail is not None:
                row.detail = detail
            return _penalty(row)

        return self._write(work)

    def get_penalty(self, penalty_id: str) -> Penalty:
        def work(session: Session) -> Penalty:
            row = session.get(PenaltyRow, penalty_id)
            if row is None:
                raise errors.not_found("penalty", penalty_id, "PENALTY_NOT_FOUND")
            return _penalty(row)

        return self._read(work)

    def list_penalties(
        self,
        *,
        datanet_id: str | None = None,
        states: Sequence[PenaltyState | str] = (),
        limit: int = 100,
    ) -> list[Penalty]:
        """Penalties oldest first (e.g. the PENDING slashes whose transactions to send)."""

        def work(session: Session) -> list[Penalty]:
            stmt = select(PenaltyRow)
            if datanet_id is not None:
                stmt = stmt.where(PenaltyRow.datanet_id == datanet_id)
            if states:
                stmt = stmt.where(PenaltyRow.state.in_([PenaltyState(s).value for s in states]))
            stmt = stmt.order_by(PenaltyRow.create_time, PenaltyRow.id).limit(limit)
            return [_penalty(row) for row in session.scalars(stmt)]

        return self._read(work)

    # ------------------------------------------------------------------ snapshots

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
            previous = _previous(session, request_id, METHOD_CREATE_SNAPSHOT, fingerprint)
            if previous is not None:
                datanet_part, _, sequence = previous.resource.rpartition("/")
                return _snapshot(_snapshot_row(session, datanet_part, int(sequence)))
            datanet = _datanet_row(session, datanet_id, lock=True)
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
                creator=_address(creator) if creator else "",
                accepted_before=accepted_before,
                cutoff_accept_sequence=cutoff,
                record_count=0,
                contributor_count=0,
                content_bytes=0,
                merkle_scheme=MERKLE_SCHEME,
            )
            session.add(row)
            resource = f"{datanet_id}/{row.sequence}"
            _remember(session, request_id, METHOD_CREATE_SNAPSHOT, fingerprint, resource, now)
            session.flush()
            return _snapshot(row)

        return self._write(work)

    def get_snapshot(self, datanet_id: str, sequence: int) -> Snapshot:
        """``NOT_FOUND`` (``SNAPSHOT_NOT_FOUND``) when there is none."""
        return self._read(lambda session: _snapshot(_snapshot_row(session, datanet_id, sequence)))

    def list_snapshots(
        self,
        datanet_id: str | None,
        *,
        states: Sequence[JobState | str] = (),
        page_size: int = 50,
        page_token: str = "",
    ) -> Page[Snapshot]:
        """Snapshots newest first (``create_time``), of one datanet or of all (None)."""
        _check_page_size(page_size)
        conditions: list[ColumnElement[bool]] = []
        if datanet_id is not None:
            conditions.append(SnapshotRow.datanet_id == datanet_id)
        if states:
            conditions.append(SnapshotRow.state.in_([JobState(s).value for s in states]))
        query = _query_fingerprint("snapshots", datanet_id, sorted(map(str, states)))

        def work(session: Session) -> Page[Snapshot]:
            if datanet_id is not None:
                _datanet_row(session, datanet_id)
            total = _count(session, SnapshotRow, conditions)
            stmt = select(SnapshotRow).where(*conditions)
            if page_token:
                time_text, last_datanet, last_sequence = _decode_token(page_token, query, 3)
                after = _parse_time(time_text)
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
                token = _encode_token(
                    query, [last.create_time.isoformat(), last.datanet_id, str(last.sequence)]
                )
            return Page([_snapshot(row) for row in rows], token, total)

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
            return [_snapshot(row) for row in session.scalars(stmt)]

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
            row = _snapshot_row(session, datanet_id, sequence, lock=True)
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
                    datanet = _datanet_row(session, datanet_id, lock=True)
                    latest = datanet.latest_snapshot_sequence or 0
                    datanet.latest_snapshot_sequence = max(latest, sequence)
            if progress is not None and row.state != JobState.SUCCEEDED:
                row.progress = min(max(progress, 0.0), 1.0)
            if error_reason is not None:
                row.error_reason = error_reason
            if error_message is not None:
                row.error_message = error_message
            if jsonl is not None:
                row.jsonl = _object_json(jsonl)
            if parquet is not None:
                row.parquet = _object_json(parquet)
            if anchor is not None:
                row.anchor = _tx_json(anchor)
            return _snapshot(row)

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
            row = _snapshot_row(session, datanet_id, sequence, lock=True)
            if row.frozen_time is not None:
                return _snapshot(row)
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
                if len(batch) >= _BATCH:
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
            return _snapshot(row)

        return self._write(work)

    def snapshot_records(
        self,
        datanet_id: str,
        sequence: int,
        start_index: int = 0,
        end_index: int | None = None,
        *,
        batch_size: int = _BATCH,
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

    # ------------------------------------------------------------------ housekeeping

    def prune(self, *, before: datetime) -> int:
        """Forget request ids and processed event ids older than ``before`` (the proto
        promises at least 24 hours); return how many rows went."""

        def work(session: Session) -> int:
            result = session.execute(
                delete(IdempotencyRow).where(IdempotencyRow.create_time < before)
            )
            removed: int = getattr(result, "rowcount", 0) or 0
            return removed + prune_events(session, before=before)

        return self._write(work)

    # ------------------------------------------------------------------ internals

    def _write(self, work: Callable[[Session], T]) -> T:
        # A unique-key race (PostgreSQL, or two writers of one request id) surfaces as an
        # IntegrityError at flush; the retry then sees the winner's row and answers from it.
        for attempt in range(3):
            try:
                with session_scope(self._writes) as session:
                    return work(session)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read(self, work: Callable[[Session], T]) -> T:
        with session_scope(self._reads) as session:
            return work(session)

    def _replay_submission(
        self, session: Session, previous: StoredRequest
    ) -> list[SubmittedRecord]:
        ids = [contribution_id for contribution_id, _ in previous.records]
        rows = {
            row.id: row
            for batch in _chunks(ids, 500)
            for row in session.scalars(select(ContributionRow).where(ContributionRow.id.in_(batch)))
        }
        return [
            SubmittedRecord(_contribution(rows[contribution_id]), already)
            for contribution_id, already in previous.records
        ]

    def _frozen(self, datanet_id: str, sequence: int) -> Snapshot:
        def work(session: Session) -> Snapshot:
            row = _snapshot_row(session, datanet_id, sequence)
            if row.frozen_time is None:
                raise FailedPrecondition(
                    f"snapshot {datanet_id}/v{sequence} has no records yet",
                    reason="SNAPSHOT_NOT_FROZEN",
                    domain=DOMAIN,
                )
            return _snapshot(row)

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


# ---------------------------------------------------------------------- row access


def _datanet_row(session: Session, datanet_id: str, *, lock: bool = False) -> DatanetRow:
    row = session.get(DatanetRow, datanet_id, with_for_update=lock)
    if row is None:
        raise errors.datanet_not_found(datanet_id)
    return row


def _snapshot_row(
    session: Session, datanet_id: str, sequence: int, *, lock: bool = False
) -> SnapshotRow:
    row = session.get(SnapshotRow, (datanet_id, sequence), with_for_update=lock)
    if row is None:
        raise errors.not_found(
            "snapshot", f"datanets/{datanet_id}/snapshots/v{sequence}", errors.SNAPSHOT_NOT_FOUND
        )
    return row


def _contributor_row(
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


def _apply_outcome(
    row: ContributionRow, outcome: Outcome, datanet_revision: int, now: datetime
) -> None:
    curated = dict(outcome.curated) if outcome.curated else None
    if outcome.accepted and curated is None:
        raise InvalidArgument(
            "outcome.curated", "an accepted contribution needs curated content", domain=DOMAIN
        )
    row.status = (
        ContributionStatus.ACCEPTED if outcome.accepted else ContributionStatus.REJECTED
    ).value
    row.rejections = [_rejection_json(rejection) for rejection in outcome.rejections]
    codes = sorted({_reason_code(rejection.reason) for rejection in outcome.rejections})
    row.reason_codes = f",{','.join(codes)}," if codes else ""
    row.redactions = [_redaction_json(redaction) for redaction in outcome.redactions]
    row.metrics = _metrics_json(outcome.metrics)
    if curated is not None:
        row.curated_content = curated
        row.curated_content_hash = content_hash(curated)
        # contribution.proto: once curated, the submitted original is not kept.
        row.content = None
    row.exact_key = outcome.exact_key or None
    row.minhash = outcome.minhash or None
    row.embedding = outcome.embedding or None
    row.datanet_revision = datanet_revision
    row.curate_time = now


class _OutcomeBatch:
    """The rows one ``record_outcomes`` transaction touches, each read (and on PostgreSQL
    locked) once however many of the batch's outcomes touch it."""

    def __init__(self, session: Session, contribution_ids: Sequence[str]) -> None:
        self.session = session
        self.contributions: dict[str, ContributionRow] = {}
        for batch in _chunks(list(dict.fromkeys(contribution_ids)), 500):
            stmt = select(ContributionRow).where(ContributionRow.id.in_(batch)).with_for_update()
            for row in session.scalars(stmt):
                self.contributions[row.id] = row
        self.datanets: dict[str, tuple[DatanetRow, Policy]] = {}
        self.contributors: dict[tuple[str, str], ContributorRow] = {}
        # (datanet, contributor, contributor_curate_seq) of the contributions decided here.
        self.decided: dict[tuple[str, str, int], ContributionRow] = {}
        # contributor_curate_seq -> counted_rejection of contributions decided before.
        self.stored_flags: dict[tuple[str, str], dict[int, bool]] = {}

    def datanet(self, datanet_id: str) -> tuple[DatanetRow, Policy]:
        found = self.datanets.get(datanet_id)
        if found is None:
            row = _datanet_row(self.session, datanet_id, lock=True)
            found = self.datanets[datanet_id] = (row, policy_from_dict(row.curation_policy))
        return found

    def counted(self, contributor: ContributorRow, curate_seq: int) -> bool:
        """Whether the contributor's ``curate_seq``-th curated contribution counts toward
        slashing (decided in this batch, or stored before it)."""
        key = (contributor.datanet_id, contributor.address, curate_seq)
        row = self.decided.get(key)
        if row is not None:
            return row.counted_rejection
        stored = self.stored_flags.get(key[:2])
        if stored is None or curate_seq not in stored:
            # Later lookups of this batch ask for larger numbers: read them all at once.
            with self.session.no_autoflush:
                found = self.session.execute(
                    select(
                        ContributionRow.contributor_curate_seq, ContributionRow.counted_rejection
                    ).where(
                        ContributionRow.datanet_id == contributor.datanet_id,
                        ContributionRow.contributor == contributor.address,
                        ContributionRow.contributor_curate_seq >= curate_seq,
                    )
                )
                stored = self.stored_flags[key[:2]] = {
                    seq: bool(flag) for seq, flag in found if seq is not None
                }
        return stored.get(curate_seq, False)

    def contributor(self, datanet_id: str, address: str) -> ContributorRow:
        key = (datanet_id, address)
        row = self.contributors.get(key)
        if row is None:
            row = self.contributors[key] = _contributor_row(
                self.session, datanet_id, address, lock=True
            )
        return row


def _record(
    batch: _OutcomeBatch,
    item: OutcomeToRecord,
    datanet_revision: int,
    consumer_group: str,
    now: datetime,
) -> RecordedOutcome | None:
    """Apply one outcome in the batch's transaction (see ``Repository.record_outcome``)."""
    # Without autoflush, the batch's changes reach the database once, at commit.
    with batch.session.no_autoflush:
        if not claim_event(batch.session, consumer_group, item.event_id):
            return None
    row = batch.contributions.get(item.contribution_id)
    if row is None:
        raise errors.not_found("contribution", item.contribution_id, errors.CONTRIBUTION_NOT_FOUND)
    if row.status != ContributionStatus.PENDING:
        return None
    outcome = item.outcome
    datanet, policy = batch.datanet(row.datanet_id)
    _apply_outcome(row, outcome, datanet_revision, now)
    datanet.pending_count -= 1
    if outcome.accepted:
        datanet.last_accept_sequence += 1
        row.accept_sequence = datanet.last_accept_sequence
        datanet.accepted_count += 1
    else:
        datanet.rejected_count += 1
    contributor = batch.contributor(row.datanet_id, row.contributor)
    contributor.pending_count -= 1
    if outcome.accepted:
        contributor.accepted_count += 1
    else:
        contributor.rejected_count += 1
    contributor.reputation = _reputation(contributor)
    contributor.curated_count += 1
    row.contributor_curate_seq = contributor.curated_count
    row.counted_rejection = is_counted(policy, outcome)
    batch.decided[(row.datanet_id, row.contributor, contributor.curated_count)] = row
    penalty = _evaluate_window(
        batch,
        contributor,
        row,
        window_size=policy.effective_slash_window_size,
        rate_threshold=policy.slash_rejection_rate,
        amount=policy.slash_amount_wei,
        now=now,
    )
    return RecordedOutcome(_contribution(row), None if penalty is None else _penalty(penalty))


def _evaluate_window(
    batch: _OutcomeBatch,
    contributor: ContributorRow,
    decided: ContributionRow,
    *,
    window_size: int,
    rate_threshold: float,
    amount: int,
    now: datetime,
) -> PenaltyRow | None:
    """Refresh the contributor's slashing window (their last ``window_size`` curated
    contributions since the last slash), ``decided`` being the newest, and decide a slash when
    it is full and its counted rejection rate reaches the threshold.

    The window's counts move incrementally (the newest contribution enters, at most one
    leaves), so deciding a batch costs no query per outcome; when the stored counts do not fit
    the current window size (the policy changed it) they are counted afresh."""
    session = batch.session
    newest = contributor.curated_count
    low = max(contributor.window_start, newest - window_size)
    previous_low = max(contributor.window_start, newest - 1 - window_size)
    window = and_(
        ContributionRow.datanet_id == contributor.datanet_id,
        ContributionRow.contributor == contributor.address,
        ContributionRow.contributor_curate_seq > low,
        ContributionRow.counted_rejection.is_(True),
    )
    if contributor.window_curated_count == newest - 1 - previous_low:
        counted = contributor.window_counted_rejections + int(decided.counted_rejection)
        if low > previous_low:
            # The window slid by one: contribution number ``low`` left it.
            counted -= int(batch.counted(contributor, low))
    else:
        counted = session.scalar(select(func.count()).where(window)) or 0
    in_window = newest - low
    contributor.window_curated_count = in_window
    contributor.window_counted_rejections = counted
    rate = counted / in_window if in_window else 0.0
    if not (rate_threshold > 0 and amount > 0 and in_window >= window_size):
        return None
    if rate < rate_threshold:
        return None
    culprits = list(
        session.scalars(
            select(ContributionRow.id)
            .where(window)
            .order_by(ContributionRow.contributor_curate_seq.desc())
            .limit(PENALTY_CONTRIBUTIONS)
        )
    )
    penalty = PenaltyRow(
        id=new_id(),
        datanet_id=contributor.datanet_id,
        contributor=contributor.address,
        kind=PenaltyKind.SLASH.value,
        trigger=PenaltyTrigger.REJECTION_RATE.value,
        state=PenaltyState.PENDING.value,
        amount=str(amount),
        rejection_rate=rate,
        contributions=culprits,
        detail=(
            f"{counted} of the last {in_window} curated contributions were rejected for "
            f"counted reasons (rate {rate:.3f} >= {rate_threshold:.3f})"
        ),
        transaction=None,
        create_time=now,
    )
    penalty.reason_hash = penalty_reason_hash(penalty)
    session.add(penalty)
    contributor.window_start = contributor.curated_count
    contributor.window_curated_count = 0
    contributor.window_counted_rejections = 0
    contributor.last_slash_time = now
    return penalty


def penalty_reason_hash(row: PenaltyRow) -> bytes:
    """The on-chain ``reasonHash`` of a penalty: keccak256 of the canonical JSON of its
    off-chain record (id, datanet, contributor, kind, trigger, amount, rate, contributions),
    so anyone holding the record can check the commitment."""
    return keccak_bytes(
        canonical_value(
            {
                "id": row.id,
                "datanet": row.datanet_id,
                "contributor": row.contributor,
                "kind": row.kind,
                "trigger": row.trigger,
                "amount": row.amount,
                "rejection_rate": row.rejection_rate,
                "contributions": list(row.contributions),
            }
        )
    )


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
                .limit(_BATCH)
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
        if len(rows) < _BATCH:
            return


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


def _count(session: Session, entity: Any, conditions: Sequence[ColumnElement[bool]]) -> int:
    return int(session.scalar(select(func.count()).select_from(entity).where(*conditions)) or 0)


# ---------------------------------------------------------------------- idempotency


def _previous(
    session: Session, request_id: str | None, method: str, fingerprint: bytes
) -> StoredRequest | None:
    if not request_id:
        return None
    row = session.get(IdempotencyRow, request_id)
    if row is None:
        return None
    if row.method != method or bytes(row.fingerprint) != fingerprint:
        raise errors.request_id_reused(request_id)
    response = row.response
    return StoredRequest(
        request_id=row.request_id,
        method=row.method,
        resource=str(response.get("resource", "")),
        records=tuple((str(i), bool(a)) for i, a in response.get("records", [])),
        annotations=dict(response.get("annotations") or {}),
        create_time=row.create_time,
    )


def _remember(
    session: Session,
    request_id: str | None,
    method: str,
    fingerprint: bytes,
    resource: str,
    now: datetime,
    *,
    records: list[list[Any]] | None = None,
    annotations: Mapping[str, Any] | None = None,
) -> None:
    if not request_id:
        return
    response: dict[str, Any] = {"resource": resource}
    if records is not None:
        response["records"] = records
    if annotations:
        response["annotations"] = dict(annotations)
    session.add(
        IdempotencyRow(
            request_id=request_id,
            method=method,
            fingerprint=fingerprint,
            response=response,
            create_time=now,
        )
    )


# ---------------------------------------------------------------------- page tokens


def _check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgument(
            "page_size", f"must be 1..{MAX_PAGE_SIZE}, got {page_size}", domain=DOMAIN
        )


def _query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def _encode_token(query: str, key: list[str]) -> str:
    raw = json.dumps({"q": query, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, query: str, parts: int) -> list[str]:
    def bad(message: str) -> InvalidArgument:
        return InvalidArgument("page_token", message, reason="PAGE_TOKEN_INVALID", domain=DOMAIN)

    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad("not a page token of this service") from None
    if not isinstance(data, dict) or not isinstance(data.get("k"), list):
        raise bad("not a page token of this service")
    if data.get("q") != query:
        raise bad("the page token belongs to a list call with other parameters")
    key = data["k"]
    if len(key) != parts or not all(isinstance(item, str) for item in key):
        raise bad("not a page token of this list")
    return [str(item) for item in key]


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(
            "page_token", "not a page token of this list", reason="PAGE_TOKEN_INVALID"
        ) from None


# ---------------------------------------------------------------------- conversions


@functools.lru_cache(maxsize=4096)
def _address(value: str) -> str:
    # Checksumming hashes the address (keccak): cached, as batches repeat contributors.
    try:
        return str(to_checksum_address(value))
    except ValueError:
        raise InvalidArgument(
            "contributor", f"not an Ethereum address: {value[:50]!r}", domain=DOMAIN
        ) from None


def _reputation(row: ContributorRow) -> float:
    return (row.accepted_count + 1) / (row.accepted_count + row.rejected_count + 2)


def _reason_code(reason: Reason | str) -> str:
    text = reason.value if isinstance(reason, Reason) else str(reason)
    return text.removeprefix("REJECTION_REASON_")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _datanet_column(key: str, value: Any) -> tuple[str, Any]:
    """The column and stored form of an updatable ``Datanet`` field."""
    if key == "policy":
        return "curation_policy", policy_to_dict(value)
    if key == "record_schema":
        return key, dict(value)
    if key == "stake_required":
        return key, str(int(value))
    if key == "curator":
        return key, _address(value)
    if key == "state":
        return key, DatanetState(value).value
    if key == "registration":
        return key, _tx_json(value)
    return key, str(value)


def _datanet(row: DatanetRow) -> Datanet:
    return Datanet(
        id=row.id,
        display_name=row.display_name,
        domain=row.domain,
        description=row.description,
        record_schema=dict(row.record_schema),
        policy=policy_from_dict(row.curation_policy),
        stake_required=int(row.stake_required),
        curator=row.curator,
        state=DatanetState(row.state),
        revision=row.revision,
        registration=_tx_from_json(row.registration),
        accepted_count=row.accepted_count,
        rejected_count=row.rejected_count,
        pending_count=row.pending_count,
        contributor_count=row.contributor_count,
        latest_snapshot=row.latest_snapshot_sequence or 0,
        create_time=row.create_time,
        update_time=row.update_time,
    )


def _contribution(row: ContributionRow) -> Contribution:
    content = row.curated_content if row.curated_content is not None else row.content
    return Contribution(
        id=row.id,
        datanet_id=row.datanet_id,
        contributor=row.contributor,
        content=dict(content or {}),
        content_hash=bytes(row.content_hash),
        signature=bytes(row.signature),
        status=ContributionStatus(row.status),
        rejections=tuple(_rejection(item) for item in row.rejections or ()),
        redactions=tuple(_redaction(item) for item in row.redactions or ()),
        metrics=None if row.metrics is None else _metrics(row.metrics),
        curated_content_hash=bytes(row.curated_content_hash or b""),
        accept_sequence=row.accept_sequence or 0,
        datanet_revision=row.datanet_revision,
        content_size_bytes=row.content_size_bytes,
        create_time=row.create_time,
        curate_time=row.curate_time,
    )


def _contributor(
    datanet_id: str, address: str, row: ContributorRow | None, penalties: list[Penalty]
) -> Contributor:
    if row is None:
        return Contributor(datanet_id=datanet_id, address=address, penalties=tuple(penalties))
    return Contributor(
        datanet_id=datanet_id,
        address=address,
        accepted_count=row.accepted_count,
        rejected_count=row.rejected_count,
        pending_count=row.pending_count,
        window_curated_count=row.window_curated_count,
        window_counted_rejections=row.window_counted_rejections,
        total_slashed=int(row.total_slashed),
        stake_cache=int(row.stake),
        suspended=row.suspended,
        last_slash_time=row.last_slash_time,
        first_contribution_time=row.first_contribution_time,
        last_contribution_time=row.last_contribution_time,
        penalties=tuple(penalties),
    )


def _penalty(row: PenaltyRow) -> Penalty:
    return Penalty(
        id=row.id,
        datanet_id=row.datanet_id,
        contributor=row.contributor,
        kind=PenaltyKind(row.kind),
        trigger=PenaltyTrigger(row.trigger),
        state=PenaltyState(row.state),
        amount=int(row.amount),
        rejection_rate=row.rejection_rate,
        contributions=tuple(str(item) for item in row.contributions or ()),
        detail=row.detail,
        transaction=_tx_from_json(row.transaction),
        reason_hash=bytes(row.reason_hash),
        create_time=row.create_time,
    )


def _snapshot(row: SnapshotRow) -> Snapshot:
    return Snapshot(
        datanet_id=row.datanet_id,
        sequence=row.sequence,
        request_id=row.request_id,
        description=row.description,
        state=JobState(row.state),
        progress=row.progress,
        creator=row.creator,
        accepted_before=row.accepted_before,
        cutoff_accept_sequence=row.cutoff_accept_sequence,
        record_count=row.record_count,
        contributor_count=row.contributor_count,
        content_bytes=row.content_bytes,
        merkle_root=bytes(row.merkle_root or b""),
        jsonl=_object_from_json(row.jsonl),
        parquet=_object_from_json(row.parquet),
        anchor=_tx_from_json(row.anchor),
        error_reason=row.error_reason,
        error_message=row.error_message,
        create_time=row.create_time,
        start_time=row.start_time,
        end_time=row.end_time,
    )


def _rejection_json(rejection: Rejection) -> dict[str, Any]:
    return {
        "reason": _reason_code(rejection.reason),
        "detail": rejection.detail,
        "field_path": rejection.field_path,
        "observed": float(rejection.observed),
        "limit": float(rejection.limit),
        "duplicate_of": rejection.duplicate_of,
    }


def _rejection(data: Mapping[str, Any]) -> Rejection:
    return Rejection(
        reason=Reason(data["reason"]),
        detail=str(data.get("detail", "")),
        field_path=str(data.get("field_path", "")),
        observed=float(data.get("observed", 0.0)),
        limit=float(data.get("limit", 0.0)),
        duplicate_of=str(data.get("duplicate_of", "")),
    )


def _redaction_json(redaction: Redaction) -> dict[str, Any]:
    return {
        "field_path": redaction.field_path,
        "pii_type": PiiType(redaction.pii_type).value,
        "count": int(redaction.count),
        "replacement": redaction.replacement,
    }


def _redaction(data: Mapping[str, Any]) -> Redaction:
    return Redaction(
        field_path=str(data["field_path"]),
        pii_type=PiiType(data["pii_type"]),
        count=int(data["count"]),
        replacement=str(data.get("replacement", "")),
    )


def _metrics_json(metrics: Metrics) -> dict[str, Any]:
    return {
        "language": metrics.language,
        "language_confidence": float(metrics.language_confidence),
        "length_chars": int(metrics.length_chars),
        "repetition_ratio": float(metrics.repetition_ratio),
        "symbol_ratio": float(metrics.symbol_ratio),
        "quality_score": float(metrics.quality_score),
        "max_near_duplicate_similarity": float(metrics.max_near_duplicate_similarity),
        "max_semantic_similarity": float(metrics.max_semantic_similarity),
        "most_similar": metrics.most_similar,
        "adversarial_score": float(metrics.adversarial_score),
    }


def _metrics(data: Mapping[str, Any]) -> Metrics:
    return Metrics(
        language=str(data.get("language", "")),
        language_confidence=float(data.get("language_confidence", 0.0)),
        length_chars=int(data.get("length_chars", 0)),
        repetition_ratio=float(data.get("repetition_ratio", 0.0)),
        symbol_ratio=float(data.get("symbol_ratio", 0.0)),
        quality_score=float(data.get("quality_score", 0.0)),
        max_near_duplicate_similarity=float(data.get("max_near_duplicate_similarity", 0.0)),
        max_semantic_similarity=float(data.get("max_semantic_similarity", 0.0)),
        most_similar=str(data.get("most_similar", "")),
        adversarial_score=float(data.get("adversarial_score", 0.0)),
    )


def _tx_json(tx: ChainTx | None) -> dict[str, Any] | None:
    if tx is None:
        return None
    return {
        "chain_id": tx.chain_id,
        "contract_address": tx.contract_address,
        "tx_hash": tx.tx_hash.hex(),
        "status": TxStatus(tx.status).value,
        "block_number": tx.block_number,
        "block_hash": tx.block_hash.hex(),
        "block_time": tx.block_time.isoformat() if tx.block_time else None,
    }


def _tx_from_json(data: Mapping[str, Any] | None) -> ChainTx | None:
    if data is None:
        return None
    block_time = data.get("block_time")
    return ChainTx(
        chain_id=int(data["chain_id"]),
        contract_address=str(data["contract_address"]),
        tx_hash=bytes.fromhex(data.get("tx_hash", "")),
        status=TxStatus(data.get("status", TxStatus.PENDING)),
        block_number=int(data.get("block_number", 0)),
        block_hash=bytes.fromhex(data.get("block_hash", "")),
        block_time=datetime.fromisoformat(block_time) if block_time else None,
    )


def _object_json(ref: ObjectRef) -> dict[str, Any]:
    return {
        "uri": ref.uri,
        "sha256": ref.sha256.hex(),
        "size_bytes": ref.size_bytes,
        "media_type": ref.media_type,
    }


def _object_from_json(data: Mapping[str, Any] | None) -> ObjectRef | None:
    if data is None:
        return None
    return ObjectRef(
        uri=str(data["uri"]),
        sha256=bytes.fromhex(data["sha256"]),
        size_bytes=int(data["size_bytes"]),
        media_type=str(data["media_type"]),
    )


__all__ = [
    "CURATION_GROUP",
    "INBOX",
    "MIGRATIONS",
    "OutcomeToRecord",
    "RecordedOutcome",
    "Repository",
    "StoredRequest",
    "penalty_reason_hash",
]
