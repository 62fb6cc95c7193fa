"""The platform deployed on the session's anvils for the modelfactory tests, with one service
account holding ModelRegistry's CATALOGUE and REGISTRAR roles and another holding the
DatanetRegistry's REGISTRAR and CURATION roles (two accounts, so the datanet and modelfactory
servers never share nonces). Import the ``platform`` fixture into a test module or conftest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from web3 import AsyncWeb3

from openledger_kit.chain import ServiceAccount, connect
from openledger_kit.contracts import RoleAccounts, deploy_platform
from openledger_kit.contracts.testing import fresh_account
from openledger_kit.testing.processes import AnvilProcess
from services.datanet.tests.fixtures import contract_artifacts
from services.datanet.tests.support import Chain

__all__ = ["Platform", "contract_artifacts", "platform"]


@dataclass
class Platform:
    manifest_path: Path
    l1: AsyncWeb3[Any]
    l2: AsyncWeb3[Any]
    l2_url: str
    account: ServiceAccount
    """Holds CATALOGUE_ROLE and REGISTRAR_ROLE on the ModelRegistry."""
    key_file: Path
    datanet: Chain
    """What the datanet test helpers need to run a datanet server on the same deployment."""


def write_key(account: ServiceAccount, path: Path) -> Path:
    path.write_text("0x" + bytes(account.key).hex())
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
async def platform(
    anvil_l1: AnvilProcess,
    anvil_l2: AnvilProcess,
    contract_artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Platform]:
    where = tmp_path_factory.mktemp("modelfactory-chain")
    l1: AsyncWeb3[Any] = await connect(anvil_l1.url, expected_chain_id=anvil_l1.chain_id)
    l2: AsyncWeb3[Any] = await connect(anvil_l2.url, expected_chain_id=anvil_l2.chain_id)
    deployer = await fresh_account(l1, l2)
    models = await fresh_account(l1, l2)
    datanets = await fresh_account(l1, l2)
    manifest_path = where / "deployments.json"
    manifest = await deploy_platform(
        anvil_l1.url,
        anvil_l2.url,
        deployer=deployer,
        roles=RoleAccounts(
            datanet_registrar=datanets.address,
            curation=datanets.address,
            catalogue=models.address,
            model_registrar=models.address,
        ),
        artifacts_dir=contract_artifacts,
        manifest_path=manifest_path,
    )
    datanet_chain = Chain(
        manifest,
        manifest_path,
        datanets,
        write_key(datanets, where / "datanet.key"),
        l1,
        l2,
        anvil_l2.url,
    )
    yield Platform(
        manifest_path,
        l1,
        l2,
        anvil_l2.url,
        models,
        write_key(models, where / "modelfactory.key"),
        datanet_chain,
    )
    await l1.provider.disconnect()
    await l2.provider.disconnect()
