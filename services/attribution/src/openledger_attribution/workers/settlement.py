"""``SettlementLoop``: leases PENDING settlements, settles them in batches on
``AttributionRewards``, confirms them at the required depth and publishes
``AttributionSettled``.

Any number of loops share one database: a lease keeps a settlement to one loop at a time, and
the chain settles an inference once whoever sends it (``Settler`` is idempotent by inference
id), so a loop that dies after sending leaves a SUBMITTED settlement that another loop
re-leases once the lease ends and records from the chain without sending again.

Each round:

1. *settle*: lease up to ``batch_size`` settlements and send them in one ``settleBatch``. A
   batch that reverts (or is refused as invalid) is retried one settlement at a time, so that
   one bad settlement fails alone (``TX_REVERTED``). An inference another settler recorded with
   a different evidence hash fails with ``EVIDENCE_CONFLICT`` (the two scored it differently;
   the chain keeps the first). A settlement sent ``max_attempts`` times without being confirmed
   is not sent again: ``RETRIES_EXHAUSTED``, unless the chain has it after all. Anything else
   (the chain or the network away, the settler short of funds) ends the leases at once and the
   next round retries; ``SETTLER_UNDERFUNDED`` is logged as an error, since only an operator
   can fix it.
2. *confirm*: what this loop submitted becomes CONFIRMED once ``head - block >=
   confirmations``.
3. *publish*: the settlements this loop confirmed, and those confirmed over ``lease_seconds``
   ago by a loop that died before publishing, go out as ``AttributionSettled`` (event id
   ``settlement:<id>``, so a re-publication is a duplicate consumers skip).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from openledger_attribution.adapters.bus import SettledPublisher
from openledger_attribution.domain.model import SettledTx, Settlement, SettlementEntry
from openledger_attribution.domain.ports import Repository, SettlementChain
from openledger_kit.chain import TransactionReverted
from openledger_kit.errors import FailedPrecondition, InvalidArgument
from openledger_kit.ids import new_id
from openledger_kit.values import ChainTx, TxStatus

logger = logging.getLogger(__name__)

TX_REVERTED = "TX_REVERTED"
INVALID_SETTLEMENT = "INVALID_SETTLEMENT"
EVIDENCE_CONFLICT = "EVIDENCE_CONFLICT"
RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SettlementLoop:
    """Settles what the workers attributed (see the module docstring). ``worker`` names this
    loop's leases: stable per replica."""

    def __init__(
        self,
        *,
        repository: Repository,
        chain: SettlementChain,
        publisher: SettledPublisher,
        worker: str,
        batch_size: int = 32,
        interval_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        confirmations: int = 0,
        max_attempts: int = 5,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        positive = {
            "batch_size": batch_size,
            "interval_seconds": interval_seconds,
            "lease_seconds": lease_seconds,
            "max_attempts": max_attempts,
        }
        for name, value in positive.items():
            if value <= 0:
                raise InvalidArgument(name, "must be positive")
        if confirmations < 0:
            raise InvalidArgument("confirmations", "must be >= 0")
        self._repository = repository
        self._chain = chain
        self._publisher = publisher
        self._worker = worker
        self._batch_size = batch_size
        self._interval = interval_seconds
        self._lease_seconds = lease_seconds
        self._confirmations = confirmations
        self._max_attempts = max_attempts
        self._clock = clock
        self._stop = asyncio.Event()
        self._target: tuple[int, str] | None = None
        # Submitted here, awaiting depth: settlement id -> block number.
        self._awaiting: dict[str, int] = {}
        # Confirmed here, not yet published.
        self._confirmed: set[str] = set()

    # ---------------------------------------------------------------- lifecycle

    async def run(self) -> None:
        """Rounds every ``interval_seconds`` until ``stop()``; a failed round is logged and the
        next one retries."""
        self._stop.clear()
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:
                logger.exception("settlement round of %s failed", self._worker)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)

    def stop(self) -> None:
        """End ``run()`` after the round under way."""
        self._stop.set()

    async def run_once(self) -> int:
        """One round: how many settlements were recorded as sent, confirmed or published."""
        return await self._settle() + await self._confirm() + await self._publish()

    # ---------------------------------------------------------------- settle

    async def _settle(self) -> int:
        claimed: list[Settlement] = await asyncio.to_thread(
            self._repository.claim_settlements,
            self._worker,
            self._batch_size,
            self._lease_seconds,
            self._clock(),
        )
        if not claimed:
            return 0
        results: dict[str, SettledTx] = {}
        to_send: list[Settlement] = []
        try:
            for settlement in claimed:
                if settlement.attempts < self._max_attempts:
                    to_send.append(settlement)
                    continue
                found = await self._chain.settled(settlement.inference_id)
                if found is None:
                    await self._fail(
                        settlement,
                        RETRIES_EXHAUSTED,
                        f"not settled after {settlement.attempts} attempts",
                    )
                else:
                    results[settlement.inference_id] = found
            if to_send:
                results |= await self._send(to_send)
        except Exception as error:
            undecided = [s for s in claimed if s.inference_id not in results]
            self._log_transient(error, len(undecided))
            await asyncio.to_thread(self._repository.release, [s.settlement_id for s in undecided])
            claimed = [s for s in claimed if s.inference_id in results]
        return await self._record(claimed, results)

    async def _send(self, batch: Sequence[Settlement]) -> dict[str, SettledTx]:
        """Settle ``batch``; settlements the contract refuses fail one by one."""
        try:
            return await self._chain.settle_batch([SettlementEntry.of(s) for s in batch])
        except (TransactionReverted, InvalidArgument) as error:
            if len(batch) == 1:
                reason = (
                    TX_REVERTED if isinstance(error, TransactionReverted) else INVALID_SETTLEMENT
                )
                await self._fail(batch[0], reason, error.message)
                return {}
        results: dict[str, SettledTx] = {}
        for settlement in batch:
            results |= await self._send([settlement])
        return results

    async def _record(self, claimed: Sequence[Settlement], results: dict[str, SettledTx]) -> int:
        if self._target is None:
            self._target = await self._chain.target()
        chain_id, contract = self._target
        by_tx: dict[tuple[bytes, int], list[str]] = {}
        for settlement in claimed:
            tx = results.get(settlement.inference_id)
            if tx is None:
                continue  # failed above
            if tx.evidence_hash != settlement.evidence_hash:
                await self._fail(
                    settlement,
                    EVIDENCE_CONFLICT,
                    f"the chain recorded evidence 0x{tx.evidence_hash.hex()} for inference "
                    f"{settlement.inference_id}, this attribution's is "
                    f"0x{settlement.evidence_hash.hex()}",
                )
                continue
            by_tx.setdefault((tx.tx_hash, tx.block_number), []).append(settlement.settlement_id)
        now = self._clock()
        for (tx_hash, block_number), ids in by_tx.items():
            await asyncio.to_thread(
                self._repository.mark_submitted,
                ids,
                new_id(),
                ChainTx(
                    chain_id=chain_id,
                    contract_address=contract,
                    tx_hash=tx_hash,
                    status=TxStatus.SUCCEEDED,
                    block_number=block_number,
                ),
                now,
            )
            self._awaiting.update(dict.fromkeys(ids, block_number))
        return sum(len(ids) for ids in by_tx.values())

    async def _fail(self, settlement: Settlement, reason: str, message: str) -> None:
        logger.error("settlement %s failed: %s (%s)", settlement.settlement_id, message, reason)
        await asyncio.to_thread(
            self._repository.mark_failed, settlement.settlement_id, reason, message, self._clock()
        )

    def _log_transient(self, error: Exception, count: int) -> None:
        if isinstance(error, FailedPrecondition):
            # The settler's funds or role: nothing settles until an operator acts.
            logger.error(
                "settling %d settlements refused (%s): %s; they stay pending",
                count,
                error.reason,
                error.message,
            )
        else:
            logger.warning("settling %d settlements failed, retrying: %s", count, error)

    # ---------------------------------------------------------------- confirm

    async def _confirm(self) -> int:
        if not self._awaiting:
            return 0
        head = await self._chain.head()
        ready = [
            settlement_id
            for settlement_id, block in self._awaiting.items()
            if head - block >= self._confirmations
        ]
        if not ready:
            return 0
        await asyncio.to_thread(self._repository.mark_confirmed, ready, self._clock())
        for settlement_id in ready:
            del self._awaiting[settlement_id]
        self._confirmed.update(ready)
        return len(ready)

    # ---------------------------------------------------------------- publish

    async def _publish(self) -> int:
        todo: dict[str, Settlement] = {}
        for settlement_id in sorted(self._confirmed):
            mine = await asyncio.to_thread(self._repository.get_settlement, settlement_id)
            if mine is None or mine.published:
                self._confirmed.discard(settlement_id)
            else:
                todo[settlement_id] = mine
        orphaned_before = self._clock() - timedelta(seconds=self._lease_seconds)
        for settlement in await asyncio.to_thread(self._repository.unpublished, self._batch_size):
            if settlement.confirm_time is not None and settlement.confirm_time <= orphaned_before:
                todo.setdefault(settlement.settlement_id, settlement)
        published = 0
        for settlement in todo.values():
            attribution = await asyncio.to_thread(
                self._repository.get_attribution, settlement.inference_id
            )
            if attribution is None:
                logger.error(
                    "settlement %s has no attribution %s; not published",
                    settlement.settlement_id,
                    settlement.inference_id,
                )
                continue
            await self._publisher.publish(attribution, settlement)
            await asyncio.to_thread(self._repository.mark_published, settlement.settlement_id)
            self._confirmed.discard(settlement.settlement_id)
            published += 1
        return published
