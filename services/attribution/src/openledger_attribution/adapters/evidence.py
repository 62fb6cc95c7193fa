"""Evidence as bytes: ``openledger.attribution.v1.AttributionEvidence`` written
deterministically, as that message documents (rather than JSON) so that every verifier -- the
service, a Go or C++ client -- reads and re-hashes one schema with generated code: the fields are
ordered by number, defaults are omitted, there are no maps or floats (scores are
``round_half_even(x * 10^9)``), and every repeated field is sorted here by the rule its comment
states. The same inputs always give the same bytes.

The ``FeeSplit`` and ``AttributionParameters`` messages are built here for the API too, so an
``Attribution`` carries them exactly as its evidence does.
"""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.message import DecodeError

from openledger.attribution.v1 import attribution_pb2, evidence_pb2, settlement_pb2
from openledger_attribution.domain.model import FeeSplitAmounts
from openledger_attribution.domain.policy import Method
from openledger_attribution.settlement.evidence import (
    ContributorScore,
    DecodedEvidence,
    Evidence,
    EvidenceContributor,
    EvidenceDocument,
    ScoredRecord,
    ScoredSpan,
    ScoringParameters,
)
from openledger_attribution.settlement.payouts import (
    SCALE_E9,
    Payouts,
    address_order,
    checksummed,
    score_e9,
)
from openledger_kit.errors import InvalidArgument

EVIDENCE_VERSION = 1

_METHODS = {
    Method.SPAN: attribution_pb2.ATTRIBUTION_METHOD_SPAN,
    Method.GRADIENT: attribution_pb2.ATTRIBUTION_METHOD_GRADIENT,
    Method.COMBINED: attribution_pb2.ATTRIBUTION_METHOD_COMBINED,
}


def encode_evidence(evidence: Evidence, payouts: Payouts) -> EvidenceDocument:
    """The deterministic bytes of ``evidence`` with ``payouts``, which must have been computed
    from ``scores_e9(evidence.contributors)``."""
    message = evidence_pb2.AttributionEvidence(
        version=EVIDENCE_VERSION,
        inference_id=evidence.inference_id,
        chain_id=evidence.chain_id,
        rewards_contract=checksummed(evidence.rewards_contract, "rewards_contract"),
        prompt_hash=evidence.prompt_hash,
        output_hash=evidence.output_hash,
        adapter=evidence.adapter,
        adapter_sha256=evidence.adapter_sha256,
        base_model=evidence.base_model,
        snapshot=evidence.snapshot,
        snapshot_merkle_root=evidence.snapshot_merkle_root,
        span_index_sha256=evidence.span_index_sha256,
        gradient_features_sha256=evidence.gradient_features_sha256,
        method=(
            attribution_pb2.ATTRIBUTION_METHOD_UNSPECIFIED
            if evidence.weights is None
            else _METHODS[evidence.weights.method]
        ),
        parameters=parameters_message(
            evidence.parameters,
            evidence.weights.method if evidence.weights else None,
            evidence.weights.span_weight_bps if evidence.weights else 0,
        ),
        threshold_bps=payouts.threshold_bps,
        fee_split=fee_split_message(FeeSplitAmounts.of(payouts)),
        contributors=_contributors(evidence.contributors, payouts),
        spans=_spans(evidence.spans),
        examples=_examples(evidence.examples),
    )
    return EvidenceDocument(message.SerializeToString(deterministic=True))


def fee_split_message(split: FeeSplitAmounts) -> settlement_pb2.FeeSplit:
    """The ``FeeSplit`` message (evidence, Attribution, AttributeResponse and Settlement)."""
    return settlement_pb2.FeeSplit(
        fee=str(split.fee),
        contributors_bps=split.bps.contributors_bps,
        model_owner_bps=split.bps.model_owner_bps,
        protocol_bps=split.bps.protocol_bps,
        contributors_amount=str(split.contributors_amount),
        model_owner_amount=str(split.model_owner_amount),
        protocol_amount=str(split.protocol_amount),
        model_owner_address=split.model_owner_address,
        protocol_address=split.protocol_address,
    )


def parameters_message(
    parameters: ScoringParameters, method: Method | None, span_weight_bps: int
) -> attribution_pb2.AttributionParameters:
    """``parameters`` as the evidence, ``Attribution`` and ``AttributeResponse`` carry them:
    the span weight only for COMBINED."""
    return attribution_pb2.AttributionParameters(
        min_span_tokens=parameters.min_span_tokens,
        max_span_occurrences=parameters.max_span_occurrences,
        max_spans=parameters.max_spans,
        projection_dim=parameters.projection_dim,
        projection_seed=parameters.projection_seed,
        damping_e9=score_e9(parameters.damping),
        max_examples=parameters.max_examples,
        span_weight_bps=span_weight_bps if method is Method.COMBINED else 0,
        scorer_version=parameters.scorer_version,
    )


def _contributors(
    contributors: Iterable[ContributorScore], payouts: Payouts
) -> list[evidence_pb2.EvidenceContributor]:
    shares = {share.address: share for share in payouts.shares}
    rows: list[evidence_pb2.EvidenceContributor] = []
    for contributor in contributors:
        address = checksummed(contributor.address, "contributors.address")
        score = score_e9(contributor.score)
        if score == 0:
            continue
        share = shares.pop(address, None)
        if share is None or share.score_e9 != score:
            raise InvalidArgument(
                "payouts", f"were not computed from the evidence's score of {address}"
            )
        rows.append(
            evidence_pb2.EvidenceContributor(
                contributor_address=address,
                span_score_e9=score_e9(contributor.span_score),
                gradient_score_e9=score_e9(contributor.gradient_score),
                score_e9=score,
                eligible=share.eligible,
                amount=str(share.amount),
                record_count=contributor.record_count,
            )
        )
    if shares:
        raise InvalidArgument(
            "payouts", f"credit contributors the evidence lacks: {sorted(shares)}"
        )
    return sorted(rows, key=lambda row: address_order(row.contributor_address))


def _spans(spans: Iterable[ScoredSpan]) -> list[evidence_pb2.EvidenceSpan]:
    rows = [
        evidence_pb2.EvidenceSpan(
            output_token_start=span.output_token_start,
            output_token_end=span.output_token_end,
            occurrence_count=span.occurrence_count,
            rarity_e9=score_e9(span.rarity),
            records=_records_by_id(span.records),
        )
        for span in spans
    ]
    return sorted(rows, key=lambda row: (row.output_token_start, row.output_token_end))


def _examples(examples: Iterable[ScoredRecord]) -> list[evidence_pb2.EvidenceRecord]:
    rows = [_record(example) for example in examples]
    return sorted(rows, key=lambda row: (-row.score_e9, row.datanet, row.record_id))


def _records_by_id(records: Iterable[ScoredRecord]) -> list[evidence_pb2.EvidenceRecord]:
    rows = [_record(record) for record in records]
    return sorted(rows, key=lambda row: (row.datanet, row.record_id))


def _record(record: ScoredRecord) -> evidence_pb2.EvidenceRecord:
    return evidence_pb2.EvidenceRecord(
        datanet=record.datanet,
        record_id=record.record_id,
        contributor_address=checksummed(record.contributor, "records.contributor_address"),
        content_hash=record.content_hash,
        score_e9=score_e9(record.score),
    )


_METHODS_BACK = {number: method for method, number in _METHODS.items()}


def decode_evidence(data: bytes) -> DecodedEvidence:
    """The evidence bytes ``encode_evidence`` wrote; ``InvalidArgument("evidence")`` when they
    are not an ``AttributionEvidence`` of a version this code reads."""
    message = evidence_pb2.AttributionEvidence()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise InvalidArgument("evidence", f"not an AttributionEvidence ({exc})") from None
    if message.version != EVIDENCE_VERSION:
        raise InvalidArgument(
            "evidence", f"version {message.version}, this code reads {EVIDENCE_VERSION}"
        )
    if message.method != attribution_pb2.ATTRIBUTION_METHOD_UNSPECIFIED and (
        message.method not in _METHODS_BACK
    ):
        raise InvalidArgument("evidence.method", f"unknown method {message.method}")
    return DecodedEvidence(
        inference_id=message.inference_id,
        chain_id=message.chain_id,
        rewards_contract=message.rewards_contract,
        base_model=message.base_model,
        method=_METHODS_BACK.get(message.method),
        threshold_bps=message.threshold_bps,
        adapter=message.adapter,
        snapshot=message.snapshot,
        snapshot_merkle_root=message.snapshot_merkle_root,
        span_index_sha256=message.span_index_sha256,
        gradient_features_sha256=message.gradient_features_sha256,
        contributors=tuple(
            EvidenceContributor(
                score=ContributorScore(
                    address=row.contributor_address,
                    span_score=_unscaled(row.span_score_e9),
                    gradient_score=_unscaled(row.gradient_score_e9),
                    score=_unscaled(row.score_e9),
                    record_count=row.record_count,
                ),
                eligible=row.eligible,
                amount=int(row.amount or "0"),
            )
            for row in message.contributors
        ),
        spans=tuple(
            ScoredSpan(
                output_token_start=row.output_token_start,
                output_token_end=row.output_token_end,
                occurrence_count=row.occurrence_count,
                rarity=_unscaled(row.rarity_e9),
                records=tuple(_scored_record(record) for record in row.records),
            )
            for row in message.spans
        ),
        examples=tuple(_scored_record(row) for row in message.examples),
    )


def _scored_record(row: evidence_pb2.EvidenceRecord) -> ScoredRecord:
    return ScoredRecord(
        datanet=row.datanet,
        record_id=row.record_id,
        contributor=row.contributor_address,
        content_hash=row.content_hash,
        score=_unscaled(row.score_e9),
    )


def _unscaled(value_e9: int) -> float:
    return float(value_e9) / 10.0**SCALE_E9


class ProtobufEvidence:
    """``ports.EvidenceCodec``: ``encode_evidence`` and ``decode_evidence``."""

    def encode(self, evidence: Evidence, payouts: Payouts) -> EvidenceDocument:
        return encode_evidence(evidence, payouts)

    def decode(self, data: bytes) -> DecodedEvidence:
        return decode_evidence(data)
