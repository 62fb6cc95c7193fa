import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.da.v1 import certificate_pb2 as _certificate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BatchState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_STATE_UNSPECIFIED: _ClassVar[BatchState]
    BATCH_STATE_DISPERSING: _ClassVar[BatchState]
    BATCH_STATE_SUBMITTED: _ClassVar[BatchState]
    BATCH_STATE_CONFIRMED: _ClassVar[BatchState]
    BATCH_STATE_FINALIZED: _ClassVar[BatchState]
    BATCH_STATE_FAILED: _ClassVar[BatchState]

class BatchDataLocation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_DATA_LOCATION_UNSPECIFIED: _ClassVar[BatchDataLocation]
    BATCH_DATA_LOCATION_DA: _ClassVar[BatchDataLocation]
    BATCH_DATA_LOCATION_L1_CALLDATA: _ClassVar[BatchDataLocation]

class ChannelCompression(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_COMPRESSION_UNSPECIFIED: _ClassVar[ChannelCompression]
    CHANNEL_COMPRESSION_ZLIB: _ClassVar[ChannelCompression]
    CHANNEL_COMPRESSION_BROTLI: _ClassVar[ChannelCompression]

class BatchView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_VIEW_UNSPECIFIED: _ClassVar[BatchView]
    BATCH_VIEW_BASIC: _ClassVar[BatchView]
    BATCH_VIEW_FULL: _ClassVar[BatchView]
BATCH_STATE_UNSPECIFIED: BatchState
BATCH_STATE_DISPERSING: BatchState
BATCH_STATE_SUBMITTED: BatchState
BATCH_STATE_CONFIRMED: BatchState
BATCH_STATE_FINALIZED: BatchState
BATCH_STATE_FAILED: BatchState
BATCH_DATA_LOCATION_UNSPECIFIED: BatchDataLocation
BATCH_DATA_LOCATION_DA: BatchDataLocation
BATCH_DATA_LOCATION_L1_CALLDATA: BatchDataLocation
CHANNEL_COMPRESSION_UNSPECIFIED: ChannelCompression
CHANNEL_COMPRESSION_ZLIB: ChannelCompression
CHANNEL_COMPRESSION_BROTLI: ChannelCompression
BATCH_VIEW_UNSPECIFIED: BatchView
BATCH_VIEW_BASIC: BatchView
BATCH_VIEW_FULL: BatchView

class Frame(_message.Message):
    __slots__ = ("frame_number", "data_length", "is_last", "data")
    FRAME_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DATA_LENGTH_FIELD_NUMBER: _ClassVar[int]
    IS_LAST_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    frame_number: int
    data_length: int
    is_last: bool
    data: bytes
    def __init__(self, frame_number: _Optional[int] = ..., data_length: _Optional[int] = ..., is_last: _Optional[bool] = ..., data: _Optional[bytes] = ...) -> None: ...

class Batch(_message.Message):
    __slots__ = ("name", "batch_index", "state", "start_block_number", "end_block_number", "end_block_hash", "transaction_count", "channel_id", "compression", "uncompressed_size_bytes", "compressed_size_bytes", "frame_count", "frames", "data_location", "da_blob", "da_certificate_hash", "da_certificate", "fallback_reason", "l1_transaction_hashes", "l1_block_number", "l1_block_hash", "create_time", "submit_time", "confirm_time", "finalize_time", "error_reason", "error_message")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    START_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    END_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    END_BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    UNCOMPRESSED_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    COMPRESSED_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FRAME_COUNT_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    DATA_LOCATION_FIELD_NUMBER: _ClassVar[int]
    DA_BLOB_FIELD_NUMBER: _ClassVar[int]
    DA_CERTIFICATE_HASH_FIELD_NUMBER: _ClassVar[int]
    DA_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    L1_TRANSACTION_HASHES_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    L1_BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_TIME_FIELD_NUMBER: _ClassVar[int]
    FINALIZE_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    batch_index: int
    state: BatchState
    start_block_number: int
    end_block_number: int
    end_block_hash: bytes
    transaction_count: int
    channel_id: bytes
    compression: ChannelCompression
    uncompressed_size_bytes: int
    compressed_size_bytes: int
    frame_count: int
    frames: _containers.RepeatedCompositeFieldContainer[Frame]
    data_location: BatchDataLocation
    da_blob: str
    da_certificate_hash: bytes
    da_certificate: _certificate_pb2.Certificate
    fallback_reason: str
    l1_transaction_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    l1_block_number: int
    l1_block_hash: bytes
    create_time: _timestamp_pb2.Timestamp
    submit_time: _timestamp_pb2.Timestamp
    confirm_time: _timestamp_pb2.Timestamp
    finalize_time: _timestamp_pb2.Timestamp
    error_reason: str
    error_message: str
    def __init__(self, name: _Optional[str] = ..., batch_index: _Optional[int] = ..., state: _Optional[_Union[BatchState, str]] = ..., start_block_number: _Optional[int] = ..., end_block_number: _Optional[int] = ..., end_block_hash: _Optional[bytes] = ..., transaction_count: _Optional[int] = ..., channel_id: _Optional[bytes] = ..., compression: _Optional[_Union[ChannelCompression, str]] = ..., uncompressed_size_bytes: _Optional[int] = ..., compressed_size_bytes: _Optional[int] = ..., frame_count: _Optional[int] = ..., frames: _Optional[_Iterable[_Union[Frame, _Mapping]]] = ..., data_location: _Optional[_Union[BatchDataLocation, str]] = ..., da_blob: _Optional[str] = ..., da_certificate_hash: _Optional[bytes] = ..., da_certificate: _Optional[_Union[_certificate_pb2.Certificate, _Mapping]] = ..., fallback_reason: _Optional[str] = ..., l1_transaction_hashes: _Optional[_Iterable[bytes]] = ..., l1_block_number: _Optional[int] = ..., l1_block_hash: _Optional[bytes] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., submit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirm_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finalize_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...
