"""Completions and their attributions: begun once per inference id, finished once.

Several worker processes may receive the same completion (redelivery, a consumer that took
over a pending entry). ``begin`` is insert-or-get by inference id; ``finish`` is a
compare-and-set on the attribution's state, read ``FOR UPDATE`` (on SQLite the transaction
holds the write lock from its start), so the first finisher's result stands and a later one
gets it back instead of overwriting it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from openledger_attribution.adapters.repository.convert import (
    completion_row,
    contributor_row,
    pending_row,
    settlement_row,
    to_attribution,
    to_completion,
    write_attribution,
)
from openledger_attribution.adapters.repository.store import Store
from openledger_attribution.adapters.repository.tables import (
    AttributionRow,
    CompletionRow,
    ContributorRow,
)
from openledger_attribution.domain.model import (
    Attribution,
    AttributionState,
    CompletionInput,
    Settlement,
    SettlementState,
)
from openledger_kit.errors import NotFound

_OPEN_STATES = (AttributionState.PENDING.value, AttributionState.FAILED.value)


class AttributionStore(Store):
    def begin(self, completion: CompletionInput, now: datetime) -> Attribution:
        """Record the completion and a PENDING attribution unless one exists; return the stored
        attribution (whatever its state)."""

        def work(session: Session) -> Attribution:
            row = session.get(AttributionRow, completion.inference_id)
            if row is None:
                session.add(completion_row(completion))
                # The attribution references the completion: insert that first.
                session.flush()
                row = pending_row(completion, now)
                session.add(row)
            return _attribution(session, row)

        return self._write(work)

    def get_completion(self, inference_id: str) -> CompletionInput | None:
        row = self._read(lambda session: session.get(CompletionRow, inference_id))
        return to_completion(row) if row is not None else None

    def get_attribution(self, inference_id: str) -> Attribution | None:
        def work(session: Session) -> Attribution | None:
            row = session.get(AttributionRow, inference_id)
            return _attribution(session, row) if row is not None else None

        return self._read(work)

    def finish(self, attribution: Attribution, settlement: Settlement | None) -> Attribution:
        """Store a COMPLETED or NOT_ATTRIBUTABLE attribution with its contributors and, in the
        same transaction, its PENDING settlement -- only if the stored one is still PENDING or
        FAILED. Return the stored attribution afterwards (another worker's, if it won)."""
        _check_finished(attribution, settlement)

        def work(session: Session) -> Attribution:
            row = session.get(AttributionRow, attribution.inference_id, with_for_update=True)
            if row is None:
                raise NotFound(f"attribution {attribution.inference_id} was never begun")
            if row.state not in _OPEN_STATES:
                return _attribution(session, row)
            # Created when the completion was received (``begin``), not when it was scored.
            write_attribution(row, replace(attribution, create_time=row.create_time))
            session.execute(
                delete(ContributorRow).where(ContributorRow.inference_id == row.inference_id)
            )
            session.add_all(contributor_row(row.inference_id, c) for c in attribution.contributors)
            if settlement is not None:
                session.add(settlement_row(settlement))
                row.settlement_id = settlement.settlement_id
            session.flush()
            return _attribution(session, row)

        return self._write(work)

    def fail(self, inference_id: str, reason: str, message: str, now: datetime) -> None:
        """Mark a PENDING attribution FAILED (a final one is left alone); a FAILED one retried
        and failed again keeps the latest error."""
        self._write(
            lambda session: session.execute(
                update(AttributionRow)
                .where(
                    AttributionRow.inference_id == inference_id,
                    AttributionRow.state.in_(_OPEN_STATES),
                )
                .values(
                    state=AttributionState.FAILED.value,
                    error_reason=reason,
                    error_message=message,
                    complete_time=now,
                )
            )
        )


def _attribution(session: Session, row: AttributionRow) -> Attribution:
    contributors = session.scalars(
        select(ContributorRow).where(ContributorRow.inference_id == row.inference_id)
    )
    return to_attribution(row, contributors)


def _check_finished(attribution: Attribution, settlement: Settlement | None) -> None:
    # Programming errors of the caller, not of a request: fail loudly.
    if not attribution.state.final:
        raise ValueError(f"finish takes a final attribution, not {attribution.state}")
    if attribution.complete_time is None:
        raise ValueError("a finished attribution needs its complete_time")
    if settlement is not None and (
        settlement.inference_id != attribution.inference_id
        or settlement.state is not SettlementState.PENDING
    ):
        raise ValueError("the settlement must be the attribution's own, PENDING")
