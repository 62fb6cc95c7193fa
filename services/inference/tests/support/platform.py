"""Adapters published the way ModelFactory publishes them, on the session's contract
deployment: the files go into a content-addressed object store, the weights' SHA-256 is
registered on the L2 ``ModelRegistry`` (the base model first, committed as keccak of its
revision), and the node gets the same ``AdapterDescriptor`` ModelFactory would describe.

Import ``platform`` (and ``contract_artifacts``) into a conftest to get the deployment."""

from __future__ import annotations

import uuid

from eth_utils.crypto import keccak

from openledger_inference.domain.model import AdapterDescriptor, AdapterRef
from openledger_inference.domain.ports import ServedModel
from openledger_kit.contracts.bindings.l2 import AdapterRegistration, ModelRegistry
from openledger_kit.contracts.gateway import ContractGateway
from openledger_kit.store import ObjectStore
from openledger_ml.lora import SavedAdapter
from services.modelfactory.tests.chain_platform import Platform, contract_artifacts, platform

__all__ = ["AdapterShelf", "Platform", "contract_artifacts", "platform", "unique_ref"]

NO_OWNER = "0x" + "00" * 20


def unique_ref(prefix: str = "adapter", version: int = 1) -> AdapterRef:
    """A fresh adapter reference: the session's chain is shared, and versions are immutable."""
    return AdapterRef(f"{prefix}-{uuid.uuid4().hex[:10]}", version)


class _Registry(ContractGateway[ModelRegistry]):
    BINDING = ModelRegistry


class AdapterShelf:
    """Stores and registers adapters with the platform's ModelRegistry registrar account."""

    def __init__(self, platform: Platform, store: ObjectStore) -> None:
        self.platform = platform
        self.store = store
        self._registry = _Registry(platform.l2_url, platform.manifest_path, platform.account)

    async def close(self) -> None:
        await self._registry.close()

    async def ensure_base_model(self, model: ServedModel, *, fee_per_1k_tokens: int = 0) -> None:
        registry = await self._registry.bound()
        model_id = ModelRegistry.base_model_id(model.id)
        if not await registry.is_base_model_registered(model_id):
            await registry.register_base_model(
                model_id, keccak(text=model.revision), model.id, NO_OWNER, fee_per_1k_tokens
            )

    async def publish(
        self,
        saved: SavedAdapter,
        ref: AdapterRef,
        model: ServedModel,
        *,
        fee_per_1k_tokens: int = 1_000_000_000_000,
        owner: str | None = None,
        register: bool = True,
        prompt_template: str = "",
        task_template: str = "completion",
    ) -> AdapterDescriptor:
        """Store ``saved``'s files, register their hash as ``ref`` (unless ``register`` is
        false) and describe the adapter as ModelFactory would."""
        await self.ensure_base_model(model)
        weights = self.store.put_file(saved.model_file)
        config = self.store.put_file(saved.config_file)
        owner = owner or self.platform.account.address
        if register:
            registry = await self._registry.bound()
            await registry.register_adapter(
                AdapterRegistration(
                    adapter_id=ref.adapter_id,
                    version=ref.version,
                    adapter_sha256=bytes.fromhex(weights.hexdigest),
                    base_model_id=ModelRegistry.base_model_id(model.id),
                    owner=owner,
                    fee_per_1k_tokens=fee_per_1k_tokens,
                    snapshot_roots=(b"\x11" * 32,),
                )
            )
        return AdapterDescriptor(
            ref=ref,
            base_model=model.id,
            base_model_revision=model.revision,
            adapter_sha256=bytes.fromhex(weights.hexdigest),
            adapter_config_sha256=bytes.fromhex(config.hexdigest),
            prompt_template=prompt_template,
            task_template=task_template,
            fee_per_1k_tokens=fee_per_1k_tokens,
            owner_address=owner,
        )
