"""Chain helpers against real anvil nodes and a contract compiled with solc-js."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from eth_abi import abi as eth_abi
from eth_account import Account
from pydantic import ValidationError
from web3 import AsyncWeb3
from web3.types import Wei

from openledger_kit.chain import (
    ChainIdMismatch,
    ChainUnavailable,
    DeploymentManifest,
    NonceManager,
    ReceiptTimeout,
    ServiceAccount,
    TransactionReverted,
    TxSender,
    connect,
    decode_revert,
    deploy,
    load_account,
    load_artifact,
    parse_private_key,
)
from openledger_kit.errors import FailedPrecondition, InvalidArgument, NotFound
from openledger_kit.localnet.processes import free_port
from openledger_kit.testing.processes import AnvilProcess, running_anvil

Fund = Callable[..., Awaitable[ServiceAccount]]
"""The ``fund`` fixture: ``await fund(w3=None, ether=100)`` gives a new funded account."""


async def _deploy_box(w3: AsyncWeb3[Any], sender: TxSender, out: Path, limit: int = 10) -> Any:
    deployment = await deploy(w3, sender.account, load_artifact(out, "Box"), limit, sender=sender)
    return deployment


async def test_connect_checks_the_chain_id(anvil_l1: AnvilProcess) -> None:
    w3 = await connect(anvil_l1.url, expected_chain_id=anvil_l1.chain_id, timeout=5)
    assert await w3.eth.chain_id == anvil_l1.chain_id
    await w3.provider.disconnect()

    with pytest.raises(ChainIdMismatch) as mismatch:
        await connect(anvil_l1.url, expected_chain_id=anvil_l1.chain_id + 1)
    assert mismatch.value.actual == anvil_l1.chain_id
    assert mismatch.value.reason == "CHAIN_ID_MISMATCH"


async def test_unreachable_node_raises_chain_unavailable_without_the_url_secret() -> None:
    url = f"http://127.0.0.1:{free_port()}/v3/secret-api-key"
    with pytest.raises(ChainUnavailable) as unavailable:
        await connect(url, timeout=2, attempts=1)
    assert unavailable.value.reason == "CHAIN_UNAVAILABLE"
    assert "secret-api-key" not in str(unavailable.value)
    assert "127.0.0.1" in str(unavailable.value)


async def test_deploy_call_transact_and_decode_custom_errors(
    l1: AsyncWeb3[Any], fund: Fund, contracts_out: Path
) -> None:
    owner = await fund()
    sender = TxSender(l1, owner)
    deployment = await _deploy_box(l1, sender, contracts_out, limit=10)
    box = deployment.contract
    assert deployment.receipt["status"] == 1
    assert await box.functions.limit().call() == 10
    assert await box.functions.owner().call() == owner.address

    receipt = await sender.transact(box.functions.store(7))
    assert receipt["status"] == 1
    assert await box.functions.value().call() == 7
    (stored,) = box.events.Stored().process_receipt(receipt)
    assert stored["args"]["value"] == 7 and stored["args"]["by"] == owner.address

    # Reverts found by gas estimation: nothing is sent.
    with pytest.raises(TransactionReverted) as too_large:
        await sender.transact(box.functions.store(11))
    assert too_large.value.tx_hash is None
    assert too_large.value.error_name == "ValueTooLarge"
    assert too_large.value.error_args == (11, 10)
    assert too_large.value.revert_reason == "ValueTooLarge(value=11, limit=10)"
    assert too_large.value.reason == "TRANSACTION_REVERTED"

    with pytest.raises(TransactionReverted) as plain:
        await sender.transact(box.functions.fail("not today"))
    assert plain.value.error_name == "Error"
    assert plain.value.revert_reason == "not today"

    stranger = TxSender(l1, await fund())
    with pytest.raises(TransactionReverted) as not_owner:
        await stranger.transact(box.functions.onlyOwner())
    assert not_owner.value.error_name == "NotOwner"
    assert not_owner.value.error_args == (stranger.address.lower(),)
    assert await box.functions.value().call() == 7


async def test_revert_on_chain_is_decoded_from_the_receipt(
    l1: AsyncWeb3[Any], fund: Fund, contracts_out: Path
) -> None:
    sender = TxSender(l1, await fund())
    box = (await _deploy_box(l1, sender, contracts_out, limit=10)).contract

    # A fixed gas limit skips estimation, so the revert happens on chain.
    with pytest.raises(TransactionReverted) as reverted:
        await sender.transact(box.functions.store(99), gas=100_000)
    error = reverted.value
    assert error.tx_hash is not None and error.receipt is not None
    assert error.receipt["status"] == 0
    assert error.error_name == "ValueTooLarge"
    assert error.error_args == (99, 10)
    assert error.metadata["tx_hash"] == error.tx_hash


async def test_50_concurrent_transactions_from_one_account(
    l1: AsyncWeb3[Any], fund: Fund, contracts_out: Path
) -> None:
    sender = TxSender(l1, await fund())
    box = (await _deploy_box(l1, sender, contracts_out)).contract
    first_nonce = await l1.eth.get_transaction_count(sender.address)

    receipts = await asyncio.gather(*(sender.transact(box.functions.bump()) for _ in range(50)))

    assert all(receipt["status"] == 1 for receipt in receipts)
    sent = await asyncio.gather(
        *(l1.eth.get_transaction(receipt["transactionHash"]) for receipt in receipts)
    )
    nonces = sorted(tx["nonce"] for tx in sent)
    assert nonces == list(range(first_nonce, first_nonce + 50))
    assert await box.functions.bumps().call() == 50
    assert sender.nonces.resyncs == 0


async def test_nonce_manager_resyncs_after_an_external_transaction(
    l1: AsyncWeb3[Any], fund: Fund
) -> None:
    account = await fund()
    sender = TxSender(l1, account)
    other = Account.create().address
    await sender.send_transaction({"to": other, "value": Wei(1)})
    cached = await l1.eth.get_transaction_count(account.address)

    # Another process sends from the same key, with the nonce the manager would use next.
    external = account.sign_transaction(
        {
            "to": other,
            "value": 2,
            "gas": 21_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
            "nonce": cached,
            "chainId": await l1.eth.chain_id,
        }
    )
    await l1.eth.wait_for_transaction_receipt(
        await l1.eth.send_raw_transaction(external.raw_transaction)
    )

    receipt = await sender.send_transaction({"to": other, "value": Wei(3)})
    assert receipt["status"] == 1
    assert sender.nonces.resyncs == 1
    assert (await l1.eth.get_transaction(receipt["transactionHash"]))["nonce"] == cached + 1
    assert await l1.eth.get_balance(other) == 6


async def test_nonce_manager_is_bound_to_its_account(l1: AsyncWeb3[Any], fund: Fund) -> None:
    one, two = await fund(), await fund()
    with pytest.raises(ValueError, match="another account"):
        TxSender(l1, two, nonces=NonceManager(l1, one.address))


async def test_receipt_timeout_on_a_node_that_does_not_mine(tmp_path: Path, fund: Fund) -> None:
    with running_anvil(tmp_path / "anvil", chain_id=31_999, no_mining=True) as node:
        w3 = await connect(node.url, expected_chain_id=31_999)
        try:
            sender = TxSender(w3, await fund(w3))
            tx = await sender.prepare({"to": Account.create().address, "value": Wei(1)})
            tx_hash = await sender.submit(tx)
            with pytest.raises(ReceiptTimeout) as timed_out:
                await sender.wait_for_receipt(tx_hash, timeout=0.5)
            assert timed_out.value.tx_hash == tx_hash.to_0x_hex()
            assert timed_out.value.waited_seconds >= 0.5
            assert timed_out.value.reason == "RECEIPT_TIMEOUT"
            # Still pending, not lost: once a block is mined the same wait succeeds.
            assert (await w3.eth.get_transaction(tx_hash))["blockNumber"] is None
            await w3.provider.make_request("evm_mine", [])
            assert (await sender.wait_for_receipt(tx_hash, timeout=10))["status"] == 1

            with pytest.raises(ReceiptTimeout):
                await sender.send_transaction({"to": sender.address, "value": Wei(1)}, timeout=0.3)
        finally:
            await w3.provider.disconnect()


async def test_resent_transaction_counts_as_sent_and_lost_node_is_unavailable(
    tmp_path: Path, fund: Fund
) -> None:
    with running_anvil(tmp_path / "anvil", chain_id=31_998, no_mining=True) as node:
        w3 = await connect(node.url, expected_chain_id=31_998, attempts=1, timeout=2)
        try:
            account = await fund(w3)
            sender = TxSender(w3, account)
            tx = await sender.prepare({"to": Account.create().address, "value": Wei(1)})
            fields: dict[str, Any] = {key: value for key, value in tx.items() if key != "from"}
            nonce = await sender.nonces.resync()

            # The very transaction the manager is about to send reaches the node first, as when
            # a send is retried after its response was lost: the node answers "already known".
            raw = account.sign_transaction({**fields, "nonce": nonce}).raw_transaction
            first = await w3.eth.send_raw_transaction(raw)
            again = await sender.submit(tx)
            assert again == first
            assert sender.nonces.resyncs == 0
            assert await w3.eth.get_transaction_count(account.address, "pending") == nonce + 1

            node.stop()
            with pytest.raises(ChainUnavailable):
                await sender.send_transaction({"to": account.address, "value": Wei(1)})
        finally:
            await w3.provider.disconnect()


async def test_signing_key_never_shows_in_text(
    l1: AsyncWeb3[Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = Account.create().key
    secrets = {key.hex(), key.to_0x_hex(), key.hex().upper()}
    monkeypatch.setenv("OL_TEST_SIGNING_KEY", key.to_0x_hex())

    account = load_account(env="OL_TEST_SIGNING_KEY")
    await l1.provider.make_request("anvil_setBalance", [account.address, hex(10**18)])
    sender = TxSender(l1, account)
    await sender.send_transaction({"to": Account.create().address, "value": Wei(1)})
    logging.getLogger("test").info("account %s / %r / %s", account, account, sender)

    texts = [
        repr(account),
        str(account),
        f"{account}",
        repr(account._key_obj),
        str(account._key_obj),
        repr(sender),
        repr(sender.nonces),
        caplog.text,
    ]
    for text in texts:
        assert not any(secret in text for secret in secrets), text
    assert account.address in repr(account)
    with pytest.raises(TypeError):
        account.__reduce_ex__(5)  # the hook every pickler calls: the key never serialises

    # Bad keys: the error names the source, never the value, and chains nothing that does.
    bad = "0x" + "zz" + key.hex()[2:]
    monkeypatch.setenv("OL_TEST_BAD_KEY", bad)
    with pytest.raises(InvalidArgument) as invalid:
        load_account(env="OL_TEST_BAD_KEY")
    assert bad not in str(invalid.value) and key.hex()[2:] not in str(invalid.value)
    assert invalid.value.__cause__ is None and invalid.value.__context__ is None
    with pytest.raises(InvalidArgument) as zero:
        parse_private_key("00" * 32, source="a zero key")
    assert zero.value.__context__ is None
    with pytest.raises(FailedPrecondition):
        load_account(env="OL_TEST_UNSET_KEY")
    with pytest.raises(InvalidArgument):
        load_account()


def test_load_account_from_hex_file_and_keystore(tmp_path: Path) -> None:
    created = Account.create()
    hex_file = tmp_path / "signer.key"
    hex_file.write_text(created.key.to_0x_hex() + "\n")
    hex_file.chmod(0o600)
    assert load_account(file=hex_file).address == created.address

    keystore = tmp_path / "signer.json"
    keystore.write_text(json.dumps(created.encrypt("pw", kdf="pbkdf2", iterations=1000)))
    assert load_account(file=keystore, password="pw").address == created.address
    with pytest.raises(InvalidArgument):
        load_account(file=keystore, password="wrong")
    with pytest.raises(InvalidArgument):
        load_account(file=keystore)
    with pytest.raises(FailedPrecondition):
        load_account(file=tmp_path / "missing.key")


async def test_manifest_round_trip(
    l1: AsyncWeb3[Any], fund: Fund, contracts_out: Path, tmp_path: Path
) -> None:
    sender = TxSender(l1, await fund())
    deployment = await _deploy_box(l1, sender, contracts_out, limit=5)
    chain_id = await l1.eth.chain_id

    manifest = DeploymentManifest()
    manifest.record("l1", chain_id, "Box", deployment.manifest_entry())
    path = tmp_path / "deploy" / "manifest.json"
    manifest.dump(path)

    # Services running as other users read it: not mkstemp's 0600.
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    loaded = DeploymentManifest.load(path)
    assert loaded == manifest
    entry = loaded.entry("l1", "Box")
    assert entry.address == deployment.address and entry.block == deployment.block
    raw = json.loads(path.read_text())
    assert raw["chains"]["l1"]["chain_id"] == chain_id
    assert set(raw["chains"]["l1"]["contracts"]["Box"]) == {"address", "abi", "block"}

    box = await loaded.contract(l1, "l1", "Box")
    assert await box.functions.limit().call() == 5

    # The wrong chain, a missing entry, a malformed address.
    loaded.chains["l2"] = loaded.chains["l1"].model_copy(update={"chain_id": chain_id + 1})
    with pytest.raises(ChainIdMismatch):
        await loaded.contract(l1, "l2", "Box")
    with pytest.raises(NotFound):
        loaded.entry("l1", "Missing")
    with pytest.raises(InvalidArgument):
        loaded.record("l1", chain_id + 7, "Other", entry)
    lowercase = raw["chains"]["l1"]["contracts"]["Box"] | {"address": deployment.address.lower()}
    assert (
        DeploymentManifest.model_validate(
            {"chains": {"l1": {"chain_id": chain_id, "contracts": {"Box": lowercase}}}}
        )
        .entry("l1", "Box")
        .address
        == deployment.address
    )
    with pytest.raises(ValidationError):
        DeploymentManifest.model_validate(
            {
                "chains": {
                    "l1": {"chain_id": 1, "contracts": {"Box": lowercase | {"address": "0x12"}}}
                }
            }
        )


def test_artifacts_load_from_the_foundry_layout(contracts_out: Path) -> None:
    artifact = load_artifact(contracts_out, "Box")
    assert artifact.name == "Box" and artifact.deployable
    assert {item.get("name") for item in artifact.abi} >= {"ValueTooLarge", "NotOwner", "store"}
    assert (contracts_out / "Box.sol" / "Box.json").is_file()
    with pytest.raises(NotFound):
        load_artifact(contracts_out, "Nope")


def test_decode_revert_handles_panics_and_unknown_errors() -> None:
    panic = bytes.fromhex("4e487b71") + eth_abi.encode(["uint256"], [0x11])
    info = decode_revert(panic)
    assert info.name == "Panic" and info.summary == "panic 0x11: arithmetic overflow or underflow"
    unknown = decode_revert(bytes.fromhex("deadbeef"))
    assert unknown.name is None and unknown.summary == "unknown error 0xdeadbeef"
    assert decode_revert(b"").summary == "reverted without data"
