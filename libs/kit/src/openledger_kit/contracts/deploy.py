"""Deploying the platform: the L1 set and the L2 set, with every role wired, recorded in one
deployment manifest that services read.

Wiring (each contract's constructor and NatSpec):

- L1: ``OpenToken`` (initial supply to ``token_holder``; no minter), ``L2OutputOracle``
  (``proposer``, ``challenger``, the challenge window), ``BatchInbox`` (``batcher``),
  ``OpenPortal`` (token, oracle, ``guardian``); ``admin`` administers all four.
- L2 governance: ``GOpen``; a ``TimelockController`` whose proposer and canceller is the
  ``OpenGovernor``, whose executor is anyone (address 0), and whose temporary admin (the
  deployer) renounces, leaving it self-administered; ``ProtocolParams`` owned by the timelock,
  with the same challenge window as the L1 oracle.
- L2 registries: the deployer grants ``REGISTRAR_ROLE``/``CURATION_ROLE`` (DatanetRegistry),
  ``CATALOGUE_ROLE``/``REGISTRAR_ROLE`` (ModelRegistry), ``SLASHER_ROLE`` (InferencePool) and
  ``ATTRIBUTION_ROLE`` (AttributionRewards), then hands ``DEFAULT_ADMIN_ROLE`` to ``l2_admin``
  (the timelock unless set) and renounces its own. Slashes go to ``ProtocolParams.treasury()``
  as it is at each slash: the timelock at first, then whatever governance sets.

Idempotent: given a manifest path whose manifest matches both chains (same chain ids, every
contract with code), that manifest is returned and nothing is sent, so ``openledger up``
restarts reuse the chains anvil persisted.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from openledger_kit.chain import (
    Artifact,
    DeployedContract,
    Deployment,
    DeploymentManifest,
    TxSender,
    connected,
    deploy,
    load_artifact,
)
from openledger_kit.chain.connection import endpoint_of, transport_errors
from openledger_kit.contracts.bindings.base import DEFAULT_ADMIN_ROLE, AccessControlled
from openledger_kit.contracts.config import DeployConfig, RoleAccounts
from openledger_kit.errors import NotFound

logger = logging.getLogger(__name__)

L1 = "l1"
L2 = "l2"
L1_CONTRACTS = ("OpenToken", "L2OutputOracle", "BatchInbox", "OpenPortal")
L2_CONTRACTS = (
    "GOpen",
    "TimelockController",
    "OpenGovernor",
    "ProtocolParams",
    "DatanetRegistry",
    "ModelRegistry",
    "InferencePool",
    "AttributionRewards",
    "L2ToL1MessagePasser",
)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def load_platform_artifacts(artifacts_dir: str | os.PathLike[str]) -> dict[str, Artifact]:
    """Every artifact the platform needs, from a Foundry ``out/`` (all or ``NotFound``)."""
    found: dict[str, Artifact] = {}
    missing = []
    for name in (*L1_CONTRACTS, *L2_CONTRACTS):
        try:
            found[name] = load_artifact(artifacts_dir, name)
        except NotFound:
            missing.append(name)
    if missing:
        raise NotFound(
            f"no artifacts for {', '.join(missing)} in {artifacts_dir}: run `make contracts`",
            reason="ARTIFACT_NOT_FOUND",
        )
    return found


async def deployment_problems(
    manifest: DeploymentManifest, l1: AsyncWeb3[Any], l2: AsyncWeb3[Any]
) -> list[str]:
    """Why ``manifest`` does not describe the chains behind ``l1`` and ``l2`` (empty: it does):
    a chain id differs, a contract is missing from it, or has no code at its address."""
    problems = []
    for role, w3, names in ((L1, l1, L1_CONTRACTS), (L2, l2, L2_CONTRACTS)):
        chain = manifest.chains.get(role)
        if chain is None:
            problems.append(f"no {role} chain")
            continue
        endpoint = endpoint_of(w3)
        with transport_errors(endpoint):
            chain_id = int(await w3.eth.chain_id)
        if chain.chain_id != chain_id:
            problems.append(f"{role} is chain {chain_id}, the manifest says {chain.chain_id}")
            continue
        for name in names:
            entry = chain.contracts.get(name)
            if entry is None:
                problems.append(f"{role} {name} not recorded")
                continue
            with transport_errors(endpoint):
                code = await w3.eth.get_code(w3.to_checksum_address(entry.address))
            if not code:
                problems.append(f"{role} {name} has no code at {entry.address}")
    return problems


async def deploy_platform(
    l1_url: str,
    l2_url: str,
    *,
    deployer: LocalAccount,
    roles: RoleAccounts | None = None,
    config: DeployConfig | None = None,
    artifacts_dir: str | os.PathLike[str],
    manifest_path: str | os.PathLike[str] | None = None,
) -> DeploymentManifest:
    """Deploy the L1 and L2 sets from ``deployer`` and wire their roles (module docstring).

    With ``manifest_path``: an existing manifest that still matches both chains is returned
    as is (nothing is sent); otherwise the new manifest is written there atomically once both
    sets are deployed. Raises the chain errors of ``openledger_kit.chain`` (a reverting
    constructor or grant as ``TransactionReverted``) and ``NotFound`` for missing artifacts.
    """
    roles = (roles or RoleAccounts()).resolved(deployer.address)
    config = config or DeployConfig()
    artifacts = load_platform_artifacts(artifacts_dir)
    async with connected(l1_url) as l1, connected(l2_url) as l2:
        if manifest_path is not None and Path(manifest_path).is_file():
            existing = DeploymentManifest.load(manifest_path)
            problems = await deployment_problems(existing, l1, l2)
            if not problems:
                logger.info("deployment in %s matches both chains: reusing it", manifest_path)
                return existing
            logger.info("redeploying: %s", "; ".join(problems))
        try:
            async with asyncio.TaskGroup() as group:
                l1_task = group.create_task(_deploy_l1(l1, deployer, roles, config, artifacts))
                l2_task = group.create_task(_deploy_l2(l2, deployer, roles, config, artifacts))
        except BaseExceptionGroup as failed:
            # Callers handle the chain errors themselves, not a group of them.
            for extra in failed.exceptions[1:]:
                logger.error("deployment also failed on the other chain: %s", extra)
            raise failed.exceptions[0] from None
        manifest = DeploymentManifest()
        for role, w3, entries in ((L1, l1, l1_task.result()), (L2, l2, l2_task.result())):
            chain_id = int(await w3.eth.chain_id)
            for name, entry in entries.items():
                manifest.record(role, chain_id, name, entry)
    if manifest_path is not None:
        manifest.dump(manifest_path)
        logger.info("deployment manifest written to %s", manifest_path)
    return manifest


async def _deploy_l1(
    w3: AsyncWeb3[Any],
    deployer: LocalAccount,
    roles: RoleAccounts,
    config: DeployConfig,
    artifacts: Mapping[str, Artifact],
) -> dict[str, DeployedContract]:
    sender = TxSender(w3, deployer)

    async def create(name: str, *args: Any) -> Deployment:
        deployment = await deploy(w3, deployer, artifacts[name], *args, sender=sender)
        logger.info("L1 %s at %s (block %d)", name, deployment.address, deployment.block)
        return deployment

    admin = roles.require("admin")
    token = await create(
        "OpenToken",
        admin,
        roles.require("token_holder"),
        config.token.initial_supply_wei,
        config.token.cap_wei,
    )
    oracle = await create(
        "L2OutputOracle",
        admin,
        roles.require("proposer"),
        roles.require("challenger"),
        config.challenge_window_seconds,
        config.outputs.starting_block_number,
        config.outputs.submission_interval,
    )
    inbox = await create("BatchInbox", admin, roles.require("batcher"))
    portal = await create(
        "OpenPortal", admin, token.address, oracle.address, roles.require("guardian")
    )
    return {d.name: d.manifest_entry() for d in (token, oracle, inbox, portal)}


async def _deploy_l2(
    w3: AsyncWeb3[Any],
    deployer: LocalAccount,
    roles: RoleAccounts,
    config: DeployConfig,
    artifacts: Mapping[str, Artifact],
) -> dict[str, DeployedContract]:
    sender = TxSender(w3, deployer)

    async def create(name: str, *args: Any) -> Deployment:
        deployment = await deploy(w3, deployer, artifacts[name], *args, sender=sender)
        logger.info("L2 %s at %s (block %d)", name, deployment.address, deployment.block)
        return deployment

    def access(deployment: Deployment) -> AccessControlled:
        return AccessControlled(deployment.contract, sender)

    governance = config.governance
    gopen = await create("GOpen")
    # The deployer is the timelock's admin only until the governor holds its roles.
    timelock = await create(
        "TimelockController",
        governance.timelock_delay_seconds,
        [],
        [ZERO_ADDRESS],
        deployer.address,
    )
    governor = await create(
        "OpenGovernor",
        gopen.address,
        timelock.address,
        governance.voting_delay_seconds,
        governance.voting_period_seconds,
        governance.proposal_threshold_wei,
        governance.quorum_percent,
    )
    p = config.params
    params = await create(
        "ProtocolParams",
        timelock.address,
        (
            p.attribution_threshold_bps,
            p.contributors_bps,
            p.model_owner_bps,
            p.protocol_bps,
            config.challenge_window_seconds,
            p.contributor_slash_bps,
            p.provider_slash_bps,
        ),
    )
    staking = config.staking
    datanets = await create(
        "DatanetRegistry", deployer.address, params.address, staking.unstake_cooldown_seconds
    )
    models = await create("ModelRegistry", deployer.address)
    pool = await create(
        "InferencePool",
        deployer.address,
        params.address,
        staking.provider_min_stake_wei,
        staking.provider_exit_cooldown_seconds,
    )
    rewards = await create("AttributionRewards", deployer.address)
    passer = await create("L2ToL1MessagePasser")

    grants = [
        (timelock, "PROPOSER_ROLE", governor.address),
        (timelock, "CANCELLER_ROLE", governor.address),
        (datanets, "REGISTRAR_ROLE", roles.require("datanet_registrar")),
        (datanets, "CURATION_ROLE", roles.require("curation")),
        (models, "CATALOGUE_ROLE", roles.require("catalogue")),
        (models, "REGISTRAR_ROLE", roles.require("model_registrar")),
        (pool, "SLASHER_ROLE", roles.require("slasher")),
        (rewards, "ATTRIBUTION_ROLE", roles.require("attribution")),
    ]
    # One at a time: the renounces below must follow every grant the deployer makes.
    for deployment, role, account in grants:
        await access(deployment).grant_role(role, account)
    l2_admin = roles.l2_admin or timelock.address
    for registry in (datanets, models, pool, rewards):
        if l2_admin != deployer.address:
            await access(registry).grant_role(DEFAULT_ADMIN_ROLE, l2_admin)
            await access(registry).renounce_role(DEFAULT_ADMIN_ROLE)
    await access(timelock).renounce_role(DEFAULT_ADMIN_ROLE)
    deployed = (gopen, timelock, governor, params, datanets, models, pool, rewards, passer)
    return {d.name: d.manifest_entry() for d in deployed}
