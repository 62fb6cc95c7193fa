"""Contributors' credits: one per settled inference and eligible contributor with an amount,
newest first, filtered, paged with tokens bound to their filters, totals over every page."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from openledger_attribution.adapters.repository import Repository
from openledger_attribution.adapters.repository.credits import page_size_of
from openledger_attribution.domain.model import RewardCredit, SettlementState
from openledger_attribution.domain.ports import CreditFilter
from openledger_kit.errors import InvalidArgument
from openledger_kit.values import ChainTx, TxStatus

from .support import (
    ADAPTER,
    ALICE,
    BIG,
    BOB,
    CAROL,
    SNAPSHOT,
    T0,
    completion,
    contributor,
    finished,
)

TX_HASH = b"\x5a" * 32


@pytest.fixture
def credited(repo: Repository) -> list[RewardCredit]:
    """ALICE's credits, newest first: inferences 1..5 finished n minutes in (2 and 3 at the
    same time), 5 from another datanet and adapter; BOB is ineligible in 1 and paid 0 in 2;
    inference 6 is still PENDING. Inference 1 is CONFIRMED, 2 SUBMITTED, the rest PENDING."""
    credits = []
    for n, minutes in ((1, 1), (2, 2), (3, 2), (4, 4), (5, 5)):
        begun = repo.begin(completion(n), T0)
        bob = contributor(BOB, 0.2, 0 if n == 2 else n, eligible=n != 1)
        snapshot = "datanets/law/snapshots/s9" if n == 5 else SNAPSHOT
        attribution, settlement = finished(
            begun, (contributor(ALICE, 0.8, BIG * n), bob), minutes=minutes, snapshot=snapshot
        )
        if n == 5:
            attribution = replace(attribution, adapter="law@2")
        repo.finish(attribution, settlement)
        credits.append(
            RewardCredit(
                inference_id=begun.inference_id,
                settlement_id=settlement.settlement_id,
                adapter=attribution.adapter,
                datanet="datanets/law" if n == 5 else "datanets/medical",
                address=ALICE,
                score=0.8,
                share=0.8 / 1.3,
                amount=BIG * n,
                record_count=3,
                state=SettlementState.PENDING,
                transaction=None,
                create_time=T0 + timedelta(minutes=minutes),
                confirm_time=None,
            )
        )
    repo.begin(completion(6), T0)
    return sorted(credits, key=lambda c: (-c.create_time.timestamp(), c.inference_id))


def everything(repo: Repository, query: CreditFilter, page_size: int) -> list[RewardCredit]:
    pages, token = [], ""
    while True:
        page = repo.list_credits(query, page_size, token)
        pages.append(page)
        if not (token := page.next_page_token):
            break
    assert all(p.total_size == pages[0].total_size for p in pages)
    return [credit for page in pages for credit in page.credits]


def test_credits_newest_first_in_pages(repo: Repository, credited: list[RewardCredit]) -> None:
    query = CreditFilter(address=ALICE.lower())
    first = repo.list_credits(query, 2, "")
    assert first.credits == tuple(credited[:2])
    assert first.total_size == 5 and first.matched_amount == BIG * 15
    assert first.next_page_token
    assert everything(repo, query, 2) == credited
    assert everything(repo, CreditFilter(address=ALICE.upper().replace("0X", "0x")), 1) == credited
    last = repo.list_credits(query, 0, "")
    assert last.credits == tuple(credited) and last.next_page_token == ""

    bob = repo.list_credits(CreditFilter(address=BOB), 10, "")
    assert [c.inference_id for c in bob.credits] == [completion(n).inference_id for n in (5, 4, 3)]
    assert bob.matched_amount == 12
    empty = repo.list_credits(CreditFilter(address=CAROL), 10, "")
    assert (empty.credits, empty.total_size, empty.matched_amount) == ((), 0, 0)


def test_credits_follow_their_settlement(repo: Repository, credited: list[RewardCredit]) -> None:
    one, two = (
        next(c for c in credited if c.inference_id == completion(n).inference_id) for n in (1, 2)
    )
    tx = ChainTx(
        chain_id=31_337,
        contract_address=BOB,
        tx_hash=TX_HASH,
        status=TxStatus.SUCCEEDED,
        block_number=9,
    )
    repo.mark_submitted([one.settlement_id, two.settlement_id], "b", tx, T0)
    repo.mark_confirmed([one.settlement_id], T0 + timedelta(hours=1))
    listed = {c.inference_id: c for c in everything(repo, CreditFilter(address=ALICE), 500)}
    assert listed[one.inference_id].state is SettlementState.CONFIRMED
    assert listed[one.inference_id].transaction == tx
    assert listed[one.inference_id].confirm_time == T0 + timedelta(hours=1)
    assert listed[two.inference_id].state is SettlementState.SUBMITTED
    assert repo.credit_totals(ALICE.lower()) == (BIG, BIG * 14)
    assert repo.credit_totals(BOB) == (0, 12)

    confirmed = repo.list_credits(
        CreditFilter(address=ALICE, states=(SettlementState.CONFIRMED,)), 10, ""
    )
    assert [c.inference_id for c in confirmed.credits] == [one.inference_id]
    assert confirmed.matched_amount == BIG


def test_filters(repo: Repository, credited: list[RewardCredit]) -> None:
    def listed(**filters: Any) -> list[RewardCredit]:
        return everything(repo, CreditFilter(address=ALICE, **filters), 2)

    assert listed(datanet="datanets/law") == credited[:1]
    assert listed(adapter=ADAPTER) == credited[1:]
    assert listed(adapter=ADAPTER, datanet="datanets/law") == []
    window = listed(start_time=T0 + timedelta(minutes=2), end_time=T0 + timedelta(minutes=4))
    assert window == [c for c in credited if c.create_time == T0 + timedelta(minutes=2)]
    assert listed(states=(SettlementState.PENDING, SettlementState.SUBMITTED)) == credited


def test_bad_requests(repo: Repository, credited: list[RewardCredit]) -> None:
    query = CreditFilter(address=ALICE)
    token = repo.list_credits(query, 1, "").next_page_token
    with pytest.raises(InvalidArgument) as other_filters:
        repo.list_credits(CreditFilter(address=ALICE, adapter=ADAPTER), 1, token)
    assert other_filters.value.field == "page_token"
    with pytest.raises(InvalidArgument) as other_address:
        repo.list_credits(CreditFilter(address=BOB), 1, token)
    assert other_address.value.field == "page_token"
    with pytest.raises(InvalidArgument) as made_up:
        repo.list_credits(query, 1, "not-a-token")
    assert made_up.value.field == "page_token"
    with pytest.raises(InvalidArgument) as negative:
        repo.list_credits(query, -1, "")
    assert negative.value.field == "page_size"
    with pytest.raises(InvalidArgument) as not_an_address:
        repo.list_credits(CreditFilter(address="0x1234"), 1, "")
    assert not_an_address.value.field == "contributor_address"
    with pytest.raises(InvalidArgument) as backwards:
        repo.list_credits(
            CreditFilter(address=ALICE, start_time=T0, end_time=T0 - timedelta(1)), 1, ""
        )
    assert backwards.value.field == "start_time"
    # A token made for the same filters works however the address is written.
    assert repo.list_credits(CreditFilter(address=ALICE.lower()), 1, token).credits == tuple(
        credited[1:2]
    )


def test_page_sizes() -> None:
    assert [page_size_of(n) for n in (0, 1, 500, 501, 10_000)] == [100, 1, 500, 500, 500]


def test_the_default_page_size(repo: Repository) -> None:
    for n in range(1, 103):
        begun = repo.begin(completion(n), T0)
        repo.finish(*finished(begun, (contributor(ALICE, 1.0, 1),), minutes=n))
    default = repo.list_credits(CreditFilter(address=ALICE), 0, "")
    assert len(default.credits) == 100 and default.total_size == 102
    assert len(repo.list_credits(CreditFilter(address=ALICE), 10_000, "").credits) == 102
    rest = repo.list_credits(CreditFilter(address=ALICE), 0, default.next_page_token)
    assert len(rest.credits) == 2 and rest.next_page_token == ""
