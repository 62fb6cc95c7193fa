"""The evidence of one attribution: what was scored, how, and the result. Its exact bytes
(``EvidenceDocument``, written by an ``EvidenceCodec``: ``adapters.evidence``) have their
keccak256 recorded on-chain (``AttributionRewards`` ``evidenceHash``) and their SHA-256 as the
object-store address.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from eth_utils.crypto import keccak

from openledger_attribution.domain.policy import Method, MethodWeights
from openledger_attribution.settlement.payouts import (
    score_e9,
)
from openledger_kit.store.digest import Digest


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
