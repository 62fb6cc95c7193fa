import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChainTransactionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHAIN_TRANSACTION_STATUS_UNSPECIFIED: _ClassVar[ChainTransactionStatus]
    CHAIN_TRANSACTION_STATUS_PENDING: _ClassVar[ChainTransactionStatus]
    CHAIN_TRANSACTION_STATUS_SUCCEEDED: _ClassVar[ChainTransactionStatus]
    CHAIN_TRANSACTION_STATUS_REVERTED: _ClassVar[ChainTransactionStatus]
    CHAIN_TRANSACTION_STATUS_DROPPED: _ClassVar[ChainTransactionStatus]
CHAIN_TRANSACTION_STATUS_UNSPECIFIED: ChainTransactionStatus
CHAIN_TRANSACTION_STATUS_PENDING: ChainTransactionStatus
CHAIN_TRANSACTION_STATUS_SUCCEEDED: ChainTransactionStatus
CHAIN_TRANSACTION_STATUS_REVERTED: ChainTransactionStatus
CHAIN_TRANSACTION_STATUS_DROPPED: ChainTransactionStatus

class ChainTransaction(_message.Message):
    __slots__ = ("chain_id", "contract_address", "tx_hash", "status", "block_number", "block_hash", "block_time")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    BLOCK_TIME_FIELD_NUMBER: _ClassVar[int]
    chain_id: int
    contract_address: str
    tx_hash: bytes
    status: ChainTransactionStatus
    block_number: int
    block_hash: bytes
    block_time: _timestamp_pb2.Timestamp
    def __init__(self, chain_id: _Optional[int] = ..., contract_address: _Optional[str] = ..., tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[ChainTransactionStatus, str]] = ..., block_number: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., block_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
