"""Fixtures for the contract integration tests: the contracts built once with forge, and the
platform deployed once per session on the session's two anvils, with a fresh funded account
for the deployer and each role, so nothing here shares a key with other tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from web3 import AsyncWeb3

from openledger_kit.chain import ServiceAccount, connect
from openledger_kit.contracts.build import build_contracts
from openledger_kit.contracts.testing import DeployedPlatform, deploy_test_platform, fresh_account
from openledger_kit.localnet.processes import repo_root
from openledger_kit.testing.processes import AnvilProcess

Fund = Callable[..., Awaitable[ServiceAccount]]
"""The ``fund`` fixture: ``await fund(ether=1000)`` gives a new account funded on both chains."""


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """contracts/out, brought up to date by one ``forge build`` per session."""
    root = repo_root(Path(__file__).parent)
    if root is None or not (root / "node_modules" / ".bin" / "forge").exists():
        pytest.skip("node_modules/.bin/forge is missing (run `make setup`): cannot build contracts")
    return build_contracts(root / "contracts")


@pytest.fixture(scope="session")
async def l1(anvil_l1: AnvilProcess) -> AsyncIterator[AsyncWeb3[Any]]:
    w3 = await connect(anvil_l1.url, expected_chain_id=anvil_l1.chain_id)
    yield w3
    await w3.provider.disconnect()


@pytest.fixture(scope="session")
async def l2(anvil_l2: AnvilProcess) -> AsyncIterator[AsyncWeb3[Any]]:
    w3 = await connect(anvil_l2.url, expected_chain_id=anvil_l2.chain_id)
    yield w3
    await w3.provider.disconnect()


@pytest.fixture(scope="session")
async def platform(
    artifacts_dir: Path,
    l1: AsyncWeb3[Any],
    l2: AsyncWeb3[Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> DeployedPlatform:
    """Both sets deployed once for the session, each role held by its own account."""
    manifest_path = tmp_path_factory.mktemp("deployment") / "deployments.json"
    return await deploy_test_platform(
        l1, l2, artifacts_dir=artifacts_dir, manifest_path=manifest_path
    )


@pytest.fixture
def fund(l1: AsyncWeb3[Any], l2: AsyncWeb3[Any]) -> Fund:
    async def make(ether: int = 1_000) -> ServiceAccount:
        return await fresh_account(l1, l2, ether=ether)

    return make
