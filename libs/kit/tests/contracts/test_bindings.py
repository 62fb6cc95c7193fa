"""The typed bindings services use, against the deployed platform: each write by the account
holding its role, each read returning the typed record, absent records as None."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3 import AsyncWeb3

from openledger_kit.chain import ServiceAccount, TransactionReverted
from openledger_kit.contracts import AdapterRegistration, OutputRootProof, WithdrawalTransaction
from openledger_kit.contracts.bindings import (
    BatchInbox,
    DatanetRegistry,
    L2OutputOracle,
    L2ToL1MessagePasser,
    ModelRegistry,
    OpenPortal,
)
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.testing import DeployedPlatform, advance_time

Fund = Callable[..., Awaitable[ServiceAccount]]


async def test_datanet_lifecycle_snapshots_and_stakes(
    platform: DeployedPlatform, l2: AsyncWeb3[Any], fund: Fund
) -> None:
    registrar = await platform.bind(DatanetRegistry, platform.accounts["datanet_registrar"])
    curation = await platform.bind(DatanetRegistry, platform.accounts["curation"])
    curator, contributor = await fund(), await fund()
    staker = await platform.bind(DatanetRegistry, contributor)
    datanet = DatanetRegistry.datanet_id(f"medical-qa-{os.urandom(4).hex()}")
    assert await registrar.datanet(datanet) is None

    await registrar.create_datanet(datanet, curator.address, 2 * OPEN, keccak(text="config v1"))
    root, jsonl = keccak(text="root"), hashlib.sha256(b"records").digest()
    anchored = await curation.anchor_snapshot(datanet, 1, root, 42, jsonl)

    record = await curation.datanet(datanet)
    assert record is not None
    assert (record.curator, record.stake_required, record.latest_snapshot_sequence) == (
        curator.address,
        2 * OPEN,
        1,
    )
    snapshot = await curation.snapshot(datanet, 1)
    assert snapshot is not None and (snapshot.merkle_root, snapshot.record_count) == (root, 42)
    assert snapshot.jsonl_sha256 == jsonl
    assert await curation.snapshot(datanet, 2) is None
    (event,) = curation.events(anchored, "SnapshotAnchored")
    assert (event["args"]["sequence"], event["args"]["merkleRoot"]) == (1, root)
    with pytest.raises(TransactionReverted) as replaced:
        await curation.anchor_snapshot(datanet, 1, keccak(text="other"), 1, jsonl)
    assert replaced.value.error_name == "SnapshotSequenceNotIncreasing"
    # A one-leaf tree: the root is the leaf and the proof is empty.
    assert await curation.verify_record(datanet, 1, root, [])

    await staker.stake(datanet, 3 * OPEN)
    await staker.request_unstake(datanet, OPEN)
    position = await staker.stake_of(datanet, contributor.address)
    assert (position.staked, position.pending_unstake) == (2 * OPEN, OPEN)
    assert position.unlock_at > 0
    with pytest.raises(TransactionReverted) as early:
        await staker.withdraw_stake(datanet)
    assert early.value.error_name == "CooldownNotElapsed"
    await advance_time(l2, 61)
    await staker.withdraw_stake(datanet)
    assert (await staker.stake_of(datanet, contributor.address)).pending_unstake == 0


async def test_adapters_are_registered_checked_and_priced(
    platform: DeployedPlatform, fund: Fund
) -> None:
    catalogue = await platform.bind(ModelRegistry, platform.accounts["catalogue"])
    registrar = await platform.bind(ModelRegistry, platform.accounts["model_registrar"])
    owner = await fund()
    suffix = os.urandom(4).hex()
    base = ModelRegistry.base_model_id(f"smollm2-135m-{suffix}")
    await catalogue.register_base_model(base, keccak(text="rev"), "SmolLM2 135M", owner.address, 5)
    base_model = await catalogue.base_model(base)
    assert base_model is not None and base_model.name == "SmolLM2 135M"
    assert await catalogue.is_base_model_registered(base)

    sha = hashlib.sha256(b"adapter_model.safetensors").digest()
    registration = AdapterRegistration(
        adapter_id=f"medical-qa-{suffix}",
        version=1,
        adapter_sha256=sha,
        base_model_id=base,
        owner=owner.address,
        fee_per_1k_tokens=1_000_003,
        snapshot_roots=(keccak(text="snapshot root"),),
    )
    receipt = await registrar.register_adapter(registration)

    key = registration.key
    assert key == keccak(text=f"medical-qa-{suffix}@1")
    assert await registrar.contract.functions.adapterKey(registration.adapter_id, 1).call() == key
    (event,) = registrar.events(receipt, "AdapterRegistered")
    assert event["args"]["adapterKey"] == key
    assert await registrar.is_registered(key, sha)
    assert not await registrar.is_registered(key, bytes(32))
    assert await registrar.fee_for(key, 1_500) == -(-1_000_003 * 1_500 // 1000)  # rounded up
    adapter = await registrar.adapter(key)
    assert adapter is not None
    assert (adapter.owner, adapter.version, adapter.snapshot_roots) == (
        owner.address,
        1,
        registration.snapshot_roots,
    )
    assert await registrar.latest_version(registration.adapter_id) == 1
    assert await registrar.adapter(ModelRegistry.adapter_key(registration.adapter_id, 2)) is None
    with pytest.raises(TransactionReverted) as immutable:
        await registrar.register_adapter(registration)
    assert immutable.value.error_name == "AdapterVersionExists"


async def test_outputs_batches_and_the_guardian_on_l1(
    platform: DeployedPlatform, l1: AsyncWeb3[Any]
) -> None:
    oracle = await platform.bind(L2OutputOracle, platform.accounts["proposer"])
    inbox = await platform.bind(BatchInbox, platform.accounts["batcher"])
    proof = OutputRootProof(keccak(text="state"), keccak(text="storage"), keccak(text="block"))
    l2_block = await oracle.next_block_number()
    # An L1 block below the head: gas estimation runs on the head, whose own hash
    # blockhash() does not know yet.
    head = await l1.eth.get_block(await l1.eth.block_number - 1)

    await oracle.propose(
        proof.output_root(),
        l2_block,
        l1_block_hash=bytes(head["hash"]),
        l1_block_number=head["number"],
    )

    index = await oracle.next_output_index() - 1
    output = await oracle.get_output(index)
    assert output is not None and output.output_root == proof.output_root()
    assert output.l2_block_number == l2_block
    assert not await oracle.is_finalized(index)
    assert await oracle.get_output(index + 1) is None

    batch_index = await inbox.next_batch_index()
    await inbox.record_batch(batch_index, keccak(text="certificate"), keccak(text="data"))
    await inbox.post_batch_data(batch_index + 1, b"frames")
    recorded = await inbox.batch(batch_index)
    fallback = await inbox.batch(batch_index + 1)
    assert recorded is not None and not recorded.fallback_to_l1
    assert fallback is not None and fallback.fallback_to_l1
    assert fallback.data_hash == keccak(b"frames") and fallback.certificate_hash == bytes(32)
    assert await inbox.batch(batch_index + 2) is None

    guardian = await platform.bind(OpenPortal, platform.accounts["guardian"])
    await guardian.pause()
    assert await guardian.paused()
    depositor = await platform.bind(OpenPortal, platform.deployer)
    with pytest.raises(TransactionReverted) as paused:
        await depositor.deposit_open("0x" + "11" * 20, OPEN, 100_000)
    assert paused.value.error_name == "EnforcedPause"
    await guardian.unpause()
    assert not await guardian.paused()


async def test_a_withdrawal_is_recorded_under_its_op_hash(
    platform: DeployedPlatform, fund: Fund
) -> None:
    sender = await fund()
    passer = await platform.bind(L2ToL1MessagePasser, sender)
    nonce = await passer.message_nonce()

    receipt = await passer.initiate_withdrawal(sender.address, 2 * OPEN, gas_limit=100_000)

    (withdrawal,) = passer.withdrawals(receipt)
    assert withdrawal == WithdrawalTransaction(
        nonce, sender.address, sender.address, 2 * OPEN, 100_000, b""
    )
    (event,) = passer.events(receipt, "MessagePassed")
    assert event["args"]["withdrawalHash"] == withdrawal.hash()
    assert await passer.is_sent(withdrawal.hash())
    slot = await passer.w3.eth.get_storage_at(
        passer.address, int.from_bytes(withdrawal.storage_slot())
    )
    assert int.from_bytes(slot) == 1
    assert await passer.message_nonce() == nonce + 1
