"""What the attributor, the workers and the API need from the outside, as protocols. The
adapters in ``openledger_attribution.adapters`` implement them against SQLite/PostgreSQL, the
object store, Redis and the L2."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from openledger_attribution.domain.model import (
    AdapterInfo,
    Attribution,
    CompletionInput,
    GovernedParams,
    RewardCredit,
    SettledTx,
    Settlement,
    SettlementEntry,
    SettlementState,
    SnapshotInfo,
)
from openledger_attribution.influence.features import TrainingFeatures
from openledger_attribution.influence.query import QueryGradients
from openledger_attribution.influence.scoring import InfluenceScorer
from openledger_attribution.settlement.evidence import DecodedEvidence, Evidence, EvidenceDocument
from openledger_attribution.settlement.payouts import Payouts
from openledger_attribution.spans.attribution import TokenText
from openledger_attribution.spans.index import SpanIndex
from openledger_kit.values import ChainTx
from openledger_ml.catalogue import BaseModelInfo

# ---------------------------------------------------------------- storage


@dataclass(frozen=True)
class IndexRecord:
    """A built span index: which snapshot, tokenized by which base model, stored where."""

    snapshot: str
    base_model: str
    sha256: bytes
    """``SpanIndex.digest()``: the index files' own hash, checked when they are fetched."""
    manifest_digest: str
    """Object-store digest of the JSON manifest naming each index file's digest; the evidence
    records it (``span_index_sha256``), so a replay fetches the very index that was used."""
    document_count: int
    token_count: int
    build_time: datetime


@dataclass(frozen=True)
class CreditFilter:
    address: str
    start_time: datetime | None = None
    end_time: datetime | None = None
    states: tuple[SettlementState, ...] = ()
    datanet: str = ""
    adapter: str = ""


@dataclass(frozen=True)
class CreditPage:
    credits: tuple[RewardCredit, ...]
    next_page_token: str
    total_size: int
    matched_amount: int


class Repository(Protocol):
    """The service's relational state. Synchronous (call through ``asyncio.to_thread``); every
    method is one transaction."""

    # Catalogue, fed by AdapterPublished / SnapshotPublished (idempotent upserts).
    def record_adapter(self, adapter: AdapterInfo) -> None: ...
    def get_adapter(self, ref: str) -> AdapterInfo | None: ...
    def adapters_on_snapshot(self, snapshot: str) -> list[AdapterInfo]:
        """The adapters trained on ``snapshot``, by ref."""
        ...

    def record_snapshot(self, snapshot: SnapshotInfo) -> None: ...
    def get_snapshot(self, name: str) -> SnapshotInfo | None: ...
    def record_index(self, index: IndexRecord) -> None: ...
    def get_index(self, snapshot: str, base_model: str) -> IndexRecord | None: ...

    # Attributions.
    def begin(self, completion: CompletionInput, now: datetime) -> Attribution:
        """Record the completion and a PENDING attribution unless one exists; return the stored
        attribution (whatever its state)."""
        ...

    def get_completion(self, inference_id: str) -> CompletionInput | None: ...
    def get_attribution(self, inference_id: str) -> Attribution | None: ...

    def finish(self, attribution: Attribution, settlement: Settlement | None) -> Attribution:
        """Store a COMPLETED or NOT_ATTRIBUTABLE attribution with its contributors and, in the
        same transaction, its PENDING settlement -- only if the stored one is still PENDING or
        FAILED. Return the stored attribution afterwards (another worker's, if it won)."""
        ...

    def fail(self, inference_id: str, reason: str, message: str, now: datetime) -> None:
        """Mark a PENDING attribution FAILED (a final one is left alone)."""
        ...

    # Settlements.
    def claim_settlements(
        self, worker: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[Settlement]:
        """Lease up to ``limit`` PENDING settlements (and SUBMITTED ones whose lease expired)
        to ``worker``, oldest first; leased ones are invisible to other workers until the lease
        ends."""
        ...

    def mark_submitted(
        self, settlement_ids: Sequence[str], batch_id: str, tx: ChainTx, now: datetime
    ) -> None: ...
    def mark_confirmed(self, settlement_ids: Sequence[str], now: datetime) -> None: ...
    def mark_failed(self, settlement_id: str, reason: str, message: str, now: datetime) -> None: ...
    def release(self, settlement_ids: Sequence[str]) -> None:
        """End the leases (after a transient failure) so the next round retries at once."""
        ...

    def unpublished(self, limit: int) -> list[Settlement]:
        """CONFIRMED settlements whose AttributionSettled has not gone out, oldest first."""
        ...

    def mark_published(self, settlement_id: str) -> None: ...
    def get_settlement(self, settlement_id: str) -> Settlement | None: ...
    def latest_settlement(self, inference_id: str) -> Settlement | None: ...

    # Rewards.
    def list_credits(self, query: CreditFilter, page_size: int, page_token: str) -> CreditPage: ...
    def credit_totals(self, address: str) -> tuple[int, int]:
        """``(earned, pending)``: sums of CONFIRMED and of PENDING + SUBMITTED credits."""
        ...


# ---------------------------------------------------------------- models and indexes


@dataclass(frozen=True)
class LoadedIndex:
    """A snapshot's span index, ready to query, with the tokenizer that built it."""

    record: IndexRecord
    index: SpanIndex
    text: TokenText
    decode: Callable[[Sequence[int]], str]
    encode: Callable[[str], list[int]]


class EvidenceCodec(Protocol):
    """The evidence's exact bytes (``adapters.evidence.ProtobufEvidence``)."""

    def encode(self, evidence: Evidence, payouts: Payouts) -> EvidenceDocument: ...
    def decode(self, data: bytes) -> DecodedEvidence: ...


class BaseModels(Protocol):
    """The base-model catalogue (``openledger_ml.catalogue``), each entry resolved once."""

    async def info(self, base_model: str) -> BaseModelInfo:
        """Raises ``NotFound`` for an id the catalogue lacks and
        ``FailedPrecondition(BASE_MODEL_UNAVAILABLE)`` for one not available here."""
        ...


class SpanIndexes(Protocol):
    async def get(self, snapshot: SnapshotInfo, base_model: str, *, build: bool) -> LoadedIndex:
        """The index of ``snapshot`` tokenized by ``base_model``: loaded from the local cache,
        fetched from the object store, or (``build``) built from the snapshot's records.
        Without ``build`` a missing index raises ``FailedPrecondition(INDEX_MISSING)``."""
        ...


@dataclass(frozen=True)
class GradientModel:
    """An adapter ready for gradient influence: its query gradients and the scorer over its
    training features."""

    adapter: AdapterInfo
    features: TrainingFeatures
    features_sha256: bytes
    queries: QueryGradients
    scorer: InfluenceScorer


class GradientModels(Protocol):
    async def get(self, adapter: AdapterInfo) -> GradientModel:
        """Raises ``FailedPrecondition(NO_GRADIENT_FEATURES)`` for an adapter without them."""
        ...


# ---------------------------------------------------------------- chain


class Params(Protocol):
    async def current(self) -> GovernedParams: ...


class SettlementChain(Protocol):
    """``AttributionRewards`` through the settler account (``adapters.chain.Settler``)."""

    async def target(self) -> tuple[int, str]:
        """The chain id and the contract's address (EIP-55)."""
        ...

    async def settle_batch(self, entries: Sequence[SettlementEntry]) -> dict[str, SettledTx]: ...
    async def settled(self, inference_id: str) -> SettledTx | None:
        """The settlement of ``inference_id`` already on chain; None if there is none."""
        ...

    async def head(self) -> int: ...
