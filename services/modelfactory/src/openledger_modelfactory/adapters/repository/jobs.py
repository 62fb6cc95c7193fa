"""Training jobs, their updates and the job runner's state per job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from openledger_modelfactory.adapters.repository.adapter_versions import insert_adapter
from openledger_modelfactory.adapters.repository.convert import (
    fill_job_row,
    job_from_row,
    new_job_row,
    update_from_json,
    update_json,
)
from openledger_modelfactory.adapters.repository.pages import (
    bad_token,
    count_rows,
    decode_token,
    encode_token,
    query_fingerprint,
)
from openledger_modelfactory.adapters.repository.store import Store
from openledger_modelfactory.adapters.repository.tables import JobRow, JobRunRow, JobUpdateRow
from openledger_modelfactory.domain import errors
from openledger_modelfactory.domain.model import (
    Adapter,
    JobPhase,
    JobState,
    JobUpdate,
    Page,
    TrainingJob,
    utcnow,
)
from openledger_modelfactory.domain.runner import Change, RunState, job_update
from openledger_modelfactory.training.events import RunFinished, decode, encode

ACTIVE_STATES = (JobState.QUEUED.value, JobState.RUNNING.value, JobState.CANCELLING.value)
"""States that count against an owner's limit of active jobs."""

Mutation = Callable[[TrainingJob], Change | None]
"""Gets the job as stored (inside the write transaction) and returns its change, or None to
leave it as it is."""


class JobStore(Store):
    """Job rows, their update log and their run state."""

    def create_job(
        self, job: TrainingJob, *, max_active_per_owner: int | None = None, message: str = ""
    ) -> tuple[TrainingJob, JobUpdate | None]:
        """Store a new job with its first update (sequence 1) and return both.

        Idempotent by ``job.request_id``: when that id is stored with the same
        ``request_hash`` the stored job comes back with no update; with another hash it is
        ``ALREADY_EXISTS`` (``REQUEST_ID_REUSED``). ``RESOURCE_EXHAUSTED`` when the owner
        already has ``max_active_per_owner`` QUEUED, RUNNING or CANCELLING jobs (checked in
        the same transaction, so concurrent creations cannot pass the limit together)."""

        def work(session: Session) -> tuple[TrainingJob, JobUpdate | None]:
            previous = _by_request(session, job.request_id, job.request_hash)
            if previous is not None:
                return previous, None
            if max_active_per_owner is not None:
                active = count_rows(
                    session, JobRow, [JobRow.owner == job.owner, JobRow.state.in_(ACTIVE_STATES)]
                )
                if active >= max_active_per_owner:
                    raise errors.too_many_active_jobs(job.owner, max_active_per_owner)
            stored = replace(job, sequence=1)
            update = job_update(stored, message=message)
            session.add(new_job_row(stored))
            session.flush()
            session.add(JobRunRow(job_id=job.id, **_run_columns(RunState())))
            session.add(_update_row(update))
            return stored, update

        return self._write(work)

    def job_by_request(self, request_id: str, request_hash: bytes) -> TrainingJob | None:
        """The job created with ``request_id``; None when the id is new; ``ALREADY_EXISTS``
        (``REQUEST_ID_REUSED``) when it was used for another request."""
        return self._read(lambda session: _by_request(session, request_id, request_hash))

    def get_job(self, job_id: str) -> TrainingJob:
        """``NOT_FOUND`` (``JOB_NOT_FOUND``) when there is none."""
        return self._read(lambda session: job_from_row(_job_row(session, job_id)))

    def list_jobs(
        self,
        *,
        states: Sequence[JobState] = (),
        snapshot: str = "",
        base_model: str = "",
        owner: str = "",
        adapter_id: str = "",
        page_size: int = 50,
        page_token: str = "",
    ) -> Page[TrainingJob]:
        """Jobs newest first (``create_time``, then id), filtered (AND; empty = any).
        ``owner`` must be checksummed (the service normalises it)."""
        conditions: list[ColumnElement[bool]] = []
        if states:
            conditions.append(JobRow.state.in_(sorted(JobState(s).value for s in states)))
        if snapshot:
            conditions.append(JobRow.snapshot == snapshot)
        if base_model:
            conditions.append(JobRow.base_model == base_model)
        if owner:
            conditions.append(JobRow.owner == owner)
        if adapter_id:
            conditions.append(JobRow.adapter_id == adapter_id)
        query = query_fingerprint(
            "jobs",
            sorted(JobState(s).value for s in states),
            snapshot,
            base_model,
            owner,
            adapter_id,
        )

        def work(session: Session) -> Page[TrainingJob]:
            total = count_rows(session, JobRow, conditions)
            stmt = select(JobRow).where(*conditions)
            if page_token:
                time_text, last_id = decode_token(page_token, query, 2)
                after = _token_time(time_text)
                stmt = stmt.where(
                    or_(
                        JobRow.create_time < after,
                        and_(JobRow.create_time == after, JobRow.id < last_id),
                    )
                )
            stmt = stmt.order_by(JobRow.create_time.desc(), JobRow.id.desc())
            rows = list(session.scalars(stmt.limit(page_size + 1)))
            token = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                token = encode_token(query, [rows[-1].create_time.isoformat(), rows[-1].id])
            return Page([job_from_row(row) for row in rows], token, total)

        return self._read(work)

    def count_active_jobs(self, owner: str) -> int:
        """The owner's QUEUED, RUNNING and CANCELLING jobs."""
        return self._read(
            lambda session: count_rows(
                session, JobRow, [JobRow.owner == owner, JobRow.state.in_(ACTIVE_STATES)]
            )
        )

    def jobs_in_state(self, *states: JobState) -> list[TrainingJob]:
        """Every job in one of ``states``, oldest first."""
        values = [JobState(s).value for s in states]

        def work(session: Session) -> list[TrainingJob]:
            stmt = (
                select(JobRow)
                .where(JobRow.state.in_(values))
                .order_by(JobRow.create_time, JobRow.id)
            )
            return [job_from_row(row) for row in session.scalars(stmt)]

        return self._read(work)

    def claim_next_job(
        self, mutate: Callable[[TrainingJob], Change]
    ) -> tuple[TrainingJob, JobUpdate] | None:
        """Take the oldest QUEUED job and apply ``mutate`` to it (which must move it out of
        QUEUED), atomically: two runners never claim the same job. None when none is queued.
        On SQLite the write transaction holds the database lock from its first statement; on
        PostgreSQL the row is locked with ``SKIP LOCKED``."""

        def work(session: Session) -> tuple[TrainingJob, JobUpdate] | None:
            stmt = (
                select(JobRow)
                .where(JobRow.state == JobState.QUEUED.value)
                .order_by(JobRow.create_time, JobRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            row = session.scalars(stmt).first()
            if row is None:
                return None
            job, update = _apply(session, row, mutate, None, None)
            assert update is not None, "a claim must change the job"
            return job, update

        return self._write(work)

    def update_job(
        self,
        job_id: str,
        mutate: Mutation,
        *,
        run: RunState | None = None,
        adapter: Adapter | None = None,
    ) -> tuple[TrainingJob, JobUpdate | None]:
        """Apply ``mutate`` to the stored job in one transaction: when it returns a change, the
        job is stored with the next ``sequence`` and its ``JobUpdate`` appended; ``run``
        replaces the job's run state and ``adapter`` is stored (idempotently: the same
        version from the same job is kept) in the same transaction. Returns the job after the
        call and the update, None when nothing changed (then ``run`` and ``adapter`` are not
        written either). ``NOT_FOUND`` when the job does not exist."""

        def work(session: Session) -> tuple[TrainingJob, JobUpdate | None]:
            return _apply(session, _job_row(session, job_id, lock=True), mutate, run, adapter)

        return self._write(work)

    def get_run(self, job_id: str) -> RunState:
        def work(session: Session) -> RunState:
            row = session.get(JobRunRow, job_id)
            if row is None:
                raise errors.job_not_found(job_id)
            return _run_from_row(row)

        return self._read(work)

    def save_run(self, job_id: str, run: RunState) -> None:
        """Replace the job's run state (without an update)."""

        def work(session: Session) -> None:
            row = session.get(JobRunRow, job_id, with_for_update=True)
            if row is None:
                raise errors.job_not_found(job_id)
            for key, value in _run_columns(run).items():
                setattr(row, key, value)

        self._write(work)

    def last_update(self, job_id: str) -> JobUpdate:
        """The job's latest recorded update. ``NOT_FOUND`` when the job does not exist."""

        def work(session: Session) -> JobUpdate:
            row = session.scalars(
                select(JobUpdateRow)
                .where(JobUpdateRow.job_id == job_id)
                .order_by(JobUpdateRow.sequence.desc())
                .limit(1)
            ).first()
            if row is None:
                raise errors.job_not_found(job_id)
            return update_from_json(row.update)

        return self._read(work)

    def get_update(self, job_id: str, sequence: int) -> JobUpdate | None:
        """One recorded update; None when there is no such update."""

        def work(session: Session) -> JobUpdate | None:
            row = session.get(JobUpdateRow, (job_id, sequence))
            return update_from_json(row.update) if row is not None else None

        return self._read(work)

    def updates_after(self, job_id: str, sequence: int, *, limit: int = 1000) -> list[JobUpdate]:
        """The job's updates with a sequence above ``sequence``, in order (for replays)."""

        def work(session: Session) -> list[JobUpdate]:
            rows = session.scalars(
                select(JobUpdateRow)
                .where(JobUpdateRow.job_id == job_id, JobUpdateRow.sequence > sequence)
                .order_by(JobUpdateRow.sequence)
                .limit(limit)
            )
            return [update_from_json(row.update) for row in rows]

        return self._read(work)


def _apply(
    session: Session,
    row: JobRow,
    mutate: Mutation,
    run: RunState | None,
    adapter: Adapter | None,
) -> tuple[TrainingJob, JobUpdate | None]:
    current = job_from_row(row)
    change = mutate(current)
    if change is None:
        return current, None
    job = replace(change.job, sequence=row.sequence + 1, update_time=utcnow())
    if job.state.terminal and job.phase is not JobPhase.DONE:
        job = replace(job, phase=JobPhase.DONE)
    update = job_update(job, message=change.message, checkpoint=change.checkpoint)
    fill_job_row(row, job)
    session.add(_update_row(update))
    if run is not None:
        run_row = session.get(JobRunRow, job.id)
        assert run_row is not None
        for key, value in _run_columns(run).items():
            setattr(run_row, key, value)
    if adapter is not None:
        insert_adapter(session, adapter)
    return job, update


def _job_row(session: Session, job_id: str, *, lock: bool = False) -> JobRow:
    row = session.get(JobRow, job_id, with_for_update=lock)
    if row is None:
        raise errors.job_not_found(job_id)
    return row


def _by_request(session: Session, request_id: str, request_hash: bytes) -> TrainingJob | None:
    if not request_id:
        return None
    row = session.scalars(select(JobRow).where(JobRow.request_id == request_id)).first()
    if row is None:
        return None
    if bytes(row.request_hash) != request_hash:
        raise errors.request_id_reused(request_id)
    return job_from_row(row)


def _update_row(update: JobUpdate) -> JobUpdateRow:
    return JobUpdateRow(
        job_id=update.job_id,
        sequence=update.sequence,
        update=update_json(update),
        update_time=update.update_time,
    )


def _run_columns(run: RunState) -> dict[str, object]:
    return {
        "handle": run.handle,
        "launched_attempt": run.launched_attempt,
        "channel_after": run.channel_after,
        "finished": encode(run.finished) if run.finished is not None else None,
        "registration_version": run.registration_version,
        "registration_tx_hash": run.registration_tx_hash,
    }


def _run_from_row(row: JobRunRow) -> RunState:
    finished = decode(row.finished) if row.finished else None
    return RunState(
        handle=row.handle,
        launched_attempt=row.launched_attempt,
        channel_after=row.channel_after,
        finished=finished if isinstance(finished, RunFinished) else None,
        registration_version=row.registration_version,
        registration_tx_hash=bytes(row.registration_tx_hash),
    )


def _token_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise bad_token("not a page token of this list") from None
