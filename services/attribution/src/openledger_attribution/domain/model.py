"""The attribution service's records: what it receives (completions, adapters, snapshots), what
it decides (attributions with their contributors) and what it writes on chain (settlements).

Free of gRPC, protobuf and Redis types; amounts are integers in wei of OPEN, hashes raw bytes,
addresses EIP-55, times timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from openledger_attribution.domain.policy import Method
from openledger_attribution.settlement.evidence import ScoringParameters
from openledger_attribution.settlement.payouts import FeeSplitBps, Payout, Payouts, chain_credits
from openledger_kit.values import ChainTx

ATTRIBUTION_PREFIX = "attributions/"
SETTLEMENT_PREFIX = "settlements/"


def attribution_name(inference_id: str) -> str:
    return f"{ATTRIBUTION_PREFIX}{inference_id}"


def settlement_name(settlement_id: str) -> str:
    return f"{SETTLEMENT_PREFIX}{settlement_id}"


def datanet_of(snapshot: str) -> str:
    """``datanets/{datanet}`` of ``datanets/{datanet}/snapshots/{snapshot}``."""
    return "/".join(snapshot.split("/")[:2])


class AttributionState(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    NOT_ATTRIBUTABLE = "NOT_ATTRIBUTABLE"
    FAILED = "FAILED"

    @property
    def final(self) -> bool:
        return self in (AttributionState.COMPLETED, AttributionState.NOT_ATTRIBUTABLE)


class SettlementState(StrEnum):
    PENDING = "PENDING"
    SUBMITTED = "SUBMITTED"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class CompletionInput:
    """A ``CompletionRecorded`` event: what attribution scores and settles."""

    inference_id: str
    adapter: str
    """``{adapter_id}@{version}``; empty for a base-model-only completion."""
    adapter_sha256: bytes
    base_model: str
    payer: str
    prompt_ids: tuple[int, ...]
    output_ids: tuple[int, ...]
    fee: int
    finish_reason: str
    complete_time: datetime


@dataclass(frozen=True)
class SnapshotInfo:
    """A published datanet snapshot (``SnapshotPublished``)."""

    name: str
    """``datanets/{datanet}/snapshots/{snapshot}``."""
    merkle_root: bytes
    record_count: int
    jsonl_digest: str
    """Object-store digest (hex SHA-256) of the snapshot's JSON Lines file."""
    publish_time: datetime

    @property
    def datanet(self) -> str:
        return datanet_of(self.name)


@dataclass(frozen=True)
class AdapterInfo:
    """A published adapter (``AdapterPublished``) as attribution needs it."""

    ref: str
    """``{adapter_id}@{version}``."""
    base_model: str
    owner: str
    adapter_sha256: bytes
    snapshot: str
    """The training snapshot's name; empty when the adapter has no snapshot lineage."""
    snapshot_merkle_root: bytes
    adapter_model_digest: str
    adapter_config_digest: str
    features_digest: str
    """Object-store digest of ``attribution_features.safetensors``; empty without features."""

    @property
    def has_features(self) -> bool:
        return bool(self.features_digest)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class ContributorResult:
    """One contributor with a non-zero score in one attribution (ContributorAttribution)."""

    address: str
    score: float
    span_score: float
    gradient_score: float
    raw_share: float
    eligible: bool
    share: float
    amount: int
    record_count: int


@dataclass(frozen=True)
class FeeSplitAmounts:
    """How one fee was divided (FeeSplit)."""

    fee: int
    bps: FeeSplitBps
    contributors_amount: int
    model_owner_amount: int
    protocol_amount: int
    model_owner_address: str
    protocol_address: str

    @classmethod
    def of(cls, payouts: Payouts) -> FeeSplitAmounts:
        return cls(
            fee=payouts.fee,
            bps=payouts.split,
            contributors_amount=payouts.contributors_amount,
            model_owner_amount=payouts.owner.amount,
            protocol_amount=payouts.protocol.amount,
            model_owner_address=payouts.owner.address,
            protocol_address=payouts.protocol.address,
        )


@dataclass(frozen=True)
class NegativeInfluence:
    """A contributor whose records made the output less likely: reported, never paid."""

    address: str
    score: float
    contributions: tuple[str, ...]
    """``datanets/{datanet}/contributions/{record_id}``, most negative first."""


@dataclass(frozen=True)
class Attribution:
    """The attribution of one completion (``attributions/{inference_id}``)."""

    inference_id: str
    state: AttributionState
    adapter: str
    base_model: str
    fee: int
    payer: str
    create_time: datetime
    snapshot: str = ""
    method: Method | None = None
    span_weight_bps: int = 0
    parameters: ScoringParameters = field(default_factory=ScoringParameters)
    threshold_bps: int = 0
    contributors: tuple[ContributorResult, ...] = ()
    """Ordered by score descending, then address ascending."""
    fee_split: FeeSplitAmounts | None = None
    negative: tuple[NegativeInfluence, ...] = ()
    evidence_hash: bytes = b""
    """keccak256 of the evidence bytes (recorded on chain)."""
    evidence_digest: str = ""
    """Object-store digest (hex SHA-256) of the evidence bytes."""
    snapshot_merkle_root: bytes = b""
    complete_time: datetime | None = None
    error_reason: str = ""
    error_message: str = ""

    @property
    def name(self) -> str:
        return attribution_name(self.inference_id)


@dataclass(frozen=True)
class Settlement:
    """The on-chain recording of one attribution (``settlements/{settlement_id}``)."""

    settlement_id: str
    inference_id: str
    state: SettlementState
    create_time: datetime
    payouts: tuple[tuple[str, int], ...]
    """Eligible contributors' ``(address, amount)``, by address ascending."""
    fee_split: FeeSplitAmounts
    evidence_hash: bytes
    batch_id: str = ""
    transaction: ChainTx | None = None
    submit_time: datetime | None = None
    confirm_time: datetime | None = None
    attempts: int = 0
    error_reason: str = ""
    error_message: str = ""
    published: bool = False
    """Whether ``AttributionSettled`` went out (set once CONFIRMED and published)."""

    @property
    def name(self) -> str:
        return settlement_name(self.settlement_id)


@dataclass(frozen=True)
class SettlementEntry:
    """One inference as ``AttributionRewards.settle`` records it: its credits
    (``chain_credits``) and evidence hash."""

    inference_id: str
    credits: tuple[Payout, ...]
    evidence_hash: bytes

    @classmethod
    def of(cls, settlement: Settlement) -> SettlementEntry:
        split = settlement.fee_split
        credits = chain_credits(
            (Payout(address, amount) for address, amount in settlement.payouts),
            Payout(split.model_owner_address, split.model_owner_amount),
            Payout(split.protocol_address, split.protocol_amount),
        )
        return cls(settlement.inference_id, credits, settlement.evidence_hash)

    @property
    def total(self) -> int:
        return sum(credit.amount for credit in self.credits)


@dataclass(frozen=True)
class SettledTx:
    """Where an inference was settled. ``evidence_hash`` is what the chain recorded; when
    ``sent_here`` is false another settler got there first, and a recorded hash different from
    ours means the two scored the completion differently."""

    inference_id: str
    tx_hash: bytes
    block_number: int
    evidence_hash: bytes
    sent_here: bool


@dataclass(frozen=True)
class GovernedParams:
    """What attribution applies from ``ProtocolParams``, as of ``block_number``."""

    threshold_bps: int
    split: FeeSplitBps
    treasury: str
    block_number: int


@dataclass(frozen=True)
class RewardCredit:
    """What one contributor earned from one inference (a row of ListContributorRewards)."""

    inference_id: str
    settlement_id: str
    adapter: str
    datanet: str
    address: str
    score: float
    share: float
    amount: int
    record_count: int
    state: SettlementState
    transaction: ChainTx | None
    create_time: datetime
    confirm_time: datetime | None
