"""Value moving on L2: attribution settles and contributors claim; curation and the pool's
slasher slash stakes to the treasury that ProtocolParams names at the time."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3 import AsyncWeb3

from openledger_kit.chain import ServiceAccount, TransactionReverted
from openledger_kit.contracts import Settlement
from openledger_kit.contracts.bindings import (
    AttributionRewards,
    DatanetRegistry,
    InferencePool,
    ProtocolParams,
    TimelockController,
)
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.testing import DeployedPlatform, fresh_account

Fund = Callable[..., Awaitable[ServiceAccount]]


def _inference_id() -> bytes:
    """A UUIDv7-shaped id as bytes32: 16 bytes left-aligned, zero-padded."""
    return os.urandom(16) + bytes(16)


async def _fee_paid(w3: AsyncWeb3[Any], receipt: Any) -> int:
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])


async def test_settle_then_claim_moves_exactly_the_amounts(
    platform: DeployedPlatform, l2: AsyncWeb3[Any], fund: Fund
) -> None:
    worker = await platform.bind(AttributionRewards, platform.accounts["attribution"])
    alice, bob = await fund(), await fund()
    cold_wallet = (await fresh_account()).address
    inference, evidence = _inference_id(), keccak(text="evidence of one inference")
    amounts = [7 * OPEN // 10, 3 * OPEN // 10 + 1]
    pool_before = await l2.eth.get_balance(worker.address)

    settled = await worker.settle(inference, [alice.address, bob.address], amounts, evidence)

    assert await l2.eth.get_balance(worker.address) == pool_before + sum(amounts)
    (event,) = worker.events(settled, "Settled")
    assert event["args"]["inferenceId"] == inference
    assert (event["args"]["total"], event["args"]["contributorCount"]) == (sum(amounts), 2)
    credited = [
        (e["args"]["contributor"], e["args"]["amount"]) for e in worker.events(settled, "Credited")
    ]
    assert credited == [(alice.address, amounts[0]), (bob.address, amounts[1])]
    record = await worker.settlement(inference)
    assert record is not None and (record.evidence_hash, record.total) == (evidence, sum(amounts))
    assert await worker.is_settled(inference)
    assert await worker.claimable(alice.address) == amounts[0]

    alice_rewards = await platform.bind(AttributionRewards, alice)
    alice_before = await l2.eth.get_balance(alice.address)
    claim = await alice_rewards.claim()
    assert await l2.eth.get_balance(alice.address) == (
        alice_before + amounts[0] - await _fee_paid(l2, claim)
    )
    bob_rewards = await platform.bind(AttributionRewards, bob)
    await bob_rewards.claim_to(cold_wallet)
    assert await l2.eth.get_balance(cold_wallet) == amounts[1]

    assert await l2.eth.get_balance(worker.address) == pool_before
    assert [await worker.claimable(a.address) for a in (alice, bob)] == [0, 0]
    assert [await worker.claimed(a.address) for a in (alice, bob)] == amounts
    with pytest.raises(TransactionReverted) as nothing:
        await alice_rewards.claim()
    assert nothing.value.error_name == "NothingToClaim"
    assert nothing.value.error_args == (alice.address.lower(),)  # eth_abi decodes lowercase


async def test_a_second_settlement_of_the_same_inference_is_rejected(
    platform: DeployedPlatform, fund: Fund
) -> None:
    worker = await platform.bind(AttributionRewards, platform.accounts["attribution"])
    contributor = (await fund()).address
    inference = _inference_id()
    await worker.settle(inference, [contributor], [OPEN], keccak(text="first"))

    with pytest.raises(TransactionReverted) as again:
        await worker.settle(inference, [contributor], [OPEN], keccak(text="second"))
    assert again.value.error_name == "AlreadySettled"
    assert again.value.error_args == (inference,)
    assert again.value.tx_hash is None  # refused at estimation: nothing was paid
    # A batch carrying it is refused whole, so the other entry is not settled either.
    other = _inference_id()
    with pytest.raises(TransactionReverted) as batch:
        await worker.settle_batch(
            [
                Settlement(other, [contributor], [OPEN], keccak(text="other")),
                Settlement(inference, [contributor], [OPEN], keccak(text="dup")),
            ]
        )
    assert batch.value.error_name == "AlreadySettled"
    assert not await worker.is_settled(other)
    assert await worker.claimable(contributor) == OPEN


async def test_curation_slashes_a_contributor_to_the_treasury(
    platform: DeployedPlatform, l2: AsyncWeb3[Any], fund: Fund
) -> None:
    registrar = await platform.bind(DatanetRegistry, platform.accounts["datanet_registrar"])
    curation = await platform.bind(DatanetRegistry, platform.accounts["curation"])
    contributor = await fund()
    staker = await platform.bind(DatanetRegistry, contributor)
    datanet = DatanetRegistry.datanet_id(f"slashing-{os.urandom(4).hex()}")
    treasury = await (await platform.bind(ProtocolParams)).treasury()
    assert treasury == (await platform.bind(TimelockController)).address
    assert await curation.treasury() == treasury

    await registrar.create_datanet(datanet, contributor.address, 5 * OPEN, keccak(text="cfg"))
    await staker.stake(datanet, 10 * OPEN)
    assert await staker.has_required_stake(datanet, contributor.address)
    cap = await curation.slash_cap(datanet, contributor.address)
    params = await (await platform.bind(ProtocolParams)).params()
    assert cap == 10 * OPEN * params.contributor_slash_bps // 10_000
    treasury_before = await l2.eth.get_balance(treasury)
    reason = keccak(text="repeated rejections")

    slashed = await curation.slash(datanet, contributor.address, cap, reason)

    position = await curation.stake_of(datanet, contributor.address)
    assert (position.staked, position.pending_unstake) == (10 * OPEN - cap, 0)
    assert await l2.eth.get_balance(treasury) == treasury_before + cap
    (event,) = curation.events(slashed, "ContributorSlashed")
    assert event["args"]["contributor"] == contributor.address
    assert (event["args"]["amount"], event["args"]["reasonHash"]) == (cap, reason)
    assert event["args"]["staked"] == 10 * OPEN - cap
    assert event["args"]["treasury"] == treasury
    with pytest.raises(TransactionReverted) as over:
        await curation.slash(datanet, contributor.address, cap, reason)
    assert over.value.error_name == "SlashExceedsCap"


async def test_the_pool_slashes_a_provider_to_the_treasury(
    platform: DeployedPlatform, l2: AsyncWeb3[Any], fund: Fund
) -> None:
    provider = await fund()
    pool = await platform.bind(InferencePool, provider)
    slasher = await platform.bind(InferencePool, platform.accounts["slasher"])
    treasury = await (await platform.bind(ProtocolParams)).treasury()
    assert await slasher.treasury() == treasury
    minimum = await pool.min_stake()

    await pool.stake(2 * minimum)
    await pool.register(keccak(text="node metadata"))
    assert await pool.is_active(provider.address)
    cap = await slasher.slash_cap(provider.address)
    assert cap > 0
    treasury_before = await l2.eth.get_balance(treasury)

    slashed = await slasher.slash(provider.address, cap, keccak(text="bad output"))

    assert await pool.stake_of(provider.address) == 2 * minimum - cap
    assert await l2.eth.get_balance(treasury) == treasury_before + cap
    (event,) = slasher.events(slashed, "ProviderSlashed")
    assert (event["args"]["provider"], event["args"]["amount"]) == (provider.address, cap)
    assert event["args"]["treasury"] == treasury
    record = await pool.provider(provider.address)
    assert record.registered and record.stake == 2 * minimum - cap
