"""The ``DatanetRegistry`` on the L2, through the kit's contract bindings.

One ``RegistryGateway`` per process: it connects lazily (so the service starts before the chain
is up and becomes ready once it is), sends every write from the service account (which holds
``REGISTRAR_ROLE`` and ``CURATION_ROLE``) through one ``TxSender`` and turns receipts into
``ChainTx`` values.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from web3.types import TxReceipt

from openledger_datanet.domain.model import ChainTx, TxStatus
from openledger_kit.chain import (
    TransactionReverted,
)
from openledger_kit.contracts import DatanetRegistry
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.errors import FailedPrecondition

logger = logging.getLogger(__name__)


class RegistryGateway(ContractGateway[DatanetRegistry]):
    """Reads and writes of the ``DatanetRegistry`` for the datanet service.

    ``account`` signs the writes (without one, writes raise ``FailedPrecondition``: a read-only
    gateway, e.g. for the CLI's proof checks).
    """

    BINDING = DatanetRegistry

    # ------------------------------------------------------------------ writes

    async def create_datanet(
        self, datanet_id: bytes, curator: str, stake_required: int, metadata_hash: bytes
    ) -> ChainTx:
        registry = await self.bound()
        return await self._write(
            registry,
            lambda: registry.create_datanet(datanet_id, curator, stake_required, metadata_hash),
        )

    async def update_datanet(
        self, datanet_id: bytes, curator: str, stake_required: int, metadata_hash: bytes
    ) -> ChainTx:
        registry = await self.bound()
        return await self._write(
            registry,
            lambda: registry.update_datanet(datanet_id, curator, stake_required, metadata_hash),
        )

    async def anchor_snapshot(
        self,
        datanet_id: bytes,
        sequence: int,
        merkle_root: bytes,
        record_count: int,
        jsonl_sha256: bytes,
    ) -> ChainTx:
        registry = await self.bound()
        return await self._write(
            registry,
            lambda: registry.anchor_snapshot(
                datanet_id, sequence, merkle_root, record_count, jsonl_sha256
            ),
        )

    async def slash(
        self, datanet_id: bytes, contributor: str, amount: int, reason_hash: bytes
    ) -> ChainTx:
        registry = await self.bound()
        return await self._write(
            registry, lambda: registry.slash(datanet_id, contributor, amount, reason_hash)
        )

    # ------------------------------------------------------------------ reads

    async def stake_of(self, datanet_id: bytes, contributor: str) -> int:
        """Active stake (what counts toward ``stake_required``), in wei."""
        registry = await self.bound()
        return (await registry.stake_of(datanet_id, contributor)).staked

    async def slash_cap(self, datanet_id: bytes, contributor: str) -> int:
        registry = await self.bound()
        return await registry.slash_cap(datanet_id, contributor)

    async def anchored_root(self, datanet_id: bytes, sequence: int) -> bytes | None:
        registry = await self.bound()
        snapshot = await registry.snapshot(datanet_id, sequence)
        return None if snapshot is None else snapshot.merkle_root

    async def verify_record(
        self, datanet_id: bytes, sequence: int, leaf: bytes, proof: Sequence[bytes]
    ) -> bool:
        registry = await self.bound()
        return await registry.verify_record(datanet_id, sequence, leaf, proof)

    async def slashed_with(self, datanet_id: bytes, contributor: str, reason_hash: bytes) -> bool:
        """Whether a ``ContributorSlashed`` event with this reason hash is on chain (all three
        are indexed topics, so this is one ``eth_getLogs``)."""
        registry = await self.bound()
        event = registry.contract.events.ContributorSlashed
        topic0 = "0x" + bytes(registry.w3.keccak(text=_signature(event.abi))).hex()
        address_topic = "0x" + bytes(12).hex() + contributor.lower().removeprefix("0x")
        logs = await registry.w3.eth.get_logs(
            {
                "address": registry.address,
                "fromBlock": 0,
                "toBlock": "latest",
                "topics": [
                    topic0,
                    "0x" + datanet_id.hex(),
                    address_topic,
                    "0x" + reason_hash.hex(),
                ],
            }
        )
        return len(logs) > 0

    async def curator_of(self, datanet_id: bytes) -> str | None:
        """The registered curator of a datanet; None when it is not registered."""
        registry = await self.bound()
        datanet = await registry.datanet(datanet_id)
        return None if datanet is None else str(datanet.curator)

    # ------------------------------------------------------------------ helpers

    async def _write(
        self, registry: DatanetRegistry, send: Callable[[], Awaitable[TxReceipt]]
    ) -> ChainTx:
        """Send and wait; a revert becomes a REVERTED ``ChainTx`` when it happened on chain
        (the receipt exists) and is raised when it was found before sending."""
        if registry.sender is None:
            raise FailedPrecondition(
                "no service account key configured (OL_DATANET_ACCOUNT_KEY_FILE)",
                reason="SIGNING_KEY_MISSING",
            )
        try:
            receipt = await send()
        except TransactionReverted as reverted:
            if reverted.receipt is None:
                raise
            return await self._tx(registry, reverted.receipt, TxStatus.REVERTED)
        return await self._tx(registry, receipt, TxStatus.SUCCEEDED)

    async def _tx(self, registry: DatanetRegistry, receipt: Any, status: TxStatus) -> ChainTx:
        block = await registry.w3.eth.get_block(receipt["blockNumber"])
        return ChainTx(
            chain_id=self.chain_id,
            contract_address=str(registry.address),
            tx_hash=bytes(receipt["transactionHash"]),
            status=status,
            block_number=int(receipt["blockNumber"]),
            block_hash=bytes(receipt["blockHash"]),
            block_time=datetime.fromtimestamp(int(block["timestamp"]), UTC),
        )


def _signature(abi: Any) -> str:
    """``Name(type,...)`` of an event ABI entry."""
    types = ",".join(str(item["type"]) for item in abi["inputs"])
    return f"{abi['name']}({types})"
