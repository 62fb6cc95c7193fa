"""Attributions ready to settle, made the way the Attributor makes them (split_fee, evidence
bytes in the store), without scoring: the settlement loop's tests need only what is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from openledger_attribution.adapters.evidence import encode_evidence
from openledger_attribution.domain.model import (
    Attribution,
    AttributionState,
    CompletionInput,
    ContributorResult,
    FeeSplitAmounts,
    GovernedParams,
    Settlement,
    SettlementState,
)
from openledger_attribution.domain.policy import Method, MethodWeights
from openledger_attribution.domain.ports import Repository
from openledger_attribution.settlement.evidence import (
    ContributorScore,
    Evidence,
    ScoringParameters,
    scores_e9,
)
from openledger_attribution.settlement.payouts import split_fee
from openledger_kit.bus import new_event_id
from openledger_kit.store import ObjectStore

OWNER = "0x" + "0e" * 20
FEE = 10**15


@dataclass(frozen=True)
class Target:
    chain_id: int
    rewards_contract: str


def store_scored(
    repository: Repository,
    store: ObjectStore,
    target: Target,
    params: GovernedParams,
    scores: dict[str, float],
    *,
    fee: int = FEE,
    salt: str = "",
) -> Settlement:
    """Record a completion and finish its attribution with a PENDING settlement. ``scores``
    are by EIP-55 address; ``salt`` changes the evidence (another scorer's view)."""
    now = datetime.now(UTC)
    inference_id = new_event_id()
    completion = CompletionInput(
        inference_id=inference_id,
        adapter="planted@1",
        adapter_sha256=b"\x01" * 32,
        base_model="tiny-llama",
        payer="",
        prompt_ids=(1, 2),
        output_ids=(3, 4),
        fee=fee,
        finish_reason="STOP",
        complete_time=now,
    )
    begun = repository.begin(completion, now)
    contributors = [ContributorScore(a, s, 0.0, s, 1) for a, s in scores.items()]
    payouts = split_fee(
        fee,
        scores_e9(contributors),
        threshold_bps=params.threshold_bps,
        split=params.split,
        owner=OWNER,
        treasury=params.treasury,
    )
    evidence = encode_evidence(
        Evidence(
            inference_id=inference_id,
            chain_id=target.chain_id,
            rewards_contract=target.rewards_contract,
            base_model="tiny-llama",
            weights=MethodWeights(Method.SPAN, 10_000),
            parameters=ScoringParameters(min_span_tokens=2, max_spans=4, scorer_version=salt),
            contributors=contributors,
        ),
        payouts,
    )
    digest = store.put_bytes(evidence.data)
    split = FeeSplitAmounts(
        fee=fee,
        bps=params.split,
        contributors_amount=payouts.contributors_amount,
        model_owner_amount=payouts.owner.amount,
        protocol_amount=payouts.protocol.amount,
        model_owner_address=payouts.owner.address,
        protocol_address=payouts.protocol.address,
    )
    shares = {s.address: s for s in payouts.shares}
    pool = payouts.contributors_amount or 1
    attribution = Attribution(
        inference_id=inference_id,
        state=AttributionState.COMPLETED,
        adapter=completion.adapter,
        base_model=completion.base_model,
        fee=fee,
        payer="",
        create_time=begun.create_time,
        snapshot="datanets/d/snapshots/s",
        method=Method.SPAN,
        span_weight_bps=10_000,
        parameters=ScoringParameters(min_span_tokens=2, max_spans=4, scorer_version=salt),
        threshold_bps=params.threshold_bps,
        contributors=tuple(
            ContributorResult(
                address=c.address,
                score=c.score,
                span_score=c.score,
                gradient_score=0.0,
                raw_share=c.score,
                eligible=shares[c.address].eligible,
                share=shares[c.address].amount / pool,
                amount=shares[c.address].amount,
                record_count=1,
            )
            for c in sorted(contributors, key=lambda c: (-c.score, c.address))
        ),
        fee_split=split,
        evidence_hash=evidence.evidence_hash,
        evidence_digest=digest.hexdigest,
        snapshot_merkle_root=b"\x02" * 32,
        complete_time=now,
    )
    settlement = Settlement(
        settlement_id=new_event_id(),
        inference_id=inference_id,
        state=SettlementState.PENDING,
        create_time=now,
        payouts=tuple((p.address, p.amount) for p in payouts.contributors),
        fee_split=split,
        evidence_hash=evidence.evidence_hash,
    )
    repository.finish(attribution, settlement)
    stored = repository.latest_settlement(inference_id)
    assert stored is not None
    return stored
