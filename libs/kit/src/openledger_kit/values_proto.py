"""``openledger_kit.values`` as ``openledger.common.v1`` messages, for the API and event edges
of every service."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from openledger.common.v1 import chain_pb2, object_ref_pb2
from openledger_kit.values import ChainTx, ObjectRef, TxStatus


def timestamp(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def chain_tx_message(tx: ChainTx) -> chain_pb2.ChainTransaction:
    """A transaction not sent yet (no hash, PENDING) has status UNSPECIFIED."""
    message = chain_pb2.ChainTransaction(
        chain_id=tx.chain_id,
        contract_address=tx.contract_address,
        tx_hash=tx.tx_hash,
        status=(
            f"CHAIN_TRANSACTION_STATUS_{tx.status.value}"
            if tx.tx_hash or tx.status is not TxStatus.PENDING
            else "CHAIN_TRANSACTION_STATUS_UNSPECIFIED"
        ),
        block_number=tx.block_number,
        block_hash=tx.block_hash,
    )
    if tx.block_time is not None:
        message.block_time.CopyFrom(timestamp(tx.block_time))
    return message


def object_ref_message(ref: ObjectRef) -> object_ref_pb2.ObjectRef:
    return object_ref_pb2.ObjectRef(
        uri=ref.uri, sha256=ref.sha256, size_bytes=ref.size_bytes, media_type=ref.media_type
    )
