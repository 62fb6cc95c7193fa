"""Sending transactions from a service account and waiting for them, with typed failures.

One ``TxSender`` per account per chain per process::

    sender = TxSender(w3, account)
    receipt = await sender.transact(registry.functions.publishSnapshot(root, uri))

Each send estimates gas (times ``gas_margin``), prices it with EIP-1559 fees
(``max_fee = base_fee_multiplier * base fee + priority fee``), signs locally, sends through the
account's ``NonceManager`` and waits for the receipt. A revert, whether found while estimating
(nothing is sent) or on chain (the receipt has status 0), raises ``TransactionReverted`` with the
custom error decoded from the contract's ABI; no receipt in time raises ``ReceiptTimeout``; an
unreachable node raises ``ChainUnavailable``; a refused transaction raises
``TransactionRejected``.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.contract.async_contract import AsyncContractFunction
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import TxParams, TxReceipt, Wei

from openledger_kit.chain.connection import endpoint_of, rpc_error_message, transport_errors
from openledger_kit.chain.errors import ReceiptTimeout, TransactionRejected, TransactionReverted
from openledger_kit.chain.nonces import NonceManager
from openledger_kit.chain.revert import AbiLike, RevertInfo, revert_from_exception

_FEE_FIELDS = ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas")


class TxSender:
    """Sends transactions from ``account`` on the chain behind ``w3``.

    ``nonces`` defaults to a new ``NonceManager``; pass the same one to every sender of this
    account in the process. ``priority_fee_wei`` fixes the tip (default: ask the node);
    ``receipt_timeout`` is the default wait for a receipt, in seconds.
    """

    def __init__(
        self,
        w3: AsyncWeb3[Any],
        account: LocalAccount,
        *,
        nonces: NonceManager | None = None,
        gas_margin: float = 1.2,
        base_fee_multiplier: int = 2,
        priority_fee_wei: int | None = None,
        receipt_timeout: float = 120.0,
        poll_interval: float = 0.1,
    ) -> None:
        if gas_margin < 1:
            raise ValueError("gas_margin below 1 would under-fund every transaction")
        self.w3 = w3
        self.account = account
        self.nonces = NonceManager(w3, account.address) if nonces is None else nonces
        if self.nonces.address != account.address:
            raise ValueError("the nonce manager belongs to another account")
        self.gas_margin = gas_margin
        self.base_fee_multiplier = base_fee_multiplier
        self.priority_fee_wei = priority_fee_wei
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self._endpoint = endpoint_of(w3)
        self._chain_id: int | None = None

    def __repr__(self) -> str:
        return f"TxSender(address={self.address}, endpoint={self._endpoint})"

    @property
    def address(self) -> ChecksumAddress:
        return self.account.address

    async def transact(
        self,
        fn: AsyncContractFunction,
        *,
        value: int = 0,
        gas: int | None = None,
        timeout: float | None = None,
    ) -> TxReceipt:
        """Call a state-changing contract function (``contract.functions.f(args)``) and wait."""
        params: TxParams = {"from": self.address, "value": Wei(value)}
        if gas is not None:
            params["gas"] = gas
        params.update(await self._fees(params))
        params["chainId"] = await self.chain_id()
        if "gas" not in params:
            params["gas"] = await self._estimate(params, fn.contract_abi, fn=fn)
        # Every field is given, so building only encodes the call: no RPC.
        tx = await fn.build_transaction(params)
        return await self._send_and_wait(tx, fn.contract_abi, timeout)

    async def send_transaction(
        self,
        tx: TxParams,
        *,
        abi: AbiLike | None = None,
        timeout: float | None = None,
    ) -> TxReceipt:
        """Send a transaction (``to``/``data``/``value``; no ``to`` deploys ``data``) and wait.

        Missing ``gas`` and fee fields are filled in; ``abi`` decodes custom errors."""
        prepared = await self.prepare(tx, abi=abi)
        return await self._send_and_wait(prepared, abi, timeout)

    async def prepare(self, tx: TxParams, *, abi: AbiLike | None = None) -> TxParams:
        """``tx`` with sender, chain id, fees and gas filled in (not the nonce)."""
        prepared: TxParams = {**tx, "from": self.address}
        prepared.setdefault("value", Wei(0))
        prepared["chainId"] = await self.chain_id()
        prepared.update(await self._fees(prepared))
        if "gas" not in prepared:
            prepared["gas"] = await self._estimate(prepared, abi)
        return prepared

    async def submit(self, tx: TxParams) -> HexBytes:
        """Sign a fully prepared transaction with the next nonce and send it; return its hash
        without waiting (``wait_for_receipt`` waits)."""
        fields: dict[str, Any] = dict(tx)
        # eth_account derives the sender from the key.
        fields.pop("from", None)

        def sign(nonce: int) -> bytes:
            signed = self.account.sign_transaction({**fields, "nonce": nonce})
            return bytes(signed.raw_transaction)

        tx_hash, _ = await self.nonces.send(sign)
        return tx_hash

    async def wait_for_receipt(
        self,
        tx_hash: HexBytes | bytes | str,
        *,
        timeout: float | None = None,
        abi: AbiLike | None = None,
    ) -> TxReceipt:
        """Poll for the receipt; raise ``ReceiptTimeout`` after ``timeout`` seconds, and
        ``TransactionReverted`` (decoded by replaying the call) when it has status 0."""
        wait = self.receipt_timeout if timeout is None else timeout
        hash_bytes = HexBytes(tx_hash)
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            try:
                with transport_errors(self._endpoint):
                    receipt = await self.w3.eth.get_transaction_receipt(hash_bytes)
                break
            except TransactionNotFound:
                pass
            waited = loop.time() - started
            if waited >= wait:
                raise ReceiptTimeout(hash_bytes.to_0x_hex(), waited)
            await asyncio.sleep(min(self.poll_interval, wait - waited))
        if receipt["status"] == 0:
            info = await self._replay_revert(hash_bytes, receipt, abi)
            raise TransactionReverted(
                info.summary,
                error_name=info.name,
                error_args=info.args,
                revert_data=info.data,
                tx_hash=hash_bytes.to_0x_hex(),
                receipt=receipt,
            )
        return receipt

    async def chain_id(self) -> int:
        """The chain id (asked once)."""
        if self._chain_id is None:
            with transport_errors(self._endpoint):
                self._chain_id = int(await self.w3.eth.chain_id)
        return self._chain_id

    async def _send_and_wait(
        self, tx: TxParams, abi: AbiLike | None, timeout: float | None
    ) -> TxReceipt:
        tx_hash = await self.submit(tx)
        return await self.wait_for_receipt(tx_hash, timeout=timeout, abi=abi)

    async def _fees(self, tx: TxParams) -> TxParams:
        if any(field in tx for field in _FEE_FIELDS):
            return {}
        with transport_errors(self._endpoint):
            block = await self.w3.eth.get_block("latest")
            base_fee = block.get("baseFeePerGas")
            if base_fee is None:
                # A chain without EIP-1559: legacy pricing.
                return {"gasPrice": await self.w3.eth.gas_price}
            tip = self.priority_fee_wei
            if tip is None:
                tip = int(await self.w3.eth.max_priority_fee)
        return {
            "maxPriorityFeePerGas": Wei(tip),
            "maxFeePerGas": Wei(self.base_fee_multiplier * int(base_fee) + tip),
        }

    async def _estimate(
        self, tx: TxParams, abi: AbiLike | None, *, fn: AsyncContractFunction | None = None
    ) -> int:
        try:
            with transport_errors(self._endpoint):
                if fn is not None:
                    estimate = await fn.estimate_gas(tx)
                else:
                    estimate = await self.w3.eth.estimate_gas(tx)
        except ContractLogicError as error:
            info = revert_from_exception(error, abi)
            raise TransactionReverted(
                info.summary, error_name=info.name, error_args=info.args, revert_data=info.data
            ) from None
        except Web3RPCError as error:
            raise TransactionRejected(rpc_error_message(error), address=self.address) from None
        return math.ceil(int(estimate) * self.gas_margin)

    async def _replay_revert(
        self, tx_hash: HexBytes, receipt: TxReceipt, abi: AbiLike | None
    ) -> RevertInfo:
        """Re-run the reverted call to learn why: receipts carry no revert data. The replay runs
        on the state after the transaction's block, which is close to, not exactly, the state
        it saw."""
        with transport_errors(self._endpoint):
            sent = await self.w3.eth.get_transaction(tx_hash)
        call: TxParams = {
            "from": sent["from"],
            "data": sent["input"],
            "value": sent["value"],
            "gas": sent["gas"],
        }
        if sent.get("to"):
            call["to"] = sent["to"]
        try:
            with transport_errors(self._endpoint):
                await self.w3.eth.call(call, block_identifier=receipt["blockNumber"])
        except ContractLogicError as error:
            return revert_from_exception(error, abi)
        except Web3RPCError as error:
            return RevertInfo(None, (), rpc_error_message(error))
        used = receipt["gasUsed"]
        if used >= sent["gas"]:
            return RevertInfo(None, (), f"out of gas (used all {used})")
        return RevertInfo(None, (), "reverted (the replay did not reproduce it)")
