"""The L2 ``ModelRegistry`` as the node reads it (``domain.ports.AdapterRegistry``): which
adapter versions are registered with which weights' hash, and the fee rates. Read-only: the
node never writes to the registry, so the gateway needs no account."""

from __future__ import annotations

from openledger_inference.domain.model import AdapterRef, FeeRate, RegisteredAdapter
from openledger_kit.chain.connection import endpoint_of, transport_errors
from openledger_kit.contracts.bindings.l2 import ModelRegistry
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.errors import NotFound

DOMAIN = "openledger.inference"


class RegistryReader(ContractGateway[ModelRegistry]):
    """Registrations and fees, each with the block number it holds at.

    The contract has no setters: an adapter version, its hash and fee, and a base model's fee
    are fixed once registered and never removed. So the state is read first and the block
    number after it: whatever the read found is also true at that (later or equal) block,
    which is what a completion's fee cites.
    """

    BINDING = ModelRegistry

    async def registered(self, ref: AdapterRef) -> RegisteredAdapter | None:
        registry = await self.bound()
        adapter = await registry.adapter(ModelRegistry.adapter_key(ref.adapter_id, ref.version))
        if adapter is None:
            return None
        return RegisteredAdapter(
            ref=ref,
            adapter_sha256=adapter.adapter_sha256,
            base_model_id=adapter.base_model_id,
            owner=adapter.owner,
            fee_per_1k_tokens=adapter.fee_per_1k_tokens,
            block_number=await self._block_number(registry),
        )

    async def base_model_fee(self, base_model: str) -> FeeRate:
        registry = await self.bound()
        model = await registry.base_model(ModelRegistry.base_model_id(base_model))
        if model is None:
            raise NotFound(
                f"base model {base_model!r} is not registered on ModelRegistry",
                reason="BASE_MODEL_NOT_REGISTERED",
                domain=DOMAIN,
                metadata={"base_model": base_model},
            )
        return FeeRate(model.fee_per_1k_tokens, await self._block_number(registry))

    @staticmethod
    async def _block_number(registry: ModelRegistry) -> int:
        with transport_errors(endpoint_of(registry.w3)):
            return int(await registry.w3.eth.block_number)
