"""The attribution service on the L2: the governed parameters it applies (``ParamsReader``) and
the settlement of fees on ``AttributionRewards`` (``Settler``).

Where the fees come from today: ``AttributionRewards.settle`` credits recipients with the native
OPEN sent along (``msg.value == sum(amounts)``), so the settler account -- the one holding
``ATTRIBUTION_ROLE`` -- pays every settled fee from its own balance, and must be funded with at
least what the completions it settles were charged. Moving the payer's fee into an escrow that
the settlement draws from is future work; until then a settler that runs short stops with
``SETTLER_UNDERFUNDED`` and nothing is sent.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from eth_account.signers.local import LocalAccount

from openledger_attribution.domain.model import GovernedParams, SettledTx, SettlementEntry
from openledger_attribution.settlement.payouts import FeeSplitBps
from openledger_kit.chain import TransactionReverted
from openledger_kit.contracts.bindings.base import checksum
from openledger_kit.contracts.bindings.l2 import AttributionRewards, ProtocolParams, Settlement
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.errors import Aborted, FailedPrecondition, InvalidArgument

# ---------------------------------------------------------------- governed parameters


class ParamsReader(ContractGateway[ProtocolParams]):
    """``ProtocolParams`` cached between changes. At most every ``refresh_seconds`` it asks
    for the chain head; if blocks were added it asks for the contract's logs over them (every
    event ``ProtocolParams`` emits is a parameter or role change) and re-reads the parameters
    only if there was one. So a governance change is seen within ``refresh_seconds`` of its
    execution, and a quiet chain costs one cheap call per period."""

    BINDING = ProtocolParams

    def __init__(
        self,
        rpc_url: str,
        manifest_path: Path,
        account: LocalAccount | None = None,
        *,
        refresh_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(rpc_url, manifest_path, account)
        if refresh_seconds < 0:
            raise InvalidArgument("refresh_seconds", "must be >= 0")
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._read_lock = asyncio.Lock()
        self._cached: GovernedParams | None = None
        self._checked_at = 0.0

    async def current(self) -> GovernedParams:
        """The parameters in force, from the cache unless it is due for a check."""
        cached = self._cached
        if cached is not None and self._clock() - self._checked_at < self._refresh_seconds:
            return cached
        async with self._read_lock:
            if self._cached is not None and (
                self._clock() - self._checked_at < self._refresh_seconds
            ):
                return self._cached
            self._cached = await self._check(self._cached)
            self._checked_at = self._clock()
            return self._cached

    async def refresh(self) -> GovernedParams:
        """Re-read the parameters now, whatever the cache holds."""
        async with self._read_lock:
            self._cached = await self._read()
            self._checked_at = self._clock()
            return self._cached

    async def _check(self, cached: GovernedParams | None) -> GovernedParams:
        if cached is None:
            return await self._read()
        params = await self.bound()
        head = int(await params.w3.eth.block_number)
        if head <= cached.block_number:
            return cached
        logs = await params.w3.eth.get_logs(
            {
                "address": params.address,
                "fromBlock": cached.block_number + 1,
                "toBlock": head,
            }
        )
        if logs:
            return await self._read()
        return GovernedParams(cached.threshold_bps, cached.split, cached.treasury, head)

    async def _read(self) -> GovernedParams:
        params = await self.bound()
        # The head first: a change mined between the reads is then seen again by the next check.
        head = int(await params.w3.eth.block_number)
        values = await params.params()
        treasury = await params.treasury()
        return GovernedParams(
            threshold_bps=values.attribution_threshold_bps,
            split=FeeSplitBps(values.contributors_bps, values.model_owner_bps, values.protocol_bps),
            treasury=str(treasury),
            block_number=head,
        )


# ---------------------------------------------------------------- settlement


def inference_key(inference_id: str) -> bytes:
    """The contract's key of an inference: its UUID's 16 bytes left-aligned in 32."""
    try:
        raw = uuid.UUID(inference_id).bytes
    except ValueError:
        raise InvalidArgument("inference_id", f"not a UUID: {inference_id!r}") from None
    return raw + b"\x00" * 16


def _on_chain(entry: SettlementEntry) -> Settlement:
    return Settlement(
        inference_id=inference_key(entry.inference_id),
        contributors=[credit.address for credit in entry.credits],
        amounts=[credit.amount for credit in entry.credits],
        evidence_hash=entry.evidence_hash,
    )


class Settler(ContractGateway[AttributionRewards]):
    """Settles batches on ``AttributionRewards`` from the ``ATTRIBUTION_ROLE`` account,
    idempotently by inference id, so any number of workers may race on the same completions."""

    BINDING = AttributionRewards

    async def target(self) -> tuple[int, str]:
        """The chain id and the ``AttributionRewards`` address (EIP-55) settlements go to."""
        rewards = await self.bound()
        return self.chain_id, checksum(rewards.address)

    async def head(self) -> int:
        """The chain's latest block number (confirmation depth is counted from it)."""
        rewards = await self.bound()
        return int(await rewards.w3.eth.block_number)

    async def settle_batch(self, entries: Sequence[SettlementEntry]) -> dict[str, SettledTx]:
        """Settle ``entries`` in one ``settleBatch`` transaction; return the settlement of each
        inference id. Ids already settled are not sent again. The contract reverts a whole
        batch when one id was settled meanwhile (``AlreadySettled``): the settled ids are then
        dropped and the rest sent again."""
        rewards = await self.bound()
        if rewards.sender is None:
            raise FailedPrecondition("the settler has no account to send from", reason="NO_SENDER")
        payer = rewards.sender.address
        pending = _unique(entries)
        results: dict[str, SettledTx] = {}
        # Each AlreadySettled revert settles at least one more id elsewhere, so this ends.
        for _ in range(len(pending) + 1):
            unsettled: list[SettlementEntry] = []
            for entry in pending:
                existing = await self.settled(entry.inference_id)
                if existing is None:
                    unsettled.append(entry)
                else:
                    results[entry.inference_id] = existing
            pending = unsettled
            if not pending:
                return results
            await self._require_funds(payer, sum(entry.total for entry in pending))
            try:
                receipt = await rewards.settle_batch([_on_chain(entry) for entry in pending])
            except TransactionReverted as reverted:
                if reverted.error_name != "AlreadySettled":
                    raise
                continue
            for entry in pending:
                results[entry.inference_id] = SettledTx(
                    inference_id=entry.inference_id,
                    tx_hash=bytes(receipt["transactionHash"]),
                    block_number=int(receipt["blockNumber"]),
                    evidence_hash=entry.evidence_hash,
                    sent_here=True,
                )
            return results
        raise Aborted(
            "settlement kept reverting with AlreadySettled for ids the chain reports unsettled",
            reason="SETTLEMENT_CONFLICT",
        )

    async def settled(self, inference_id: str) -> SettledTx | None:
        """The settlement of ``inference_id`` already on chain; None if there is none."""
        rewards = await self.bound()
        key = inference_key(inference_id)
        record = await rewards.settlement(key)
        if record is None:
            return None
        logs = await rewards.contract.events.Settled.get_logs(
            argument_filters={"inferenceId": key},
            from_block=record.block_number,
            to_block=record.block_number,
        )
        tx_hash = bytes(logs[-1]["transactionHash"]) if logs else b""
        return SettledTx(inference_id, tx_hash, record.block_number, record.evidence_hash, False)

    async def _require_funds(self, payer: str, total: int) -> None:
        rewards = await self.bound()
        balance = int(await rewards.w3.eth.get_balance(checksum(payer)))
        if balance < total:
            raise FailedPrecondition(
                f"settler {payer} holds {balance} wei, the batch pays out {total}",
                reason="SETTLER_UNDERFUNDED",
                metadata={"address": payer, "balance": str(balance), "total": str(total)},
            )


def _unique(entries: Sequence[SettlementEntry]) -> list[SettlementEntry]:
    seen: dict[str, SettlementEntry] = {}
    for entry in entries:
        inference_key(entry.inference_id)
        previous = seen.setdefault(entry.inference_id, entry)
        if previous != entry:
            raise InvalidArgument(
                "entries", f"inference {entry.inference_id} is given twice with different credits"
            )
    return list(seen.values())
