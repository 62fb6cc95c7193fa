"""A platform of the settlement tests' own on the session's anvils: two settler accounts with
``ATTRIBUTION_ROLE`` (so two workers can race), an L2 admin that granted the second, and the
governance that owns ``ProtocolParams``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3 import AsyncWeb3

from openledger_kit.chain import ServiceAccount, connect
from openledger_kit.contracts import RoleAccounts, deploy_platform
from openledger_kit.contracts.bindings.l2 import AttributionRewards
from openledger_kit.contracts.testing import DeployedPlatform, fresh_account
from openledger_kit.testing.processes import AnvilProcess
from services.datanet.tests.fixtures import contract_artifacts

__all__ = ["Chain", "chain", "contract_artifacts"]


@dataclass
class Chain:
    platform: DeployedPlatform
    l2_url: str
    chain_id: int
    rewards_address: str
    settlers: tuple[ServiceAccount, ServiceAccount]


@pytest.fixture(scope="module")
async def chain(
    anvil_l1: AnvilProcess,
    anvil_l2: AnvilProcess,
    contract_artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Chain]:
    l1: AsyncWeb3[Any] = await connect(anvil_l1.url, expected_chain_id=anvil_l1.chain_id)
    l2: AsyncWeb3[Any] = await connect(anvil_l2.url, expected_chain_id=anvil_l2.chain_id)
    deployer, admin, first, second = [await fresh_account(l1, l2) for _ in range(4)]
    manifest_path = tmp_path_factory.mktemp("attribution-chain") / "deployments.json"
    manifest = await deploy_platform(
        anvil_l1.url,
        anvil_l2.url,
        deployer=deployer,
        roles=RoleAccounts(attribution=first.address, l2_admin=admin.address),
        artifacts_dir=contract_artifacts,
        manifest_path=manifest_path,
    )
    platform = DeployedPlatform(
        manifest, manifest_path, deployer, {"admin": admin, "attribution": first}, l1, l2
    )
    rewards = await platform.bind(AttributionRewards, admin)
    await rewards.grant_role("ATTRIBUTION_ROLE", second.address)
    yield Chain(platform, anvil_l2.url, anvil_l2.chain_id, rewards.address, (first, second))
    await l1.provider.disconnect()
    await l2.provider.disconnect()
