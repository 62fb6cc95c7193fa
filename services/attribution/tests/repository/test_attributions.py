"""Completions and attributions: insert-or-get intake, exact round trips, one result per
inference however many workers finish it, failures and retries."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from openledger_attribution.adapters.repository import Repository
from openledger_attribution.domain.model import AttributionState
from openledger_kit.errors import NotFound

from .support import ALICE, BIG, BOB, CAROL, PAYER, T0, completion, contributor, finished


def test_begin_records_the_completion_and_a_pending_attribution_once(repo: Repository) -> None:
    begun = repo.begin(completion(), T0)
    assert begun.state is AttributionState.PENDING
    assert (begun.inference_id, begun.fee, begun.payer, begun.create_time) == (
        completion().inference_id,
        BIG,
        PAYER,
        T0,
    )
    assert begun.contributors == () and begun.fee_split is None and begun.complete_time is None
    assert repo.get_completion(begun.inference_id) == completion()
    # Redelivered (later, or with another payload): the stored one stands.
    assert repo.begin(replace(completion(), fee=1), T0 + timedelta(hours=1)) == begun
    assert repo.get_completion(begun.inference_id) == completion()
    assert repo.get_completion(completion(2).inference_id) is None
    assert repo.get_attribution(completion(2).inference_id) is None


def test_finish_round_trips_every_field_with_contributors_in_order(repo: Repository) -> None:
    begun = repo.begin(completion(), T0)
    # Equal scores are ordered by address as a number: 0x0b... before 0xab...
    contributors = (
        contributor(CAROL, 0.5, BIG // 2),
        contributor(BOB, 0.25, 2**64 + 1),
        contributor(ALICE, 0.25, 2**63),
        contributor(PAYER, 1e-9, 0, eligible=False),
    )
    attribution, settlement = finished(begun, contributors)
    stored = repo.finish(attribution, settlement)
    assert stored == attribution
    assert repo.get_attribution(begun.inference_id) == attribution
    assert repo.get_settlement(settlement.settlement_id) == settlement
    assert repo.latest_settlement(begun.inference_id) == settlement
    assert repo.begin(completion(), T0) == attribution

    shuffled = replace(attribution, contributors=tuple(reversed(contributors)))
    other = repo.begin(completion(2), T0)
    second, _ = finished(other, shuffled.contributors)
    assert repo.finish(second, None).contributors == contributors


def test_the_first_finish_wins(db_url: str) -> None:
    first, second = Repository.open(db_url), Repository.open(db_url)
    begun = first.begin(completion(), T0)
    mine, my_settlement = finished(begun, (contributor(ALICE, 1.0, 10),))
    theirs, their_settlement = finished(begun, (contributor(BOB, 1.0, 10),), minutes=2)
    their_settlement = replace(
        their_settlement, settlement_id="0190b000-0000-7000-8000-999999999999"
    )
    assert first.finish(mine, my_settlement) == mine
    assert second.finish(theirs, their_settlement) == mine
    assert second.get_settlement(their_settlement.settlement_id) is None
    assert second.latest_settlement(begun.inference_id) == my_settlement
    # A late failure leaves a final attribution alone.
    second.fail(begun.inference_id, "INDEX_MISSING", "late", T0)
    assert first.get_attribution(begun.inference_id) == mine
    first.close()
    second.close()


def test_failed_attributions_can_be_finished_on_retry(repo: Repository) -> None:
    begun = repo.begin(completion(), T0)
    repo.fail(begun.inference_id, "INDEX_MISSING", "no index for snapshot s1", T0 + timedelta(1))
    failed = repo.get_attribution(begun.inference_id)
    assert failed == replace(
        begun,
        state=AttributionState.FAILED,
        error_reason="INDEX_MISSING",
        error_message="no index for snapshot s1",
        complete_time=T0 + timedelta(1),
    )
    repo.fail(begun.inference_id, "ADAPTER_HASH_MISMATCH", "again", T0 + timedelta(2))
    again = repo.get_attribution(begun.inference_id)
    assert again is not None and again.error_reason == "ADAPTER_HASH_MISMATCH"
    assert repo.begin(completion(), T0) == again

    attribution, settlement = finished(begun, (contributor(ALICE, 1.0, 10),))
    assert repo.finish(attribution, settlement) == attribution


def test_not_attributable_without_split_or_settlement(repo: Repository) -> None:
    begun = repo.begin(replace(completion(), adapter=""), T0)
    attribution = replace(
        begun, state=AttributionState.NOT_ATTRIBUTABLE, complete_time=T0 + timedelta(seconds=1)
    )
    assert repo.finish(attribution, None) == attribution
    assert repo.get_attribution(begun.inference_id) == attribution
    assert repo.latest_settlement(begun.inference_id) is None


def test_finish_refuses_what_is_not_a_finished_attribution(repo: Repository) -> None:
    begun = repo.begin(completion(), T0)
    attribution, settlement = finished(begun, (contributor(ALICE, 1.0, 10),))
    with pytest.raises(ValueError, match="final"):
        repo.finish(begun, None)
    with pytest.raises(ValueError, match="complete_time"):
        repo.finish(replace(attribution, complete_time=None), settlement)
    with pytest.raises(ValueError, match="settlement"):
        repo.finish(attribution, replace(settlement, inference_id=completion(2).inference_id))
    with pytest.raises(NotFound):
        repo.finish(replace(attribution, inference_id=completion(3).inference_id), None)
    assert repo.get_attribution(begun.inference_id) == begun
