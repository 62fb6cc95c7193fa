"""The evidence of one attribution: what was scored, how, and the result, as the exact bytes
whose keccak256 is recorded on-chain (``AttributionRewards`` ``evidenceHash``) and whose
SHA-256 is the object-store address.

The bytes are ``openledger.attribution.v1.AttributionEvidence`` written deterministically, as
that message documents (rather than JSON) so that every verifier -- the service, a Go or C++
client -- reads and re-hashes one schema with generated code: the fields are ordered by number,
defaults are omitted, there are no maps or floats (scores are ``round_half_even(x * 10^9)``),
and every repeated field is sorted here by the rule its comment states. The same inputs always
give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from eth_utils.crypto import keccak
from google.protobuf.message import DecodeError

from openledger.attribution.v1 import attribution_pb2, evidence_pb2, settlement_pb2
from openledger_attribution.domain.policy import Method, MethodWeights
from openledger_attribution.settlement.payouts import (
    SCALE_E9,
    Payouts,
    address_order,
    checksummed,
    score_e9,
)
from openledger_kit.errors import InvalidArgument
from openledger_kit.store.digest import Digest

EVIDENCE_VERSION = 1

_METHODS = {
    Method.SPAN: attribution_pb2.ATTRIBUTION_METHOD_SPAN,
    Method.GRADIENT: attribution_pb2.ATTRIBUTION_METHOD_GRADIENT,
    Method.COMBINED: attribution_pb2.ATTRIBUTION_METHOD_COMBINED,
}


def token_ids_hash(token_ids: Iterable[int]) -> bytes:
    """keccak256 of token ids, each 4 bytes big-endian (the evidence's prompt/output hash)."""
    return keccak(b"".join(int(token).to_bytes(4, "big") for token in token_ids))


@dataclass(frozen=True)
class ScoredRecord:
    """A snapshot record and the score it received (span credit or influence)."""

    datanet: str
    record_id: str
    contributor: str
    content_hash: bytes
    score: float


@dataclass(frozen=True)
class ScoredSpan:
    """A scored span of the output tokens ``[start, end)`` and every record containing it."""

    output_token_start: int
    output_token_end: int
    occurrence_count: int
    rarity: float
    records: tuple[ScoredRecord, ...]


@dataclass(frozen=True)
class ContributorScore:
    """One contributor's scores: per method and the final (combined) score the payouts use."""

    address: str
    span_score: float
    gradient_score: float
    score: float
    record_count: int


@dataclass(frozen=True)
class ScoringParameters:
    """The settings a scoring run used; a method's settings are 0 when it was not used."""

    min_span_tokens: int = 0
    max_span_occurrences: int = 0
    max_spans: int = 0
    projection_dim: int = 0
    projection_seed: int = 0
    damping: float = 0.0
    max_examples: int = 0
    scorer_version: str = ""


@dataclass(frozen=True)
class Evidence:
    """Everything the evidence records besides the payouts. Hashes are raw bytes (32); the
    gradient and span fields stay empty when their method was not used."""

    inference_id: str
    chain_id: int
    rewards_contract: str
    base_model: str
    weights: MethodWeights | None
    """None when nothing was scored (NOT_ATTRIBUTABLE): the method is then UNSPECIFIED."""
    parameters: ScoringParameters
    contributors: Sequence[ContributorScore]
    prompt_hash: bytes = b""
    output_hash: bytes = b""
    adapter: str = ""
    adapter_sha256: bytes = b""
    snapshot: str = ""
    snapshot_merkle_root: bytes = b""
    span_index_sha256: bytes = b""
    gradient_features_sha256: bytes = b""
    spans: Sequence[ScoredSpan] = field(default_factory=tuple)
    examples: Sequence[ScoredRecord] = field(default_factory=tuple)


def scores_e9(contributors: Iterable[ContributorScore]) -> dict[str, int]:
    """The fixed-point final scores the payouts are computed from (``split_fee``'s input)."""
    return {c.address: score_e9(c.score) for c in contributors}


@dataclass(frozen=True)
class EvidenceDocument:
    """The evidence bytes and their two hashes."""

    data: bytes

    @property
    def evidence_hash(self) -> bytes:
        """keccak256: recorded on-chain."""
        return keccak(self.data)

    @property
    def digest(self) -> Digest:
        """SHA-256: the object-store address."""
        return Digest.of(self.data)


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
        fee_split=fee_split_message(payouts),
        contributors=_contributors(evidence.contributors, payouts),
        spans=_spans(evidence.spans),
        examples=_examples(evidence.examples),
    )
    return EvidenceDocument(message.SerializeToString(deterministic=True))


def fee_split_message(payouts: Payouts) -> settlement_pb2.FeeSplit:
    """``payouts`` as the ``FeeSplit`` message (evidence, Attribution and Settlement)."""
    return settlement_pb2.FeeSplit(
        fee=str(payouts.fee),
        contributors_bps=payouts.split.contributors_bps,
        model_owner_bps=payouts.split.model_owner_bps,
        protocol_bps=payouts.split.protocol_bps,
        contributors_amount=str(payouts.contributors_amount),
        model_owner_amount=str(payouts.owner.amount),
        protocol_amount=str(payouts.protocol.amount),
        model_owner_address=payouts.owner.address,
        protocol_address=payouts.protocol.address,
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


# ---------------------------------------------------------------- reading back


@dataclass(frozen=True)
class EvidenceContributor:
    """A contributor as the evidence records it: scores and the payout decided from them."""

    score: ContributorScore
    eligible: bool
    amount: int


@dataclass(frozen=True)
class DecodedEvidence:
    """What an explanation or a verifier reads back from evidence bytes. Scores are the
    recorded fixed-point values divided by 10^9; hashes raw bytes."""

    inference_id: str
    chain_id: int
    rewards_contract: str
    base_model: str
    method: Method | None
    """None for a NOT_ATTRIBUTABLE attribution (UNSPECIFIED)."""
    threshold_bps: int
    adapter: str
    snapshot: str
    snapshot_merkle_root: bytes
    span_index_sha256: bytes
    gradient_features_sha256: bytes
    contributors: tuple[EvidenceContributor, ...]
    spans: tuple[ScoredSpan, ...]
    examples: tuple[ScoredRecord, ...]


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
