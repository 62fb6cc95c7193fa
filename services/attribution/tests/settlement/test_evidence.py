"""The evidence bytes: deterministic, hashed the way the chain and the object store expect, and
enough for a verifier to recompute every amount."""

from __future__ import annotations

import hashlib

import pytest
from eth_utils.crypto import keccak

from openledger.attribution.v1 import attribution_pb2, evidence_pb2
from openledger_attribution.adapters.evidence import encode_evidence
from openledger_attribution.domain.policy import Method, MethodWeights
from openledger_attribution.settlement.evidence import (
    ContributorScore,
    Evidence,
    ScoredRecord,
    ScoredSpan,
    ScoringParameters,
    scores_e9,
    token_ids_hash,
)
from openledger_attribution.settlement.payouts import FeeSplitBps, Payouts, split_fee
from openledger_kit.errors import InvalidArgument

A = "0x" + "aa" * 20
B = "0x" + "0b" * 20
C = "0x" + "cc" * 20
OWNER = "0x" + "0e" * 20
TREASURY = "0x" + "0f" * 20
REWARDS = "0x" + "12" * 20
SPLIT = FeeSplitBps(7_000, 2_000, 1_000)
PINNED_KECCAK = "bd536416de21318f5369099a34d431b3a6cc3363185a579bac790f054048819c"


def record(datanet: str, record_id: str, contributor: str, score: float) -> ScoredRecord:
    return ScoredRecord(
        datanet, record_id, contributor, hashlib.sha256(record_id.encode()).digest(), score
    )


def evidence(*, reverse: bool = False) -> Evidence:
    contributors = [
        ContributorScore(A, 0.6, 0.1, 0.55, 2),
        ContributorScore(B, 0.4, 0.5, 0.43, 1),
        ContributorScore(C, 0.0, -0.2, 0.02, 1),
    ]
    spans = [
        ScoredSpan(
            0, 4, 2, 1.5, (record("datanets/d", "r2", A, 0.75), record("datanets/d", "r1", B, 0.75))
        ),
        ScoredSpan(7, 9, 1, 0.25, (record("datanets/d", "r3", A, 0.25),)),
    ]
    examples = [
        record("datanets/d", "r1", B, 0.3),
        record("datanets/d", "r3", A, 0.3),
        record("datanets/e", "r9", C, -0.2),
    ]
    order = (lambda xs: list(reversed(xs))) if reverse else list
    return Evidence(
        inference_id="0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        chain_id=901,
        rewards_contract=REWARDS,
        base_model="tiny-llama",
        weights=MethodWeights(Method.COMBINED, 5_000),
        parameters=ScoringParameters(
            min_span_tokens=2,
            max_span_occurrences=1_000,
            max_spans=8,
            projection_dim=64,
            projection_seed=7,
            damping=0.001,
            max_examples=3,
            scorer_version="openledger-attribution 0.1.0",
        ),
        contributors=order(contributors),
        prompt_hash=token_ids_hash([1, 2, 3]),
        output_hash=token_ids_hash([4, 5, 6, 7, 8, 9, 10, 11, 12]),
        adapter="legal-qa@1",
        adapter_sha256=b"\x01" * 32,
        snapshot="datanets/d/snapshots/3",
        snapshot_merkle_root=b"\x02" * 32,
        span_index_sha256=b"\x03" * 32,
        gradient_features_sha256=b"\x04" * 32,
        spans=order(spans),
        examples=order(examples),
    )


def payouts_of(ev: Evidence, fee: int = 10**18, threshold_bps: int = 500) -> Payouts:
    return split_fee(
        fee,
        scores_e9(ev.contributors),
        threshold_bps=threshold_bps,
        split=SPLIT,
        owner=OWNER,
        treasury=TREASURY,
    )


def test_the_same_evidence_in_any_order_gives_the_same_bytes_and_hashes() -> None:
    first, second = evidence(), evidence(reverse=True)
    one = encode_evidence(first, payouts_of(first))
    two = encode_evidence(second, payouts_of(second))
    assert one.data == two.data
    assert one.evidence_hash == keccak(one.data)
    assert one.digest.hexdigest == hashlib.sha256(one.data).hexdigest()
    # Pinned: a change here changes every on-chain evidence hash (bump the evidence version).
    assert one.evidence_hash.hex() == PINNED_KECCAK


def test_the_bytes_are_the_deterministic_proto_and_follow_the_documented_order() -> None:
    ev = evidence(reverse=True)
    document = encode_evidence(ev, payouts_of(ev))
    message = evidence_pb2.AttributionEvidence.FromString(document.data)
    assert message.SerializeToString(deterministic=True) == document.data
    assert message.version == 1
    assert message.method == attribution_pb2.ATTRIBUTION_METHOD_COMBINED
    assert message.parameters.span_weight_bps == 5_000
    assert message.parameters.damping_e9 == 1_000_000
    assert [c.contributor_address.lower() for c in message.contributors] == [B, A, C]
    assert [(s.output_token_start, s.output_token_end) for s in message.spans] == [(0, 4), (7, 9)]
    assert [r.record_id for r in message.spans[0].records] == ["r1", "r2"]
    assert [(r.record_id, r.score_e9) for r in message.examples] == [
        ("r1", 300_000_000),
        ("r3", 300_000_000),
        ("r9", -200_000_000),
    ]
    assert message.fee_split.protocol_address == "0x0f0f0F0f0f0F0F0f0F0F0F0F0F0F0f0f0F0F0F0F"
    assert message.threshold_bps == 500


def test_a_verifier_recomputes_every_amount_from_the_recorded_scores() -> None:
    ev = evidence()
    document = encode_evidence(ev, payouts_of(ev, fee=12_345_678_901, threshold_bps=300))
    message = evidence_pb2.AttributionEvidence.FromString(document.data)
    split = FeeSplitBps(
        message.fee_split.contributors_bps,
        message.fee_split.model_owner_bps,
        message.fee_split.protocol_bps,
    )
    again = split_fee(
        int(message.fee_split.fee),
        {c.contributor_address: c.score_e9 for c in message.contributors},
        threshold_bps=message.threshold_bps,
        split=split,
        owner=message.fee_split.model_owner_address,
        treasury=message.fee_split.protocol_address,
    )
    assert {s.address: str(s.amount) for s in again.shares} == {
        c.contributor_address: c.amount for c in message.contributors
    }
    assert [c.eligible for c in message.contributors] == [s.eligible for s in again.shares]
    # C's 2 % is under the 3 % threshold.
    assert [c.eligible for c in message.contributors] == [True, True, False]
    assert str(again.protocol.amount) == message.fee_split.protocol_amount


def test_payouts_from_other_scores_are_refused() -> None:
    ev = evidence()
    other = split_fee(
        100, {A: 1, B: 1}, threshold_bps=0, split=SPLIT, owner=OWNER, treasury=TREASURY
    )
    with pytest.raises(InvalidArgument) as refused:
        encode_evidence(ev, other)
    assert refused.value.field == "payouts"


def test_token_hash_is_keccak_of_big_endian_words() -> None:
    assert token_ids_hash([1, 256]) == keccak(bytes.fromhex("0000000100000100"))
    assert token_ids_hash([]) == keccak(b"")
