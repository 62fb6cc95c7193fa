"""What every contract binding shares: loading from the deployment manifest, calls with
decoded reverts, transactions through a ``TxSender``, events from receipts, role checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.contract.async_contract import AsyncContractFunction
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import EventData, TxReceipt

from openledger_kit.chain import DeploymentManifest, TransactionReverted, TxSender
from openledger_kit.chain.connection import endpoint_of, transport_errors
from openledger_kit.chain.revert import revert_from_exception
from openledger_kit.errors import FailedPrecondition, InvalidArgument

ZERO_BYTES32 = b"\x00" * 32
DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"


def role_id(name: str) -> bytes:
    """The AccessControl role identifier of ``name``: ``keccak256(name)``, or zero for
    ``DEFAULT_ADMIN_ROLE``."""
    return ZERO_BYTES32 if name == DEFAULT_ADMIN_ROLE else keccak(text=name)


def checksum(address: str) -> ChecksumAddress:
    """``address`` checksummed (web3 refuses other spellings); ``InvalidArgument`` if it is not
    an address."""
    try:
        return to_checksum_address(address)
    except ValueError:
        raise InvalidArgument("address", f"not an Ethereum address: {address!r}") from None


def bytes32(value: bytes | str, field: str) -> bytes:
    """``value`` (bytes or ``0x`` hex) as exactly 32 bytes; ``InvalidArgument`` otherwise."""
    raw = bytes(HexBytes(value))
    if len(raw) != 32:
        raise InvalidArgument(field, f"must be 32 bytes, got {len(raw)}")
    return raw


@dataclass(frozen=True)
class Call:
    """One call a governance proposal (or a batch) makes: target, native value, calldata."""

    target: str
    value: int
    data: bytes


class ContractBinding:
    """A typed wrapper over one deployed contract.

    Reads work without a sender; writes need one (``TxSender`` of the account that signs), and
    raise ``TransactionReverted`` with the contract's custom error decoded. Views that revert
    raise the same type (``tx_hash`` None: nothing was sent).
    """

    CHAIN: ClassVar[str]
    """Chain role in the manifest: ``l1`` or ``l2``."""
    NAME: ClassVar[str]
    """Contract name in the manifest (the Solidity name)."""

    def __init__(self, contract: AsyncContract, sender: TxSender | None = None) -> None:
        if sender is not None and sender.w3 is not contract.w3:
            raise InvalidArgument("sender", "the sender talks to another web3 connection")
        self.contract = contract
        self.sender = sender
        self._endpoint = endpoint_of(contract.w3)

    def __repr__(self) -> str:
        signer = self.sender.address if self.sender is not None else None
        return f"{type(self).__name__}(address={self.address}, sender={signer})"

    @classmethod
    async def load(
        cls, manifest: DeploymentManifest, w3: AsyncWeb3[Any], *, sender: TxSender | None = None
    ) -> Self:
        """The contract recorded in ``manifest``, after checking ``w3`` serves its chain."""
        return cls(await manifest.contract(w3, cls.CHAIN, cls.NAME), sender)

    def with_sender(self, sender: TxSender) -> Self:
        """The same contract, sending from ``sender``'s account."""
        return type(self)(self.contract, sender)

    @property
    def address(self) -> ChecksumAddress:
        return self.contract.address

    @property
    def w3(self) -> AsyncWeb3[Any]:
        return self.contract.w3

    def calldata(self, function: str, *args: Any) -> bytes:
        """ABI-encoded calldata of ``function(*args)`` (for proposals and batches)."""
        return bytes(HexBytes(self.contract.encode_abi(function, args=list(args))))

    def call_of(self, function: str, *args: Any, value: int = 0) -> Call:
        """``function(*args)`` on this contract as a ``Call``."""
        return Call(target=self.address, value=value, data=self.calldata(function, *args))

    def events(self, receipt: TxReceipt, event: str) -> list[EventData]:
        """The ``event`` logs this contract emitted in ``receipt``, decoded."""
        return list(self.contract.events[event]().process_receipt(receipt, errors=DISCARD))

    async def _call(self, fn: AsyncContractFunction) -> Any:
        try:
            with transport_errors(self._endpoint):
                return await fn.call()
        except ContractLogicError as error:
            info = revert_from_exception(error, self.contract.abi)
            raise TransactionReverted(
                info.summary, error_name=info.name, error_args=info.args, revert_data=info.data
            ) from None

    async def _optional(self, fn: AsyncContractFunction, not_found: str) -> Any | None:
        """``fn.call()``, or None when it reverts with the custom error ``not_found``."""
        try:
            return await self._call(fn)
        except TransactionReverted as reverted:
            if reverted.error_name == not_found:
                return None
            raise

    def _require_sender(self) -> TxSender:
        if self.sender is None:
            raise FailedPrecondition(
                f"{type(self).__name__} at {self.address} is read-only: pass a TxSender",
                reason="NO_SENDER",
            )
        return self.sender

    async def _transact(self, fn: AsyncContractFunction, *, value: int = 0) -> TxReceipt:
        return await self._require_sender().transact(fn, value=value)


class AccessControlled(ContractBinding):
    """A contract with OpenZeppelin ``AccessControl`` roles."""

    async def has_role(self, role: str, account: str) -> bool:
        """Whether ``account`` holds role ``role`` (its Solidity name, e.g. ``CURATION_ROLE``)."""
        fn = self.contract.functions.hasRole(role_id(role), checksum(account))
        return bool(await self._call(fn))

    async def grant_role(self, role: str, account: str) -> TxReceipt:
        """Grant ``role`` to ``account`` (the sender must hold the role's admin role)."""
        fn = self.contract.functions.grantRole(role_id(role), checksum(account))
        return await self._transact(fn)

    async def renounce_role(self, role: str) -> TxReceipt:
        """Give up the sender's own ``role``."""
        account = self._require_sender().address
        fn = self.contract.functions.renounceRole(role_id(role), account)
        return await self._transact(fn)


def as_addresses(values: Sequence[str]) -> list[ChecksumAddress]:
    """Every value checksummed."""
    return [checksum(value) for value in values]
