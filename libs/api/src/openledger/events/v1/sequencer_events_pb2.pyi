import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PostedDataLocation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POSTED_DATA_LOCATION_UNSPECIFIED: _ClassVar[PostedDataLocation]
    POSTED_DATA_LOCATION_DA: _ClassVar[PostedDataLocation]
    POSTED_DATA_LOCATION_L1_CALLDATA: _ClassVar[PostedDataLocation]
POSTED_DATA_LOCATION_UNSPECIFIED: PostedDataLocation
POSTED_DATA_LOCATION_DA: PostedDataLocation
POSTED_DATA_LOCATION_L1_CALLDATA: PostedDataLocation

class BlockSealed(_message.Message):
    __slots__ = ("number", "hash", "parent_hash", "state_root", "time", "transaction_count", "deposit_count", "gas_used", "gas_limit", "base_fee_per_gas", "l1_origin_number", "l1_origin_hash", "transaction_hashes", "reorg", "seal_time")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    PARENT_HASH_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEPOSIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    GAS_USED_FIELD_NUMBER: _ClassVar[int]
    GAS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    BASE_FEE_PER_GAS_FIELD_NUMBER: _ClassVar[int]
    L1_ORIGIN_NUMBER_FIELD_NUMBER: _ClassVar[int]
    L1_ORIGIN_HASH_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_HASHES_FIELD_NUMBER: _ClassVar[int]
    REORG_FIELD_NUMBER: _ClassVar[int]
    SEAL_TIME_FIELD_NUMBER: _ClassVar[int]
    number: int
    hash: bytes
    parent_hash: bytes
    state_root: bytes
    time: _timestamp_pb2.Timestamp
    transaction_count: int
    deposit_count: int
    gas_used: int
    gas_limit: int
    base_fee_per_gas: str
    l1_origin_number: int
    l1_origin_hash: bytes
    transaction_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    reorg: bool
    seal_time: _timestamp_pb2.Timestamp
    def __init__(self, number: _Optional[int] = ..., hash: _Optional[bytes] = ..., parent_hash: _Optional[bytes] = ..., state_root: _Optional[bytes] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transaction_count: _Optional[int] = ..., deposit_count: _Optional[int] = ..., gas_used: _Optional[int] = ..., gas_limit: _Optional[int] = ..., base_fee_per_gas: _Optional[str] = ..., l1_origin_number: _Optional[int] = ..., l1_origin_hash: _Optional[bytes] = ..., transaction_hashes: _Optional[_Iterable[bytes]] = ..., reorg: _Optional[bool] = ..., seal_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BatchPosted(_message.Message):
    __slots__ = ("batch", "batch_index", "start_block_number", "end_block_number", "end_block_hash", "transaction_count", "channel_id", "frame_count", "compressed_size_bytes", "uncompressed_size_bytes", "data_location", "da_blob", "da_certificate_hash", "fallback_reason", "l1_transaction_hashes", "l1_block_number", "l1_block_hash", "confirm_time")
    BATCH_FIELD_NUMBER: _ClassVar[int]
    BATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    START_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    END_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    END_BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    FRAME_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMPRESSED_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    UNCOMPRESSED_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    DATA_LOCATION_FIELD_NUMBER: _ClassVar[int]
    DA_BLOB_FIELD_NUMBER: _ClassVar[int]
    DA_CERTIFICATE_HASH_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    L1_TRANSACTION_HASHES_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_TIME_FIELD_NUMBER: _ClassVar[int]
    batch: str
    batch_index: int
    start_block_number: int
    end_block_number: int
    end_block_hash: bytes
    transaction_count: int
    channel_id: bytes
    frame_count: int
    compressed_size_bytes: int
    uncompressed_size_bytes: int
    data_location: PostedDataLocation
    da_blob: str
    da_certificate_hash: bytes
    fallback_reason: str
    l1_transaction_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    l1_block_number: int
    l1_block_hash: bytes
    confirm_time: _timestamp_pb2.Timestamp
    def __init__(self, batch: _Optional[str] = ..., batch_index: _Optional[int] = ..., start_block_number: _Optional[int] = ..., end_block_number: _Optional[int] = ..., end_block_hash: _Optional[bytes] = ..., transaction_count: _Optional[int] = ..., channel_id: _Optional[bytes] = ..., frame_count: _Optional[int] = ..., compressed_size_bytes: _Optional[int] = ..., uncompressed_size_bytes: _Optional[int] = ..., data_location: _Optional[_Union[PostedDataLocation, str]] = ..., da_blob: _Optional[str] = ..., da_certificate_hash: _Optional[bytes] = ..., fallback_reason: _Optional[str] = ..., l1_transaction_hashes: _Optional[_Iterable[bytes]] = ..., l1_block_number: _Optional[int] = ..., l1_block_hash: _Optional[bytes] = ..., confirm_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OutputProposed(_message.Message):
    __slots__ = ("output", "output_index", "l2_block_number", "output_root", "version", "state_root", "message_passer_storage_root", "block_hash", "proposer", "l1_transaction_hash", "l1_block_number", "proposal_time", "finalization_time")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_INDEX_FIELD_NUMBER: _ClassVar[int]
    L2_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_ROOT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_PASSER_STORAGE_ROOT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_FIELD_NUMBER: _ClassVar[int]
    L1_TRANSACTION_HASH_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_TIME_FIELD_NUMBER: _ClassVar[int]
    FINALIZATION_TIME_FIELD_NUMBER: _ClassVar[int]
    output: str
    output_index: int
    l2_block_number: int
    output_root: bytes
    version: bytes
    state_root: bytes
    message_passer_storage_root: bytes
    block_hash: bytes
    proposer: str
    l1_transaction_hash: bytes
    l1_block_number: int
    proposal_time: _timestamp_pb2.Timestamp
    finalization_time: _timestamp_pb2.Timestamp
    def __init__(self, output: _Optional[str] = ..., output_index: _Optional[int] = ..., l2_block_number: _Optional[int] = ..., output_root: _Optional[bytes] = ..., version: _Optional[bytes] = ..., state_root: _Optional[bytes] = ..., message_passer_storage_root: _Optional[bytes] = ..., block_hash: _Optional[bytes] = ..., proposer: _Optional[str] = ..., l1_transaction_hash: _Optional[bytes] = ..., l1_block_number: _Optional[int] = ..., proposal_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finalization_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
