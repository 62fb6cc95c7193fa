"""The demo step of the contracts: what is deployed where, one L1 deposit decoded as an OP
deposit transaction, and the governed parameters read from L2."""

from __future__ import annotations

import asyncio
from typing import Any

from web3 import AsyncWeb3

from openledger_kit.chain import DeploymentManifest, TxSender, connected, parse_private_key
from openledger_kit.contracts.bindings import L2OutputOracle, OpenPortal, OpenToken, ProtocolParams
from openledger_kit.contracts.cli import MANIFEST_ENV, resolve_deployer
from openledger_kit.contracts.config import OPEN
from openledger_kit.localnet.components import L1_RPC_URL, L2_RPC_URL
from openledger_kit.localnet.demo import DemoContext, DemoStep
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS

DEPOSIT_AMOUNT = OPEN
DEPOSIT_GAS_LIMIT = 100_000


def _run(ctx: DemoContext) -> None:
    manifest = DeploymentManifest.load(ctx.env(MANIFEST_ENV))
    ctx.shared["deployment_manifest"] = manifest
    for role, chain in manifest.chains.items():
        ctx.say(f"{role.upper()} (chain {chain.chain_id}):")
        for name, entry in chain.contracts.items():
            ctx.say(f"  {name:<22} {entry.address}  (block {entry.block})")
    asyncio.run(_act(ctx, manifest))


async def _act(ctx: DemoContext, manifest: DeploymentManifest) -> None:
    async with connected(ctx.env(L1_RPC_URL)) as l1, connected(ctx.env(L2_RPC_URL)) as l2:
        await _deposit(ctx, manifest, l1, l2)
        params = await (await ProtocolParams.load(manifest, l2)).params()
        window = await (await L2OutputOracle.load(manifest, l1)).challenge_window()
        ctx.say(
            f"L2 ProtocolParams: attribution threshold {params.attribution_threshold_bps} bps "
            f"({params.attribution_threshold_bps / 100:.2f} %), fee split "
            f"{params.contributors_bps}/{params.model_owner_bps}/{params.protocol_bps} bps "
            "(contributors/model owner/protocol)"
        )
        same = "the same as" if window == params.challenge_window_seconds else "DIFFERENT from"
        ctx.say(
            f"challenge window: {params.challenge_window_seconds} s on L2, {same} the L1 "
            f"output oracle's {window} s"
        )


async def _deposit(
    ctx: DemoContext, manifest: DeploymentManifest, l1: AsyncWeb3[Any], l2: AsyncWeb3[Any]
) -> None:
    """Lock 1 OPEN in the portal for an L2 recipient, from the deployer (the token holder of
    a local deployment), and decode the event the way the L2 derivation does."""
    account = resolve_deployer(
        None, l1_chain_id=int(await l1.eth.chain_id), l2_chain_id=int(await l2.eth.chain_id)
    )
    sender = TxSender(l1, account)
    token = await OpenToken.load(manifest, l1, sender=sender)
    portal = await OpenPortal.load(manifest, l1, sender=sender)
    recipient = parse_private_key(ANVIL_DEV_KEYS[1], source="demo recipient").address
    await token.approve(portal.address, DEPOSIT_AMOUNT)
    receipt = await portal.deposit_open(recipient, DEPOSIT_AMOUNT, DEPOSIT_GAS_LIMIT)
    (deposit,) = portal.deposits(receipt)
    locked = await token.balance_of(portal.address)
    ctx.say(
        f"L1 deposit: {account.address} locked {DEPOSIT_AMOUNT / OPEN:g} OPEN in OpenPortal "
        f"(OpenToken.transferFrom; the portal now holds {locked / OPEN:g} OPEN), L1 block "
        f"{receipt['blockNumber']}"
    )
    ctx.say(
        f"decoded as an OP deposit: from {deposit.from_address} to {deposit.to}, mint "
        f"{deposit.mint} wei, value {deposit.value} wei, gas {deposit.gas_limit}, "
        f"creation {deposit.is_creation}"
    )
    ctx.say(f"  source hash 0x{deposit.source_hash.hex()} (user deposit, log {deposit.log_index})")
    ctx.say(f"  L2 transaction hash 0x{deposit.tx_hash.hex()}")


STEP = DemoStep(
    name="contracts",
    title="Contracts deployed on L1 and L2; an OPEN deposit and the governed parameters",
    run=_run,
    order=5,
)
