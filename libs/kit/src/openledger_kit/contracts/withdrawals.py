"""L2 → L1 withdrawals in the OP Stack format: the withdrawal a ``MessagePassed`` event
describes, its hash, the message passer's storage slot that records it, and the output root
preimage the portal proves against (``contracts/src/libraries/Hashing.sol``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import abi as eth_abi
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

OUTPUT_VERSION_V0 = b"\x00" * 32
"""Version 0 of the output root format, the only one defined."""


@dataclass(frozen=True)
class WithdrawalTransaction:
    """A withdrawal initiated through ``L2ToL1MessagePasser`` (field order is part of the
    hash)."""

    nonce: int
    sender: str
    target: str
    value: int
    gas_limit: int
    data: bytes

    def hash(self) -> bytes:
        """``keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))``."""
        return keccak(
            eth_abi.encode(
                ["uint256", "address", "address", "uint256", "uint256", "bytes"],
                [self.nonce, self.sender, self.target, self.value, self.gas_limit, self.data],
            )
        )

    def storage_slot(self) -> bytes:
        """The message passer's slot of ``sentMessages[hash]`` (a mapping at slot 0), whose
        storage proof the portal checks."""
        return keccak(eth_abi.encode(["bytes32", "uint256"], [self.hash(), 0]))

    def as_tuple(self) -> tuple[int, str, str, int, int, bytes]:
        """The ``Types.WithdrawalTransaction`` struct as web3 takes it."""
        return (
            self.nonce,
            to_checksum_address(self.sender),
            to_checksum_address(self.target),
            self.value,
            self.gas_limit,
            self.data,
        )

    @classmethod
    def from_event(cls, args: Mapping[str, Any]) -> WithdrawalTransaction:
        """From the decoded arguments of a ``MessagePassed`` event."""
        return cls(
            nonce=int(args["nonce"]),
            sender=str(to_checksum_address(args["sender"])),
            target=str(to_checksum_address(args["target"])),
            value=int(args["value"]),
            gas_limit=int(args["gasLimit"]),
            data=bytes(args["data"]),
        )


@dataclass(frozen=True)
class OutputRootProof:
    """The preimage of an output root."""

    state_root: bytes
    message_passer_storage_root: bytes
    latest_blockhash: bytes
    version: bytes = OUTPUT_VERSION_V0

    def output_root(self) -> bytes:
        """``keccak256(version ‖ stateRoot ‖ messagePasserStorageRoot ‖ latestBlockhash)``."""
        return keccak(
            self.version
            + self.state_root
            + self.message_passer_storage_root
            + self.latest_blockhash
        )

    def as_tuple(self) -> tuple[bytes, bytes, bytes, bytes]:
        """The ``Types.OutputRootProof`` struct as web3 takes it."""
        return (
            self.version,
            self.state_root,
            self.message_passer_storage_root,
            self.latest_blockhash,
        )
