"""``openledger contracts deploy`` (the one-shot task of ``openledger up``), the deployer-key
rules, and the demo step, against the session's anvils."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import ChecksumAddress
from typer.testing import CliRunner
from web3 import Web3

from openledger_kit.chain import DeploymentManifest
from openledger_kit.cli import create_app
from openledger_kit.contracts.cli import resolve_deployer
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.demo import STEP
from openledger_kit.contracts.testing import DeployedPlatform
from openledger_kit.errors import FailedPrecondition
from openledger_kit.localnet import DemoContext, Endpoints
from openledger_kit.localnet.checks import jsonrpc
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS
from openledger_kit.localnet.spec import TASK_EXPORTS_ENV
from openledger_kit.testing.processes import AnvilProcess


def _funded_key_file(path: Path, *urls: str) -> tuple[Path, ChecksumAddress]:
    account = Account.create()
    for url in urls:
        jsonrpc(url, "anvil_setBalance", [account.address, hex(1_000 * OPEN)])
    path.write_text(account.key.hex())
    path.chmod(0o600)
    return path, account.address


def test_deploy_command_writes_the_manifest_exports_it_and_is_idempotent(
    anvil_l1: AnvilProcess, anvil_l2: AnvilProcess, artifacts_dir: Path, tmp_path: Path
) -> None:
    key_file, deployer = _funded_key_file(tmp_path / "deployer.key", anvil_l1.url, anvil_l2.url)
    batcher = Web3.to_checksum_address("0x" + "5b" * 20)
    config = tmp_path / "deploy.toml"
    config.write_text(
        "challenge_window_seconds = 90\n[params]\nattribution_threshold_bps = 321\n"
        f'[roles]\nbatcher = "{batcher}"\n'
    )
    manifest_path, exports = tmp_path / "run" / "deployments.json", tmp_path / "exports"
    env = {
        "OL_L1_RPC_URL": anvil_l1.url,
        "OL_L2_RPC_URL": anvil_l2.url,
        TASK_EXPORTS_ENV: str(exports),
    }
    args = ["contracts", "deploy", "--manifest", str(manifest_path), "--config", str(config)]
    args += ["--key-file", str(key_file), "--artifacts", str(artifacts_dir)]

    first = CliRunner().invoke(create_app(), args, env=env)

    assert first.exit_code == 0, first.output
    manifest = DeploymentManifest.load(manifest_path)
    assert exports.read_text() == f"OL_DEPLOYMENT_MANIFEST={manifest_path.resolve()}\n"
    for chain in manifest.chains.values():
        for name, entry in chain.contracts.items():
            assert f"{name:<22} {entry.address}" in first.output
    l1, l2 = Web3(Web3.HTTPProvider(anvil_l1.url)), Web3(Web3.HTTPProvider(anvil_l2.url))
    oracle_entry = manifest.entry("l1", "L2OutputOracle")
    oracle = l1.eth.contract(
        address=Web3.to_checksum_address(oracle_entry.address), abi=oracle_entry.abi
    )
    assert oracle.functions.challengeWindow().call() == 90
    params_entry = manifest.entry("l2", "ProtocolParams")
    params = l2.eth.contract(
        address=Web3.to_checksum_address(params_entry.address), abi=params_entry.abi
    )
    assert params.functions.attributionThresholdBps().call() == 321
    assert params.functions.challengeWindowSeconds().call() == 90
    inbox_entry = manifest.entry("l1", "BatchInbox")
    inbox = l1.eth.contract(
        address=Web3.to_checksum_address(inbox_entry.address), abi=inbox_entry.abi
    )
    role = Web3.keccak(text="BATCHER_ROLE")
    assert inbox.functions.hasRole(role, batcher).call()
    assert not inbox.functions.hasRole(role, deployer).call()

    nonces = (l1.eth.get_transaction_count(deployer), l2.eth.get_transaction_count(deployer))
    second = CliRunner().invoke(create_app(), args, env=env)
    assert second.exit_code == 0, second.output
    assert DeploymentManifest.load(manifest_path) == manifest
    assert (
        l1.eth.get_transaction_count(deployer),
        l2.eth.get_transaction_count(deployer),
    ) == nonces


def test_deploy_command_reports_errors_without_a_traceback(
    anvil_l1: AnvilProcess, anvil_l2: AnvilProcess, artifacts_dir: Path, tmp_path: Path
) -> None:
    env = {"OL_L1_RPC_URL": anvil_l1.url, "OL_L2_RPC_URL": anvil_l2.url}
    args = ["contracts", "deploy", "--artifacts", str(tmp_path)]
    missing = CliRunner().invoke(
        create_app(), [*args, "--manifest", str(tmp_path / "m.json")], env=env
    )
    assert missing.exit_code == 1
    assert "no artifacts for OpenToken" in missing.output and "make contracts" in missing.output
    both = CliRunner().invoke(create_app(), [*args, "--build"], env=env)
    assert both.exit_code == 2
    broke = tmp_path / "broke.key"
    broke.write_text(Account.create().key.hex())
    broke.chmod(0o600)
    unfunded = CliRunner().invoke(
        create_app(),
        ["contracts", "deploy", "--artifacts", str(artifacts_dir), "--key-file", str(broke)],
        env={**env, "OL_RUN_DIR": str(tmp_path / "run")},
    )
    assert unfunded.exit_code == 1
    assert "rejected" in unfunded.output and "Traceback" not in unfunded.output
    assert not (tmp_path / "run" / "deployments.json").exists()


def test_the_development_key_is_used_only_on_the_local_chains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OL_DEPLOYER_KEY", raising=False)
    dev = Account.from_key(ANVIL_DEV_KEYS[0]).address
    assert resolve_deployer(None, l1_chain_id=900, l2_chain_id=901).address == dev
    for ids in ((1, 10), (900, 10), (11155111, 901)):
        with pytest.raises(FailedPrecondition) as refused:
            resolve_deployer(None, l1_chain_id=ids[0], l2_chain_id=ids[1])
        assert refused.value.reason == "SIGNING_KEY_MISSING"

    from_env = Account.create()
    monkeypatch.setenv("OL_DEPLOYER_KEY", from_env.key.hex())
    assert resolve_deployer(None, l1_chain_id=1, l2_chain_id=10).address == from_env.address
    from_file = Account.create()
    key_file = tmp_path / "key"
    key_file.write_text(from_file.key.hex())
    key_file.chmod(0o600)
    chosen = resolve_deployer(key_file, l1_chain_id=1, l2_chain_id=10)
    assert chosen.address == from_file.address


def test_the_demo_step_lists_the_contracts_and_decodes_a_deposit(
    platform: DeployedPlatform,
    anvil_l1: AnvilProcess,
    anvil_l2: AnvilProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The demo deposits from the deployer, which holds the OPEN supply.
    monkeypatch.setenv("OL_DEPLOYER_KEY", bytes(platform.deployer.key).hex())
    endpoints = Endpoints(
        run_dir=tmp_path,
        supervisor_pid=os.getpid(),
        started_at=datetime.now(UTC),
        env={
            "OL_DEPLOYMENT_MANIFEST": str(platform.manifest_path),
            "OL_L1_RPC_URL": anvil_l1.url,
            "OL_L2_RPC_URL": anvil_l2.url,
        },
        processes=[],
    )
    out = io.StringIO()
    ctx = DemoContext(endpoints=endpoints, out=out)

    STEP.run(ctx)

    text = out.getvalue()
    for chain in platform.manifest.chains.values():
        for name, entry in chain.contracts.items():
            assert f"{name:<22} {entry.address}" in text
    assert f"{platform.deployer.address} locked 1 OPEN in OpenPortal" in text
    assert "decoded as an OP deposit: from " + platform.deployer.address in text
    assert "source hash 0x" in text and "L2 transaction hash 0x" in text
    assert "L2 ProtocolParams: attribution threshold" in text
    assert "the same as the L1 output oracle's" in text
    assert ctx.shared["deployment_manifest"] == platform.manifest
