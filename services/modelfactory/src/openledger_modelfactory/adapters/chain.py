"""The ``ModelRegistry`` on the L2, through the kit's contract bindings (``ports.Registry``).

One ``ModelRegistryGateway`` per process: it connects lazily (so the service starts before the
chain is up and becomes ready once it is), sends every write from the service account (which
holds ``CATALOGUE_ROLE`` and ``REGISTRAR_ROLE``) through one ``TxSender`` and turns receipts
into ``ChainTx`` values. A registration either comes back SUCCEEDED or raises a domain error:
an adapter exists only once registered, so there is no REVERTED ``ChainTx`` to keep.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from eth_utils.crypto import keccak
from web3.types import TxReceipt

from openledger_kit.chain import (
    ReceiptTimeout,
    TransactionReverted,
)
from openledger_kit.contracts import AdapterRegistration, ModelRegistry
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.errors import FailedPrecondition
from openledger_ml.catalogue import BaseModelInfo
from openledger_modelfactory.domain.errors import RegistrationReverted, RegistrationTimeout
from openledger_modelfactory.domain.model import (
    DOMAIN,
    ChainTx,
    TxStatus,
)
from openledger_modelfactory.domain.ports import RegisteredAdapter

logger = logging.getLogger(__name__)

NO_OWNER = "0x" + "00" * 20
"""Owner of the base models the service registers: none, so the protocol keeps the owner share
of base-model-only completions (the attribution service decides)."""


def weights_hash(revision: str) -> bytes:
    """The on-chain commitment to a base model's pinned weights: keccak256 of the UTF-8
    ``BaseModel.revision`` (``ModelRegistry.BaseModel.weightsHash``), so a hub commit hash and a
    hex SHA-256 commit the same way."""
    return keccak(text=revision)


class ModelRegistryGateway(ContractGateway[ModelRegistry]):
    """Reads and writes of the ``ModelRegistry`` for the modelfactory service.

    ``account`` signs the writes (without one, writes raise ``FailedPrecondition``).
    """

    BINDING = ModelRegistry

    # ------------------------------------------------------------------ base models

    async def ensure_base_model(self, base: BaseModelInfo) -> None:
        """Register ``base`` in the on-chain catalogue unless it already is."""
        registry = await self.bound()
        if not await registry.is_base_model_registered(ModelRegistry.base_model_id(base.id)):
            await self.register_base_model(base)

    async def register_base_model(self, base: BaseModelInfo) -> None:
        """Send the registration of ``base``. Another replica having registered it first is
        fine (the ``BaseModelAlreadyRegistered`` revert): base models are immutable, and every
        replica commits the same revision from the same catalogue."""
        registry = await self.bound()
        self._require_sender(registry)
        try:
            await registry.register_base_model(
                ModelRegistry.base_model_id(base.id),
                weights_hash(base.revision),
                base.display_name or base.id,
                NO_OWNER,
                0,
            )
        except TransactionReverted as reverted:
            if reverted.error_name != "BaseModelAlreadyRegistered":
                raise
            return
        logger.info("base model %s registered on the ModelRegistry", base.id)

    # ------------------------------------------------------------------ adapters

    async def latest_version(self, adapter_id: str) -> int:
        """The latest registered version of ``adapter_id`` (0: none)."""
        registry = await self.bound()
        return await registry.latest_version(adapter_id)

    async def registration(self, adapter_id: str, version: int) -> RegisteredAdapter | None:
        """What the registry holds for ``{adapter_id}@{version}``; None if not registered."""
        registry = await self.bound()
        key = ModelRegistry.adapter_key(adapter_id, version)
        adapter = await registry.adapter(key)
        if adapter is None:
            return None
        # The transaction that registered it, from the registry's event (indexed by key), so a
        # registration found after a crash or a receipt timeout keeps its on-chain evidence.
        logs = await registry.contract.events.AdapterRegistered.get_logs(
            argument_filters={"adapterKey": key}, from_block=0
        )
        transaction = None
        if logs:
            receipt = await registry.w3.eth.get_transaction_receipt(logs[-1]["transactionHash"])
            transaction = await self._tx(registry, receipt)
        return RegisteredAdapter(
            version=adapter.version,
            owner=adapter.owner,
            adapter_sha256=adapter.adapter_sha256,
            transaction=transaction,
        )

    async def register_adapter(
        self,
        *,
        adapter_id: str,
        version: int,
        adapter_sha256: bytes,
        base_model_id: str,
        snapshot_roots: Sequence[bytes],
        owner: str,
        fee_per_1k_tokens: int,
    ) -> ChainTx:
        """Register one adapter version and wait for its receipt: a SUCCEEDED ``ChainTx``, or
        ``RegistrationReverted`` (refused in estimation or on chain: nothing registered) or
        ``RegistrationTimeout`` (no receipt in time: it may still be mined, so the caller
        looks it up with ``registration`` before trying again)."""
        registry = await self.bound()
        self._require_sender(registry)
        registration = AdapterRegistration(
            adapter_id=adapter_id,
            version=version,
            adapter_sha256=adapter_sha256,
            base_model_id=ModelRegistry.base_model_id(base_model_id),
            owner=owner,
            fee_per_1k_tokens=fee_per_1k_tokens,
            snapshot_roots=tuple(snapshot_roots),
        )
        try:
            receipt = await registry.register_adapter(registration)
        except TransactionReverted as reverted:
            raise RegistrationReverted(
                f"registering {adapter_id}@{version} reverted: {reverted.revert_reason}",
                error_name=reverted.error_name,
            ) from reverted
        except ReceiptTimeout as timeout:
            raise RegistrationTimeout(
                f"no receipt for the registration of {adapter_id}@{version} after "
                f"{timeout.waited_seconds:.0f}s",
                tx_hash=timeout.tx_hash,
            ) from timeout
        return await self._tx(registry, receipt)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _require_sender(registry: ModelRegistry) -> None:
        if registry.sender is None:
            raise FailedPrecondition(
                "no service account key configured (OL_MODELFACTORY_ACCOUNT_KEY_FILE)",
                reason="SIGNING_KEY_MISSING",
                domain=DOMAIN,
            )

    async def _tx(self, registry: ModelRegistry, receipt: TxReceipt) -> ChainTx:
        block = await registry.w3.eth.get_block(receipt["blockNumber"])
        return ChainTx(
            chain_id=self.chain_id,
            contract_address=str(registry.address),
            tx_hash=bytes(receipt["transactionHash"]),
            status=TxStatus.SUCCEEDED,
            block_number=int(receipt["blockNumber"]),
            block_hash=bytes(receipt["blockHash"]),
            block_time=datetime.fromtimestamp(int(block["timestamp"]), UTC),
        )
