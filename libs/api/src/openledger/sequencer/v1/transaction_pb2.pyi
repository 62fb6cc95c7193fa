import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.sequencer.v1 import batch_pb2 as _batch_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TransactionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSACTION_STATUS_UNSPECIFIED: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_PENDING: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_INCLUDED: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_SAFE: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_FINALIZED: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_DROPPED: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_REJECTED: _ClassVar[TransactionStatus]
TRANSACTION_STATUS_UNSPECIFIED: TransactionStatus
TRANSACTION_STATUS_PENDING: TransactionStatus
TRANSACTION_STATUS_INCLUDED: TransactionStatus
TRANSACTION_STATUS_SAFE: TransactionStatus
TRANSACTION_STATUS_FINALIZED: TransactionStatus
TRANSACTION_STATUS_DROPPED: TransactionStatus
TRANSACTION_STATUS_REJECTED: TransactionStatus

class Transaction(_message.Message):
    __slots__ = ("hash", "status", "from_address", "to_address", "nonce", "type", "value", "gas_limit", "gas_used", "effective_gas_price", "reverted", "contract_address", "block_number", "block_hash", "transaction_index", "batch_index", "data_location", "da_blob", "da_certificate_hash", "batch_l1_transaction_hashes", "batch_l1_block_number", "status_reason", "status_message", "replaced_by_hash", "submit_time", "include_time", "safe_time", "finalize_time")
    HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FROM_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    GAS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    GAS_USED_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_GAS_PRICE_FIELD_NUMBER: _ClassVar[int]
    REVERTED_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_INDEX_FIELD_NUMBER: _ClassVar[int]
    BATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_LOCATION_FIELD_NUMBER: _ClassVar[int]
    DA_BLOB_FIELD_NUMBER: _ClassVar[int]
    DA_CERTIFICATE_HASH_FIELD_NUMBER: _ClassVar[int]
    BATCH_L1_TRANSACTION_HASHES_FIELD_NUMBER: _ClassVar[int]
    BATCH_L1_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_HASH_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_TIME_FIELD_NUMBER: _ClassVar[int]
    SAFE_TIME_FIELD_NUMBER: _ClassVar[int]
    FINALIZE_TIME_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    status: TransactionStatus
    from_address: str
    to_address: str
    nonce: int
    type: int
    value: str
    gas_limit: int
    gas_used: int
    effective_gas_price: str
    reverted: bool
    contract_address: str
    block_number: int
    block_hash: bytes
    transaction_index: int
    batch_index: int
    data_location: _batch_pb2.BatchDataLocation
    da_blob: str
    da_certificate_hash: bytes
    batch_l1_transaction_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    batch_l1_block_number: int
    status_reason: str
    status_message: str
    replaced_by_hash: bytes
    submit_time: _timestamp_pb2.Timestamp
    include_time: _timestamp_pb2.Timestamp
    safe_time: _timestamp_pb2.Timestamp
    finalize_time: _timestamp_pb2.Timestamp
    def __init__(self, hash: _Optional[bytes] = ..., status: _Optional[_Union[TransactionStatus, str]] = ..., from_address: _Optional[str] = ..., to_address: _Optional[str] = ..., nonce: _Optional[int] = ..., type: _Optional[int] = ..., value: _Optional[str] = ..., gas_limit: _Optional[int] = ..., gas_used: _Optional[int] = ..., effective_gas_price: _Optional[str] = ..., reverted: _Optional[bool] = ..., contract_address: _Optional[str] = ..., block_number: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., transaction_index: _Optional[int] = ..., batch_index: _Optional[int] = ..., data_location: _Optional[_Union[_batch_pb2.BatchDataLocation, str]] = ..., da_blob: _Optional[str] = ..., da_certificate_hash: _Optional[bytes] = ..., batch_l1_transaction_hashes: _Optional[_Iterable[bytes]] = ..., batch_l1_block_number: _Optional[int] = ..., status_reason: _Optional[str] = ..., status_message: _Optional[str] = ..., replaced_by_hash: _Optional[bytes] = ..., submit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., include_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., safe_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finalize_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
