import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.sequencer.v1 import block_pb2 as _block_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SyncStatus(_message.Message):
    __slots__ = ("chain_id", "head_l1", "safe_l1", "finalized_l1", "current_l1", "unsafe_l2", "safe_l2", "finalized_l2", "leader", "pending_transaction_count", "queued_transaction_count", "latest_batch_index", "latest_output_index", "da_fallback_active", "derivation_mismatch", "time")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    HEAD_L1_FIELD_NUMBER: _ClassVar[int]
    SAFE_L1_FIELD_NUMBER: _ClassVar[int]
    FINALIZED_L1_FIELD_NUMBER: _ClassVar[int]
    CURRENT_L1_FIELD_NUMBER: _ClassVar[int]
    UNSAFE_L2_FIELD_NUMBER: _ClassVar[int]
    SAFE_L2_FIELD_NUMBER: _ClassVar[int]
    FINALIZED_L2_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    PENDING_TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    QUEUED_TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    LATEST_BATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    LATEST_OUTPUT_INDEX_FIELD_NUMBER: _ClassVar[int]
    DA_FALLBACK_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    DERIVATION_MISMATCH_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    chain_id: int
    head_l1: _block_pb2.L1BlockRef
    safe_l1: _block_pb2.L1BlockRef
    finalized_l1: _block_pb2.L1BlockRef
    current_l1: _block_pb2.L1BlockRef
    unsafe_l2: _block_pb2.L2BlockRef
    safe_l2: _block_pb2.L2BlockRef
    finalized_l2: _block_pb2.L2BlockRef
    leader: bool
    pending_transaction_count: int
    queued_transaction_count: int
    latest_batch_index: int
    latest_output_index: int
    da_fallback_active: bool
    derivation_mismatch: bool
    time: _timestamp_pb2.Timestamp
    def __init__(self, chain_id: _Optional[int] = ..., head_l1: _Optional[_Union[_block_pb2.L1BlockRef, _Mapping]] = ..., safe_l1: _Optional[_Union[_block_pb2.L1BlockRef, _Mapping]] = ..., finalized_l1: _Optional[_Union[_block_pb2.L1BlockRef, _Mapping]] = ..., current_l1: _Optional[_Union[_block_pb2.L1BlockRef, _Mapping]] = ..., unsafe_l2: _Optional[_Union[_block_pb2.L2BlockRef, _Mapping]] = ..., safe_l2: _Optional[_Union[_block_pb2.L2BlockRef, _Mapping]] = ..., finalized_l2: _Optional[_Union[_block_pb2.L2BlockRef, _Mapping]] = ..., leader: _Optional[bool] = ..., pending_transaction_count: _Optional[int] = ..., queued_transaction_count: _Optional[int] = ..., latest_batch_index: _Optional[int] = ..., latest_output_index: _Optional[int] = ..., da_fallback_active: _Optional[bool] = ..., derivation_mismatch: _Optional[bool] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
