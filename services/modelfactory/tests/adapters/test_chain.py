"""``ModelRegistryGateway`` against the platform deployed on a real anvil: base models are
registered once (a replica that lost the race to register one accepts it), adapters register
with block data and read back, a revert and a missing receipt become the domain's registration
errors."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import AsyncIterator

import pytest
from eth_account import Account
from hexbytes import HexBytes

from openledger_kit.contracts import ModelRegistry
from openledger_kit.errors import FailedPrecondition
from openledger_ml.catalogue import BaseModelInfo
from openledger_modelfactory.adapters.chain import ModelRegistryGateway, weights_hash
from openledger_modelfactory.domain.errors import RegistrationReverted, RegistrationTimeout
from openledger_modelfactory.domain.model import (
    TxStatus,
)
from services.modelfactory.tests import domain_samples as samples
from services.modelfactory.tests.chain_platform import Platform


def base_model(base_id: str) -> BaseModelInfo:
    return dataclasses.replace(samples.base_model(), id=base_id, display_name=f"Test {base_id}")


def gateway_for(platform: Platform, *, receipt_timeout: float = 30.0) -> ModelRegistryGateway:
    return ModelRegistryGateway.from_key_file(
        platform.l2_url, platform.manifest_path, platform.key_file, receipt_timeout=receipt_timeout
    )


@pytest.fixture
async def gateway(platform: Platform) -> AsyncIterator[ModelRegistryGateway]:
    gw = gateway_for(platform)
    yield gw
    await gw.close()


def new_address() -> str:
    return str(Account.create().address)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def test_probe_and_address(gateway: ModelRegistryGateway, platform: Platform) -> None:
    assert await gateway.probe()
    assert gateway.address == platform.account.address


async def test_base_model_is_registered_once(
    gateway: ModelRegistryGateway, platform: Platform
) -> None:
    base = base_model(unique("base"))
    await gateway.ensure_base_model(base)
    registry = await gateway.bound()
    on_chain = await registry.base_model(ModelRegistry.base_model_id(base.id))
    assert on_chain is not None
    assert on_chain.weights_hash == weights_hash(base.revision)
    assert on_chain.name == base.display_name
    block = await platform.l2.eth.block_number
    await gateway.ensure_base_model(base)
    assert await platform.l2.eth.block_number == block  # nothing sent the second time


async def test_a_replica_that_lost_the_race_accepts_the_registration(
    gateway: ModelRegistryGateway, platform: Platform
) -> None:
    """Two replicas both saw the base model missing and both send: the second send reverts
    with BaseModelAlreadyRegistered, which is no error."""
    base = base_model(unique("race"))
    other = gateway_for(platform)
    await other.register_base_model(base)
    await other.close()
    await gateway.register_base_model(base)
    registry = await gateway.bound()
    on_chain = await registry.base_model(ModelRegistry.base_model_id(base.id))
    assert on_chain is not None and on_chain.name == base.display_name


async def test_register_adapter_and_read_it_back(gateway: ModelRegistryGateway) -> None:
    base = base_model(unique("base"))
    await gateway.ensure_base_model(base)
    owner = new_address()
    adapter_id = unique("ad")
    sha = hashlib.sha256(b"adapter weights").digest()
    root = hashlib.sha256(b"snapshot root").digest()
    assert await gateway.latest_version(adapter_id) == 0
    assert await gateway.registration(adapter_id, 1) is None
    tx = await gateway.register_adapter(
        adapter_id=adapter_id,
        version=1,
        adapter_sha256=sha,
        base_model_id=base.id,
        snapshot_roots=[root],
        owner=owner,
        fee_per_1k_tokens=1234,
    )
    registry = await gateway.bound()
    assert tx.status is TxStatus.SUCCEEDED
    assert tx.contract_address == registry.address
    assert tx.chain_id == await registry.w3.eth.chain_id
    receipt = await registry.w3.eth.get_transaction_receipt(HexBytes(tx.tx_hash))
    assert receipt["blockNumber"] == tx.block_number
    assert bytes(receipt["blockHash"]) == tx.block_hash
    assert tx.block_time is not None
    assert await gateway.latest_version(adapter_id) == 1
    registered = await gateway.registration(adapter_id, 1)
    assert registered is not None
    assert registered.adapter_sha256 == sha
    assert registered.owner == owner
    assert registered.version == 1
    assert registered.transaction == tx  # found again from the registry's event
    on_chain = await registry.adapter(ModelRegistry.adapter_key(adapter_id, 1))
    assert on_chain is not None
    assert on_chain.snapshot_roots == (root,)
    assert on_chain.fee_per_1k_tokens == 1234
    assert await registry.is_registered(ModelRegistry.adapter_key(adapter_id, 1), sha)


async def test_a_revert_is_registration_reverted(gateway: ModelRegistryGateway) -> None:
    base = base_model(unique("base"))
    await gateway.ensure_base_model(base)
    adapter_id = unique("rev")
    sha = hashlib.sha256(b"w").digest()
    with pytest.raises(RegistrationReverted) as version_gap:
        await gateway.register_adapter(
            adapter_id=adapter_id,
            version=2,
            adapter_sha256=sha,
            base_model_id=base.id,
            snapshot_roots=[],
            owner=new_address(),
            fee_per_1k_tokens=0,
        )
    assert version_gap.value.error_name == "AdapterVersionOutOfOrder"
    assert version_gap.value.reason == "REGISTRATION_REVERTED"
    with pytest.raises(RegistrationReverted) as unknown_base:
        await gateway.register_adapter(
            adapter_id=adapter_id,
            version=1,
            adapter_sha256=sha,
            base_model_id=unique("missing"),
            snapshot_roots=[],
            owner=new_address(),
            fee_per_1k_tokens=0,
        )
    assert unknown_base.value.error_name == "BaseModelNotFound"
    assert await gateway.latest_version(adapter_id) == 0


async def test_no_receipt_is_registration_timeout_and_the_tx_can_be_found_later(
    platform: Platform,
) -> None:
    gateway = gateway_for(platform, receipt_timeout=1.0)
    base = base_model(unique("base"))
    await gateway.ensure_base_model(base)
    adapter_id = unique("slow")
    sha = hashlib.sha256(b"slow").digest()
    w3 = platform.l2
    await w3.provider.make_request("evm_setAutomine", [False])
    try:
        with pytest.raises(RegistrationTimeout) as timeout:
            await gateway.register_adapter(
                adapter_id=adapter_id,
                version=1,
                adapter_sha256=sha,
                base_model_id=base.id,
                snapshot_roots=[],
                owner=new_address(),
                fee_per_1k_tokens=0,
            )
        assert timeout.value.tx_hash
        assert await gateway.registration(adapter_id, 1) is None
    finally:
        await w3.provider.make_request("evm_setAutomine", [True])
        await w3.provider.make_request("evm_mine", [])
    registered = await gateway.registration(adapter_id, 1)
    assert registered is not None and registered.adapter_sha256 == sha
    assert registered.transaction is not None
    assert registered.transaction.tx_hash == bytes(HexBytes(timeout.value.tx_hash))
    await gateway.close()


async def test_writes_without_a_key_fail_cleanly(platform: Platform) -> None:
    gateway = ModelRegistryGateway.from_key_file(platform.l2_url, platform.manifest_path, None)
    assert gateway.address is None
    assert await gateway.latest_version("nobody") == 0
    with pytest.raises(FailedPrecondition) as missing:
        await gateway.ensure_base_model(base_model(unique("nokey")))
    assert missing.value.reason == "SIGNING_KEY_MISSING"
    await gateway.close()
