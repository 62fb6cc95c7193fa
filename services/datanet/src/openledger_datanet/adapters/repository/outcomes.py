"""Exactly-once curation outcomes: counters, ``accept_sequence`` and the slashing window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from openledger_datanet.adapters.db import ContributionRow, ContributorRow, DatanetRow, PenaltyRow
from openledger_datanet.adapters.repository.contributors import (
    PENALTY_CONTRIBUTIONS,
    penalty_reason_hash,
)
from openledger_datanet.adapters.repository.convert import (
    contribution_from_row,
    metrics_json,
    penalty_from_row,
    reason_code,
    redaction_json,
    rejection_json,
    reputation_of,
)
from openledger_datanet.adapters.repository.rows import chunks, contributor_row, datanet_row
from openledger_datanet.adapters.repository.store import Store
from openledger_datanet.domain import errors
from openledger_datanet.domain.canonical import content_hash
from openledger_datanet.domain.curation import Outcome, Policy, is_counted
from openledger_datanet.domain.model import (
    DOMAIN,
    Contribution,
    ContributionStatus,
    Penalty,
    PenaltyKind,
    PenaltyState,
    PenaltyTrigger,
    new_id,
    policy_from_dict,
    utcnow,
)
from openledger_kit.db import claim_event
from openledger_kit.errors import InvalidArgument

CURATION_GROUP = "datanet-curation"
"""Default consumer group under which ``record_outcome`` claims event ids."""


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


class OutcomeStore(Store):
    """Applying curation's decisions."""

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
    row.rejections = [rejection_json(rejection) for rejection in outcome.rejections]
    codes = sorted({reason_code(rejection.reason) for rejection in outcome.rejections})
    row.reason_codes = f",{','.join(codes)}," if codes else ""
    row.redactions = [redaction_json(redaction) for redaction in outcome.redactions]
    row.metrics = metrics_json(outcome.metrics)
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
        for batch in chunks(list(dict.fromkeys(contribution_ids)), 500):
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
            row = datanet_row(self.session, datanet_id, lock=True)
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
            row = self.contributors[key] = contributor_row(
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
    contributor.reputation = reputation_of(contributor)
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
    return RecordedOutcome(
        contribution_from_row(row), None if penalty is None else penalty_from_row(penalty)
    )


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
