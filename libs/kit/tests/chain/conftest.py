"""Fixtures for the chain tests: a contract compiled with solc-js into a Foundry-shaped
``out/`` directory, and freshly funded accounts so tests never share a sender."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import AsyncWeb3

from openledger_kit.chain import ServiceAccount, connect, parse_private_key
from openledger_kit.localnet.processes import repo_root
from openledger_kit.testing.processes import AnvilProcess

SOURCES = Path(__file__).parent
# solc-js reads standard JSON on stdin and writes standard JSON; the path of the solc package
# comes as argv[1] so that require() does not depend on the working directory.
_COMPILE_JS = (
    "const solc = require(process.argv[1]); let input = '';"
    "process.stdin.on('data', (chunk) => (input += chunk));"
    "process.stdin.on('end', () => process.stdout.write(solc.compile(input)));"
)

Fund = Callable[..., Awaitable[ServiceAccount]]


def compile_foundry(sources: list[Path], out_dir: Path) -> Path:
    """Compile Solidity sources with the repository's solc-js into ``out/<File>.sol/<Name>.json``
    artifacts (``abi`` and ``bytecode.object``), as ``forge build`` lays them out."""
    root = repo_root(Path(__file__).parent)
    solc_dir = root / "node_modules" / "solc" if root else None
    node = shutil.which("node")
    if solc_dir is None or not (solc_dir / "package.json").is_file() or node is None:
        pytest.skip("solc-js is not installed (run `make setup` for node_modules/solc and node)")
    standard_input = {
        "language": "Solidity",
        "sources": {path.name: {"content": path.read_text()} for path in sources},
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }
    result = subprocess.run(
        [node, "-e", _COMPILE_JS, str(solc_dir)],
        input=json.dumps(standard_input).encode(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    output = json.loads(result.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("solc failed: " + "; ".join(e["formattedMessage"] for e in errors))
    for source, contracts in output["contracts"].items():
        for name, compiled in contracts.items():
            artifact = out_dir / source / f"{name}.json"
            artifact.parent.mkdir(parents=True, exist_ok=True)
            artifact.write_text(
                json.dumps(
                    {
                        "abi": compiled["abi"],
                        "bytecode": {"object": "0x" + compiled["evm"]["bytecode"]["object"]},
                    }
                )
            )
    return out_dir


@pytest.fixture(scope="session")
def contracts_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Foundry-shaped ``out/`` directory holding the compiled test contracts."""
    return compile_foundry([SOURCES / "Box.sol"], tmp_path_factory.mktemp("contracts") / "out")


@pytest.fixture
async def l1(anvil_l1: AnvilProcess) -> AsyncIterator[AsyncWeb3[Any]]:
    w3 = await connect(anvil_l1.url, expected_chain_id=anvil_l1.chain_id)
    yield w3
    await w3.provider.disconnect()


async def fund_new_account(w3: AsyncWeb3[Any], ether: int = 100) -> ServiceAccount:
    """A brand-new account with a balance set by anvil's cheat RPC: no shared dev key, so no
    test's nonces depend on another's."""
    account = parse_private_key(Account.create().key.hex(), source="test")
    await w3.provider.make_request(
        "anvil_setBalance",
        [account.address, hex(ether * 10**18)],
    )
    return account


@pytest.fixture
def fund(l1: AsyncWeb3[Any]) -> Fund:
    async def make(w3: AsyncWeb3[Any] | None = None, ether: int = 100) -> ServiceAccount:
        return await fund_new_account(w3 or l1, ether)

    return make
