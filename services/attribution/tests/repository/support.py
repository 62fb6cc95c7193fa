"""Domain values to store: completions, finished attributions and their settlements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eth_utils.address import to_checksum_address

from openledger_attribution.domain.model import (
    Attribution,
    AttributionState,
    CompletionInput,
    ContributorResult,
    FeeSplitAmounts,
    NegativeInfluence,
    Settlement,
    SettlementState,
)
from openledger_attribution.domain.policy import Method
from openledger_attribution.settlement.evidence import ScoringParameters
from openledger_attribution.settlement.payouts import FeeSplitBps

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
ALICE = to_checksum_address("0x" + "ab" * 20)
BOB = to_checksum_address("0x" + "0b" * 20)
CAROL = to_checksum_address("0x" + "c0" * 20)
PAYER = to_checksum_address("0x" + "9a" * 20)
OWNER = to_checksum_address("0x" + "e1" * 20)
TREASURY = to_checksum_address("0x" + "f1" * 20)
SNAPSHOT = "datanets/medical/snapshots/s1"
ADAPTER = "medical-qa@1"
BIG = 3 * 2**70 + 7
"""An amount far beyond SQL integers."""


def inference_id(n: int) -> str:
    return f"0190a000-0000-7000-8000-{n:012d}"


def completion(n: int = 1, *, fee: int = BIG) -> CompletionInput:
    return CompletionInput(
        inference_id=inference_id(n),
        adapter=ADAPTER,
        adapter_sha256=bytes([n]) * 32,
        base_model="tiny-llama",
        payer=PAYER,
        prompt_ids=(1, 2**32 - 1, 0, 31999),
        output_ids=(7, 8, 9) * 50,
        fee=fee,
        finish_reason="stop",
        complete_time=T0 + timedelta(seconds=n),
    )


def contributor(
    address: str, score: float, amount: int, *, eligible: bool = True
) -> ContributorResult:
    return ContributorResult(
        address=address,
        score=score,
        span_score=score * 0.75,
        gradient_score=score / 3,
        raw_share=score / 1.7,
        eligible=eligible,
        share=score / 1.3 if eligible else 0.0,
        amount=amount,
        record_count=3,
    )


def fee_split(fee: int, contributors_amount: int) -> FeeSplitAmounts:
    owner_amount = fee * 2_000 // 10_000
    return FeeSplitAmounts(
        fee=fee,
        bps=FeeSplitBps(contributors_bps=7_000, model_owner_bps=2_000, protocol_bps=1_000),
        contributors_amount=contributors_amount,
        model_owner_amount=owner_amount,
        protocol_amount=fee - owner_amount - contributors_amount,
        model_owner_address=OWNER,
        protocol_address=TREASURY,
    )


def finished(
    begun: Attribution,
    contributors: tuple[ContributorResult, ...],
    *,
    minutes: int = 1,
    snapshot: str = SNAPSHOT,
) -> tuple[Attribution, Settlement]:
    """``begun`` COMPLETED with ``contributors`` (given in the stored order) and its
    settlement."""
    split = fee_split(begun.fee, sum(c.amount for c in contributors if c.eligible))
    done = T0 + timedelta(minutes=minutes)
    attribution = Attribution(
        inference_id=begun.inference_id,
        state=AttributionState.COMPLETED,
        adapter=begun.adapter,
        base_model=begun.base_model,
        fee=begun.fee,
        payer=begun.payer,
        create_time=begun.create_time,
        snapshot=snapshot,
        method=Method.COMBINED,
        span_weight_bps=4_000,
        parameters=ScoringParameters(
            min_span_tokens=4,
            max_span_occurrences=1_000,
            max_spans=64,
            projection_dim=512,
            projection_seed=2**62 + 5,
            damping=0.1 + 0.2,
            max_examples=256,
            scorer_version="trak-1",
        ),
        threshold_bps=100,
        contributors=contributors,
        fee_split=split,
        negative=(
            NegativeInfluence(
                address=CAROL,
                score=-0.123456789012345,
                contributions=(
                    "datanets/medical/contributions/r2",
                    "datanets/medical/contributions/r1",
                ),
            ),
        ),
        evidence_hash=b"\xee" * 32,
        evidence_digest="sha256:" + "ab" * 32,
        snapshot_merkle_root=b"\x11" * 32,
        complete_time=done,
    )
    settlement = Settlement(
        settlement_id=f"0190b000-0000-7000-8000-{begun.inference_id[-12:]}",
        inference_id=begun.inference_id,
        state=SettlementState.PENDING,
        create_time=done,
        payouts=tuple(
            sorted(
                ((c.address, c.amount) for c in contributors if c.eligible and c.amount),
                key=lambda payout: int(payout[0], 16),
            )
        ),
        fee_split=split,
        evidence_hash=b"\xee" * 32,
    )
    return attribution, settlement
