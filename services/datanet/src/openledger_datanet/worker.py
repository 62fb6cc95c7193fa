"""The curation worker: a consumer-group member on ``ol:datanet:contribution:v1`` that curates
each ``ContributionSubmitted``.

Handlers of one datanet hand their contribution to that datanet's queue and wait; one drainer
task per datanet takes up to ``batch_size`` queued contributions at a time, curates them as a
batch (one embedding call, duplicates within the batch caught) against the datanet's dedupe
index, records each outcome exactly once (the event id is claimed in the outcome's
transaction, which also moves the counters, the reputation and the slashing window), adds the
accepted ones to the index in order, sends the slash of every penalty that transaction decided
(the repository applies the policy's window rule, the one ``curation.should_slash`` states) and
publishes ``ContributionCurated``. Only then do the
handlers return and the bus acknowledge their entries: a worker killed at any point leaves its
entries pending, and the replay finds the outcomes already recorded (or records them).

The index of a datanet is restored from the repository on first use and kept per datanet,
rebuilt when the datanet's revision (policy) changes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from openledger.events.v1 import datanet_events_pb2 as events
from openledger_datanet.adapters.bus import CONTRIBUTION_STREAM, EventPublisher
from openledger_datanet.adapters.repository import OutcomeToRecord, RecordedOutcome
from openledger_datanet.config import Settings
from openledger_datanet.domain import validation
from openledger_datanet.domain.curation import Curator, DatanetIndex, Embedder, Outcome
from openledger_datanet.domain.model import (
    ChainTx,
    Contribution,
    ContributionStatus,
    Datanet,
    Penalty,
    PenaltyKind,
    PenaltyState,
    TxStatus,
    chain_datanet_id,
)
from openledger_datanet.domain.ports import Registry
from openledger_datanet.metrics import DatanetMetrics
from openledger_kit.bus import Consumer, ConsumerOptions, EventContext
from openledger_kit.errors import NotFound, OpenLedgerError

logger = logging.getLogger(__name__)


@dataclass
class _Item:
    contribution_id: str
    event_id: str
    done: asyncio.Future[None]


@dataclass
class _DatanetState:
    queue: list[_Item] = field(default_factory=list)
    drainer: asyncio.Task[None] | None = None
    index: Any = None
    revision: int = 0


class CurationWorker:
    """Curates contributions (see the module docstring). ``repository`` is the storage
    adapter's ``Repository``; ``embedder`` is used only for policies with semantic dedupe."""

    def __init__(
        self,
        repository: Any,
        registry: Registry,
        events: EventPublisher,
        *,
        embedder: Embedder | None = None,
        metrics: DatanetMetrics | None = None,
        batch_size: int = 256,
        group: str = "datanet-curation",
    ) -> None:
        self.repo = repository
        self.registry = registry
        self.events = events
        self.embedder = embedder
        self.metrics = metrics
        self.batch_size = batch_size
        self.group = group
        self._datanets: dict[str, _DatanetState] = {}

    async def on_submitted(self, event: events.ContributionSubmitted, ctx: EventContext) -> None:
        """Handler of ``ContributionSubmitted``: returns once the outcome is recorded."""
        datanet_id, contribution_id = validation.contribution_name(event.contribution)
        state = self._datanets.setdefault(datanet_id, _DatanetState())
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        state.queue.append(_Item(contribution_id, ctx.event_id, done))
        if state.drainer is None or state.drainer.done():
            state.drainer = asyncio.create_task(self._drain(datanet_id, state))
        await done

    async def _drain(self, datanet_id: str, state: _DatanetState) -> None:
        while state.queue:
            # Let concurrently delivered events of this datanet join the batch.
            await asyncio.sleep(0)
            batch, state.queue = state.queue[: self.batch_size], state.queue[self.batch_size :]
            try:
                await self._curate(datanet_id, state, batch)
            except Exception as exc:
                # The entries stay pending and are retried; the index may hold outcomes that
                # were not recorded, so it is rebuilt from the repository next time.
                state.index = None
                logger.warning(
                    "curating %d contributions of %s failed: %s",
                    len(batch),
                    datanet_id,
                    exc,
                    exc_info=True,
                )
                for item in batch:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            for item in batch:
                if not item.done.done():
                    item.done.set_result(None)

    async def _index(self, datanet: Datanet, state: _DatanetState) -> Any:
        if state.index is None or state.revision != datanet.revision:
            rows = await asyncio.to_thread(self.repo.index_rows, datanet.id)
            state.index = await asyncio.to_thread(DatanetIndex.restore, datanet.policy, rows)
            state.revision = datanet.revision
        return state.index

    async def _curate(self, datanet_id: str, state: _DatanetState, batch: Sequence[_Item]) -> None:
        started = time.monotonic()
        try:
            datanet: Datanet = await asyncio.to_thread(self.repo.get_datanet, datanet_id)
        except NotFound:
            # Not this deployment's datanet (or deleted): nothing to curate, acknowledge.
            logger.warning("%d contributions of unknown datanet %s dropped", len(batch), datanet_id)
            return
        found: list[Contribution] = await asyncio.to_thread(
            self.repo.get_contributions, [item.contribution_id for item in batch]
        )
        by_id = {c.id: c for c in found}
        todo: list[tuple[_Item, Contribution]] = []
        decided: list[Contribution] = []
        for item in batch:
            contribution = by_id.get(item.contribution_id)
            if contribution is None:
                logger.warning("contribution %s not found; dropped", item.contribution_id)
            elif contribution.status is ContributionStatus.PENDING:
                todo.append((item, contribution))
            else:
                decided.append(contribution)  # recorded before a crash: re-publish only
        index = await self._index(datanet, state)
        curator = Curator(
            datanet.policy,
            datanet.record_schema,
            self.embedder if datanet.policy.semantic_dedupe_enabled else None,
        )
        outcomes: list[Outcome] = await asyncio.to_thread(
            curator.curate_batch, [(c.id, c.content) for _, c in todo], index
        )
        curated: list[tuple[Contribution, bool]] = []
        penalties: list[Penalty] = []

        def record_all() -> list[RecordedOutcome | Contribution]:
            # One transaction for the batch; each outcome applied at most once.
            recorded = self.repo.record_outcomes(
                [
                    OutcomeToRecord(contribution.id, outcome, item.event_id)
                    for (item, contribution), outcome in zip(todo, outcomes, strict=True)
                ],
                datanet_revision=datanet.revision,
                consumer_group=self.group,
            )
            # None: another delivery recorded it first; its record is the truth.
            return [
                found if found is not None else self.repo.get_contribution(contribution.id)
                for (_, contribution), found in zip(todo, recorded, strict=True)
            ]

        for ((_, contribution), outcome), result in zip(
            zip(todo, outcomes, strict=True), await asyncio.to_thread(record_all), strict=True
        ):
            if isinstance(result, Contribution):
                decided.append(result)
                if result.status is ContributionStatus.ACCEPTED:
                    index.add(result.id, outcome)
                continue
            if outcome.accepted:
                index.add(contribution.id, outcome)
            curated.append((result.contribution, result.penalty_triggered))
            if result.penalty is not None:
                penalties.append(result.penalty)
            self._count(result.contribution, outcome)
        for penalty in penalties:
            await self.settle_penalty(penalty)
        await self.events.contributions_curated(
            curated + [(c, False) for c in decided if c.status is not ContributionStatus.PENDING]
        )
        if self.metrics is not None:
            self.metrics.curation_seconds.observe(time.monotonic() - started)

    def _count(self, contribution: Contribution, outcome: Outcome) -> None:
        if self.metrics is None:
            return
        self.metrics.curated.labels(contribution.status.value).inc()
        for rejection in outcome.rejections:
            self.metrics.rejections.labels(rejection.reason.value).inc()
        if contribution.curate_time is not None:
            latency = (contribution.curate_time - contribution.create_time).total_seconds()
            self.metrics.curation_latency.observe(max(latency, 0.0))

    # ------------------------------------------------------------------ slashing

    async def settle_penalty(self, penalty: Penalty) -> Penalty:
        """Send a PENDING slash penalty's transaction (``reasonHash`` = the penalty record's
        commitment) and record how it ended. The slash is capped by the registry's
        ``slashCap``; a position with nothing to slash fails the penalty."""
        chain_id = chain_datanet_id(penalty.datanet_id)
        detail = penalty.detail
        tx: ChainTx | None = None
        taken: int | None = None  # what the registry actually took, when capped below the policy
        try:
            if await self._already_slashed(chain_id, penalty):
                state = PenaltyState.CONFIRMED
            else:
                cap = await self.registry.slash_cap(chain_id, penalty.contributor)
                amount = min(penalty.amount, cap)
                if amount <= 0:
                    state, detail = PenaltyState.FAILED, f"{detail}; nothing to slash"
                else:
                    if amount < penalty.amount:
                        detail = f"{detail}; capped by the registry at {amount} wei"
                        taken = amount
                    tx = await self.registry.slash(
                        chain_id, penalty.contributor, amount, penalty.reason_hash
                    )
                    state = (
                        PenaltyState.CONFIRMED
                        if tx.status is TxStatus.SUCCEEDED
                        else PenaltyState.FAILED
                    )
        except OpenLedgerError as exc:
            state, detail = PenaltyState.FAILED, f"{detail}; slash failed: {exc.message}"
        settled: Penalty = await asyncio.to_thread(
            functools.partial(
                self.repo.update_penalty,
                penalty.id,
                state=state,
                transaction=tx,
                detail=detail,
                amount=taken,
            )
        )
        if self.metrics is not None:
            self.metrics.slashes.labels(state.value).inc()
        logger.info("slash of %s in %s: %s", penalty.contributor, penalty.datanet_id, state.value)
        return settled

    async def _already_slashed(self, chain_id: bytes, penalty: Penalty) -> bool:
        """Whether a ``ContributorSlashed`` with this penalty's reason hash is on chain (a
        crash after the send, before the record)."""
        finder = getattr(self.registry, "slashed_with", None)
        if finder is None:
            return False
        return bool(await finder(chain_id, penalty.contributor, penalty.reason_hash))

    async def retry_pending_penalties(self) -> None:
        """Settle slash penalties a crash left PENDING (decided, transaction not recorded)."""
        pending: list[Penalty] = await asyncio.to_thread(
            functools.partial(self.repo.list_penalties, states=(PenaltyState.PENDING,))
        )
        for penalty in pending:
            if penalty.kind is PenaltyKind.SLASH:
                await self.settle_penalty(penalty)


def consumer_for(
    redis: Redis, worker: CurationWorker, settings: Settings, *, registry: Any = None
) -> Consumer:
    """The consumer-group member that feeds ``worker``."""
    options = ConsumerOptions.from_settings(
        settings,
        concurrency=settings.curation_concurrency,
        batch_size=max(settings.curation_batch_size, 100),
        # ContributionCurated travels on the same stream; the workers do not handle it.
        dead_letter_unhandled=False,
    )
    consumer = Consumer(
        redis,
        CONTRIBUTION_STREAM,
        group=settings.curation_group,
        name=settings.bus_consumer_name,
        options=options,
        registry=registry,
    )
    consumer.handle(events.ContributionSubmitted)(worker.on_submitted)
    return consumer
