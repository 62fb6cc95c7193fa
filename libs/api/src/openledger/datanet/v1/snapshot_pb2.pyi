import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from openledger.common.v1 import chain_pb2 as _chain_pb2
from openledger.common.v1 import job_pb2 as _job_pb2
from openledger.common.v1 import object_ref_pb2 as _object_ref_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Snapshot(_message.Message):
    __slots__ = ("name", "description", "sequence", "state", "progress", "create_time", "start_time", "end_time", "error_reason", "error_message", "creator", "accepted_before", "cutoff_accept_sequence", "record_count", "contributor_count", "content_bytes", "merkle_root", "merkle_scheme", "jsonl", "parquet", "anchor")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_REASON_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    CUTOFF_ACCEPT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_COUNT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_BYTES_FIELD_NUMBER: _ClassVar[int]
    MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    MERKLE_SCHEME_FIELD_NUMBER: _ClassVar[int]
    JSONL_FIELD_NUMBER: _ClassVar[int]
    PARQUET_FIELD_NUMBER: _ClassVar[int]
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    sequence: int
    state: _job_pb2.JobState
    progress: float
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    error_reason: str
    error_message: str
    creator: str
    accepted_before: _timestamp_pb2.Timestamp
    cutoff_accept_sequence: int
    record_count: int
    contributor_count: int
    content_bytes: int
    merkle_root: bytes
    merkle_scheme: str
    jsonl: _object_ref_pb2.ObjectRef
    parquet: _object_ref_pb2.ObjectRef
    anchor: _chain_pb2.ChainTransaction
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., sequence: _Optional[int] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., progress: _Optional[float] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_reason: _Optional[str] = ..., error_message: _Optional[str] = ..., creator: _Optional[str] = ..., accepted_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cutoff_accept_sequence: _Optional[int] = ..., record_count: _Optional[int] = ..., contributor_count: _Optional[int] = ..., content_bytes: _Optional[int] = ..., merkle_root: _Optional[bytes] = ..., merkle_scheme: _Optional[str] = ..., jsonl: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., parquet: _Optional[_Union[_object_ref_pb2.ObjectRef, _Mapping]] = ..., anchor: _Optional[_Union[_chain_pb2.ChainTransaction, _Mapping]] = ...) -> None: ...

class SnapshotRecord(_message.Message):
    __slots__ = ("index", "record_id", "contributor", "content", "content_hash", "curated_content_hash", "signature", "leaf_hash")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRIBUTOR_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    CURATED_CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    index: int
    record_id: str
    contributor: str
    content: _struct_pb2.Struct
    content_hash: bytes
    curated_content_hash: bytes
    signature: bytes
    leaf_hash: bytes
    def __init__(self, index: _Optional[int] = ..., record_id: _Optional[str] = ..., contributor: _Optional[str] = ..., content: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., content_hash: _Optional[bytes] = ..., curated_content_hash: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., leaf_hash: _Optional[bytes] = ...) -> None: ...

class InclusionProof(_message.Message):
    __slots__ = ("snapshot", "record", "leaf_index", "leaf_hash", "sibling_hashes", "merkle_root", "record_count", "merkle_scheme")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    SIBLING_HASHES_FIELD_NUMBER: _ClassVar[int]
    MERKLE_ROOT_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    MERKLE_SCHEME_FIELD_NUMBER: _ClassVar[int]
    snapshot: str
    record: SnapshotRecord
    leaf_index: int
    leaf_hash: bytes
    sibling_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    merkle_root: bytes
    record_count: int
    merkle_scheme: str
    def __init__(self, snapshot: _Optional[str] = ..., record: _Optional[_Union[SnapshotRecord, _Mapping]] = ..., leaf_index: _Optional[int] = ..., leaf_hash: _Optional[bytes] = ..., sibling_hashes: _Optional[_Iterable[bytes]] = ..., merkle_root: _Optional[bytes] = ..., record_count: _Optional[int] = ..., merkle_scheme: _Optional[str] = ...) -> None: ...
