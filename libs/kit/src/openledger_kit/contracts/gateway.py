"""A service's lazy connection to one of the platform's contracts.

A service starts before the chain is up and becomes ready once it is, so a gateway connects on
first use (under a lock, once), binds the contract recorded in the deployment manifest, and
sends every write from the service account through one ``TxSender``. Services subclass it with
their binding and add the reads and writes their domain needs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from openledger_kit.chain import DeploymentManifest, TxSender, connect, load_account
from openledger_kit.contracts.bindings.base import ContractBinding

B = TypeVar("B", bound=ContractBinding)


class ContractGateway(Generic[B]):
    """``BINDING`` on the chain at ``rpc_url``. ``account`` signs the writes; without one the
    binding has no sender and writes fail (a read-only gateway, e.g. for a CLI)."""

    BINDING: ClassVar[type[Any]]

    def __init__(
        self,
        rpc_url: str,
        manifest_path: Path,
        account: LocalAccount | None,
        *,
        receipt_timeout: float = 120.0,
    ) -> None:
        self._rpc_url = rpc_url
        self._manifest_path = manifest_path
        self._account = account
        self._receipt_timeout = receipt_timeout
        self._lock = asyncio.Lock()
        self._w3: AsyncWeb3[Any] | None = None
        self._contract: B | None = None
        self._chain_id = 0

    @classmethod
    def from_key_file(
        cls,
        rpc_url: str,
        manifest_path: Path,
        key_file: Path | None,
        *,
        receipt_timeout: float = 120.0,
    ) -> Self:
        account = load_account(file=key_file) if key_file is not None else None
        return cls(rpc_url, manifest_path, account, receipt_timeout=receipt_timeout)

    @property
    def address(self) -> str | None:
        """The service account's address, if it has one."""
        return None if self._account is None else str(self._account.address)

    @property
    def chain_id(self) -> int:
        """The chain's id; 0 before the first connection."""
        return self._chain_id

    async def bound(self) -> B:
        """The bound contract, connecting on first use."""
        async with self._lock:
            if self._contract is None:
                manifest = DeploymentManifest.load(self._manifest_path)
                w3 = await connect(self._rpc_url, timeout=30.0)
                try:
                    sender = None
                    if self._account is not None:
                        sender = TxSender(w3, self._account, receipt_timeout=self._receipt_timeout)
                    contract: B = await self.BINDING.load(manifest, w3, sender=sender)
                    self._chain_id = int(await w3.eth.chain_id)
                except BaseException:
                    await w3.provider.disconnect()
                    raise
                self._contract = contract
                self._w3 = w3
            return self._contract

    async def probe(self) -> bool:
        """Readiness: the manifest names the contract and the chain serves its code."""
        contract = await self.bound()
        return len(await contract.w3.eth.get_code(contract.address)) > 0

    async def close(self) -> None:
        if self._w3 is not None:
            await self._w3.provider.disconnect()
            self._w3 = None
            self._contract = None
