"""L1 deposits in the OP deposit format: golden vectors, and a real deposit through the portal
whose event decodes into a transaction the L2 engine (anvil --optimism) executes."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import abi as eth_abi
from eth_utils.crypto import keccak
from web3 import AsyncWeb3

from openledger_kit.chain import TransactionReverted
from openledger_kit.contracts import decode_deposit, deposits_in, user_deposit_source_hash
from openledger_kit.contracts.bindings import OpenPortal, OpenToken
from openledger_kit.contracts.config import OPEN
from openledger_kit.contracts.deposits import TRANSACTION_DEPOSITED_TOPIC
from openledger_kit.contracts.testing import DeployedPlatform, fresh_account
from openledger_kit.errors import InvalidArgument

# Golden vectors computed independently of this code: viem's OP Stack test suite
# (getSourceHash.test.ts and getL2TransactionHash.test.ts in wevm/viem, src/op-stack/utils).
VIEM_BLOCK_HASH = bytes.fromhex("9ba3933dc6ce43c145349770a39c30f9b647f17668f004bd2e05c80a2e7262f7")
VIEM_SOURCE_HASH = "d0868c8764d81f1749edb7dec4a550966963540d9fe50aefce8cdb38ea7b2213"
VIEM_DEPOSITOR = "0x1a1E021A302C237453D3D45c7B82B19cEEB7E2e6"
VIEM_OPAQUE = bytes.fromhex(
    "0000000000000000000000000000000000000000000000000000000000000000"  # mint 0
    "0000000000000000000000000000000000000000000000000000000000000045"  # value 69
    "0000000000005208"  # gas 21000
    "00"  # not a creation; no data
)
VIEM_LOG_BLOCK_HASH = "0x634c52556471c589f42db9131467e0c9484f5c73049e32d1a74e2a4ce0f91d57"
VIEM_L2_TX_HASH = "0a60b983815ed475c5919609025204a479654d93afc610feca7d99ae0befc329"


def _topic(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def test_source_hash_matches_the_op_stack_golden_vector() -> None:
    assert user_deposit_source_hash(VIEM_BLOCK_HASH, 196).hex() == VIEM_SOURCE_HASH
    # The formula itself: keccak256(bytes32(0) ‖ keccak256(l1BlockHash ‖ bytes32(logIndex))).
    inner = keccak(VIEM_BLOCK_HASH + (196).to_bytes(32, "big"))
    assert keccak(bytes(32) + inner).hex() == VIEM_SOURCE_HASH


def test_a_logged_deposit_decodes_to_the_op_stack_transaction_and_hash() -> None:
    log = {
        "topics": [
            TRANSACTION_DEPOSITED_TOPIC,
            _topic(VIEM_DEPOSITOR),
            _topic(VIEM_DEPOSITOR),
            bytes(32),
        ],
        "data": eth_abi.encode(["bytes"], [VIEM_OPAQUE]),
        "blockHash": VIEM_LOG_BLOCK_HASH,
        "logIndex": 109,
    }
    deposit = decode_deposit(log)
    assert (deposit.from_address, deposit.to) == (VIEM_DEPOSITOR, VIEM_DEPOSITOR)
    assert (deposit.mint, deposit.value, deposit.gas_limit) == (0, 69, 21_000)
    assert (deposit.is_creation, deposit.data, deposit.version) == (False, b"", 0)
    assert deposit.tx_hash.hex() == VIEM_L2_TX_HASH
    assert deposit.encode()[0] == 0x7E


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"topics": [keccak(text="Transfer(address,address,uint256)")] * 4}, "not a Transaction"),
        ({"topics": [TRANSACTION_DEPOSITED_TOPIC, bytes(32), bytes(32), bytes(31) + b"\x01"]},
         "unsupported deposit version 1"),
        ({"data": eth_abi.encode(["bytes"], [bytes(72)])}, "fewer than 73"),
        ({"data": b"\x01\x02"}, "undecodable"),
    ],
)  # fmt: skip
def test_other_logs_and_malformed_deposits_are_refused(change: dict[str, Any], words: str) -> None:
    log = {
        "topics": [TRANSACTION_DEPOSITED_TOPIC, bytes(32), bytes(32), bytes(32)],
        "data": eth_abi.encode(["bytes"], [VIEM_OPAQUE]),
        "blockHash": VIEM_LOG_BLOCK_HASH,
        "logIndex": 0,
    }
    with pytest.raises(InvalidArgument) as refused:
        decode_deposit({**log, **change})
    assert words in str(refused.value)


async def test_an_l1_deposit_decodes_as_an_op_deposit_that_the_l2_executes(
    platform: DeployedPlatform, l1: AsyncWeb3[Any], l2: AsyncWeb3[Any]
) -> None:
    holder = platform.deployer
    token = await platform.bind(OpenToken, holder)
    portal = await platform.bind(OpenPortal, holder)
    recipient = (await fresh_account(ether=0)).address
    amount, gas_limit, data = 3 * OPEN, 150_000, b"\xca\xfe"
    await token.approve(portal.address, amount)
    locked_before = await token.balance_of(portal.address)

    receipt = await portal.deposit_open(recipient, amount, gas_limit, data)

    assert await token.balance_of(portal.address) == locked_before + amount
    (deposit,) = portal.deposits(receipt)
    (log,) = [entry for entry in receipt["logs"] if entry["address"] == portal.address]
    assert deposits_in(receipt["logs"]) == [deposit]
    assert deposit.from_address == holder.address  # an EOA is not aliased
    assert deposit.to == recipient
    assert (deposit.mint, deposit.value, deposit.gas_limit) == (amount, amount, gas_limit)
    assert (deposit.is_creation, deposit.data, deposit.version) == (False, data, 0)
    assert deposit.l1_block_hash == bytes(receipt["blockHash"])
    assert deposit.l1_block_number == receipt["blockNumber"]
    assert deposit.log_index == log["logIndex"]
    inner = keccak(bytes(receipt["blockHash"]) + log["logIndex"].to_bytes(32, "big"))
    assert deposit.source_hash == keccak(bytes(32) + inner)

    # The L2 engine accepts it as a 0x7E transaction with the same hash and mints the OPEN.
    before = await l2.eth.get_balance(recipient)
    tx_hash = await l2.eth.send_raw_transaction(deposit.encode())
    assert bytes(tx_hash) == deposit.tx_hash
    l2_receipt = await l2.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    assert l2_receipt["type"] == 0x7E
    assert await l2.eth.get_balance(recipient) == before + amount


async def test_the_portal_refuses_bad_deposits_with_custom_errors(
    platform: DeployedPlatform,
) -> None:
    portal = await platform.bind(OpenPortal, platform.deployer)
    recipient = "0x" + "11" * 20
    minimum = await portal.minimum_gas_limit(2)
    assert minimum == 21_000 + 16 * 2
    cases = [
        ((recipient, 0, 100_000, b""), "ZeroAmount"),
        (("0x" + "00" * 20, OPEN, 100_000, b""), "ZeroRecipient"),
        ((recipient, OPEN, minimum - 1, b"\x01\x02"), "GasLimitTooLow"),
        ((recipient, OPEN, 20_000_001, b""), "GasLimitTooHigh"),
    ]
    for args, error in cases:
        with pytest.raises(TransactionReverted) as reverted:
            await portal.deposit_open(*args)
        assert reverted.value.error_name == error
