"""The fee split: threshold and renormalisation, integer amounts that always add up to the fee,
deterministic largest-remainder rounding, and where the rest goes."""

from __future__ import annotations

import random

import pytest

from openledger_attribution.settlement.payouts import (
    ZERO_ADDRESS,
    FeeSplitBps,
    Payout,
    score_e9,
    split_fee,
)
from openledger_kit.errors import InvalidArgument

A = "0x" + "0a" * 20
B = "0x" + "0b" * 20
C = "0x" + "0c" * 20
OWNER = "0x" + "0e" * 20
TREASURY = "0x" + "0f" * 20
SPLIT = FeeSplitBps(contributors_bps=7_000, model_owner_bps=2_000, protocol_bps=1_000)


def amounts(payouts_contributors: tuple[Payout, ...]) -> dict[str, int]:
    return {p.address.lower(): p.amount for p in payouts_contributors}


def test_below_threshold_gets_nothing_and_the_rest_is_renormalised() -> None:
    # Shares 60 %, 36 %, 4 %: a 5 % threshold drops C; A and B split the pool 60:36.
    payouts = split_fee(
        10_000, {A: 60, B: 36, C: 4}, threshold_bps=500, split=SPLIT, owner=OWNER, treasury=TREASURY
    )
    assert [s.eligible for s in payouts.shares] == [True, True, False]
    assert amounts(payouts.contributors) == {A: 4_375, B: 2_625}
    assert payouts.shares[2].amount == 0
    assert payouts.owner == Payout("0x0E0e0e0E0e0E0E0e0E0e0e0E0e0e0e0e0e0e0e0E", 2_000)
    assert payouts.protocol.amount == 1_000
    assert payouts.contributors_amount + payouts.owner.amount + payouts.protocol.amount == 10_000


def test_a_share_exactly_at_the_threshold_is_paid() -> None:
    payouts = split_fee(
        1_000, {A: 95, B: 5}, threshold_bps=500, split=SPLIT, owner=OWNER, treasury=TREASURY
    )
    assert all(s.eligible for s in payouts.shares)


def test_negative_scores_are_never_paid_and_do_not_count_in_the_total() -> None:
    payouts = split_fee(
        1_000,
        {A: 50, B: 50, C: -400},
        threshold_bps=4_000,
        split=SPLIT,
        owner=OWNER,
        treasury=TREASURY,
    )
    assert {s.address.lower(): s.eligible for s in payouts.shares} == {A: True, B: True, C: False}
    assert amounts(payouts.contributors) == {A: 350, B: 350}


def test_units_left_over_go_to_the_largest_remainders_ties_to_the_lower_address() -> None:
    # Pool 70 over three equal scores: 23 each and one unit left, to the lowest address.
    payouts = split_fee(
        100, {C: 1, B: 1, A: 1}, threshold_bps=0, split=SPLIT, owner=OWNER, treasury=TREASURY
    )
    assert amounts(payouts.contributors) == {A: 24, B: 23, C: 23}
    # Pool 7 over 1:2:4: exactly 1, 2, 4.
    payouts = split_fee(
        10, {A: 1, B: 2, C: 4}, threshold_bps=0, split=SPLIT, owner=OWNER, treasury=TREASURY
    )
    assert amounts(payouts.contributors) == {A: 1, B: 2, C: 4}
    # Pool 6 (fee 9) over 3:3:1: 18/7, 18/7, 6/7, floors 2, 2, 0 with remainders 4, 4, 6:
    # C first, then A (tied with B, lower address).
    payouts = split_fee(
        9, {A: 3, B: 3, C: 1}, threshold_bps=0, split=SPLIT, owner=OWNER, treasury=TREASURY
    )
    assert amounts(payouts.contributors) == {A: 3, B: 2, C: 1}


def test_amounts_always_add_up_to_the_fee_and_do_not_depend_on_input_order() -> None:
    rng = random.Random(7)
    addresses = ["0x" + f"{i:040x}" for i in range(1, 40)]
    for _ in range(200):
        chosen = rng.sample(addresses, rng.randint(0, 12))
        scores = {a: rng.randint(-(10**9), 10**9) for a in chosen}
        fee = rng.randint(0, 10**21)
        threshold = rng.randint(0, 3_000)
        first = split_fee(
            fee, scores, threshold_bps=threshold, split=SPLIT, owner=OWNER, treasury=TREASURY
        )
        shuffled = dict(rng.sample(list(scores.items()), len(scores)))
        again = split_fee(
            fee, shuffled, threshold_bps=threshold, split=SPLIT, owner=OWNER, treasury=TREASURY
        )
        assert first == again
        assert sum(p.amount for p in first.credits()) == fee
        total = first.contributors_amount + first.owner.amount + first.protocol.amount
        assert total == fee
        assert first.owner.amount == fee * 2_000 // 10_000
        assert first.contributors_amount in (0, fee * 7_000 // 10_000)


def test_rounding_dust_of_the_floors_goes_to_the_protocol() -> None:
    payouts = split_fee(9, {A: 1}, threshold_bps=0, split=SPLIT, owner=OWNER, treasury=TREASURY)
    # owner floor(1.8) = 1, pool floor(6.3) = 6, protocol 9 - 1 - 6 = 2 (0.9 share + dust).
    assert (payouts.owner.amount, payouts.contributors_amount, payouts.protocol.amount) == (1, 6, 2)


def test_nobody_eligible_sends_the_pool_to_the_protocol() -> None:
    for scores in ({}, {A: -5}, {A: 0}):
        payouts = split_fee(
            1_000, scores, threshold_bps=500, split=SPLIT, owner=OWNER, treasury=TREASURY
        )
        assert payouts.contributors == ()
        assert (payouts.owner.amount, payouts.protocol.amount) == (200, 800)
    assert (
        split_fee(
            1_000, {A: 0}, threshold_bps=0, split=SPLIT, owner=OWNER, treasury=TREASURY
        ).shares
        == ()
    )


def test_a_base_model_only_completion_pays_the_owner_share_to_the_protocol() -> None:
    for owner in (None, ZERO_ADDRESS):
        payouts = split_fee(
            1_000, {}, threshold_bps=500, split=SPLIT, owner=owner, treasury=TREASURY
        )
        assert payouts.owner == Payout(ZERO_ADDRESS, 0)
        assert payouts.protocol.amount == 1_000
        assert [p.address.lower() for p in payouts.credits()] == [TREASURY]


def test_credits_list_every_non_zero_amount_by_address() -> None:
    owner = "0x" + "0b" * 20  # also a contributor: credited twice, in one call
    payouts = split_fee(100, {C: 1, B: 1}, threshold_bps=0, split=SPLIT, owner=owner, treasury=A)
    credited = [(p.address.lower(), p.amount) for p in payouts.credits()]
    assert credited == [(A, 10), (B, 35), (B, 20), (C, 35)]


def test_a_zero_fee_pays_zero_everywhere() -> None:
    payouts = split_fee(0, {A: 1}, threshold_bps=0, split=SPLIT, owner=OWNER, treasury=TREASURY)
    assert payouts.credits() == ()
    assert payouts.contributors == (Payout(payouts.shares[0].address, 0),)


def test_invalid_inputs_name_the_field() -> None:
    with pytest.raises(InvalidArgument) as bad_split:
        FeeSplitBps(7_000, 2_000, 500)
    assert bad_split.value.field == "fee_split"
    upper_a = A.upper().replace("0X", "0x")
    cases: list[tuple[dict[str, object], str]] = [
        ({"fee": -1}, "fee"),
        ({"threshold_bps": 10_001}, "threshold_bps"),
        ({"treasury": "nope"}, "treasury"),
        ({"owner": "0x12"}, "owner"),
        ({"scores_e9": {A: 1, upper_a: 2}}, f"scores_e9[{upper_a}]"),
    ]
    for override, field in cases:
        arguments: dict[str, object] = {
            "fee": 1,
            "scores_e9": {A: 1},
            "threshold_bps": 0,
            "split": SPLIT,
            "owner": OWNER,
            "treasury": TREASURY,
        }
        arguments.update(override)
        with pytest.raises(InvalidArgument) as error:
            split_fee(**arguments)  # type: ignore[arg-type]
        assert error.value.field == field


def test_score_e9_rounds_half_to_even_on_the_exact_value() -> None:
    assert score_e9(0.5) == 500_000_000
    # 1/1024 and 3/1024 are exact binary fractions whose e9 values end in .5: ties to even.
    assert score_e9(1 / 1024) == 976_562
    assert score_e9(3 / 1024) == 2_929_688
    assert score_e9(-1 / 1024) == -976_562
    # 2.5e-9 as a float is a little above 2.5e-9, so it is no tie.
    assert score_e9(2.5e-9) == 3
