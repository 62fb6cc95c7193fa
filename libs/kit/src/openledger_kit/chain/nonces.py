"""Nonces for one sending account, shared by every task of a service that sends from it.

Asking the node for ``get_transaction_count(pending)`` before each send races with concurrent
senders (two tasks read the same count). The manager keeps a local counter instead and hands out
each nonce and sends the transaction under one asyncio lock, so nonces reach the node in order
with no gaps. The counter starts from the node's pending count and is re-read when the node says
the local view is stale ("nonce too low", a pending transaction with the same nonce), e.g. after
another process sent from the same key. One manager per account per process: two processes
sending from one key still collide, and resync is how they recover.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import AsyncWeb3
from web3.exceptions import Web3RPCError

from openledger_kit.chain.connection import endpoint_of, rpc_error_message, transport_errors
from openledger_kit.chain.errors import ChainUnavailable, TransactionRejected

logger = logging.getLogger(__name__)

# How nodes say "that nonce is already used" (geth, anvil/reth, nethermind, erigon).
_STALE_NONCE = (
    "nonce too low",
    "replacement transaction underpriced",
    "nonce has already been used",
    "oldnonce",
)
# How nodes say "this very transaction is already in my pool" (geth, anvil, parity/others):
# the send happened before, e.g. web3 retried a request whose first attempt got through.
_ALREADY_KNOWN = ("already known", "already imported", "known transaction")

Signer = Callable[[int], bytes]
"""Given a nonce, the signed raw transaction that uses it."""


class NonceManager:
    """Hands out nonces for ``address`` and sends what they sign (see the module docstring)."""

    def __init__(self, w3: AsyncWeb3[Any], address: str, *, max_resyncs: int = 3) -> None:
        self._w3 = w3
        self.address: ChecksumAddress = to_checksum_address(address)
        self.max_resyncs = max_resyncs
        self._lock = asyncio.Lock()
        self._next: int | None = None
        self._endpoint = endpoint_of(w3)
        self.resyncs = 0
        """How many times the counter was re-read after the node reported it stale."""

    def __repr__(self) -> str:
        return f"NonceManager(address={self.address}, next={self._next})"

    async def resync(self) -> int:
        """Re-read the next nonce from the node (pending transactions included)."""
        async with self._lock:
            self._next = await self._pending_count()
            return self._next

    async def send(self, sign: Signer) -> tuple[HexBytes, int]:
        """Sign with the next nonce and send; return the transaction hash and the nonce used.

        Raises ``TransactionRejected`` when the node refuses the transaction (the nonce is then
        reused by the next send) and ``ChainUnavailable`` when the node cannot be reached (the
        counter is re-read on the next send, since the transaction may have arrived).
        """
        async with self._lock:
            for attempt in range(self.max_resyncs + 1):
                if self._next is None:
                    self._next = await self._pending_count()
                nonce = self._next
                raw = sign(nonce)
                try:
                    with transport_errors(self._endpoint):
                        tx_hash = HexBytes(await self._w3.eth.send_raw_transaction(raw))
                except ChainUnavailable:
                    self._next = None
                    raise
                except Web3RPCError as error:
                    message = rpc_error_message(error)
                    lowered = message.lower()
                    if any(text in lowered for text in _ALREADY_KNOWN):
                        self._next = nonce + 1
                        return HexBytes(keccak(raw)), nonce
                    if any(text in lowered for text in _STALE_NONCE) and attempt < self.max_resyncs:
                        self._next = None
                        self.resyncs += 1
                        logger.info(
                            "nonce %d of %s is stale (%s); resyncing", nonce, self.address, message
                        )
                        continue
                    raise TransactionRejected(message, address=self.address) from error
                self._next = nonce + 1
                return tx_hash, nonce
        raise AssertionError("unreachable: the loop returns or raises")

    async def _pending_count(self) -> int:
        with transport_errors(self._endpoint):
            return int(await self._w3.eth.get_transaction_count(self.address, "pending"))
