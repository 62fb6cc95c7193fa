"""``openledger contracts``: deploy the platform's contracts (a one-shot task of
``openledger up``, or by hand against any two chains)."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from openledger_kit.chain import ServiceAccount, connected, load_account, parse_private_key
from openledger_kit.contracts.build import build_contracts, default_artifacts_dir, missing_artifacts
from openledger_kit.contracts.config import DeployConfig, RoleAccounts, load_deploy_file
from openledger_kit.contracts.deploy import L1_CONTRACTS, L2_CONTRACTS, deploy_platform
from openledger_kit.errors import FailedPrecondition, OpenLedgerError
from openledger_kit.localnet.processes import ANVIL_DEV_KEYS, L1_CHAIN_ID, L2_CHAIN_ID
from openledger_kit.localnet.rundir import RunDir
from openledger_kit.localnet.spec import TASK_EXPORTS_ENV

DEPLOYER_KEY_ENV = "OL_DEPLOYER_KEY"
MANIFEST_ENV = "OL_DEPLOYMENT_MANIFEST"
MANIFEST_FILE = "deployments.json"
"""In the run directory: where ``ServiceSettings.deployment_manifest`` looks by default."""
LOCAL_CHAIN_IDS = (L1_CHAIN_ID, L2_CHAIN_ID)

app = typer.Typer(help="OpenLedger's contracts: deploy the L1 and L2 sets.", no_args_is_help=True)


def resolve_deployer(
    key_file: Path | None, *, l1_chain_id: int, l2_chain_id: int
) -> ServiceAccount:
    """The deploying account: ``key_file``, else ``$OL_DEPLOYER_KEY``, else anvil's first
    development key, but that one only when both chains are the local ones (900, 901): on any
    other chain a key must be given."""
    if key_file is not None:
        return load_account(file=key_file)
    if os.environ.get(DEPLOYER_KEY_ENV):
        return load_account(env=DEPLOYER_KEY_ENV)
    if (l1_chain_id, l2_chain_id) == LOCAL_CHAIN_IDS:
        return parse_private_key(ANVIL_DEV_KEYS[0], source="anvil's first development key")
    raise FailedPrecondition(
        f"no deployer key for chains {l1_chain_id}/{l2_chain_id}: give --key-file or set "
        f"{DEPLOYER_KEY_ENV} (the development key is used only on chains "
        f"{L1_CHAIN_ID}/{L2_CHAIN_ID})",
        reason="SIGNING_KEY_MISSING",
    )


async def _chain_ids(l1_rpc: str, l2_rpc: str) -> tuple[int, int]:
    async with connected(l1_rpc) as l1, connected(l2_rpc) as l2:
        return int(await l1.eth.chain_id), int(await l2.eth.chain_id)


def _export(key: str, value: str) -> None:
    """Publish ``key=value`` to later processes when run as a task of ``openledger up``."""
    exports = os.environ.get(TASK_EXPORTS_ENV)
    if exports:
        with open(exports, "a") as file:
            file.write(f"{key}={value}\n")


@app.command("deploy")
def deploy_command(
    l1_rpc: Annotated[str, typer.Option(envvar="OL_L1_RPC_URL", help="L1 JSON-RPC URL")],
    l2_rpc: Annotated[str, typer.Option(envvar="OL_L2_RPC_URL", help="L2 JSON-RPC URL")],
    manifest: Annotated[
        Path | None,
        typer.Option(help=f"where to write the manifest (default: <run dir>/{MANIFEST_FILE})"),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="deployment settings and roles (TOML or JSON)"),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help=f"deployer private key file (else ${DEPLOYER_KEY_ENV})"),
    ] = None,
    artifacts: Annotated[
        Path | None, typer.Option(help="Foundry out/ directory (default: contracts/out)")
    ] = None,
    build: Annotated[
        bool,
        typer.Option(
            "--build/--no-build",
            help="run `forge build` first (without it, only when artifacts are missing)",
        ),
    ] = False,
) -> None:
    """Deploy (or reuse) the L1 and L2 contracts and write the deployment manifest."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # web3 logs every session it closes at INFO.
    logging.getLogger("web3").setLevel(logging.WARNING)
    target = manifest or RunDir.resolve().path / MANIFEST_FILE
    try:
        settings, roles = load_deploy_file(config) if config else (DeployConfig(), RoleAccounts())
        if artifacts is not None:
            if build:
                raise typer.BadParameter("--build builds contracts/ and takes no --artifacts")
            out_dir = artifacts
        else:
            out_dir = default_artifacts_dir()
            if build or missing_artifacts(out_dir, L1_CONTRACTS + L2_CONTRACTS):
                typer.echo("building the contracts (forge build) ...")
                out_dir = build_contracts()
        l1_id, l2_id = asyncio.run(_chain_ids(l1_rpc, l2_rpc))
        deployer = resolve_deployer(key_file, l1_chain_id=l1_id, l2_chain_id=l2_id)
        deployed = asyncio.run(
            deploy_platform(
                l1_rpc,
                l2_rpc,
                deployer=deployer,
                roles=roles,
                config=settings,
                artifacts_dir=out_dir,
                manifest_path=target,
            )
        )
    except OpenLedgerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for role, chain in deployed.chains.items():
        typer.echo(f"{role} (chain {chain.chain_id}):")
        for name, entry in chain.contracts.items():
            typer.echo(f"  {name:<22} {entry.address}  block {entry.block}")
    typer.echo(f"manifest: {target}")
    _export(MANIFEST_ENV, str(target.resolve()))
