"""Test support: the whole platform deployed on two anvils with a fresh funded account per
role, for any test suite that needs the contracts (the kit's own and the services')::

    platform = await deploy_test_platform(l1, l2, artifacts_dir=out, manifest_path=path)
    rewards = await platform.bind(AttributionRewards, platform.accounts["attribution"])

Only for anvil: accounts are funded with the ``anvil_setBalance`` cheat RPC.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from eth_account import Account
from web3 import AsyncWeb3

from openledger_kit.chain import DeploymentManifest, ServiceAccount, TxSender, parse_private_key
from openledger_kit.chain.connection import endpoint_of
from openledger_kit.contracts.bindings import ContractBinding, L1Contracts, L2Contracts
from openledger_kit.contracts.config import OPEN, DeployConfig, RoleAccounts
from openledger_kit.contracts.deploy import deploy_platform

B = TypeVar("B", bound=ContractBinding)

SERVICE_ROLES = (
    "guardian",
    "proposer",
    "challenger",
    "batcher",
    "datanet_registrar",
    "curation",
    "catalogue",
    "model_registrar",
    "attribution",
    "slasher",
)
"""The roles ``deploy_test_platform`` gives each to its own account (the L2 admin and the
``ProtocolParams`` treasury stay the timelock; the deployer is the L1 admin and holds the OPEN
supply)."""


async def fresh_account(*chains: AsyncWeb3[Any], ether: int = 1_000) -> ServiceAccount:
    """A brand-new account holding ``ether`` native coin on each anvil in ``chains``."""
    account = parse_private_key(Account.create().key.hex(), source="test account")
    for w3 in chains:
        await w3.provider.make_request("anvil_setBalance", [account.address, hex(ether * OPEN)])
    return account


async def advance_time(w3: AsyncWeb3[Any], seconds: int) -> None:
    """Move an anvil's clock forward by ``seconds`` and mine a block at the new time."""
    await w3.provider.make_request("evm_increaseTime", [seconds])
    await w3.provider.make_request("evm_mine", [])


@dataclass
class DeployedPlatform:
    """A deployed platform: its manifest, the account behind each role, and bindings that
    send from any of them (one ``TxSender`` per account and chain, so nonces stay together)."""

    manifest: DeploymentManifest
    manifest_path: Path
    deployer: ServiceAccount
    accounts: dict[str, ServiceAccount]
    l1: AsyncWeb3[Any]
    l2: AsyncWeb3[Any]
    _senders: dict[tuple[str, str], TxSender] = field(default_factory=dict, repr=False)

    def w3(self, chain: str) -> AsyncWeb3[Any]:
        return self.l1 if chain == "l1" else self.l2

    def sender(self, account: ServiceAccount, chain: str) -> TxSender:
        """The one ``TxSender`` of ``account`` on ``chain`` (``l1``/``l2``)."""
        key = (account.address, chain)
        if key not in self._senders:
            self._senders[key] = TxSender(self.w3(chain), account)
        return self._senders[key]

    async def bind(self, binding: type[B], account: ServiceAccount | None = None) -> B:
        """``binding`` loaded from the manifest, sending from ``account`` when given."""
        sender = None if account is None else self.sender(account, binding.CHAIN)
        return await binding.load(self.manifest, self.w3(binding.CHAIN), sender=sender)

    async def l1_contracts(self) -> L1Contracts:
        return await L1Contracts.load(self.manifest, self.l1)

    async def l2_contracts(self) -> L2Contracts:
        return await L2Contracts.load(self.manifest, self.l2)


async def deploy_test_platform(
    l1: AsyncWeb3[Any],
    l2: AsyncWeb3[Any],
    *,
    artifacts_dir: str | os.PathLike[str],
    manifest_path: str | os.PathLike[str],
    config: DeployConfig | None = None,
) -> DeployedPlatform:
    """Deploy both sets from a fresh deployer, each of ``SERVICE_ROLES`` held by its own
    fresh account."""
    deployer = await fresh_account(l1, l2)
    accounts = {role: await fresh_account(l1, l2) for role in SERVICE_ROLES}
    manifest = await deploy_platform(
        _url(l1),
        _url(l2),
        deployer=deployer,
        roles=RoleAccounts(**{role: account.address for role, account in accounts.items()}),
        config=config,
        artifacts_dir=artifacts_dir,
        manifest_path=manifest_path,
    )
    return DeployedPlatform(manifest, Path(manifest_path), deployer, accounts, l1, l2)


def _url(w3: AsyncWeb3[Any]) -> str:
    uri = getattr(w3.provider, "endpoint_uri", None)
    if not uri:
        raise ValueError(f"{endpoint_of(w3)} is not an HTTP provider with a URL")
    return str(uri)
