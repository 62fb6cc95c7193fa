"""L1 → L2 deposits in the OP Stack format: the portal's ``TransactionDeposited`` log decoded
into the deposit transaction it stands for, with its source hash, its ``0x7E`` encoding and its
L2 transaction hash (OP specs, "Deposits").

The portal emits ``TransactionDeposited(from, to, version, opaqueData)`` with ``from``, ``to`` and
``version`` indexed; version 0 packs ``opaqueData`` as
``mint (uint256) ‖ value (uint256) ‖ gasLimit (uint64) ‖ isCreation (bool) ‖ data``. A user
deposit's source hash is ``keccak256(bytes32(0) ‖ keccak256(l1BlockHash ‖ bytes32(logIndex)))``,
where ``logIndex`` is the log's index in its L1 block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import abi as eth_abi
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from openledger_kit.errors import InvalidArgument

TRANSACTION_DEPOSITED_TOPIC = keccak(text="TransactionDeposited(address,address,uint256,bytes)")
"""topic 0 of the portal's deposit event."""
DEPOSIT_TX_TYPE = 0x7E
"""EIP-2718 type byte of deposit transactions."""
USER_DEPOSIT_DOMAIN = 0
"""Source-hash domain of deposits made by L1 users (1 is L1-info, 2 upgrades)."""
DEPOSIT_VERSION = 0
"""The only ``opaqueData`` layout defined."""

_OPAQUE_HEAD = 32 + 32 + 8 + 1  # mint, value, gas limit, isCreation


def user_deposit_source_hash(l1_block_hash: bytes, log_index: int) -> bytes:
    """The source hash of the user deposit emitted as log ``log_index`` of L1 block
    ``l1_block_hash``."""
    if len(l1_block_hash) != 32:
        raise InvalidArgument("l1_block_hash", "a block hash has 32 bytes")
    if not 0 <= log_index < 2**256:
        raise InvalidArgument("log_index", "must be a uint256")
    deposit_id = keccak(bytes(l1_block_hash) + log_index.to_bytes(32, "big"))
    return keccak(USER_DEPOSIT_DOMAIN.to_bytes(32, "big") + deposit_id)


@dataclass(frozen=True)
class DepositTransaction:
    """A deposit transaction as the L2 executes it: ``mint`` native OPEN is credited to
    ``from_address``, which then calls ``to`` (None: contract creation) with ``value`` and
    ``data`` under ``gas_limit``. The L1 origin (block hash and number, log index) comes along
    for tracing."""

    source_hash: bytes
    from_address: str
    to: str | None
    mint: int
    value: int
    gas_limit: int
    is_creation: bool
    data: bytes
    version: int
    l1_block_hash: bytes
    l1_block_number: int | None
    log_index: int
    is_system_transaction: bool = False

    def encode(self) -> bytes:
        """The typed-transaction encoding: ``0x7E ‖ rlp([sourceHash, from, to, mint, value,
        gas, isSystemTx, data])`` (``to`` empty for a creation). This is what the sequencer
        submits to an OP execution engine."""
        to = b"" if self.to is None else HexBytes(self.to)
        items: list[bytes] = [
            self.source_hash,
            bytes(HexBytes(self.from_address)),
            bytes(to),
            _uint(self.mint),
            _uint(self.value),
            _uint(self.gas_limit),
            _uint(int(self.is_system_transaction)),
            self.data,
        ]
        return bytes([DEPOSIT_TX_TYPE]) + _rlp_list(items)

    @property
    def tx_hash(self) -> bytes:
        """The L2 transaction hash: keccak256 of ``encode()``."""
        return keccak(self.encode())


def decode_deposit(log: Mapping[str, Any]) -> DepositTransaction:
    """Decode one ``TransactionDeposited`` log (a web3 log or receipt log: ``topics``,
    ``data``, ``blockHash``, ``logIndex``, optionally ``blockNumber``).

    Raises ``InvalidArgument`` for another event, an unknown version or truncated data.
    """
    topics = [bytes(HexBytes(topic)) for topic in log.get("topics", ())]
    if len(topics) != 4 or topics[0] != TRANSACTION_DEPOSITED_TOPIC:
        raise InvalidArgument("log", "not a TransactionDeposited(address,address,uint256,bytes)")
    version = int.from_bytes(topics[3], "big")
    if version != DEPOSIT_VERSION:
        raise InvalidArgument("log", f"unsupported deposit version {version}")
    try:
        (opaque,) = eth_abi.decode(["bytes"], bytes(HexBytes(log["data"])))
    except Exception as exc:  # eth_abi raises several decoding error types
        raise InvalidArgument("log", f"undecodable opaqueData: {exc}") from None
    if len(opaque) < _OPAQUE_HEAD:
        raise InvalidArgument("log", f"opaqueData has {len(opaque)} bytes, fewer than 73")
    block_hash = bytes(HexBytes(log["blockHash"]))
    log_index = int(log["logIndex"])
    is_creation = opaque[72] != 0
    block_number = log.get("blockNumber")
    return DepositTransaction(
        source_hash=user_deposit_source_hash(block_hash, log_index),
        from_address=_topic_address(topics[1]),
        to=None if is_creation else _topic_address(topics[2]),
        mint=int.from_bytes(opaque[0:32], "big"),
        value=int.from_bytes(opaque[32:64], "big"),
        gas_limit=int.from_bytes(opaque[64:72], "big"),
        is_creation=is_creation,
        data=bytes(opaque[_OPAQUE_HEAD:]),
        version=version,
        l1_block_hash=block_hash,
        l1_block_number=None if block_number is None else int(block_number),
        log_index=log_index,
    )


def deposits_in(
    logs: Sequence[Mapping[str, Any]], *, portal: str | None = None
) -> list[DepositTransaction]:
    """Every deposit among ``logs`` (e.g. ``receipt["logs"]``), optionally only those emitted
    by the ``portal`` address, in log order."""
    wanted = None if portal is None else to_checksum_address(portal)
    found = []
    for log in logs:
        topics = log.get("topics", ())
        if not topics or bytes(HexBytes(topics[0])) != TRANSACTION_DEPOSITED_TOPIC:
            continue
        if wanted is not None and to_checksum_address(log["address"]) != wanted:
            continue
        found.append(decode_deposit(log))
    return found


def _topic_address(topic: bytes) -> str:
    return str(to_checksum_address(topic[-20:]))


def _uint(value: int) -> bytes:
    """RLP's integer form: big-endian with no leading zeros (zero is the empty string)."""
    if value < 0:
        raise InvalidArgument("deposit", "negative integer")
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def _rlp_bytes(item: bytes) -> bytes:
    if len(item) == 1 and item[0] < 0x80:
        return item
    return _rlp_length(len(item), 0x80) + item


def _rlp_list(items: Sequence[bytes]) -> bytes:
    # A flat list of byte strings is all a deposit transaction needs.
    payload = b"".join(_rlp_bytes(item) for item in items)
    return _rlp_length(len(payload), 0xC0) + payload
