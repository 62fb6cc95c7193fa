"""Typed chain errors. They are domain errors, so a servicer can let them reach the gRPC edge.

None of them carries a private key, a signed transaction or a full RPC URL (which may embed an
API key): only addresses, hashes and the node's error text.
"""

from __future__ import annotations

from typing import Any

from openledger_kit.errors import FailedPrecondition, Unavailable


class ChainUnavailable(Unavailable):
    """The node could not be reached or did not answer in time. Retrying later may succeed.

    When raised while sending, the node may or may not have received the transaction."""

    default_reason = "CHAIN_UNAVAILABLE"


class ChainIdMismatch(FailedPrecondition):
    """The endpoint serves another chain than the one configured (e.g. L1 URL given for L2)."""

    default_reason = "CHAIN_ID_MISMATCH"

    def __init__(self, expected: int, actual: int, endpoint: str) -> None:
        super().__init__(
            f"{endpoint} serves chain {actual}, expected chain {expected}",
            metadata={"expected_chain_id": str(expected), "chain_id": str(actual)},
        )
        self.expected = expected
        self.actual = actual


class TransactionRejected(FailedPrecondition):
    """The node refused the transaction before it was pending (insufficient funds, fee too low,
    a nonce conflict that resyncing did not resolve...). ``node_message`` is the node's text."""

    default_reason = "TRANSACTION_REJECTED"

    def __init__(self, node_message: str, *, address: str) -> None:
        super().__init__(
            f"transaction from {address} rejected: {node_message}",
            metadata={"from": address, "node_message": node_message},
        )
        self.node_message = node_message
        self.address = address


class TransactionReverted(FailedPrecondition):
    """The transaction reverted: in gas estimation (``tx_hash`` is None, nothing was sent) or
    on chain (``tx_hash`` and ``receipt`` set, the gas is spent).

    ``error_name``/``error_args`` are the decoded custom error (``"ValueTooLarge"``,
    ``(11, 10)``) when the ABI declares it, ``"Error"`` with the revert string, or ``"Panic"``
    with the panic code; ``error_name`` is None when the revert data matched nothing known.
    ``revert_reason`` is a readable one-line summary.
    """

    default_reason = "TRANSACTION_REVERTED"

    def __init__(
        self,
        revert_reason: str,
        *,
        error_name: str | None = None,
        error_args: tuple[Any, ...] = (),
        revert_data: bytes = b"",
        tx_hash: str | None = None,
        receipt: Any = None,
    ) -> None:
        where = f"transaction {tx_hash}" if tx_hash else "transaction (not sent)"
        metadata = {"revert_reason": revert_reason}
        if error_name:
            metadata["error_name"] = error_name
        if tx_hash:
            metadata["tx_hash"] = tx_hash
        super().__init__(f"{where} reverted: {revert_reason}", metadata=metadata)
        self.revert_reason = revert_reason
        self.error_name = error_name
        self.error_args = error_args
        self.revert_data = revert_data
        self.tx_hash = tx_hash
        self.receipt = receipt


class ReceiptTimeout(Unavailable):
    """No receipt within the wait. The transaction may still be mined later: look it up by
    ``tx_hash`` before sending a replacement."""

    default_reason = "RECEIPT_TIMEOUT"

    def __init__(self, tx_hash: str, waited_seconds: float) -> None:
        super().__init__(
            f"no receipt for transaction {tx_hash} after {waited_seconds:.1f}s",
            metadata={"tx_hash": tx_hash, "waited_seconds": f"{waited_seconds:.3f}"},
        )
        self.tx_hash = tx_hash
        self.waited_seconds = waited_seconds
