import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SafetyLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAFETY_LEVEL_UNSPECIFIED: _ClassVar[SafetyLevel]
    SAFETY_LEVEL_UNSAFE: _ClassVar[SafetyLevel]
    SAFETY_LEVEL_SAFE: _ClassVar[SafetyLevel]
    SAFETY_LEVEL_FINALIZED: _ClassVar[SafetyLevel]

class BlockView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLOCK_VIEW_UNSPECIFIED: _ClassVar[BlockView]
    BLOCK_VIEW_HEADER: _ClassVar[BlockView]
    BLOCK_VIEW_TRANSACTION_HASHES: _ClassVar[BlockView]
    BLOCK_VIEW_FULL: _ClassVar[BlockView]
SAFETY_LEVEL_UNSPECIFIED: SafetyLevel
SAFETY_LEVEL_UNSAFE: SafetyLevel
SAFETY_LEVEL_SAFE: SafetyLevel
SAFETY_LEVEL_FINALIZED: SafetyLevel
BLOCK_VIEW_UNSPECIFIED: BlockView
BLOCK_VIEW_HEADER: BlockView
BLOCK_VIEW_TRANSACTION_HASHES: BlockView
BLOCK_VIEW_FULL: BlockView

class L1BlockRef(_message.Message):
    __slots__ = ("number", "hash", "parent_hash", "time")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    PARENT_HASH_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    number: int
    hash: bytes
    parent_hash: bytes
    time: _timestamp_pb2.Timestamp
    def __init__(self, number: _Optional[int] = ..., hash: _Optional[bytes] = ..., parent_hash: _Optional[bytes] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class L2BlockRef(_message.Message):
    __slots__ = ("number", "hash", "parent_hash", "time", "l1_origin", "sequence_number")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    PARENT_HASH_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    L1_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    number: int
    hash: bytes
    parent_hash: bytes
    time: _timestamp_pb2.Timestamp
    l1_origin: L1BlockRef
    sequence_number: int
    def __init__(self, number: _Optional[int] = ..., hash: _Optional[bytes] = ..., parent_hash: _Optional[bytes] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., l1_origin: _Optional[_Union[L1BlockRef, _Mapping]] = ..., sequence_number: _Optional[int] = ...) -> None: ...

class Block(_message.Message):
    __slots__ = ("number", "hash", "parent_hash", "state_root", "transactions_root", "receipts_root", "time", "gas_limit", "gas_used", "base_fee_per_gas", "fee_recipient", "transaction_count", "deposit_count", "l1_origin", "sequence_number", "safety", "batch_index", "seal_time", "transaction_hashes", "raw_transactions")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    PARENT_HASH_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_ROOT_FIELD_NUMBER: _ClassVar[int]
    RECEIPTS_ROOT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    GAS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    GAS_USED_FIELD_NUMBER: _ClassVar[int]
    BASE_FEE_PER_GAS_FIELD_NUMBER: _ClassVar[int]
    FEE_RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    L1_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SAFETY_FIELD_NUMBER: _ClassVar[int]
    BATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    SEAL_TIME_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_HASHES_FIELD_NUMBER: _ClassVar[int]
    RAW_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    number: int
    hash: bytes
    parent_hash: bytes
    state_root: bytes
    transactions_root: bytes
    receipts_root: bytes
    time: _timestamp_pb2.Timestamp
    gas_limit: int
    gas_used: int
    base_fee_per_gas: str
    fee_recipient: str
    transaction_count: int
    deposit_count: int
    l1_origin: L1BlockRef
    sequence_number: int
    safety: SafetyLevel
    batch_index: int
    seal_time: _timestamp_pb2.Timestamp
    transaction_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    raw_transactions: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, number: _Optional[int] = ..., hash: _Optional[bytes] = ..., parent_hash: _Optional[bytes] = ..., state_root: _Optional[bytes] = ..., transactions_root: _Optional[bytes] = ..., receipts_root: _Optional[bytes] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., gas_limit: _Optional[int] = ..., gas_used: _Optional[int] = ..., base_fee_per_gas: _Optional[str] = ..., fee_recipient: _Optional[str] = ..., transaction_count: _Optional[int] = ..., deposit_count: _Optional[int] = ..., l1_origin: _Optional[_Union[L1BlockRef, _Mapping]] = ..., sequence_number: _Optional[int] = ..., safety: _Optional[_Union[SafetyLevel, str]] = ..., batch_index: _Optional[int] = ..., seal_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transaction_hashes: _Optional[_Iterable[bytes]] = ..., raw_transactions: _Optional[_Iterable[bytes]] = ...) -> None: ...
