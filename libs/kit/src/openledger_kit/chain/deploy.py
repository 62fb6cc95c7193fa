"""Deploying a contract from its artifact (the deploy module and tests use it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.types import TxParams, TxReceipt, Wei

from openledger_kit.chain.artifacts import Artifact, DeployedContract
from openledger_kit.chain.transactions import TxSender
from openledger_kit.errors import InvalidArgument


@dataclass(frozen=True)
class Deployment:
    """A deployed contract: bound instance, address, block and receipt."""

    name: str
    contract: AsyncContract
    address: ChecksumAddress
    block: int
    tx_hash: HexBytes
    receipt: TxReceipt

    def manifest_entry(self) -> DeployedContract:
        """The record to put in a ``DeploymentManifest``."""
        abi: list[dict[str, Any]] = [dict(element) for element in self.contract.abi]
        return DeployedContract(address=self.address, abi=abi, block=self.block)


async def deploy(
    w3: AsyncWeb3[Any],
    account: LocalAccount,
    artifact: Artifact,
    *args: Any,
    sender: TxSender | None = None,
    value: int = 0,
    timeout: float | None = None,
) -> Deployment:
    """Deploy ``artifact`` with constructor ``args`` from ``account`` and wait for it.

    Pass the service's ``sender`` when it already sends from this account, so the nonces stay
    with one manager. Reverting constructors raise ``TransactionReverted`` with the decoded
    error, like any other transaction.
    """
    if not artifact.deployable:
        raise InvalidArgument(
            "artifact", f"{artifact.name} has no deployable bytecode (interface or unlinked)"
        )
    if sender is None:
        sender = TxSender(w3, account)
    elif sender.address != account.address:
        raise InvalidArgument("sender", "the sender sends from another account")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx: TxParams = {"data": factory.constructor(*args).data_in_transaction, "value": Wei(value)}
    receipt = await sender.send_transaction(tx, abi=artifact.abi, timeout=timeout)
    address = receipt["contractAddress"]
    if address is None:
        raise AssertionError("a successful creation receipt always has a contract address")
    return Deployment(
        name=artifact.name,
        contract=w3.eth.contract(address=address, abi=artifact.abi),
        address=address,
        block=int(receipt["blockNumber"]),
        tx_hash=HexBytes(receipt["transactionHash"]),
        receipt=receipt,
    )
