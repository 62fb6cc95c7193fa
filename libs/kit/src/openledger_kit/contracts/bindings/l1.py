"""Bindings of the L1 contracts: OpenToken, L2OutputOracle, BatchInbox, OpenPortal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from web3.types import TxReceipt

from openledger_kit.contracts.bindings.base import (
    ZERO_BYTES32,
    AccessControlled,
    bytes32,
    checksum,
)
from openledger_kit.contracts.deposits import DepositTransaction, deposits_in
from openledger_kit.contracts.withdrawals import OutputRootProof, WithdrawalTransaction


class OpenToken(AccessControlled):
    """The OPEN token on L1 (ERC20 + permit + votes, capped)."""

    CHAIN = "l1"
    NAME = "OpenToken"

    async def balance_of(self, account: str) -> int:
        return int(await self._call(self.contract.functions.balanceOf(checksum(account))))

    async def allowance(self, owner: str, spender: str) -> int:
        fn = self.contract.functions.allowance(checksum(owner), checksum(spender))
        return int(await self._call(fn))

    async def total_supply(self) -> int:
        return int(await self._call(self.contract.functions.totalSupply()))

    async def cap(self) -> int:
        return int(await self._call(self.contract.functions.cap()))

    async def approve(self, spender: str, amount: int) -> TxReceipt:
        return await self._transact(self.contract.functions.approve(checksum(spender), amount))

    async def transfer(self, to: str, amount: int) -> TxReceipt:
        return await self._transact(self.contract.functions.transfer(checksum(to), amount))

    async def mint(self, to: str, amount: int) -> TxReceipt:
        """Mint up to the cap (``MINTER_ROLE``)."""
        return await self._transact(self.contract.functions.mint(checksum(to), amount))


@dataclass(frozen=True)
class OutputProposal:
    """One proposed L2 output."""

    output_root: bytes
    timestamp: int
    l2_block_number: int


class L2OutputOracle(AccessControlled):
    """L2 output roots on L1: proposed by the proposer, deletable by the challenger inside the
    challenge window."""

    CHAIN = "l1"
    NAME = "L2OutputOracle"

    async def propose(
        self,
        output_root: bytes,
        l2_block_number: int,
        *,
        l1_block_hash: bytes = ZERO_BYTES32,
        l1_block_number: int = 0,
    ) -> TxReceipt:
        """``proposeL2Output`` (``PROPOSER_ROLE``). A non-zero ``l1_block_hash`` must be the
        hash of L1 block ``l1_block_number`` (ties the proposal to an L1 fork); name a block
        below the L1 head: gas is estimated on the head, where ``blockhash`` of the head itself
        is still zero, so naming the head reverts with ``L1BlockHashMismatch``."""
        fn = self.contract.functions.proposeL2Output(
            bytes32(output_root, "output_root"),
            l2_block_number,
            bytes32(l1_block_hash, "l1_block_hash"),
            l1_block_number,
        )
        return await self._transact(fn)

    async def delete_outputs(self, from_index: int) -> TxReceipt:
        """Delete output ``from_index`` and every later one (``CHALLENGER_ROLE``)."""
        return await self._transact(self.contract.functions.deleteL2Outputs(from_index))

    async def get_output(self, index: int) -> OutputProposal | None:
        """The live output at ``index``; None if never proposed or deleted."""
        raw = await self._optional(self.contract.functions.getL2Output(index), "OutputNotFound")
        if raw is None:
            return None
        root, timestamp, block = raw
        return OutputProposal(bytes(root), int(timestamp), int(block))

    async def next_output_index(self) -> int:
        return int(await self._call(self.contract.functions.nextOutputIndex()))

    async def latest_block_number(self) -> int:
        """The L2 block the next proposal must exceed."""
        return int(await self._call(self.contract.functions.latestBlockNumber()))

    async def next_block_number(self) -> int:
        """The smallest L2 block number the next proposal may use."""
        return int(await self._call(self.contract.functions.nextBlockNumber()))

    async def is_finalized(self, index: int) -> bool:
        return bool(await self._call(self.contract.functions.isFinalized(index)))

    async def challenge_window(self) -> int:
        """Seconds (immutable)."""
        return int(await self._call(self.contract.functions.challengeWindow()))


@dataclass(frozen=True)
class BatchRecord:
    """What the inbox keeps per batch."""

    certificate_hash: bytes
    data_hash: bytes
    l1_block: int
    timestamp: int
    fallback_to_l1: bool


class BatchInbox(AccessControlled):
    """The L1 record of L2 batches (DA certificate hashes, or frames posted to L1)."""

    CHAIN = "l1"
    NAME = "BatchInbox"

    async def record_batch(
        self, batch_index: int, certificate_hash: bytes, data_hash: bytes
    ) -> TxReceipt:
        """Record a batch whose data went to DA (``BATCHER_ROLE``); indexes are sequential."""
        fn = self.contract.functions.recordBatch(
            batch_index,
            bytes32(certificate_hash, "certificate_hash"),
            bytes32(data_hash, "data_hash"),
        )
        return await self._transact(fn)

    async def post_batch_data(self, batch_index: int, frames: bytes) -> TxReceipt:
        """The L1 fallback: post the frames as calldata (``BATCHER_ROLE``)."""
        return await self._transact(self.contract.functions.postBatchData(batch_index, frames))

    async def next_batch_index(self) -> int:
        return int(await self._call(self.contract.functions.nextBatchIndex()))

    async def batch(self, batch_index: int) -> BatchRecord | None:
        """Batch ``batch_index``; None if not recorded."""
        raw = await self._optional(self.contract.functions.batch(batch_index), "BatchNotFound")
        if raw is None:
            return None
        certificate, data, block, timestamp, fallback = raw
        return BatchRecord(bytes(certificate), bytes(data), int(block), int(timestamp), fallback)


class OpenPortal(AccessControlled):
    """The L1 end of the bridge: OPEN deposits out, proven withdrawals in."""

    CHAIN = "l1"
    NAME = "OpenPortal"

    async def deposit_open(
        self, to: str, amount: int, gas_limit: int, data: bytes = b""
    ) -> TxReceipt:
        """Lock ``amount`` OPEN (approved to the portal beforehand) and deposit it to ``to`` on
        L2. ``deposits(receipt)`` gives the deposit transaction it emitted."""
        fn = self.contract.functions.depositOPEN(checksum(to), amount, gas_limit, data)
        return await self._transact(fn)

    def deposits(self, receipt: TxReceipt) -> list[DepositTransaction]:
        """The deposits this portal emitted in ``receipt``, decoded (OP deposit format)."""
        return deposits_in(receipt["logs"], portal=self.address)

    async def minimum_gas_limit(self, data_length: int) -> int:
        return int(await self._call(self.contract.functions.minimumGasLimit(data_length)))

    async def prove_withdrawal(
        self,
        withdrawal: WithdrawalTransaction,
        l2_output_index: int,
        output_root_proof: OutputRootProof,
        withdrawal_proof: Sequence[bytes],
    ) -> TxReceipt:
        """Prove ``withdrawal`` against output ``l2_output_index`` with the storage proof of
        its slot (``eth_getProof(passer, [slot]).storageProof[0].proof``)."""
        fn = self.contract.functions.proveWithdrawalTransaction(
            withdrawal.as_tuple(),
            l2_output_index,
            output_root_proof.as_tuple(),
            [bytes(node) for node in withdrawal_proof],
        )
        return await self._transact(fn)

    async def finalize_withdrawal(self, withdrawal: WithdrawalTransaction) -> TxReceipt:
        """Release a proven withdrawal's OPEN after the challenge window."""
        fn = self.contract.functions.finalizeWithdrawalTransaction(withdrawal.as_tuple())
        return await self._transact(fn)

    async def is_finalizable(self, withdrawal_hash: bytes) -> bool:
        fn = self.contract.functions.isFinalizable(bytes32(withdrawal_hash, "withdrawal_hash"))
        return bool(await self._call(fn))

    async def is_finalized(self, withdrawal_hash: bytes) -> bool:
        fn = self.contract.functions.finalizedWithdrawals(
            bytes32(withdrawal_hash, "withdrawal_hash")
        )
        return bool(await self._call(fn))

    async def pause(self) -> TxReceipt:
        """Stop deposits, proofs and finalisations (``GUARDIAN_ROLE``)."""
        return await self._transact(self.contract.functions.pause())

    async def unpause(self) -> TxReceipt:
        return await self._transact(self.contract.functions.unpause())

    async def paused(self) -> bool:
        return bool(await self._call(self.contract.functions.paused()))
