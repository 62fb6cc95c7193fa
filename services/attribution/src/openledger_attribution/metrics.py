"""Attribution's own Prometheus metrics (``openledger_attribution_*``), registered beside the
gRPC server's and the bus's in the same registry. Labels are bounded enums (states, methods),
never inference, settlement or contributor ids. Consumer lag and pending entries are the bus's
own metrics (``openledger_bus_lag`` / ``openledger_bus_pending`` for group ``attribution``).

The figures follow what this process does: ``MeteredRepository`` sees every attribution stored,
every settlement transition and every index recorded, ``MeteredAttributor`` times the scoring
and ``MeteredIndexes`` the index builds, so each worker reports its own share and a dashboard
sums them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from openledger_attribution.domain.attributor import Attributor, Scored
from openledger_attribution.domain.model import (
    AdapterInfo,
    Attribution,
    AttributionState,
    CompletionInput,
    Settlement,
    SettlementState,
    SnapshotInfo,
)
from openledger_attribution.domain.ports import (
    CreditFilter,
    CreditPage,
    IndexRecord,
    LoadedIndex,
    Repository,
    SpanIndexes,
)
from openledger_kit.values import ChainTx

PREFIX = "openledger_attribution"
NO_METHOD = "NONE"
"""The method label of an attribution scored by no method (NOT_ATTRIBUTABLE, FAILED)."""

WEI_PER_OPEN = 10**18


class AttributionMetrics:
    """Attributions by state and method, scoring time, settlements by state, settled amounts,
    batch sizes and span-index builds."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.attributions = Counter(
            f"{PREFIX}_attributions_total",
            "Attributions stored by this process, by final state and method.",
            ["state", "method"],
            registry=registry,
        )
        self.scoring_seconds = Histogram(
            f"{PREFIX}_scoring_seconds",
            "Time to score one completion (spans, gradients, split, evidence), by method.",
            ["method"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=registry,
        )
        self.settlements = Counter(
            f"{PREFIX}_settlements_total",
            "Settlement transitions made by this process, by the state entered.",
            ["state"],
            registry=registry,
        )
        self.settled_fees = Counter(
            f"{PREFIX}_settled_fees_open_total",
            "Fees of CONFIRMED settlements (OPEN).",
            registry=registry,
        )
        self.settled_contributors = Counter(
            f"{PREFIX}_settled_contributor_amount_open_total",
            "Amounts credited to contributors by CONFIRMED settlements (OPEN).",
            registry=registry,
        )
        self.batch_size = Histogram(
            f"{PREFIX}_settlement_batch_size",
            "Settlements per settleBatch transaction.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=registry,
        )
        self.index_builds = Counter(
            f"{PREFIX}_index_builds_total",
            "Span indexes built and recorded by this process.",
            registry=registry,
        )
        self.index_tokens = Counter(
            f"{PREFIX}_index_tokens_total",
            "Tokens in the span indexes built by this process.",
            registry=registry,
        )
        self.index_seconds = Histogram(
            f"{PREFIX}_index_build_seconds",
            "Time a scoring or ad-hoc call waited for a span index built meanwhile.",
            buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600),
            registry=registry,
        )

    def attribution_stored(self, attribution: Attribution) -> None:
        method = attribution.method.value if attribution.method is not None else NO_METHOD
        self.attributions.labels(attribution.state.value, method).inc()

    def attribution_failed(self) -> None:
        self.attributions.labels(AttributionState.FAILED.value, NO_METHOD).inc()

    def settlement_entered(self, state: SettlementState, count: int = 1) -> None:
        if count:
            self.settlements.labels(state.value).inc(count)

    def settlement_confirmed(self, settlement: Settlement) -> None:
        self.settled_fees.inc(settlement.fee_split.fee / WEI_PER_OPEN)
        self.settled_contributors.inc(settlement.fee_split.contributors_amount / WEI_PER_OPEN)

    def index_recorded(self, index: IndexRecord) -> None:
        self.index_builds.inc()
        self.index_tokens.inc(index.token_count)


class MeteredAttributor(Attributor):
    """``Attributor`` that times each completion's scoring by method."""

    def __init__(self, *, metrics: AttributionMetrics, **attributor: Any) -> None:
        super().__init__(**attributor)
        self.metrics = metrics

    async def attribute(self, completion: CompletionInput) -> Scored:
        started = time.perf_counter()
        scored = await super().attribute(completion)
        method = scored.attribution.method
        self.metrics.scoring_seconds.labels(
            method.value if method is not None else NO_METHOD
        ).observe(time.perf_counter() - started)
        return scored


class MeteredIndexes:
    """``ports.SpanIndexes`` that times the calls which had to build their index."""

    def __init__(self, indexes: SpanIndexes, metrics: AttributionMetrics) -> None:
        self._indexes = indexes
        self._metrics = metrics

    async def get(self, snapshot: SnapshotInfo, base_model: str, *, build: bool) -> LoadedIndex:
        asked = datetime.now(UTC)
        started = time.perf_counter()
        loaded = await self._indexes.get(snapshot, base_model, build=build)
        if loaded.record.build_time >= asked:
            self._metrics.index_seconds.observe(time.perf_counter() - started)
        return loaded


class MeteredRepository:
    """``ports.Repository`` that feeds ``AttributionMetrics`` from what it stores, then answers
    as the wrapped repository does."""

    def __init__(self, repository: Repository, metrics: AttributionMetrics) -> None:
        self._repository = repository
        self._metrics = metrics

    # Catalogue.
    def record_adapter(self, adapter: AdapterInfo) -> None:
        self._repository.record_adapter(adapter)

    def get_adapter(self, ref: str) -> AdapterInfo | None:
        return self._repository.get_adapter(ref)

    def adapters_on_snapshot(self, snapshot: str) -> list[AdapterInfo]:
        return self._repository.adapters_on_snapshot(snapshot)

    def record_snapshot(self, snapshot: SnapshotInfo) -> None:
        self._repository.record_snapshot(snapshot)

    def get_snapshot(self, name: str) -> SnapshotInfo | None:
        return self._repository.get_snapshot(name)

    def record_index(self, index: IndexRecord) -> None:
        self._repository.record_index(index)
        self._metrics.index_recorded(index)

    def get_index(self, snapshot: str, base_model: str) -> IndexRecord | None:
        return self._repository.get_index(snapshot, base_model)

    # Attributions.
    def begin(self, completion: CompletionInput, now: datetime) -> Attribution:
        return self._repository.begin(completion, now)

    def get_completion(self, inference_id: str) -> CompletionInput | None:
        return self._repository.get_completion(inference_id)

    def get_attribution(self, inference_id: str) -> Attribution | None:
        return self._repository.get_attribution(inference_id)

    def finish(self, attribution: Attribution, settlement: Settlement | None) -> Attribution:
        stored = self._repository.finish(attribution, settlement)
        # Another worker's result coming back means this one stored nothing.
        if stored.evidence_hash == attribution.evidence_hash and stored.state is attribution.state:
            self._metrics.attribution_stored(stored)
            if settlement is not None:
                self._metrics.settlement_entered(SettlementState.PENDING)
        return stored

    def fail(self, inference_id: str, reason: str, message: str, now: datetime) -> None:
        self._repository.fail(inference_id, reason, message, now)
        self._metrics.attribution_failed()

    # Settlements.
    def claim_settlements(
        self, worker: str, limit: int, lease_seconds: float, now: datetime
    ) -> list[Settlement]:
        return self._repository.claim_settlements(worker, limit, lease_seconds, now)

    def mark_submitted(
        self, settlement_ids: Sequence[str], batch_id: str, tx: ChainTx, now: datetime
    ) -> None:
        self._repository.mark_submitted(settlement_ids, batch_id, tx, now)
        self._metrics.batch_size.observe(len(settlement_ids))
        self._metrics.settlement_entered(SettlementState.SUBMITTED, len(settlement_ids))

    def mark_confirmed(self, settlement_ids: Sequence[str], now: datetime) -> None:
        self._repository.mark_confirmed(settlement_ids, now)
        self._metrics.settlement_entered(SettlementState.CONFIRMED, len(settlement_ids))
        for settlement_id in settlement_ids:
            settlement = self._repository.get_settlement(settlement_id)
            if settlement is not None:
                self._metrics.settlement_confirmed(settlement)

    def mark_failed(self, settlement_id: str, reason: str, message: str, now: datetime) -> None:
        self._repository.mark_failed(settlement_id, reason, message, now)
        self._metrics.settlement_entered(SettlementState.FAILED)

    def release(self, settlement_ids: Sequence[str]) -> None:
        self._repository.release(settlement_ids)

    def unpublished(self, limit: int) -> list[Settlement]:
        return self._repository.unpublished(limit)

    def mark_published(self, settlement_id: str) -> None:
        self._repository.mark_published(settlement_id)

    def get_settlement(self, settlement_id: str) -> Settlement | None:
        return self._repository.get_settlement(settlement_id)

    def latest_settlement(self, inference_id: str) -> Settlement | None:
        return self._repository.latest_settlement(inference_id)

    # Rewards.
    def list_credits(self, query: CreditFilter, page_size: int, page_token: str) -> CreditPage:
        return self._repository.list_credits(query, page_size, page_token)

    def credit_totals(self, address: str) -> tuple[int, int]:
        return self._repository.credit_totals(address)
