"""Contributors' standing and their penalties (suspensions, slashes)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from openledger_datanet.adapters.db import ContributorRow, PenaltyRow
from openledger_datanet.adapters.repository.convert import (
    checksum_address,
    contributor_from_row,
    penalty_from_row,
    tx_json,
)
from openledger_datanet.adapters.repository.rows import contributor_row, datanet_row
from openledger_datanet.adapters.repository.store import Store
from openledger_datanet.domain import errors
from openledger_datanet.domain.canonical import canonical_value, keccak_bytes
from openledger_datanet.domain.model import (
    DOMAIN,
    ChainTx,
    Contributor,
    Penalty,
    PenaltyKind,
    PenaltyState,
    PenaltyTrigger,
)
from openledger_kit.errors import FailedPrecondition

PENALTIES_PER_CONTRIBUTOR = 100
"""``Contributor.penalties`` holds at most this many, newest first (contributor.proto)."""

PENALTY_CONTRIBUTIONS = 100
"""A penalty names at most this many contributions (contributor.proto)."""


class ContributorStore(Store):
    """Contributor and penalty rows."""

    def contributor(self, datanet_id: str, address: str) -> Contributor:
        """An address's standing in a datanet; zero counts when it never contributed.
        ``NOT_FOUND`` for an unknown datanet."""

        def work(session: Session) -> Contributor:
            datanet_row(session, datanet_id)
            checksummed = checksum_address(address)
            row = session.get(ContributorRow, (datanet_id, checksummed))
            penalties = session.scalars(
                select(PenaltyRow)
                .where(PenaltyRow.datanet_id == datanet_id, PenaltyRow.contributor == checksummed)
                .order_by(PenaltyRow.create_time.desc(), PenaltyRow.id.desc())
                .limit(PENALTIES_PER_CONTRIBUTOR)
            )
            return contributor_from_row(
                datanet_id, checksummed, row, [penalty_from_row(p) for p in penalties]
            )

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
            datanet_row(session, datanet_id)
            row = contributor_row(session, datanet_id, checksum_address(address), lock=True)
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
            datanet_row(session, penalty.datanet_id)
            address = checksum_address(penalty.contributor)
            contributor = contributor_row(session, penalty.datanet_id, address, lock=True)
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
                transaction=tx_json(penalty.transaction),
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
            return penalty_from_row(row)

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
                    contributor = contributor_row(
                        session, row.datanet_id, row.contributor, lock=True
                    )
                    contributor.total_slashed = str(
                        int(contributor.total_slashed) + int(row.amount)
                    )
            if transaction is not None:
                row.transaction = tx_json(transaction)
            if detail is not None:
                row.detail = detail
            return penalty_from_row(row)

        return self._write(work)

    def get_penalty(self, penalty_id: str) -> Penalty:
        def work(session: Session) -> Penalty:
            row = session.get(PenaltyRow, penalty_id)
            if row is None:
                raise errors.not_found("penalty", penalty_id, "PENALTY_NOT_FOUND")
            return penalty_from_row(row)

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
            return [penalty_from_row(row) for row in session.scalars(stmt)]

        return self._read(work)


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
