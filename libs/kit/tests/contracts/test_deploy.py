"""Deploying both sets to two anvils: the manifest, the wiring of every role, idempotence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3

from openledger_kit.chain import DeploymentManifest, load_artifact
from openledger_kit.contracts import (
    L1_CONTRACTS,
    L2_CONTRACTS,
    DeployConfig,
    Params,
    RoleAccounts,
    deploy_platform,
    deployment_problems,
    load_deploy_file,
)
from openledger_kit.contracts.bindings import (
    DEFAULT_ADMIN_ROLE,
    AccessControlled,
    AttributionRewards,
    BatchInbox,
    DatanetRegistry,
    GOpen,
    InferencePool,
    L2OutputOracle,
    ModelRegistry,
    OpenGovernor,
    OpenPortal,
    OpenToken,
    ProtocolParams,
    TimelockController,
)
from openledger_kit.contracts.deploy import ZERO_ADDRESS
from openledger_kit.contracts.testing import DeployedPlatform
from openledger_kit.errors import InvalidArgument
from openledger_kit.testing.processes import AnvilProcess


async def test_both_sets_are_deployed_and_the_manifest_round_trips(
    platform: DeployedPlatform, artifacts_dir: Path, l1: AsyncWeb3[Any], l2: AsyncWeb3[Any]
) -> None:
    manifest = platform.manifest
    assert DeploymentManifest.load(platform.manifest_path) == manifest
    assert manifest.chains["l1"].chain_id == 900 and manifest.chains["l2"].chain_id == 901
    assert tuple(manifest.chains["l1"].contracts) == L1_CONTRACTS
    assert tuple(manifest.chains["l2"].contracts) == L2_CONTRACTS
    for chain, w3 in (("l1", l1), ("l2", l2)):
        for name, entry in manifest.chains[chain].contracts.items():
            assert entry.abi == load_artifact(artifacts_dir, name).abi
            assert await w3.eth.get_code(w3.to_checksum_address(entry.address)), name
            receipt_block = await w3.eth.get_block(entry.block)
            assert receipt_block["number"] == entry.block
    assert await deployment_problems(manifest, l1, l2) == []
    # Bindings come straight from the manifest file's ABIs and addresses.
    reloaded = DeploymentManifest.load(platform.manifest_path)
    token = await OpenToken.load(reloaded, l1)
    assert await token.total_supply() == DeployConfig().token.initial_supply_wei
    # The holder keeps all of it except what other tests deposited into the portal.
    portal = manifest.entry("l1", "OpenPortal").address
    held = await token.balance_of(platform.deployer.address) + await token.balance_of(portal)
    assert held == await token.total_supply()
    assert await token.cap() == DeployConfig().token.cap_wei


async def test_every_role_is_wired_as_the_constructors_and_natspec_require(
    platform: DeployedPlatform,
) -> None:
    accounts = platform.accounts
    deployer = platform.deployer.address
    timelock = await platform.bind(TimelockController)
    governor = await platform.bind(OpenGovernor)
    expected: list[tuple[type[AccessControlled], str, str]] = [
        (L2OutputOracle, "PROPOSER_ROLE", accounts["proposer"].address),
        (L2OutputOracle, "CHALLENGER_ROLE", accounts["challenger"].address),
        (BatchInbox, "BATCHER_ROLE", accounts["batcher"].address),
        (OpenPortal, "GUARDIAN_ROLE", accounts["guardian"].address),
        (DatanetRegistry, "REGISTRAR_ROLE", accounts["datanet_registrar"].address),
        (DatanetRegistry, "CURATION_ROLE", accounts["curation"].address),
        (ModelRegistry, "CATALOGUE_ROLE", accounts["catalogue"].address),
        (ModelRegistry, "REGISTRAR_ROLE", accounts["model_registrar"].address),
        (InferencePool, "SLASHER_ROLE", accounts["slasher"].address),
        (AttributionRewards, "ATTRIBUTION_ROLE", accounts["attribution"].address),
        (TimelockController, "PROPOSER_ROLE", governor.address),
        (TimelockController, "CANCELLER_ROLE", governor.address),
        (TimelockController, "EXECUTOR_ROLE", ZERO_ADDRESS),
        (ProtocolParams, "PARAMS_ADMIN_ROLE", timelock.address),
    ]
    for binding, role, account in expected:
        contract = await platform.bind(binding)
        assert await contract.has_role(role, account), (binding.NAME, role)
        assert not await contract.has_role(role, deployer) or account == deployer

    for binding in (OpenToken, L2OutputOracle, BatchInbox, OpenPortal):
        contract = await platform.bind(binding)
        assert await contract.has_role(DEFAULT_ADMIN_ROLE, deployer), binding.NAME
    # On L2 governance administers everything: the deployer kept nothing.
    for binding in (
        TimelockController,
        ProtocolParams,
        DatanetRegistry,
        ModelRegistry,
        InferencePool,
        AttributionRewards,
    ):
        contract = await platform.bind(binding)
        assert await contract.has_role(DEFAULT_ADMIN_ROLE, timelock.address), binding.NAME
        assert not await contract.has_role(DEFAULT_ADMIN_ROLE, deployer), binding.NAME
    assert not await (await platform.bind(OpenToken)).has_role("MINTER_ROLE", deployer)

    config = DeployConfig()
    params = await platform.bind(ProtocolParams)
    # The governance test may have changed the threshold since: read the initial one from the
    # event the constructor emitted.
    block = platform.manifest.entry("l2", "ProtocolParams").block
    (initial,) = await params.contract.events.AttributionThresholdChanged().get_logs(
        from_block=block, to_block=block
    )
    assert initial["args"]["newBps"] == config.params.attribution_threshold_bps
    current = await params.params()
    assert current == Params(
        current.attribution_threshold_bps,
        config.params.contributors_bps,
        config.params.model_owner_bps,
        config.params.protocol_bps,
        config.challenge_window_seconds,
        config.params.contributor_slash_bps,
        config.params.provider_slash_bps,
    )
    oracle = await platform.bind(L2OutputOracle)
    assert await oracle.challenge_window() == config.challenge_window_seconds
    assert await params.treasury() == timelock.address
    # Slashes follow the governed treasury: the registries read it, they hold none of their own.
    assert await (await platform.bind(DatanetRegistry)).treasury() == timelock.address
    assert await (await platform.bind(InferencePool)).treasury() == timelock.address
    pool = await platform.bind(InferencePool)
    assert await pool.min_stake() == config.staking.provider_min_stake_wei
    assert await timelock.min_delay() == config.governance.timelock_delay_seconds
    assert await governor.voting_period() == config.governance.voting_period_seconds
    assert await governor.voting_delay() == config.governance.voting_delay_seconds
    gopen = await platform.bind(GOpen)
    assert (await governor.contract.functions.token().call()) == gopen.address


async def test_redeploying_reuses_the_live_deployment_and_sends_nothing(
    platform: DeployedPlatform,
    artifacts_dir: Path,
    anvil_l1: AnvilProcess,
    anvil_l2: AnvilProcess,
    l1: AsyncWeb3[Any],
    l2: AsyncWeb3[Any],
) -> None:
    deployer = platform.deployer.address
    nonces = (
        await l1.eth.get_transaction_count(deployer),
        await l2.eth.get_transaction_count(deployer),
    )
    written = platform.manifest_path.stat().st_mtime_ns

    again = await deploy_platform(
        anvil_l1.url,
        anvil_l2.url,
        deployer=platform.deployer,
        artifacts_dir=artifacts_dir,
        manifest_path=platform.manifest_path,
    )

    assert again == platform.manifest
    assert (
        await l1.eth.get_transaction_count(deployer),
        await l2.eth.get_transaction_count(deployer),
    ) == nonces
    assert platform.manifest_path.stat().st_mtime_ns == written


async def test_a_manifest_that_no_longer_matches_the_chains_is_reported(
    platform: DeployedPlatform, l1: AsyncWeb3[Any], l2: AsyncWeb3[Any]
) -> None:
    stale = platform.manifest.model_copy(deep=True)
    stale.chains["l2"].contracts["ModelRegistry"].address = "0x" + "42" * 20
    del stale.chains["l1"].contracts["BatchInbox"]
    assert await deployment_problems(stale, l1, l2) == [
        "l1 BatchInbox not recorded",
        f"l2 ModelRegistry has no code at {stale.chains['l2'].contracts['ModelRegistry'].address}",
    ]
    swapped = platform.manifest.model_copy(deep=True)
    swapped.chains["l1"], swapped.chains["l2"] = swapped.chains["l2"], swapped.chains["l1"]
    assert await deployment_problems(swapped, l1, l2) == [
        "l1 is chain 900, the manifest says 901",
        "l2 is chain 901, the manifest says 900",
    ]


async def test_a_stale_manifest_is_replaced_by_a_fresh_deployment(
    platform: DeployedPlatform,
    artifacts_dir: Path,
    anvil_l1: AnvilProcess,
    anvil_l2: AnvilProcess,
    tmp_path: Path,
) -> None:
    stale = platform.manifest.model_copy(deep=True)
    stale.chains["l2"].contracts["ModelRegistry"].address = "0x" + "42" * 20
    path = tmp_path / "deployments.json"
    stale.dump(path)

    fresh = await deploy_platform(
        anvil_l1.url,
        anvil_l2.url,
        deployer=platform.deployer,
        artifacts_dir=artifacts_dir,
        manifest_path=path,
    )

    assert DeploymentManifest.load(path) == fresh
    old = platform.manifest.chains["l2"].contracts["AttributionRewards"].address
    assert fresh.chains["l2"].contracts["AttributionRewards"].address != old


def test_deploy_files_are_validated_before_anything_is_sent(tmp_path: Path) -> None:
    good = tmp_path / "deploy.toml"
    good.write_text(
        "challenge_window_seconds = 120\n[params]\nattribution_threshold_bps = 250\n"
        '[roles]\nproposer = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"\n'
    )
    config, roles = load_deploy_file(good)
    assert config.challenge_window_seconds == 120
    assert config.params.attribution_threshold_bps == 250
    assert roles.proposer == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    resolved = roles.resolved("0x" + "ab" * 20)
    assert resolved.batcher == to_checksum_address("0x" + "ab" * 20)
    assert resolved.proposer == roles.proposer

    cases = {
        "split.json": ({"params": {"protocol_bps": 500}}, "fee split must add up to 10000"),
        "window.json": ({"challenge_window_seconds": 0}, "challenge_window_seconds"),
        "supply.json": (
            {"token": {"cap_wei": 10, "initial_supply_wei": 11}},
            "initial_supply_wei exceeds cap_wei",
        ),
        "typo.json": ({"chalenge_window": 5}, "chalenge_window"),
        "roles.json": ({"roles": {"minter": "0x" + "11" * 20}}, "unknown role(s): minter"),
        "address.json": ({"roles": {"batcher": "nope"}}, "not an address"),
    }
    for name, (data, words) in cases.items():
        path = tmp_path / name
        path.write_text(json.dumps(data))
        with pytest.raises(InvalidArgument) as refused:
            load_deploy_file(path)
        assert words in str(refused.value), name


def test_role_defaults_are_the_deployer_except_l2_admin() -> None:
    deployer = to_checksum_address("0x" + "ab" * 20)
    curation = to_checksum_address("0x" + "cd" * 20)
    resolved = RoleAccounts(curation=curation.lower()).resolved(deployer.lower())
    assert resolved.curation == curation
    assert resolved.attribution == resolved.admin == resolved.token_holder == deployer
    assert resolved.l2_admin is None
    with pytest.raises(InvalidArgument):
        RoleAccounts().require("admin")
