"""Session fixtures of the datanet API and end-to-end tests (imported by their conftests):
the platform's contracts deployed once on the session's anvils, with one service account
holding the registry's REGISTRAR and CURATION roles."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import AsyncWeb3

from openledger_kit.chain import connect
from openledger_kit.contracts.build import build_contracts
from openledger_kit.localnet.processes import repo_root
from openledger_kit.testing.processes import AnvilProcess, RedisProcess, running_redis
from services.datanet.tests.support import Chain, deploy_chain


@pytest.fixture(scope="session")
def contract_artifacts() -> Path:
    root = repo_root(Path(__file__).parent)
    if root is None or not (root / "node_modules" / ".bin" / "forge").exists():
        pytest.skip("node_modules/.bin/forge is missing (run `make setup`)")
    return build_contracts(root / "contracts")


@pytest.fixture(scope="session")
async def chain(
    anvil_l1: AnvilProcess,
    anvil_l2: AnvilProcess,
    contract_artifacts: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Chain]:
    l1: AsyncWeb3[Any] = await connect(anvil_l1.url, expected_chain_id=anvil_l1.chain_id)
    l2: AsyncWeb3[Any] = await connect(anvil_l2.url, expected_chain_id=anvil_l2.chain_id)
    deployed = await deploy_chain(
        l1,
        l2,
        anvil_l1.url,
        anvil_l2.url,
        contract_artifacts,
        tmp_path_factory.mktemp("datanet-chain"),
    )
    yield deployed
    await l1.provider.disconnect()
    await l2.provider.disconnect()


@pytest.fixture(scope="module")
def datanet_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A Redis of the module's own: the datanet streams have fixed keys."""
    with running_redis(tmp_path_factory.mktemp("datanet-redis")) as server:
        yield server
