"""Contributors' credits: one per (settled inference, eligible contributor with an amount),
read from the attribution's contributors joined to its current settlement, whose state the
credit takes.

Amounts are decimal strings (they may exceed 2^63), so totals are summed here rather than in
SQL; only the amount column of the matching rows is read for them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, join

from openledger_attribution.adapters.repository.convert import chain_tx
from openledger_attribution.adapters.repository.store import Store
from openledger_attribution.adapters.repository.tables import (
    AttributionRow,
    ContributorRow,
    SettlementRow,
)
from openledger_attribution.domain.model import RewardCredit, SettlementState
from openledger_attribution.domain.ports import CreditFilter, CreditPage
from openledger_attribution.settlement.payouts import checksummed
from openledger_kit.errors import InvalidArgument
from openledger_kit.pages import decode_token, encode_token, fingerprint

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
LIST_NAME = "ListContributorRewards"

# Credits are the contributors of attributions that have a settlement.
_CREDITS = join(
    ContributorRow, AttributionRow, AttributionRow.inference_id == ContributorRow.inference_id
).join(SettlementRow, SettlementRow.id == AttributionRow.settlement_id)
_CREDIT_COLUMNS = (
    ContributorRow,
    AttributionRow.adapter,
    AttributionRow.datanet,
    AttributionRow.complete_time,
    SettlementRow,
)


def page_size_of(requested: int) -> int:
    """1 to 500: 0 means 100, more than 500 means 500."""
    if requested < 0:
        raise InvalidArgument("page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


class CreditStore(Store):
    def list_credits(self, query: CreditFilter, page_size: int, page_token: str) -> CreditPage:
        """One page of ``query.address``'s credits, newest first (the attribution's
        ``complete_time`` descending, then inference id), with the count and the sum of the
        amounts over every page."""
        size = page_size_of(page_size)
        address = checksummed(query.address, "contributor_address")
        if query.start_time and query.end_time and query.start_time > query.end_time:
            raise InvalidArgument("start_time", "must not be after end_time")
        conditions = _credits_of(address) + _filters(query)
        token_query = fingerprint(
            address,
            query.start_time.isoformat() if query.start_time else "",
            query.end_time.isoformat() if query.end_time else "",
            sorted(state.value for state in query.states),
            query.datanet,
            query.adapter,
        )
        after = (
            _after(decode_token(page_token, token_query, list_name=LIST_NAME)) if page_token else []
        )

        def work(session: Session) -> CreditPage:
            amounts = session.scalars(
                select(ContributorRow.amount).select_from(_CREDITS).where(*conditions)
            )
            total = [int(amount) for amount in amounts]
            rows = session.execute(
                select(*_CREDIT_COLUMNS)
                .select_from(_CREDITS)
                .where(*conditions, *after)
                .order_by(AttributionRow.complete_time.desc(), ContributorRow.inference_id)
                .limit(size + 1)
            ).all()
            credits = [_credit(*row) for row in rows[:size]]
            next_token = ""
            if len(rows) > size:
                last = credits[-1]
                next_token = encode_token(
                    token_query, f"{last.create_time.isoformat()}|{last.inference_id}"
                )
            return CreditPage(
                credits=tuple(credits),
                next_page_token=next_token,
                total_size=len(total),
                matched_amount=sum(total),
            )

        return self._read(work)

    def credit_totals(self, address: str) -> tuple[int, int]:
        """``(earned, pending)``: sums of CONFIRMED and of PENDING + SUBMITTED credits."""
        owner = checksummed(address, "contributor_address")
        rows = self._read(
            lambda session: session.execute(
                select(SettlementRow.state, ContributorRow.amount)
                .select_from(_CREDITS)
                .where(*_credits_of(owner))
            ).all()
        )
        earned = pending = 0
        for state, amount in rows:
            if state == SettlementState.CONFIRMED.value:
                earned += int(amount)
            elif state in (SettlementState.PENDING.value, SettlementState.SUBMITTED.value):
                pending += int(amount)
        return earned, pending


def _credits_of(address: str) -> list[ColumnElement[bool]]:
    return [
        ContributorRow.address == address,
        ContributorRow.eligible.is_(True),
        # Amounts are canonical decimal strings: zero is exactly "0".
        ContributorRow.amount != "0",
    ]


def _filters(query: CreditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.start_time is not None:
        conditions.append(AttributionRow.complete_time >= query.start_time)
    if query.end_time is not None:
        conditions.append(AttributionRow.complete_time < query.end_time)
    if query.states:
        conditions.append(SettlementRow.state.in_([state.value for state in query.states]))
    if query.datanet:
        conditions.append(AttributionRow.datanet == query.datanet)
    if query.adapter:
        conditions.append(AttributionRow.adapter == query.adapter)
    return conditions


def _after(key: str) -> list[ColumnElement[bool]]:
    time_text, _, inference_id = key.partition("|")
    try:
        time = datetime.fromisoformat(time_text)
    except ValueError:
        raise InvalidArgument("page_token", f"not a page token of {LIST_NAME}") from None
    if time.tzinfo is None or not inference_id:
        raise InvalidArgument("page_token", f"not a page token of {LIST_NAME}")
    return [
        or_(
            AttributionRow.complete_time < time,
            and_(AttributionRow.complete_time == time, ContributorRow.inference_id > inference_id),
        )
    ]


def _credit(
    contributor: ContributorRow,
    adapter: str,
    datanet: str,
    complete_time: datetime | None,
    settlement: SettlementRow,
) -> RewardCredit:
    assert complete_time is not None, "a settled attribution has finished"
    return RewardCredit(
        inference_id=contributor.inference_id,
        settlement_id=settlement.id,
        adapter=adapter,
        datanet=datanet,
        address=contributor.address,
        score=contributor.score,
        share=contributor.share,
        amount=int(contributor.amount),
        record_count=contributor.record_count,
        state=SettlementState(settlement.state),
        transaction=chain_tx(
            settlement.chain_id, settlement.contract, settlement.tx_hash, settlement.block_number
        ),
        create_time=complete_time,
        confirm_time=settlement.confirm_time,
    )
